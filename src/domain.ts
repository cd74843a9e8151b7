// The host-side handle of a domain. A domain without a guest module is a
// "service domain": its vCPUs are served on the caller's thread (a Node
// service's main thread) with Atomics.waitAsync, so its handlers run on the
// event loop without blocking it; the event path is still the wasm one.
//
// Failure contract (a service must outlive its handlers): a handler that
// throws, or returns a promise that rejects, is reported to the hypervisor
// as a HandlerError and the upcall carries on with the next event; the
// domain keeps serving. Arguments are checked before they reach the data
// plane (the ABI takes 32-bit integers: nothing is truncated silently), and
// once the domain is stopped every operation throws HypervisorClosedError.
import type { DataPlane } from './wasm/data-plane.ts';
import type { DomainRegion } from './wasm/memory-map.ts';
import { Guest } from './guest/guest.ts';
import type { Binding } from './guest/driver.ts';
import type { GuestLayout } from './guest/layout.ts';
import type { PortStatus } from './guest/hypercalls.ts';
import type { ConsumerRegistry } from './consumers/registry.ts';
import { DomainMemory } from './mm/domain-memory.ts';
import { warn, yieldToEventLoop } from './platform/host.ts';
import { DomainStateError, HandlerError, HypervisorClosedError, InvalidArgumentError, InvalidStateError, VcpuCrashError, type WasmxenError } from './errors.ts';
import { ParkGate, DomainDyingExit } from './lifecycle/park.ts';
import type { Reconnect, ResumeResult } from './guest/resume.ts';

/** Longest stretch a serving loop handles upcalls before it lets timers and I/O of its thread run. */
const SERVICE_SLICE_MS = 2;

/** A service domain's event handler; a returned promise is awaited only for its rejection. */
export type DomainHandler = (port: number) => void | PromiseLike<void>;

/** Where a domain reports failures it survives (the Hypervisor's error channel). */
export type ErrorSink = (e: WasmxenError) => void;

/** Xen's DOMID_SELF and the highest domid an EVTCHNOP accepts. */
const DOMID_SELF = 0x7ff0;
const DOMID_MAX = 0x7fff;

/** The host-side handle of a domain (`hv.domain(id)`). For a service domain (no guest module) it makes the domain's hypercalls and runs its event handlers on the caller's thread. */
export class Domain {
  /** one Guest per vCPU, for service domains; empty when a guest module runs the domain */
  private readonly local: Guest[] = [];
  private serving = false;
  private stopped = false;
  private loops: Promise<void>[] = [];
  private handlerSerial = 0;
  /** per local vCPU: its pause gate (I30), and whether a serving loop runs it */
  private readonly gates: ParkGate[] = [];
  private readonly loopRuns: boolean[] = [];
  private gone = false;

  constructor(readonly dp: DataPlane, readonly region: DomainRegion, readonly layout: GuestLayout,
    readonly guestModule: string | undefined, consumers?: ConsumerRegistry,
    private readonly report: ErrorSink = defaultSink) {
    if (!guestModule) {
      for (let v = 0; v < region.vcpus; v++) {
        const gate = new ParkGate(dp, region.domid, v, () => this.stopped);
        this.gates.push(gate);
        this.loopRuns.push(false);
        this.local.push(new Guest(dp, {
          dom: region.domid, vcpu: v, vcpus: region.vcpus, maxPort: region.maxEvtchnPort, config: undefined,
          stopping: () => this.stopped, consumers,
          // the caller's thread can not park: a hypercall is refused once this vCPU has parked (or the domain is gone)
          boundary: () => this.boundary(v),
        }, layout, () => ({})));
      }
    }
  }

  /** The toolstack's view of this domain's memory: reservation counters, max_pages, log-dirty and the dirty bitmap. */
  get memory(): DomainMemory { return new DomainMemory(this.dp, this.region.domid, this.region.frames); }

  private boundary(vcpu: number): void {
    if (this.gone) throw new DomainStateError(this.id, 'destroyed', `domain ${this.id} has been destroyed: its handle makes no more hypercalls`);
    this.gates[vcpu].refuse('a hypercall');
  }

  get id(): number { return this.region.domid; }
  get vcpus(): number { return this.region.vcpus; }
  /** Xen's max_evtchn_port of this domain: ports are 1..maxEvtchnPort. */
  get maxEvtchnPort(): number { return this.region.maxEvtchnPort; }

  /** The guest API of vCPU `vcpu` of this service domain (its hypercalls, driver, rings). */
  guest(vcpu = 0): Guest {
    this.open('guest');
    this.checkVcpu('guest', vcpu);
    const g = this.local[vcpu];
    if (!g) throw new InvalidStateError('guest', `domain ${this.id} runs guest module ${this.guestModule}; only that module makes its hypercalls: call guest() on a service domain (one without a guest module)`);
    return g;
  }

  // ---------------------------------------------- hypercalls (as vCPU 0)
  /** EVTCHNOP_alloc_unbound: a port that domain `remoteDom` may bind. */
  allocUnbound(remoteDom: number): number {
    this.checkDomid('allocUnbound', remoteDom);
    return this.guest().hc.allocUnbound(remoteDom);
  }

  /** EVTCHNOP_bind_interdomain: connect a new local port to `remotePort` of `remoteDom`. */
  bindInterdomain(remoteDom: number, remotePort: number): number {
    this.checkDomid('bindInterdomain', remoteDom);
    this.checkInt('bindInterdomain', 'remote port', remotePort, 1, 0xfffffffe);
    return this.guest().hc.bindInterdomain(remoteDom, remotePort);
  }

  /** EVTCHNOP_bind_ipi: a port that raises an event on `vcpu` of this domain. */
  bindIpi(vcpu: number): number {
    this.checkVcpu('bindIpi', vcpu);
    return this.guest().hc.bindIpi(vcpu);
  }

  /** EVTCHNOP_bind_virq: bind VIRQ `virq` (delivered on `vcpu`). */
  bindVirq(virq: number, vcpu = 0): number {
    this.checkInt('bindVirq', 'virq', virq, 0, 0x7fffffff);
    this.checkVcpu('bindVirq', vcpu);
    return this.guest().hc.bindVirq(virq, vcpu);
  }

  /** EVTCHNOP_send on `port`. */
  send(port: number): void {
    this.checkPort('send', port);
    this.guest().send(port);
  }

  /** EVTCHNOP_status of `port`. */
  status(port: number): PortStatus {
    this.checkPort('status', port);
    return this.guest().hc.status(port);
  }

  /** EVTCHNOP_bind_vcpu: deliver `port` to `vcpu` from now on. */
  bindVcpu(port: number, vcpu: number): void {
    this.checkPort('bindVcpu', port);
    this.checkVcpu('bindVcpu', vcpu);
    this.guest().hc.bindVcpu(port, vcpu);
  }

  /** EVTCHNOP_set_priority (FIFO only; 0 is the highest priority). */
  setPriority(port: number, priority: number): void {
    this.checkPort('setPriority', port);
    this.checkInt('setPriority', 'priority', priority, 0, 0x7fffffff);
    this.guest().hc.setPriority(port, priority);
  }

  /**
   * Call `handler` for every event on `port` (any vCPU), and unmask the port.
   * Starts serving this domain's vCPUs on the current thread if not yet. A
   * handler that throws (or whose promise rejects) is reported as a
   * HandlerError through the hypervisor's `'error'` event / `onError`; the
   * domain keeps serving.
   */
  on(port: number, handler: DomainHandler): Binding {
    this.open('on');
    this.checkPort('on', port);
    if (typeof handler !== 'function') {
      throw new InvalidArgumentError('on', 'handler', handler, this.id, 'a function');
    }
    const name = `h${++this.handlerSerial}`;
    for (const g of this.local) g.driver.addHandler(name, (p) => this.runHandler(handler, g.vcpu, p));
    const b = this.guest().listen(port, name);
    this.serve();
    return b;
  }

  private runHandler(handler: DomainHandler, vcpu: number, port: number): void {
    let r: void | PromiseLike<void>;
    try {
      r = handler(port);
    } catch (e) {
      this.report(new HandlerError(this.id, vcpu, port, e));
      return;
    }
    if (r && typeof r.then === 'function') {
      r.then(undefined, (e: unknown) => this.report(new HandlerError(this.id, vcpu, port, e)));
    }
  }

  /**
   * Register the next handler name without binding a port (the name `on`
   * would give it): a restored service domain registers its handlers in the
   * order the saved one did, so the bindings in its memory find them again.
   */
  handler(handler: DomainHandler): string {
    this.open('handler');
    if (typeof handler !== 'function') {
      throw new InvalidArgumentError('handler', 'handler', handler, this.id, 'a function');
    }
    const name = `h${++this.handlerSerial}`;
    for (const g of this.local) g.driver.addHandler(name, (p) => this.runHandler(handler, g.vcpu, p));
    return name;
  }

  /**
   * This service domain was restored here: rebind its channels (Guest.resume,
   * spec §8) from vCPU 0 and serve its vCPUs. `reconnect` re-creates each
   * interdomain channel with a backend of this host.
   */
  resume(reconnect?: Reconnect): ResumeResult {
    this.open('resume');
    const r = this.guest(0).resume(reconnect);
    this.serve();
    return r;
  }

  /** Stop calling the handler (waits for a running one) and close the port. */
  close(b: Binding): void {
    this.guest().close(b);
  }

  /** Spurious events seen by this service domain (unbound ports). */
  spurious(): number {
    return this.local[0]?.driver.spurious() ?? 0;
  }

  /** True once the domain has been stopped (by the hypervisor's shutdown). */
  get closed(): boolean {
    return this.stopped;
  }

  private serve(): void {
    if (this.serving || this.stopped) return;
    this.serving = true;
    this.loops = this.local.map(async (g, v) => {
      this.loopRuns[v] = true;
      try {
        let since = performance.now();
        while (!this.stopped) {
          await this.gates[v].checkAsync(); // the upcall boundary: park while paused (I30)
          // after handling events, let timers and I/O run now and then: two service domains
          // answering each other on this thread would otherwise chain microtasks forever
          if (await g.kernel.blockAndRunAsync(1000) > 0 && performance.now() - since > SERVICE_SLICE_MS) {
            await yieldToEventLoop();
            since = performance.now();
          }
        }
      } catch (e) {
        // the domain is being destroyed: serve no more. Otherwise handlers are wrapped: only the
        // data plane itself can throw here, and this vCPU stops serving
        if (!(e instanceof DomainDyingExit)) this.report(new VcpuCrashError(this.id, g.vcpu, e));
      } finally {
        this.loopRuns[v] = false;
      }
    });
  }

  /**
   * A pause was requested: vCPUs without a serving loop run nothing, so they
   * park at once; the serving ones park at their next upcall boundary (I30).
   */
  parkIdle(): void {
    for (let v = 0; v < this.local.length; v++) if (!this.loopRuns[v]) this.dp.x.vcpuParkEnter(this.id, v);
  }

  /** The pause was withdrawn: the vCPUs parked by parkIdle run again. */
  unparkIdle(): void {
    for (let v = 0; v < this.local.length; v++) if (!this.loopRuns[v]) this.dp.x.vcpuParkLeave(this.id, v);
  }

  /** The domain was destroyed: every later call on this handle throws DomainStateError. */
  markDestroyed(): void {
    this.gone = true;
    this.stopped = true;
  }

  get destroyed(): boolean { return this.gone; }

  /** Stop serving; resolves when the loops have ended. Every operation afterwards throws HypervisorClosedError (DomainStateError once destroyed). */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const g of this.local) this.dp.x.kickVcpu(this.id, g.vcpu);
    await Promise.all(this.loops);
  }

  // ---------------------------------------------- argument checks
  private open(op: string): void {
    if (this.gone) throw new DomainStateError(this.id, 'destroyed', `${op}: domain ${this.id} has been destroyed: create a new domain to use its id again`);
    if (this.stopped) throw new HypervisorClosedError(op, this.id);
  }

  private checkInt(op: string, argument: string, v: unknown, lo: number, hi: number): void {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
      throw new InvalidArgumentError(op, argument, v, this.id, `an integer in ${lo}..${hi}`);
    }
  }

  private checkPort(op: string, port: unknown): void {
    this.open(op);
    this.checkInt(op, 'port', port, 1, this.region.maxEvtchnPort);
  }

  private checkVcpu(op: string, vcpu: unknown): void {
    this.open(op);
    this.checkInt(op, 'vCPU', vcpu, 0, this.region.vcpus - 1);
  }

  /** A domid as the EVTCHNOPs take it: an existing domain is Xen's to judge (-ESRCH), a non-domid is ours. */
  private checkDomid(op: string, dom: unknown): void {
    this.open(op);
    if (dom === DOMID_SELF) return;
    this.checkInt(op, 'domain', dom, 0, DOMID_MAX);
  }
}

function defaultSink(e: WasmxenError): void {
  warn(e);
}
