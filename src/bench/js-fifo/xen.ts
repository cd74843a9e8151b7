// The JS reference implementation of the hypervisor's send path: the same
// FIFO protocol as the wasm data plane, step for step, on the same shared
// memory with JS Atomics. It covers what the bench drives: EVTCHNOP_send
// through the struct ABI (assembly/channel/hypercall.ts, ops-misc.ts), the
// ABI hook (port-ops.ts), FIFO set_pending with its queue locks and bounded
// LINK update (fifo/raise.ts, fifo/set-link.ts), the upcall and kick
// (upcall.ts), and a per-vCPU VIRQ raise (channel/virq.ts). A misbehaving
// guest is out of its scope: it trusts its inputs more than Xen may.
import {
  CF_CONSUMER_MASK, CF_FIFO_PENDING, ABI_FIFO, LINK_TRIES_BUCKETS, VI_UPCALL_PENDING, LASTQ_VCPU_SHIFT,
  LASTQ_PRIO_MASK, PAGE_SHIFT,
} from '../../../assembly/shared/layout.ts';
import type { PrivateLayout } from '../../wasm/private-layout.ts';
import {
  EVTCHN_FIFO_PENDING, EVTCHN_FIFO_MASKED, EVTCHN_FIFO_LINKED, EVTCHN_FIFO_BUSY, EVTCHN_FIFO_LINK_MASK,
  SET_LINK_RETRIES, SET_PENDING_LOCK_ATTEMPTS, EVTCHN_FIFO_MAX_QUEUES, CB_READY_OFFSET, CB_HEAD_OFFSET,
} from '../../../assembly/shared/fifo-abi.ts';
import { ECS_RESERVED, ECS_INTERDOMAIN, ECS_IPI, ECS_UNBOUND, EVTCHNOP_send } from '../../../assembly/shared/evtchn-abi.ts';
import { EPORT_PORT, EPORT_SIZE } from '../../../assembly/shared/evtchn-structs.ts';
import { EINVAL, EFAULT, ENOSYS } from '../../../assembly/shared/errno.ts';
import { JsLocks } from './sync.ts';
import { JsAddr } from './addr.ts';

const PENDING = EVTCHN_FIFO_PENDING | 0;
const MASKED = EVTCHN_FIFO_MASKED;
const LINKED = EVTCHN_FIFO_LINKED;
const BUSY = EVTCHN_FIFO_BUSY;
const RAISE_NEWLY_PENDING = 1;
const RAISE_DROPPED = 2;
const QMASK = EVTCHN_FIFO_MAX_QUEUES - 1;

export class JsXen {
  readonly i32: Int32Array;
  readonly a: JsAddr;
  readonly locks: JsLocks;

  readonly L: PrivateLayout;

  /** `layout`: the private-layout table of the data plane that laid `buffer` out (I54). */
  constructor(buffer: ArrayBufferLike, layout: PrivateLayout) {
    this.L = layout;
    this.i32 = new Int32Array(buffer);
    this.a = new JsAddr(new Uint32Array(buffer), layout);
    this.locks = new JsLocks(this.i32);
  }

  private ld(addr: number): number { return Atomics.load(this.i32, addr >>> 2); }
  private st(addr: number, v: number): void { Atomics.store(this.i32, addr >>> 2, v); }
  private or(addr: number, v: number): number { return Atomics.or(this.i32, addr >>> 2, v); }
  private add(addr: number, v: number): number { return Atomics.add(this.i32, addr >>> 2, v); }

  /** HYPERVISOR_event_channel_op for EVTCHNOP_send (every other command: -ENOSYS). */
  eventChannelOp(dom: number, _vcpu: number, cmd: number, gpa: number): number {
    if (cmd !== EVTCHNOP_send) return -ENOSYS;
    const b = this.a.dom(dom);
    if (gpa >= b.frames << PAGE_SHIFT || EPORT_SIZE > (b.frames << PAGE_SHIFT) - gpa) return -EFAULT;
    return this.evtchnSend(dom, this.ld(b.guest + gpa + EPORT_PORT) >>> 0);
  }

  evtchnSend(caller: number, port: number): number {
    if (port >= (this.ld(this.a.field(caller, this.L.D_VALID_EVTCHNS)) >>> 0)) return -EINVAL;
    const c = this.a.channel(caller, port);
    this.locks.readLock(c + this.L.C_LOCK);
    let rc = 0;
    if ((this.ld(c + this.L.C_FLAGS) & CF_CONSUMER_MASK) !== 0) {
      rc = -EINVAL;
    } else {
      const state = this.ld(c + this.L.C_STATE);
      if (state === ECS_INTERDOMAIN) {
        const rd = this.ld(c + this.L.C_REMOTE_DOM);
        const rp = this.ld(c + this.L.C_REMOTE_PORT);
        this.portSetPending(rd, this.ld(this.a.channel(rd, rp) + this.L.C_NOTIFY_VCPU), rp);
      } else if (state === ECS_IPI) {
        this.portSetPending(caller, this.ld(c + this.L.C_NOTIFY_VCPU), port);
      } else if (state !== ECS_UNBOUND) {
        rc = -EINVAL;
      }
    }
    this.locks.readUnlock(c + this.L.C_LOCK);
    return rc;
  }

  /** send_vcpu_virq for a per-vCPU VIRQ; 1 raised, 0 dropped. */
  raiseVirq(dom: number, vcpu: number, virq: number): number {
    const v = this.a.vcpu(dom, vcpu);
    this.locks.readLock(v + this.L.V_VIRQ_LOCK);
    const port = this.ld(v + this.L.V_VIRQ_TO_EVTCHN + virq * 4);
    let raised = 0;
    if (port !== 0) {
      const cl = this.a.channel(dom, port) + this.L.C_LOCK;
      if (this.locks.readTryLock(cl)) {
        this.portSetPending(dom, vcpu, port);
        raised = 1;
        this.locks.readUnlock(cl);
      }
    }
    this.locks.readUnlock(v + this.L.V_VIRQ_LOCK);
    return raised;
  }

  portSetPending(dom: number, vcpu: number, port: number): number {
    const c = this.a.channel(dom, port);
    if ((this.ld(c + this.L.C_FLAGS) & CF_CONSUMER_MASK) !== 0 || this.ld(c + this.L.C_STATE) <= ECS_RESERVED) return 0;
    const abiLock = this.a.field(dom, this.L.D_ABI_LOCK);
    this.locks.readLock(abiLock);
    if (this.ld(this.a.field(dom, this.L.D_ABI)) !== ABI_FIFO) throw new Error('JS reference: FIFO domains only');
    const r = this.fifoSetPending(dom, vcpu, port);
    this.locks.readUnlock(abiLock);
    return r;
  }

  private lockQueuePair(a: number, b: number): void {
    if (a === b) { this.locks.mutexAcquire(a + this.L.Q_LOCK); return; }
    this.locks.mutexAcquire((a < b ? a : b) + this.L.Q_LOCK);
    this.locks.mutexAcquire((a < b ? b : a) + this.L.Q_LOCK);
  }

  private unlockQueuePair(a: number, b: number): void {
    this.locks.mutexRelease(a + this.L.Q_LOCK);
    if (a !== b) this.locks.mutexRelease(b + this.L.Q_LOCK);
  }

  fifoSetPending(dom: number, vcpu: number, port: number): number {
    const w = this.a.eventWord(dom, port);
    const c = this.a.channel(dom, port);
    if (w === 0) { this.or(c + this.L.C_FLAGS, CF_FIFO_PENDING); return 0; }
    let prio = 0;
    let target = 0;
    let previous = 0;
    for (let attempt = 0; ; attempt++) {
      if (attempt === SET_PENDING_LOCK_ATTEMPTS) {
        this.add(this.a.field(dom, this.L.D_STAT_LOCK_GAVE_UP), 1);
        return RAISE_DROPPED;
      }
      const last = this.ld(c + this.L.C_FIFO_LASTQ);
      prio = this.ld(c + this.L.C_PRIORITY) & QMASK;
      target = this.a.queue(dom, vcpu, prio);
      previous = this.a.queue(dom, last >>> LASTQ_VCPU_SHIFT, last & LASTQ_PRIO_MASK);
      this.lockQueuePair(target, previous);
      if ((this.ld(c + this.L.C_PRIORITY) & QMASK) === prio && this.ld(c + this.L.C_FIFO_LASTQ) === last) break;
      this.unlockQueuePair(target, previous);
    }
    const cb = this.a.controlBlock(dom, vcpu);
    if (cb === 0) {
      this.unlockQueuePair(target, previous);
      this.add(this.a.field(dom, this.L.D_STAT_NO_CONTROL_BLOCK), 1);
      return RAISE_DROPPED;
    }
    const newlyPending = (this.or(w, PENDING) & PENDING) === 0;
    let linkedToTail = true;
    if ((this.ld(w) & MASKED) === 0 && (this.or(w, LINKED) & LINKED) === 0) {
      if (this.ld(previous + this.L.Q_TAIL) === port) this.st(previous + this.L.Q_TAIL, 0); // I13
      if (previous !== target) {
        this.st(c + this.L.C_FIFO_LASTQ, prio | (vcpu << LASTQ_VCPU_SHIFT));
        this.locks.mutexRelease(previous + this.L.Q_LOCK);
        previous = target;
      }
      linkedToTail = false;
      const tail = this.ld(target + this.L.Q_TAIL);
      if (tail !== 0) {
        const tw = this.a.eventWord(dom, tail);
        if (tw !== 0) linkedToTail = this.setLink(dom, tw, port);
      }
      if (!linkedToTail) this.st(cb + CB_HEAD_OFFSET + prio * 4, port);
      this.st(target + this.L.Q_TAIL, port);
    }
    this.unlockQueuePair(target, previous);
    if (!linkedToTail) {
      const bit = 1 << prio;
      if ((this.or(cb + CB_READY_OFFSET, bit) & bit) === 0) this.markEventsPending(dom, vcpu);
    }
    if (newlyPending && this.ld(this.a.field(dom, this.L.D_POLL_MASK)) !== 0) {
      throw new Error('JS reference: SCHEDOP_poll is out of its scope');
    }
    return newlyPending ? RAISE_NEWLY_PENDING : 0;
  }

  /** As the release build: the common one- and zero-cmpxchg cases are not counted. */
  private countTries(dom: number, tries: number): void {
    if (tries < 2) return;
    this.add(this.a.field(dom, this.L.D_STAT_LINK_TRIES) + Math.min(tries, LINK_TRIES_BUCKETS - 1) * 4, 1);
  }

  /** setLink (I10): 1 + SET_LINK_RETRIES cmpxchg attempts, BUSY after the first failure. */
  setLink(dom: number, addr: number, port: number): boolean {
    const i = addr >>> 2;
    const linkedTo = (cur: number) => (cur & ~(BUSY | EVTCHN_FIFO_LINK_MASK)) | port;
    let cur = Atomics.load(this.i32, i);
    if ((cur & LINKED) === 0) { this.countTries(dom, 0); return false; }
    let seen = Atomics.compareExchange(this.i32, i, cur, linkedTo(cur));
    if (seen === cur) { this.countTries(dom, 1); return true; }
    Atomics.or(this.i32, i, BUSY);
    cur = Atomics.load(this.i32, i);
    for (let k = 0; k < SET_LINK_RETRIES; k++) {
      if ((cur & LINKED) === 0) {
        Atomics.and(this.i32, i, ~BUSY);
        this.countTries(dom, k + 1);
        return false;
      }
      seen = Atomics.compareExchange(this.i32, i, cur, linkedTo(cur));
      if (seen === cur) { this.countTries(dom, k + 2); return true; }
      cur = seen;
    }
    Atomics.and(this.i32, i, ~BUSY);
    this.countTries(dom, SET_LINK_RETRIES + 1);
    this.add(this.a.field(dom, this.L.D_STAT_LINK_GAVE_UP), 1);
    return true;
  }

  /** Upcall flag, then the kick (I3). */
  markEventsPending(dom: number, vcpu: number): boolean {
    if ((this.or(this.a.vcpuInfo(dom, vcpu) + VI_UPCALL_PENDING, 1) & 1) !== 0) return false;
    this.add(this.a.field(dom, this.L.D_STAT_UPCALLS), 1);
    const v = this.a.vcpu(dom, vcpu);
    this.add(v + this.L.V_KICK, 1);
    if (this.ld(v + this.L.V_BLOCKED) !== 0) {
      this.add(this.a.field(dom, this.L.D_STAT_KICKS), 1);
      Atomics.notify(this.i32, (v + this.L.V_KICK) >>> 2);
    }
    return true;
  }
}
