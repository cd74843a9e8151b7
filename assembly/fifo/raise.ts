// FIFO raise, clear, unmask and predicates, hypervisor side (spec §9.5, §9.7).

import {
  EVTCHN_FIFO_PENDING, EVTCHN_FIFO_MASKED, EVTCHN_FIFO_LINKED,
  SET_PENDING_LOCK_ATTEMPTS, EVTCHN_FIFO_MAX_QUEUES, SET_LINK_RETRIES,
} from "../shared/fifo-abi";
import { CF_FIFO_PENDING, CF_REPLAY_CLAIM, LASTQ_VCPU_SHIFT, LASTQ_PRIO_MASK } from "../shared/layout";
import {
  D_STAT_LOCK_GAVE_UP, D_STAT_NO_CONTROL_BLOCK, D_STAT_RAISES, D_STAT_RELINK_SKIPPED,
} from "../shared/private-layout";
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
  NP_UNMASK_BEFORE_RELINK, NP_RAISE_QUEUES_READ, injected, INJ_READY_BEFORE_HEAD, INJ_IGNORE_OLD_QUEUE, INJ_XEN_UNMASK,
} from "../stress/noise";

@inline export function packLastq(prio: u32, vcpu: u32): u32 { return prio | (vcpu << LASTQ_VCPU_SHIFT); }
@inline function lastqPrio(q: u32): u32 { return q & LASTQ_PRIO_MASK; }
@inline function lastqVcpu(q: u32): u32 { return q >> LASTQ_VCPU_SHIFT; }

/** fifoSetPending result bits. */
export const RAISE_NEWLY_PENDING: u32 = 1; // PENDING went 0 → 1: the caller checks pollers (spec §6.6)
export const RAISE_DROPPED: u32 = 2;       // given up (I12) or no control block: nothing was set

/**
 * The relink's claim of LINKED (I26): set LINKED only if, at that moment, the
 * word is PENDING, not MASKED and not LINKED — one cmpxchg on the value read,
 * so a PENDING the guest cleared (it took the event) is never linked again.
 * A guest may change the word between our read and the cmpxchg (clear LINKED
 * or PENDING, set MASKED); the attempts are bounded as setLink's are (I10),
 * and a guest that keeps rewriting the word only delays its own event.
 */
function claimLinkIfPending(dom: u32, w: usize): bool {
  for (let i: u32 = 0; i <= <u32>SET_LINK_RETRIES; i++) {
    let cur = atomic.load<u32>(w);
    if ((cur & EVTCHN_FIFO_PENDING) == 0) {
      atomic.add<u32>(addrDomField(dom, D_STAT_RELINK_SKIPPED), 1); // the guest took the event: nothing to relink
      return false;
    }
    if ((cur & (EVTCHN_FIFO_MASKED | EVTCHN_FIFO_LINKED)) != 0) return false;
    if (atomic.cmpxchg<u32>(w, cur, cur | EVTCHN_FIFO_LINKED) == cur) return true;
  }
  return false;
}

/**
 * Raise `port` of domain `dom` on vCPU `vcpu` (the caller resolved it from
 * notify_vcpu_id). Returns RAISE_* bits; 0 means "raised, was already
 * pending" or "remembered as sticky pending (no array page)".
 *
 * `relink` (EVTCHN_unmask's use, I26): do not set PENDING; link the event
 * only if it is still PENDING at the moment LINKED is claimed.
 *
 * Ordering (I11): PENDING → MASKED test → LINKED → tail LINK or HEAD store →
 * READY → upcall flag; HEAD is stored before READY is set, so a guest that
 * sees READY reads the new HEAD.
 */
export function fifoSetPending(dom: u32, vcpu: u32, port: u32, relink: bool = false): u32 {
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
    noise(NP_RAISE_QUEUES_READ);
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

  let newlyPending = !relink && (atomic.or<u32>(w, EVTCHN_FIFO_PENDING) & EVTCHN_FIFO_PENDING) == 0;
  let linkedToTail = true; // true: leave HEAD and READY alone
  let readyEarly = false;   // INJ_READY_BEFORE_HEAD only
  noise(NP_RAISE_AFTER_PENDING);

  if (relink
    ? claimLinkIfPending(dom, w)
    : (atomic.load<u32>(w) & EVTCHN_FIFO_MASKED) == 0
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

/**
 * EVTCHNOP_unmask's FIFO hook (spec §9.7): clear MASKED, relink if pending.
 * Deliberately better than Xen (I26): Xen's evtchn_fifo_unmask tests PENDING
 * and then calls set_pending, which sets PENDING again — a guest that took
 * (acked) the event between the two gets one event nobody raised. Here the
 * relink never sets PENDING and links only while PENDING is still set. With
 * no other thread the two are indistinguishable.
 */
export function fifoUnmask(dom: u32, port: u32): void {
  let w = fifoWordAddr(dom, port);
  if (w == 0) return;
  let vcpu = loadNotifyVcpu(dom, port);
  atomic.and<u32>(w, ~EVTCHN_FIFO_MASKED);
  if ((atomic.load<u32>(w) & EVTCHN_FIFO_PENDING) != 0) {
    noise(NP_UNMASK_BEFORE_RELINK);
    // stress build: INJ_XEN_UNMASK relinks as Xen does, setting PENDING again
    fifoSetPending(dom, vcpu, port, !injected(INJ_XEN_UNMASK));
  }
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
