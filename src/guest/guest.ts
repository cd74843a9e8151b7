// The typed guest API a guest module programs against: hypercalls, the
// port → handler driver, mask/unmask, and upcall processing for one vCPU.
import type { DataPlane } from '../wasm/data-plane.ts';
import { GuestHypercalls } from './hypercalls.ts';
import { GuestDriver, type Binding, type Handler } from './driver.ts';
import { GuestKernel } from './kernel.ts';
import type { GuestLayout } from './layout.ts';
import { EvtchnError } from '../errors.ts';

export interface GuestContext {
  dom: number;
  vcpu: number;
  vcpus: number;
  maxPort: number;
  /** configuration the toolstack gave this domain (like xenstore entries) */
  config: unknown;
  /** a buffer shared by the whole scenario (the toolstack's and the guests' counters) */
  shared?: SharedArrayBuffer;
  /** true once the hypervisor asks the domain to stop */
  stopping: () => boolean;
}

/** What a guest module exports (a path given to Hypervisor / `wasmxen run`). */
export interface GuestModule {
  /** Event handlers by name; called once per vCPU thread, keys must be the same on every vCPU. */
  handlers?: (g: Guest) => Record<string, Handler>;
  /** Runs on every vCPU before its upcall loop; may loop itself (calling g.poll()) until g.stopping(). */
  main?: (g: Guest) => void | Promise<void>;
  /** Summary returned to the hypervisor when the vCPU stops. */
  report?: (g: Guest) => unknown;
}

export class Guest {
  readonly hc: GuestHypercalls;
  readonly driver: GuestDriver;
  readonly kernel: GuestKernel;

  constructor(readonly dp: DataPlane, readonly ctx: GuestContext, readonly layout: GuestLayout,
    handlers: (g: Guest) => Record<string, Handler>) {
    this.hc = new GuestHypercalls(dp, ctx.dom, ctx.vcpu, layout.scratchGfn);
    this.driver = new GuestDriver(dp, ctx.dom, layout, ctx.maxPort, handlers(this));
    this.kernel = new GuestKernel(dp, ctx.dom, ctx.vcpu, layout, this.driver);
  }

  get dom(): number { return this.ctx.dom; }
  get vcpu(): number { return this.ctx.vcpu; }
  get vcpus(): number { return this.ctx.vcpus; }
  get config(): unknown { return this.ctx.config; }
  get shared(): SharedArrayBuffer | undefined { return this.ctx.shared; }
  stopping(): boolean { return this.ctx.stopping(); }

  /** Mask `port` (guest-side atomic set of MASKED). */
  mask(port: number): void {
    const rc = this.dp.x.guestFifoMask(this.dom, this.layout.gsGfn, port);
    if (rc < 0) throw new EvtchnError('mask', -rc, this.dom, port);
  }

  /** Unmask `port`: locally when possible, EVTCHNOP_unmask when the event is pending (spec §10.4). */
  unmask(port: number): void {
    const rc = this.dp.x.guestFifoUnmask(this.dom, this.layout.gsGfn, port);
    if (rc < 0) throw new EvtchnError('unmask', -rc, this.dom, port);
    if (rc === 1) this.hc.unmask(port);
  }

  /** EVTCHNOP_send; throws EvtchnError on failure. */
  send(port: number): void {
    const rc = this.hc.sendRaw(port);
    if (rc < 0) throw new EvtchnError('EVTCHNOP_send', -rc, this.dom, port);
  }

  /** Route `port` to `handler` and unmask it. */
  listen(port: number, handler: string): Binding {
    const b = this.driver.bind(port, handler);
    this.unmask(port);
    return b;
  }

  bindVirq(virq: number, handler: string, vcpu = this.vcpu): Binding {
    return this.listen(this.hc.bindVirq(virq, vcpu), handler);
  }

  bindIpi(vcpu: number, handler: string): Binding {
    return this.listen(this.hc.bindIpi(vcpu), handler);
  }

  bindInterdomain(remoteDom: number, remotePort: number, handler: string): Binding {
    return this.listen(this.hc.bindInterdomain(remoteDom, remotePort), handler);
  }

  /** Unbind as Linux does: mask, release the handler (waiting for running ones), close the port. */
  close(b: Binding): void {
    this.mask(b.port);
    this.driver.unbind(b);
    this.hc.close(b.port);
  }

  /** Run a pending upcall now, if any (for a vCPU busy in its own loop). Returns events dispatched. */
  poll(): number {
    return this.dp.x.upcallPending(this.dom, this.vcpu) === 0 ? 0 : this.kernel.upcall();
  }
}
