// The typed guest API a guest module programs against: hypercalls, the
// port → handler driver, mask/unmask, and upcall processing for one vCPU.
import type { DataPlane } from '../wasm/data-plane.ts';
import { GuestHypercalls } from './hypercalls.ts';
import { GuestDriver, type Binding, type Handler } from './driver.ts';
import { GuestKernel, bootFifo, kernelAbiView } from './kernel.ts';
import { KABI_2L } from './layout.ts';
import type { GuestLayout } from './layout.ts';
import { EvtchnError } from '../errors.ts';
import type { ConsumerRegistry } from '../consumers/registry.ts';
import { bindingInfo, resumeGuest, type Reconnect, type ResumeResult } from './resume.ts';

/** What a vCPU's Guest knows about its domain and thread. */
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
  /** this thread's Xen-internal consumers */
  consumers?: ConsumerRegistry;
  /** the vCPU's hypercall boundary (pause, destroy: src/lifecycle/park.ts) */
  boundary?: () => void;
}

/** What a guest module exports (a path given to Hypervisor / `wasmxen run`). */
export interface GuestModule {
  /** Event handlers by name; called once per vCPU thread, keys must be the same on every vCPU. */
  handlers?: (g: Guest) => Record<string, Handler>;
  /** Runs on every vCPU before its upcall loop; may loop itself (calling g.poll()) until g.stopping(). */
  main?: (g: Guest) => void | Promise<void>;
  /**
   * Runs instead of main() on every vCPU of a domain restored on this host
   * (hv.restoreDomain with a guest module): the guest's resume path —
   * typically g.resume() on one vCPU while the others wait — with whatever it
   * needs found in its own memory.
   */
  resume?: (g: Guest) => void | Promise<void>;
  /** Summary returned to the hypervisor when the vCPU stops. */
  report?: (g: Guest) => unknown;
}

/** The typed guest API of one vCPU (what a guest module gets as `g`): hypercalls, the port → handler driver, mask and unmask, upcall processing. */
export class Guest {
  readonly hc: GuestHypercalls;
  readonly driver: GuestDriver;
  readonly kernel: GuestKernel;
  /** The vCPU's pause/destroy boundary (I28), held off while a continuation's interrupt handler runs (I48). */
  private readonly boundary?: () => void;

  constructor(readonly dp: DataPlane, readonly ctx: GuestContext, readonly layout: GuestLayout,
    handlers: (g: Guest) => Record<string, Handler>) {
    const park = ctx.boundary;
    // no parking inside a handler run between a call's continuations (I48): the boundary after it, before the re-issue, parks
    this.boundary = park && (() => { if (!this.hc.stub.interrupted) park(); });
    this.hc = new GuestHypercalls(dp, ctx.dom, ctx.vcpu, layout.scratchGfn, ctx.consumers, this.boundary);
    this.driver = new GuestDriver(dp, ctx.dom, layout, ctx.maxPort, handlers(this));
    this.kernel = new GuestKernel(dp, ctx.dom, ctx.vcpu, layout, this.driver);
  }

  get dom(): number { return this.ctx.dom; }
  get vcpu(): number { return this.ctx.vcpu; }
  get vcpus(): number { return this.ctx.vcpus; }
  get config(): unknown { return this.ctx.config; }
  get shared(): SharedArrayBuffer | undefined { return this.ctx.shared; }
  stopping(): boolean { return this.ctx.stopping(); }

  /** The ABI this guest runs (a word of its own memory, shared by its vCPUs). */
  get abi(): '2l' | 'fifo' {
    return this.kernel.abi;
  }

  /** Mask `port`: FIFO MASKED or the 2-level mask bit. */
  mask(port: number): void {
    const { x } = this.dp;
    const rc = this.abi === 'fifo' ? x.guestFifoMask(this.dom, this.layout.gsGfn, port) : x.guestTwoLevelMask(this.dom, port);
    if (rc < 0) throw new EvtchnError('mask', -rc, this.dom, port);
  }

  /** Unmask `port`: locally when possible, EVTCHNOP_unmask when needed (spec §10.4, §10.6). */
  unmask(port: number): void {
    const { x } = this.dp;
    const rc = this.abi === 'fifo'
      ? x.guestFifoUnmask(this.dom, this.layout.gsGfn, port)
      : x.guestTwoLevelUnmask(this.dom, this.layout.twoLevelGfn, this.vcpu, port);
    if (rc < 0) throw new EvtchnError('unmask', -rc, this.dom, port);
    if (rc === 1) this.hc.unmask(port);
  }

  /** Record where `port` is delivered (the 2-level scan only handles ports routed to its vCPU). */
  route(port: number, vcpu: number): void {
    const rc = this.dp.x.guestTwoLevelRoute(this.dom, this.layout.twoLevelGfn, port, vcpu);
    if (rc < 0 && this.abi === '2l') throw new EvtchnError('route', -rc, this.dom, port);
  }

  /**
   * Re-target `port` as Linux does (mask → EVTCHNOP_bind_vcpu → unmask),
   * keeping the guest's routing in step; an event already pending is then
   * raised again on the new vCPU by the unmask.
   */
  bindVcpu(port: number, vcpu: number): void {
    const bound = this.driver.handlerOf(port) !== undefined;
    if (bound) this.mask(port);
    this.hc.bindVcpu(port, vcpu);
    this.route(port, vcpu);
    if (bound) this.unmask(port);
  }

  /** EVTCHNOP_send; throws EvtchnError on failure. */
  send(port: number): void {
    const rc = this.hc.sendRaw(port);
    if (rc < 0) throw new EvtchnError('EVTCHNOP_send', -rc, this.dom, port);
  }

  /** Route `port` to `handler` and unmask it; `vcpu` is where Xen delivers it (its notify vCPU). */
  listen(port: number, handler: string, vcpu = 0): Binding {
    const b = this.driver.bind(port, handler);
    // what the port is, so a resume after a move can bind it again (resume.ts)
    this.driver.describe(port, bindingInfo(this.hc.status(port)));
    this.route(port, vcpu);
    this.unmask(port);
    return b;
  }

  bindVirq(virq: number, handler: string, vcpu = this.vcpu): Binding {
    return this.listen(this.hc.bindVirq(virq, vcpu), handler, vcpu);
  }

  bindIpi(vcpu: number, handler: string): Binding {
    return this.listen(this.hc.bindIpi(vcpu), handler, vcpu);
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

  /**
   * Move this running guest from 2-level to FIFO (from one vCPU, the others
   * keep running): init_control on every vCPU, the event array (which replays
   * what was pending under 2-level), then unmask every bound port in FIFO.
   */
  switchToFifo(): void {
    if (this.abi === 'fifo') return;
    bootFifo(this.dp, this.dom, this.vcpus, this.layout);
    for (let p = 1; p <= this.ctx.maxPort; p++) if (this.driver.handlerOf(p) !== undefined) this.unmask(p);
  }

  /**
   * After this domain was restored on another host: rebind as Linux's
   * xen_irq_resume does (resume.ts) — ABI set up again, VIRQs and IPIs bound
   * anew keeping their handlers, interdomain channels through `reconnect`.
   * From one vCPU, while the others do not dispatch.
   */
  resume(reconnect?: Reconnect): ResumeResult {
    return resumeGuest(this, reconnect);
  }

  /**
   * EVTCHNOP_reset of `dom` (default: this domain), re-issuing the call from
   * the register context while Xen continues it (I41); returns how many
   * continuations it took. A guest resetting itself is back in 2-level after.
   */
  reset(dom = 0x7ff0): number {
    const { result, continuations } = this.hc.reset(dom);
    if (result < 0) throw new EvtchnError(continuations ? 'EVTCHNOP_reset_cont' : 'EVTCHNOP_reset', -result, this.dom);
    if (dom === 0x7ff0 || dom === this.dom) Atomics.store(kernelAbiView(this.dp, this.dom, this.layout), 0, KABI_2L);
    return continuations;
  }

  /**
   * SCHEDOP_poll: sleep until one of `ports` is pending, an upcall arrives,
   * or `timeoutMs` passes (undefined: no limit). Returns after handling
   * nothing: the caller looks at its ports or runs poll().
   */
  schedPoll(ports: number[], timeoutMs?: number): void {
    this.hc.schedPoll(ports, timeoutMs);
  }

  /** SCHEDOP_block: sleep until an upcall arrives, then run it. Returns events dispatched. */
  block(timeoutMs = -1): number {
    this.boundary?.(); // an upcall boundary (I28)
    return this.kernel.blockAndRun(timeoutMs);
  }

  /** Run a pending upcall now, if any and not masked (for a vCPU busy in its own loop). Returns events dispatched. */
  poll(): number {
    this.boundary?.(); // an upcall boundary (I28)
    return this.dp.x.localEventsNeedDelivery(this.dom, this.vcpu) === 0 ? 0 : this.kernel.upcall();
  }

  /** Mask upcalls on this vCPU (evtchn_upcall_mask := 1, Linux local_irq_disable); not from a handler. */
  irqDisable(): void {
    this.kernel.irqDisable();
  }

  /** Unmask upcalls and run one flagged meanwhile (Linux xen_irq_enable's re-check); returns events dispatched. */
  irqEnable(): number {
    return this.kernel.irqEnable();
  }
}
