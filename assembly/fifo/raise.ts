// FIFO raise, clear, unmask and predicates, hypervisor side (spec §9.5, §9.7).

import {
  EVTCHN_FIFO_PENDING, EVTCHN_FIFO_MASKED, EVTCHN_FIFO_LINKED,
  SET_PENDING_LOCK_ATTEMPTS, EVTCHN_FIFO_MAX_QUEUES,
} from "../shared/fifo-abi";
import {
  CF_FIFO_PENDING, CF_REPLAY_CLAIM, LASTQ_VCPU_SHIFT, LASTQ_PRIO_MASK, D_STAT_LOCK_GAVE_UP,
  D_STAT_NO_CONTROL_BLOCK, D_STAT_RAISES,
} from "../shared/layout";
import { addrDomField, loadNrVcpus } from "../domain/table";
import { addrQueue } from "../domain/vcpu";
import {
  loadPriority, loadLastq, storeLastq, addrChannelFlags, loadNotifyVcpu,
} from "../channel/record";
import { fifoWordAddr } from "./event-word";
import {
  loadTail, storeTail, lockQueuePair, unlockQueue, unlockQueuePair,
  controlBlockAddr, addrCbReady, addrCbHead,
} from "./queue";
import { setLink } from "./set-link";
import { markEventsPending } from "../upcall";
import { checkPollers } from "../channel/pollers";
import {
  noise, NP_RAISE_AFTER_PENDING, NP_RAISE_AFTER_LINKED, NP_RAISE_BEFORE_READY, NP_RAISE_BEFORE_HEAD,
  injected, INJ_READY_BEFORE_HEAD, INJ_IGNORE_OLD_QUEUE,
} from "../stress/noise";

@inline export function packLastq(prio: u32, vcpu: u32): u32 { return prio | (vcpu << LASTQ_VCPU_SHIFT); }
@inline function lastqPrio(q: u32): u32 { return q & LASTQ_PRIO_MASK; }
@inline function lastqVcpu(q: u32): u32 { return q >> LASTQ_VCPU_SHIFT; }

/** fifoSetPending result bits. */
export const RAISE_NEWLY_PENDING: u32 = 1; // PENDING went 0 → 1: the caller checks pollers (spec §6.6)
export const RAISE_DROPPED: u32 = 2;       // given up (I12) or no control block: nothing was set

/**
 * Raise `port` of domain `dom` on vCPU `vcpu` (the caller resolved it from
 * notify_vcpu_id). Returns RAISE_* bits; 0 means "raised, was already
 * pending" or "remembered as sticky pending (no array page)".
 *
 * Ordering (I11): PENDING → MASKED test → LINKED → tail LINK or HEAD store →
 * READY → upcall flag; HEAD is stored before READY is set, so a guest that
 * sees READY reads the new HEAD.
 */
export function fifoSetPending(dom: u32, vcpu: u32, port: u32): u32 {
  let w = fifoWordAddr(dom, port);
  if (w == 0) {
    // Remember it for expand_array's replay (spec §9.3). An expansion may have
    // published the page and passed this port between our lookup and the
    // flag: look again, and if the page is there now, take the claim back and
    // raise ourselves — unless the replay took it first (I24).
    let flags = addrChannelFlags(dom, port);
    atomic.or<u32>(flags, CF_FIFO_PENDING | CF_REPLAY_CLAIM);
    w = fifoWordAddr(dom, port);
    if (w == 0 || (atomic.and<u32>(flags, ~CF_REPLAY_CLAIM) & CF_REPLAY_CLAIM) == 0) return 0;
  }

  // Lock the target queue and the queue the event was last linked on; both
  // can change under us (set_priority, bind_vcpu, other raisers), so
  // re-validate and give up after SET_PENDING_LOCK_ATTEMPTS (I12).
  let prio: u32 = 0;
  let target: usize = 0;
  let previous: usize = 0;
  let attempt: i32 = 0;
  while (true) {
    if (attempt == SET_PENDING_LOCK_ATTEMPTS) {
      atomic.add<u32>(addrDomField(dom, D_STAT_LOCK_GAVE_UP), 1);
      return RAISE_DROPPED; // nothing set, no poller woken (commit 8aa0e9d2)
    }
    let last = loadLastq(dom, port);
    // lastq is hypervisor-written: always a real vCPU and queue (debug build)
    assert(lastqVcpu(last) < loadNrVcpus(dom) && lastqPrio(last) < <u32>EVTCHN_FIFO_MAX_QUEUES);
    assert(vcpu < loadNrVcpus(dom));
    prio = loadPriority(dom, port) & (<u32>EVTCHN_FIFO_MAX_QUEUES - 1);
    target = addrQueue(dom, vcpu, prio);
    previous = addrQueue(dom, lastqVcpu(last), lastqPrio(last));
    if (injected(INJ_IGNORE_OLD_QUEUE)) previous = target; // stress build: re-injected bug (no old-queue handling)
    lockQueuePair(target, previous);
    let last2 = loadLastq(dom, port);
    if ((loadPriority(dom, port) & (<u32>EVTCHN_FIFO_MAX_QUEUES - 1)) == prio && last2 == last) break;
    unlockQueuePair(target, previous);
    attempt++;
  }

  let cb = controlBlockAddr(dom, vcpu);
  if (cb == 0) {
    unlockQueuePair(target, previous);
    atomic.add<u32>(addrDomField(dom, D_STAT_NO_CONTROL_BLOCK), 1);
    return RAISE_DROPPED; // XSA-107: dropped, PENDING untouched
  }
  // @ts-ignore: WASMXEN_STATS is defined per asconfig target (--use)
  if (WASMXEN_STATS) atomic.add<u32>(addrDomField(dom, D_STAT_RAISES), 1);

  let newlyPending = (atomic.or<u32>(w, EVTCHN_FIFO_PENDING) & EVTCHN_FIFO_PENDING) == 0;
  let linkedToTail = true; // true: leave HEAD and READY alone
  let readyEarly = false;   // INJ_READY_BEFORE_HEAD only
  noise(NP_RAISE_AFTER_PENDING);

  if ((atomic.load<u32>(w) & EVTCHN_FIFO_MASKED) == 0
      && (atomic.or<u32>(w, EVTCHN_FIFO_LINKED) & EVTCHN_FIFO_LINKED) == 0) {
    // The event enters a queue now.
    noise(NP_RAISE_AFTER_LINKED);
    if (loadTail(previous) == port) storeTail(previous, 0); // stale tail of its old queue (I13)
    if (previous != target) {
      storeLastq(dom, port, packLastq(prio, vcpu));
      unlockQueue(previous);
      previous = target;
    }
    linkedToTail = false;
    let tail = loadTail(target);
    assert(tail != port); // I13: a stale tail naming this port was reset above
    if (tail != 0) {
      let tw = fifoWordAddr(dom, tail);
      if (tw != 0) linkedToTail = setLink(dom, tw, port);
    }
    if (!linkedToTail) {
      if (injected(INJ_READY_BEFORE_HEAD)) {
        // stress build: re-injected bug — READY and the upcall before HEAD (breaks I11)
        readyEarly = true;
        let bit: u32 = <u32>1 << prio;
        if ((atomic.or<u32>(addrCbReady(cb), bit) & bit) == 0) markEventsPending(dom, vcpu);
        noise(NP_RAISE_BEFORE_HEAD);
      }
      atomic.store<u32>(addrCbHead(cb, prio), port);
    }
    storeTail(target, port);
  }
  unlockQueuePair(target, previous);

  if (!linkedToTail && !readyEarly) {
    noise(NP_RAISE_BEFORE_READY);
    let bit: u32 = <u32>1 << prio;
    if ((atomic.or<u32>(addrCbReady(cb), bit) & bit) == 0) markEventsPending(dom, vcpu);
  }
  if (newlyPending) checkPollers(dom, port); // after READY and the upcall (spec §9.5)
  return newlyPending ? RAISE_NEWLY_PENDING : 0;
}

/** spec §9.7: clears PENDING only; the guest skips non-pending entries. */
export function fifoClearPending(dom: u32, port: u32): void {
  let w = fifoWordAddr(dom, port);
  if (w != 0) atomic.and<u32>(w, ~EVTCHN_FIFO_PENDING);
}

/** EVTCHNOP_unmask's FIFO hook (spec §9.7): clear MASKED, relink if pending. */
export function fifoUnmask(dom: u32, port: u32): void {
  let w = fifoWordAddr(dom, port);
  if (w == 0) return;
  let vcpu = loadNotifyVcpu(dom, port);
  atomic.and<u32>(w, ~EVTCHN_FIFO_MASKED);
  if ((atomic.load<u32>(w) & EVTCHN_FIFO_PENDING) != 0) fifoSetPending(dom, vcpu, port);
}

export function fifoIsPending(dom: u32, port: u32): bool {
  let w = fifoWordAddr(dom, port);
  return w != 0 && (atomic.load<u32>(w) & EVTCHN_FIFO_PENDING) != 0;
}

export function fifoIsMasked(dom: u32, port: u32): bool {
  let w = fifoWordAddr(dom, port);
  return w == 0 || (atomic.load<u32>(w) & EVTCHN_FIFO_MASKED) != 0;
}

/** LINKED ports are "busy": allocation skips them (spec §9.8). */
export function fifoIsBusy(dom: u32, port: u32): bool {
  let w = fifoWordAddr(dom, port);
  return w != 0 && (atomic.load<u32>(w) & EVTCHN_FIFO_LINKED) != 0;
}
