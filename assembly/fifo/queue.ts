// Per-vCPU FIFO queues, hypervisor side (spec §2.5): one {tail, lock} per
// (vCPU, priority); the head lives in the guest's control block.
//
// Queue locks are always taken through lockQueuePair, lower address first,
// and only while no other queue lock is held (I6), so two raisers can never
// deadlock on two queues.

import { PAGE_SHIFT, CB_READY } from "../shared/layout";
import { Q_TAIL, Q_LOCK } from "../shared/private-layout";
import { CB_HEAD_OFFSET, CB_READY_OFFSET } from "../shared/fifo-abi";
import { mutexAcquire, mutexRelease } from "../sync/lock";
import { addrCbState, addrCbGfn, addrCbOffset } from "../domain/vcpu";
import { guestBase } from "../domain/table";


/** Queue tail; read and written only under the queue's lock (I6). */
@inline export function loadTail(q: usize): u32 { return load<u32>(q + Q_TAIL); }
@inline export function storeTail(q: usize, port: u32): void { store<u32>(q + Q_TAIL, port); }

export function lockQueuePair(a: usize, b: usize): void {
  if (a == b) { mutexAcquire(a + Q_LOCK); return; }
  if (a < b) { mutexAcquire(a + Q_LOCK); mutexAcquire(b + Q_LOCK); }
  else { mutexAcquire(b + Q_LOCK); mutexAcquire(a + Q_LOCK); }
}

export function unlockQueue(q: usize): void { mutexRelease(q + Q_LOCK); }

export function unlockQueuePair(a: usize, b: usize): void {
  mutexRelease(a + Q_LOCK);
  if (a != b) mutexRelease(b + Q_LOCK);
}

/**
 * Guest address of `vcpu`'s control block, or 0 if it has none. The state is
 * read before gfn/offset and pairs with the store in initControl (I7,
 * XSA-358): a published control block always has its location visible.
 */
export function controlBlockAddr(dom: u32, vcpu: u32): usize {
  if (atomic.load<u32>(addrCbState(dom, vcpu)) != CB_READY) return 0;
  let gfn = atomic.load<u32>(addrCbGfn(dom, vcpu));
  let off = atomic.load<u32>(addrCbOffset(dom, vcpu));
  return guestBase(dom) + (<usize>gfn << PAGE_SHIFT) + <usize>off;
}

@inline export function addrCbReady(cb: usize): usize { return cb + CB_READY_OFFSET; }
@inline export function addrCbHead(cb: usize, prio: u32): usize { return cb + CB_HEAD_OFFSET + (<usize>prio << 2); }
