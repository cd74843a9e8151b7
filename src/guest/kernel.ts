// The guest kernel of one vCPU: boot (FIFO setup as Linux does it from the
// boot CPU, spec §10.2) and the upcall loop (spec §10.1, §10.3): clear
// evtchn_upcall_pending, drain the queues in priority order dispatching each
// port through the driver, repeat while the flag was set again. The loop runs
// with evtchn_upcall_mask set, as x86 PV Xen enters a guest's event callback;
// its unmask re-checks the flag as Linux's xen_irq_enable does (I25).
import type { DataPlane } from '../wasm/data-plane.ts';
import { type GuestLayout, K_ABI, KABI_FIFO, KABI_2L } from './layout.ts';
import type { GuestDriver } from './driver.ts';
import { GuestBootError } from './fifo-boot.ts';
import { InvalidStateError } from '../errors.ts';
import { hostCores } from '../platform/host.ts';

const VB_LATE = 2;
/**
 * Rounds a vCPU watches its upcall flag before sleeping, while a core is free
 * for it (I51): about as long as a wake-up across cores costs here (tens of µs).
 */
export const KERNEL_SPINS = 20000;
/** Rounds it watches the flag when vCPU threads outnumber the cores: none, it sleeps at once (I51). */
const KERNEL_MIN_SPINS = 0;

/** A vCPU kernel's counters. */
export interface KernelStats {
  upcalls: number;
  events: number;
  /** sleeps that ran into their timeout with an upcall pending: lost wake-ups (must stay 0) */
  lateWakeups: number;
}

/** An event-channel ABI: 2-level or FIFO. */
export type GuestAbi = '2l' | 'fifo';

/** The kernel's ABI word in guest memory: every vCPU thread of the domain reads the same one. */
export function kernelAbiView(dp: DataPlane, dom: number, layout: GuestLayout): Int32Array {
  return new Int32Array(dp.memory.buffer, (dp.x.addrGfn(dom, layout.kernelGfn) >>> 0) + 4 * K_ABI, 1);
}

/**
 * Boot the guest's event channels from one thread (the boot CPU): the
 * 2-level driver state (every port masked, routed to vCPU 0), then — for
 * 'fifo' — init_control on every vCPU and the event array, as Linux does
 * before it binds anything (spec §9.2, §10.2).
 */
export function bootGuest(dp: DataPlane, dom: number, vcpus: number, layout: GuestLayout, abi: GuestAbi): void {
  const rc = dp.x.guestTwoLevelSetup(dom, layout.twoLevelGfn);
  if (rc !== 0) throw new GuestBootError(`domain ${dom}: 2-level driver state at gfn ${layout.twoLevelGfn} is not guest RAM`, -rc);
  Atomics.store(kernelAbiView(dp, dom, layout), 0, KABI_2L);
  if (abi === 'fifo') bootFifo(dp, dom, vcpus, layout);
}

/** Switch the guest to FIFO (init_control on every vCPU, the event array) from one thread. */
export function bootFifo(dp: DataPlane, dom: number, vcpus: number, layout: GuestLayout): void {
  const x = dp.x;
  let rc = x.guestFifoSetup(dom, layout.gsGfn);
  if (rc !== 0) throw new GuestBootError(`domain ${dom}: driver state frame ${layout.gsGfn} is not guest RAM (-${-rc})`, -rc);
  for (let v = 0; v < vcpus; v++) {
    rc = x.guestFifoInitVcpu(dom, layout.gsGfn, v, layout.cbGfn(v), 0);
    if (rc !== 0) throw new GuestBootError(`domain ${dom}: EVTCHNOP_init_control for vCPU ${v} returned ${rc}`, -rc);
  }
  for (const gfn of layout.arrayGfns) {
    rc = x.guestFifoAddArrayPage(dom, layout.gsGfn, gfn);
    if (rc !== 0) throw new GuestBootError(`domain ${dom}: EVTCHNOP_expand_array(gfn ${gfn}) returned ${rc}`, -rc);
  }
  Atomics.store(kernelAbiView(dp, dom, layout), 0, KABI_FIFO);
}

export class GuestKernel {
  readonly stats: KernelStats = { upcalls: 0, events: 0, lateWakeups: 0 };
  private readonly kickIndex: number;
  private readonly abiWord: Int32Array;

  constructor(readonly dp: DataPlane, readonly dom: number, readonly vcpu: number,
    readonly layout: GuestLayout, readonly driver: GuestDriver) {
    this.kickIndex = dp.vcpuKickIndex(dom, vcpu);
    this.abiWord = kernelAbiView(dp, dom, layout);
  }

  get abi(): GuestAbi {
    return Atomics.load(this.abiWord, 0) === KABI_FIFO ? 'fifo' : '2l';
  }

  private inUpcall = false;
  /** this thread is counted among the vCPU threads running guest code (I51) */
  private counted = false;

  /**
   * This thread runs the vCPU from now on: count it among the running vCPU
   * threads, which decide whether a blocking vCPU spins (I51). Idempotent.
   */
  online(): void {
    if (this.counted) return;
    this.dp.x.vcpuThreadStart(hostCores());
    this.counted = true;
  }

  /** The thread leaves its vCPU loop (stop, destroy, the end of a bench run). Idempotent. */
  offline(): void {
    if (!this.counted) return;
    this.dp.x.vcpuThreadStop();
    this.counted = false;
  }

  /** Linux's local_irq_disable on PV: evtchn_upcall_mask := 1; no upcall runs until irqEnable. */
  irqDisable(): void {
    if (this.inUpcall) throw new InvalidStateError('irqDisable', 'called inside an event handler, where the upcall already runs with events masked: call it outside handlers');
    this.dp.x.guestIrqDisable(this.dom, this.vcpu);
  }

  /**
   * Linux's xen_irq_enable: evtchn_upcall_mask := 0, then re-check
   * evtchn_upcall_pending — an upcall flagged while masked woke nobody and
   * runs now. Returns the events dispatched.
   */
  irqEnable(): number {
    if (this.inUpcall) throw new InvalidStateError('irqEnable', 'called inside an event handler: the upcall unmasks events itself when the handler returns; call it outside handlers');
    return this.dp.x.guestIrqEnable(this.dom, this.vcpu) !== 0 ? this.upcall() : 0;
  }

  /** One upcall, entered with events masked: returns the number of events dispatched. */
  upcall(): number {
    const { x } = this.dp;
    const { dom, vcpu } = this;
    let n = 0;
    const outer = this.inUpcall;
    this.inUpcall = true;
    x.guestIrqDisable(dom, vcpu);
    try {
      do n += this.drain(); while (x.guestIrqEnable(dom, vcpu) !== 0 && (x.guestIrqDisable(dom, vcpu), true));
    } finally {
      this.inUpcall = outer;
    }
    this.stats.events += n;
    return n;
  }

  /** The drain loop of one upcall (events masked). */
  private drain(): number {
    const { x } = this.dp;
    const { dom, vcpu } = this;
    let n = 0;
    do {
      x.clearUpcallPending(dom, vcpu);
      this.stats.upcalls++;
      if (this.abi === 'fifo') {
        const gs = this.layout.gsGfn;
        for (let p = x.guestFifoNext(dom, gs, vcpu); p !== 0; p = x.guestFifoNext(dom, gs, vcpu)) {
          this.driver.dispatch(p >>> 0);
          n++;
        }
      } else {
        const gs2 = this.layout.twoLevelGfn;
        for (let p = x.guestTwoLevelNext(dom, gs2, vcpu); p !== 0; p = x.guestTwoLevelNext(dom, gs2, vcpu)) {
          this.driver.dispatch(p >>> 0);
          n++;
        }
      }
    } while (x.upcallPending(dom, vcpu) !== 0);
    return n;
  }

  /**
   * Block until an upcall arrives (or `timeoutMs` passes) and run it:
   * spin first while a core is free for this vCPU, else sleep at once (I51).
   * Counts this thread as running guest code from now on (online()).
   * Returns the events dispatched (0 on timeout or a bare kick).
   */
  blockAndRun(timeoutMs: number): number {
    this.online();
    const r = this.dp.x.guestVcpuBlock(this.dom, this.vcpu, timeoutMs * 1e6, KERNEL_SPINS, KERNEL_MIN_SPINS);
    if (r === VB_LATE) this.stats.lateWakeups++;
    return r === 0 ? 0 : this.upcall();
  }

  /** The same for a thread that must not block: waits with Atomics.waitAsync. */
  async blockAndRunAsync(timeoutMs: number): Promise<number> {
    const { x } = this.dp;
    if (x.upcallPending(this.dom, this.vcpu) === 0) {
      const k = x.vcpuBlockPrepare(this.dom, this.vcpu);
      if (x.upcallPending(this.dom, this.vcpu) === 0) {
        const w = Atomics.waitAsync(this.dp.i32, this.kickIndex, k, timeoutMs);
        if (w.async) await w.value;
      }
      x.vcpuBlockDone(this.dom, this.vcpu);
      if (x.upcallPending(this.dom, this.vcpu) === 0) return 0;
    }
    return this.upcall();
  }
}
