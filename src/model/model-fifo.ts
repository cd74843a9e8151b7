// FIFO ABI, Xen side (spec §9.1, §9.4–§9.8), single-threaded: the queue-lock
// loop of §9.5 validates on its first attempt and setLink's compare-exchange
// never fails, so BUSY is never set (spec §12.1). Every step still happens in
// the order of §12 so intermediate guest-visible states match Xen's.
import {
  EVTCHN_FIFO_PENDING, EVTCHN_FIFO_MASKED, EVTCHN_FIFO_LINKED, EVTCHN_FIFO_BUSY, EVTCHN_FIFO_LINK_MASK,
  EVTCHN_FIFO_PRIORITY_DEFAULT, EVTCHN_FIFO_PRIORITY_MIN, EVTCHN_FIFO_MAX_QUEUES,
  EVTCHN_FIFO_EVENT_WORDS_PER_PAGE, CB_READY_OFFSET, CB_HEAD_OFFSET,
} from '../../assembly/shared/fifo-abi.ts';
import { EINVAL } from '../../assembly/shared/errno.ts';
import type { ModelDomain } from './model-domain.ts';

/** fifoSetPending result bits (as assembly/fifo/raise.ts). */
export const RAISE_NEWLY_PENDING = 1; // PENDING went 0 → 1: pollers would be checked (spec §6.6)
/** fifoSetPending result bit: no control block, nothing was set (spec §9.5, XSA-107). */
export const RAISE_DROPPED = 2;       // no control block: nothing was set (spec §9.5, XSA-107)

const WORD_INDEX_MASK = EVTCHN_FIFO_EVENT_WORDS_PER_PAGE - 1;
const PAGE_SHIFT_WORDS = 10; // log2(EVTCHN_FIFO_EVENT_WORDS_PER_PAGE)

/** num_evtchns (spec §2.5). */
export function fifoNumEvtchns(d: ModelDomain): number {
  return d.arrayGfns.length * EVTCHN_FIFO_EVENT_WORDS_PER_PAGE;
}

/**
 * Word lookup (spec §9.1): the array page holding `port`'s event word, or
 * undefined ("none") when FIFO is off or no page covers the port. The word is
 * at index `port & 1023` of the page.
 */
export function fifoPage(d: ModelDomain, port: number): Uint32Array | undefined {
  const slot = port >>> PAGE_SHIFT_WORDS;
  if (d.abi !== 'fifo' || slot >= d.arrayGfns.length) return undefined;
  return d.mem.page(d.arrayGfns[slot]);
}

export function fifoWord(d: ModelDomain, port: number): number | undefined {
  const page = fifoPage(d, port);
  return page === undefined ? undefined : page[port & WORD_INDEX_MASK];
}

/**
 * setLink (spec §9.6): link `port` behind the tail word if it is still
 * LINKED. The LINKED test is what notices that the guest consumed the old
 * tail; the compare-exchange itself cannot fail here, so the BUSY retry path
 * of §9.6 is unreachable.
 */
function setLink(page: Uint32Array, i: number, port: number): boolean {
  const cur = page[i];
  if ((cur & EVTCHN_FIFO_LINKED) === 0) return false;
  page[i] = (cur & ~(EVTCHN_FIFO_BUSY | EVTCHN_FIFO_LINK_MASK)) | port;
  return true;
}

/**
 * FIFO set_pending (spec §9.5) of `port` on `vcpu` (already resolved by the
 * caller from notify_vcpu_id). Not filtered by the usable predicate: callers
 * that need it go through model-ports.ts. Returns RAISE_* bits; 0 = raised
 * while already pending, or remembered as sticky pending.
 */
export function fifoSetPending(d: ModelDomain, vcpu: number, port: number): number {
  const chn = d.channels[port];
  const page = fifoPage(d, port);
  if (page === undefined) {
    chn.stickyPending = true; // replayed by expand_array (spec §9.3, I24)
    chn.replayClaim = true;
    return 0;
  }
  const v = d.vcpus[vcpu];
  const prio = chn.priority & (EVTCHN_FIFO_MAX_QUEUES - 1);
  const previous = d.vcpus[chn.lastqVcpu];
  const previousPrio = chn.lastqPrio;
  if (v.cb === undefined) return RAISE_DROPPED; // PENDING untouched (commit 8aa0e9d2)

  const i = port & WORD_INDEX_MASK;
  const old = page[i];
  page[i] = old | EVTCHN_FIFO_PENDING;
  const newlyPending = (old & EVTCHN_FIFO_PENDING) === 0;
  let linkedToTail = true; // true: HEAD and READY are left alone

  const w = page[i];
  if ((w & EVTCHN_FIFO_MASKED) === 0 && (w & EVTCHN_FIFO_LINKED) === 0) {
    page[i] = w | EVTCHN_FIFO_LINKED;
    // a stale tail naming this port must not be linked to (spec §9.5 "old tail")
    if (previous.tails[previousPrio] === port) previous.tails[previousPrio] = 0;
    if (previous !== v || previousPrio !== prio) {
      chn.lastqPrio = prio;
      chn.lastqVcpu = v.id;
    }
    linkedToTail = false;
    const tail = v.tails[prio];
    if (tail !== 0) {
      const tailPage = fifoPage(d, tail);
      if (tailPage !== undefined) linkedToTail = setLink(tailPage, tail & WORD_INDEX_MASK, port);
    }
    const cbPage = d.mem.page(v.cb.gfn);
    if (!linkedToTail) cbPage[(v.cb.offset + CB_HEAD_OFFSET) / 4 + prio] = port; // HEAD before READY
    v.tails[prio] = port;
  }

  if (!linkedToTail) {
    const cbPage = d.mem.page(v.cb.gfn);
    const r = (v.cb.offset + CB_READY_OFFSET) / 4;
    const bit = 1 << prio;
    const ready = cbPage[r];
    cbPage[r] = ready | bit;
    if ((ready & bit) === 0) d.mem.markEventsPending(vcpu);
  }
  return newlyPending ? RAISE_NEWLY_PENDING : 0;
}

/** clear_pending (spec §9.7): PENDING only; the entry stays queued. */
export function fifoClearPending(d: ModelDomain, port: number): void {
  const page = fifoPage(d, port);
  if (page !== undefined) page[port & WORD_INDEX_MASK] &= ~EVTCHN_FIFO_PENDING;
}

/** EVTCHNOP_unmask's FIFO hook (spec §9.7): clear MASKED, relink if PENDING. */
export function fifoUnmask(d: ModelDomain, port: number): void {
  const page = fifoPage(d, port);
  if (page === undefined) return;
  const vcpu = d.channels[port].notifyVcpu;
  const i = port & WORD_INDEX_MASK;
  page[i] &= ~EVTCHN_FIFO_MASKED;
  if ((page[i] & EVTCHN_FIFO_PENDING) !== 0) fifoSetPending(d, vcpu, port);
}

export function fifoIsPending(d: ModelDomain, port: number): boolean {
  const w = fifoWord(d, port);
  return w !== undefined && (w & EVTCHN_FIFO_PENDING) !== 0;
}

export function fifoIsMasked(d: ModelDomain, port: number): boolean {
  const w = fifoWord(d, port);
  return w === undefined || (w & EVTCHN_FIFO_MASKED) !== 0;
}

/** is_busy (spec §9.8): a LINKED port is not reallocated. */
export function fifoIsBusy(d: ModelDomain, port: number): boolean {
  const w = fifoWord(d, port);
  return w !== undefined && (w & EVTCHN_FIFO_LINKED) !== 0;
}

/** Port-init hook of every bind (spec §9.4): priority := 7; lastq is kept; a LINKED word only warrants a warning in Xen. */
export function fifoPortInit(d: ModelDomain, port: number): void {
  d.channels[port].priority = EVTCHN_FIFO_PRIORITY_DEFAULT;
}

/** set_priority hook (spec §9.7): future links only. */
export function fifoSetPriority(d: ModelDomain, port: number, priority: number): number {
  if (priority > EVTCHN_FIFO_PRIORITY_MIN) return -EINVAL;
  d.channels[port].priority = priority;
  return 0;
}
