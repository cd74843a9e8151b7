// Where a Hypervisor reports the failures it survives — a service-domain
// handler that throws (HandlerError), a vCPU thread that crashes
// (VcpuCrashError) — and its `closed` promise:
// - a failure goes to onError, to 'error' listeners, else to a process
//   warning; never into the event loop, and what a listener throws is a
//   warning too;
// - `closed` settles once: rejected with the first VcpuCrashError the moment
//   a vCPU crashes, resolved by settle() when shutdown completes.
import { VcpuCrashError, type HandlerError, type WasmxenError } from '../errors.ts';
import { warn } from '../platform/host.ts';

/** The embedder's side of the failures: the onError option and the hypervisor's 'error' listeners. */
export interface FailureListeners {
  onError?: (error: HandlerError | VcpuCrashError) => void;
  /** 'error' listeners there are */
  listenerCount(): number;
  /** emit 'error' to them */
  emit(e: HandlerError | VcpuCrashError): void;
}

export class Failures {
  readonly closed: Promise<void>;
  private readonly crashes: VcpuCrashError[] = [];
  private settleClosed!: (e?: VcpuCrashError) => void;

  constructor(private readonly to: FailureListeners) {
    this.closed = new Promise<void>((resolve, reject) => {
      let done = false;
      this.settleClosed = (e) => {
        if (done) return;
        done = true;
        if (e) reject(e); else resolve();
      };
    });
    this.closed.catch(() => { /* delivered to whoever awaits it; never an unhandled rejection */ });
  }

  /** Where domains and the vCPU pool report what they survived. */
  readonly sink = (e: WasmxenError): void => {
    if (e instanceof VcpuCrashError) this.vcpuCrashed(e); else this.report(e as HandlerError);
  };

  vcpuCrashed(e: VcpuCrashError): void {
    this.crashes.push(e);
    this.settleClosed(e);
    this.report(e);
  }

  /** The vCPUs that crashed so far. */
  get crashed(): VcpuCrashError[] { return [...this.crashes]; }

  /** Resolve `closed` (unless a crash rejected it already): the hypervisor has shut down. */
  settle(): void { this.settleClosed(); }

  /** Deliver a survived failure to the embedder: onError, 'error' listeners, else a process warning. */
  private report(e: HandlerError | VcpuCrashError): void {
    let delivered = false;
    if (this.to.onError) {
      delivered = true;
      try { this.to.onError(e); } catch (thrown) { warn(`onError threw: ${String(thrown)}`); }
    }
    if (this.to.listenerCount() > 0) {
      delivered = true;
      try { this.to.emit(e); } catch (thrown) { warn(`an 'error' listener threw: ${String(thrown)}`); }
    }
    if (!delivered) warn(e);
  }
}
