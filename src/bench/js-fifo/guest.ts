// The JS reference implementation of the guest side the bench drives: the
// FIFO consume loop of assembly/guest/fifo-guest.ts (guestFifoNext, I15) and
// the upcall flag and block/kick protocol of assembly/upcall.ts (I3), with JS
// Atomics on the same words.
import {
  GS_NR_PAGES, GS_PAGES, GS_VCPUS, GS_VCPU_BYTES, GSV_CB_GFN, GSV_CB_OFFSET, GSV_READY, GSV_HEADS,
  EVTCHN_FIFO_MAX_ARRAY_PAGES, PAGE_SIZE, VI_UPCALL_PENDING,
} from '../../../assembly/shared/layout.ts';
import type { PrivateLayout } from '../../wasm/private-layout.ts';
import {
  EVTCHN_FIFO_PENDING, EVTCHN_FIFO_MASKED, EVTCHN_FIFO_LINKED, EVTCHN_FIFO_LINK_MASK,
  EVTCHN_FIFO_EVENT_WORDS_PER_PAGE, EVTCHN_FIFO_CONTROL_BLOCK_SIZE, CB_READY_OFFSET, CB_HEAD_OFFSET,
  EVTCHN_FIFO_MAX_QUEUES,
} from '../../../assembly/shared/fifo-abi.ts';
import { JsAddr } from './addr.ts';

const PENDING = EVTCHN_FIFO_PENDING | 0;
export const BLOCK_SPINS = 2000; // as vcpuBlock
export const VB_IDLE = 0;
export const VB_UPCALL = 1;
export const VB_LATE = 2;

export class JsGuest {
  readonly i32: Int32Array;
  readonly a: JsAddr;
  /** rounds block() spins first: vcpuBlock's 2000, scaled to the same time (see roles/engine.ts) */
  blockSpins = BLOCK_SPINS;

  /** `layout`: the private-layout table of the data plane that laid `buffer` out (I54). */
  constructor(buffer: ArrayBufferLike, layout: PrivateLayout) {
    this.i32 = new Int32Array(buffer);
    this.a = new JsAddr(new Uint32Array(buffer), layout);
  }

  private ld(addr: number): number { return Atomics.load(this.i32, addr >>> 2); }

  private wordAddr(dom: number, gs: number, port: number): number {
    const n = this.ld(gs + GS_NR_PAGES) >>> 0;
    if (n > EVTCHN_FIFO_MAX_ARRAY_PAGES) return 0;
    const page = (port / EVTCHN_FIFO_EVENT_WORDS_PER_PAGE) | 0;
    if (port === 0 || page >= n) return 0;
    const base = this.a.gfn(dom, this.ld(gs + GS_PAGES + page * 4) >>> 0);
    return base === 0 ? 0 : base + (port % EVTCHN_FIFO_EVENT_WORDS_PER_PAGE) * 4;
  }

  private clearLinked(w: number): number {
    const i = w >>> 2;
    let old = Atomics.load(this.i32, i);
    for (;;) {
      const seen = Atomics.compareExchange(this.i32, i, old, old & ~(EVTCHN_FIFO_LINKED | EVTCHN_FIFO_LINK_MASK));
      if (seen === old) return old & EVTCHN_FIFO_LINK_MASK;
      old = seen;
    }
  }

  /** guestFifoNext: the next acknowledged port of `vcpu`, or 0 when every ready queue is drained. */
  next(dom: number, gsGfn: number, vcpu: number): number {
    const gs = this.a.gfn(dom, gsGfn);
    if (gs === 0 || vcpu >= 32) return 0;
    const v = gs + GS_VCPUS + vcpu * GS_VCPU_BYTES;
    const off = this.ld(v + GSV_CB_OFFSET) >>> 0;
    const page = this.a.gfn(dom, this.ld(v + GSV_CB_GFN) >>> 0);
    if (page === 0 || off > PAGE_SIZE - EVTCHN_FIFO_CONTROL_BLOCK_SIZE) return 0;
    const cb = page + off;
    const i32 = this.i32;
    let ready = this.ld(v + GSV_READY) | Atomics.exchange(i32, (cb + CB_READY_OFFSET) >>> 2, 0);
    while (ready !== 0) {
      const q = 31 - Math.clz32(ready & -ready);
      if (q >= EVTCHN_FIFO_MAX_QUEUES) { ready = 0; break; }
      const headSlot = v + GSV_HEADS + q * 4;
      let port = this.ld(headSlot) >>> 0;
      if (port === 0) port = this.ld(cb + CB_HEAD_OFFSET + q * 4) >>> 0;
      const w = this.wordAddr(dom, gs, port);
      if (w === 0) {
        Atomics.store(i32, headSlot >>> 2, 0);
        ready &= ~(1 << q);
        continue;
      }
      const next = this.clearLinked(w);
      if (next === 0) ready &= ~(1 << q);
      Atomics.store(i32, headSlot >>> 2, next);
      const word = this.ld(w);
      if ((word & PENDING) !== 0 && (word & EVTCHN_FIFO_MASKED) === 0) {
        Atomics.and(i32, w >>> 2, ~PENDING);
        Atomics.store(i32, (v + GSV_READY) >>> 2, ready);
        return port;
      }
      ready |= Atomics.exchange(i32, (cb + CB_READY_OFFSET) >>> 2, 0);
    }
    Atomics.store(i32, (v + GSV_READY) >>> 2, 0);
    return 0;
  }

  upcallPending(dom: number, vcpu: number): number {
    return this.ld(this.a.vcpuInfo(dom, vcpu) + VI_UPCALL_PENDING) & 1;
  }

  /** Spin up to `spins` rounds until the upcall flag is set (one Atomics.load a round, as the wasm loop); true if it was. */
  spinForFlag(dom: number, vcpu: number, spins: number): boolean {
    const i = (this.a.vcpuInfo(dom, vcpu) + VI_UPCALL_PENDING) >>> 2;
    const i32 = this.i32;
    for (let k = 0; k < spins; k++) if ((Atomics.load(i32, i) & 1) !== 0) return true;
    return false;
  }

  clearUpcallPending(dom: number, vcpu: number): void {
    Atomics.and(this.i32, (this.a.vcpuInfo(dom, vcpu) + VI_UPCALL_PENDING) >>> 2, ~0xff);
  }

  /** vcpuBlock: spin, then sleep on the kick word (I3). timeoutMs < 0: no limit. */
  block(dom: number, vcpu: number, timeoutMs: number): number {
    if (this.spinForFlag(dom, vcpu, this.blockSpins)) return VB_UPCALL;
    const rec = this.a.vcpu(dom, vcpu);
    const blocked = (rec + this.a.L.V_BLOCKED) >>> 2;
    const kick = (rec + this.a.L.V_KICK) >>> 2;
    Atomics.store(this.i32, blocked, 1);
    const k = Atomics.load(this.i32, kick);
    let r = 'not-equal';
    if (this.upcallPending(dom, vcpu) === 0) r = Atomics.wait(this.i32, kick, k, timeoutMs < 0 ? Infinity : timeoutMs);
    Atomics.store(this.i32, blocked, 0);
    if (this.upcallPending(dom, vcpu) === 0) return VB_IDLE;
    return r === 'timed-out' ? VB_LATE : VB_UPCALL;
  }
}
