// EVTCHNOP_init_control and EVTCHNOP_expand_array (spec §9.2, §9.3), and the
// FIFO per-channel hooks used by binding and set_priority (spec §9.4, §9.7).

import {
  EINVAL, ENOENT, ENOSPC, EOPNOTSUPP,
} from "../shared/errno";
import {
  EVTCHN_FIFO_CB_MAX_OFFSET, EVTCHN_FIFO_MAX_QUEUES, EVTCHN_FIFO_PRIORITY_DEFAULT,
  EVTCHN_FIFO_PRIORITY_MIN, EVTCHN_FIFO_EVENT_WORDS_PER_PAGE,
} from "../shared/fifo-abi";
import {
  ABI_FIFO, CB_NONE, CB_READY, CF_FIFO_PENDING, CF_REPLAY_CLAIM, SHARED_INFO_GFN, PAGE_SHIFT,
  SI_EVTCHN_PENDING, EVTCHN_FIFO_MAX_ARRAY_PAGES,
} from "../shared/layout";
import {
  loadNrVcpus, loadAbi, storeAbi, addrEventLock, loadValidEvtchns, loadFifoNumEvtchns,
  storeFifoNumEvtchns, addrFifoArraySlot, gfnAddr, loadGuestWidth, guestBase,
} from "../domain/table";
import { addrCbState, addrCbGfn, addrCbOffset, addrQueue } from "../domain/vcpu";
import { storeTail } from "./queue";
import { storePriority, addrChannelFlags, loadNotifyVcpu } from "../channel/record";
import { writeLock, writeUnlock } from "../sync/lock";
import { fifoSetPending } from "./raise";
import { abiWriteLock, abiWriteUnlock } from "../channel/abi-lock";
import { p2mReadable } from "../mm/p2m";

/** EVTCHNOP_init_control for the calling domain `dom`; returns 0 or -errno. */
export function initControl(dom: u32, controlGfn: u64, offset: u32, vcpu: u32): i32 {
  if (vcpu >= loadNrVcpus(dom)) return -ENOENT;
  if (offset > <u32>EVTCHN_FIFO_CB_MAX_OFFSET) return -EINVAL;
  if ((offset & 7) != 0) return -EINVAL;

  let lock = addrEventLock(dom);
  writeLock(lock);
  let rc: i32 = 0;
  if (loadAbi(dom) != ABI_FIFO) {
    let prev: u32 = loadGuestWidth(dom) * loadGuestWidth(dom); // the 2-level limit now (XSA-342)
    // FIFO state for every vCPU (XSA-107): empty queues, no control block.
    let n = loadNrVcpus(dom);
    for (let v: u32 = 0; v < n; v++) {
      atomic.store<u32>(addrCbState(dom, v), CB_NONE);
      for (let q: u32 = 0; q < <u32>EVTCHN_FIFO_MAX_QUEUES; q++) storeTail(addrQueue(dom, v, q), 0);
    }
    storeFifoNumEvtchns(dom, 0);
    rc = mapControlBlock(dom, controlGfn, offset, vcpu);
    if (rc == 0) {
      abiWriteLock(dom); // no raise is in flight across the switch (I19)
      storeAbi(dom, ABI_FIFO);
      convertFrom2Level(dom, prev);
      abiWriteUnlock(dom);
    }
  } else {
    rc = mapControlBlock(dom, controlGfn, offset, vcpu);
  }
  writeUnlock(lock);
  return rc;
}

function mapControlBlock(dom: u32, gfn: u64, offset: u32, vcpu: u32): i32 {
  if (atomic.load<u32>(addrCbState(dom, vcpu)) != CB_NONE) return -EINVAL;
  if (gfnAddr(dom, gfn) == 0 || !p2mReadable(dom, gfn)) return -EINVAL; // map_guest_page: no page behind the gfn (I43)
  atomic.store<u32>(addrCbGfn(dom, vcpu), <u32>gfn);
  atomic.store<u32>(addrCbOffset(dom, vcpu), offset);
  atomic.store<u32>(addrCbState(dom, vcpu), CB_READY); // publish after the location (I7, XSA-358)
  return 0;
}

/** Carry 2-level pending bits over as sticky flags; priority 7 for all (spec §9.2 step 5f). */
function convertFrom2Level(dom: u32, prev: u32): void {
  let valid = loadValidEvtchns(dom);
  let pending = guestBase(dom) + (<usize>SHARED_INFO_GFN << PAGE_SHIFT) + <usize>SI_EVTCHN_PENDING;
  for (let p: u32 = 1; p < prev && p < valid; p++) {
    let byte = atomic.load<u8>(pending + <usize>(p >> 3));
    if ((byte >> (p & 7)) & 1) atomic.or<u32>(addrChannelFlags(dom, p), CF_FIFO_PENDING | CF_REPLAY_CLAIM);
    storePriority(dom, p, EVTCHN_FIFO_PRIORITY_DEFAULT);
  }
}

/** EVTCHNOP_expand_array for the calling domain `dom`; returns 0 or -errno. */
export function expandArray(dom: u32, arrayGfn: u64): i32 {
  let lock = addrEventLock(dom);
  writeLock(lock); // everything under the lock (XSA-505)
  let rc = expandArrayLocked(dom, arrayGfn);
  writeUnlock(lock);
  return rc;
}

function expandArrayLocked(dom: u32, arrayGfn: u64): i32 {
  if (loadAbi(dom) != ABI_FIFO) return -EOPNOTSUPP;
  let old = loadFifoNumEvtchns(dom);
  let slot = old / <u32>EVTCHN_FIFO_EVENT_WORDS_PER_PAGE;
  if (slot >= <u32>EVTCHN_FIFO_MAX_ARRAY_PAGES) return -ENOSPC;
  if (gfnAddr(dom, arrayGfn) == 0 || !p2mReadable(dom, arrayGfn)) return -EINVAL; // map_guest_page (I43)
  atomic.store<u32>(addrFifoArraySlot(dom, slot), <u32>arrayGfn);
  storeFifoNumEvtchns(dom, old + <u32>EVTCHN_FIFO_EVENT_WORDS_PER_PAGE); // after the gfn (I8)

  // Replay sticky pending flags of the newly covered, valid ports, directly
  // (not through the usable filter, spec §9.3 step 5).
  let valid = loadValidEvtchns(dom);
  let end = old + <u32>EVTCHN_FIFO_EVENT_WORDS_PER_PAGE;
  for (let p = old; p < end && p < valid; p++) {
    // only an unclaimed raise: exactly one of this replay and the late raiser
    // re-raises it (I24). (Xen replays every sticky flag, raising old ones
    // again as spurious events; wasmxen keeps the flag but not that echo.)
    if ((atomic.and<u32>(addrChannelFlags(dom, p), ~CF_REPLAY_CLAIM) & CF_REPLAY_CLAIM) != 0) {
      fifoSetPending(dom, loadNotifyVcpu(dom, p), p);
    }
  }
  return 0;
}

/** Port-init hook of every bind (spec §9.4): priority := default; lastq is kept. */
export function fifoPortInit(dom: u32, port: u32): void {
  storePriority(dom, port, EVTCHN_FIFO_PRIORITY_DEFAULT);
}

/** The FIFO set_priority hook (spec §9.7): affects future links only (I14). */
export function fifoSetPriority(dom: u32, port: u32, priority: u32): i32 {
  if (priority > <u32>EVTCHN_FIFO_PRIORITY_MIN) return -EINVAL;
  storePriority(dom, port, priority);
  return 0;
}
