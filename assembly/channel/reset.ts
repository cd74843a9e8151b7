// EVTCHNOP_reset (10) and EVTCHNOP_reset_cont (14) (spec §13.1): close every
// port a guest could close, then return the domain to the 2-level ABI.
// Preemptible: after closing a port p with p % 64 == 0 (and progress made in
// this call) the call returns -ERESTART with the position saved in
// next_evtchn; the guest re-issues the hypercall as reset_cont with the same
// argument. The position lives in the domain's private region, so it
// survives save/restore with the domain.

import { ESRCH, EPERM, EINVAL, EBUSY, EAGAIN, ERESTART } from "../shared/errno";
import {
  DF_PAUSED, CB_NONE, EVTCHNS_PER_BUCKET, EVTCHN_FIFO_MAX_ARRAY_PAGES, ABI_2L, ABI_FIFO,
} from "../shared/layout";
import {
  addrEventLock, addrNextEvtchn, addrActiveEvtchns, addrXenEvtchns, addrDomFlags, loadValidEvtchns,
  loadNrVcpus, loadAbi, storeAbi, storeFifoNumEvtchns, addrFifoArraySlot,
} from "../domain/table";
import { addrCbState } from "../domain/vcpu";
import { writeLock, writeUnlock } from "../sync/lock";
import { lookupDomain } from "./alloc";
import { mayActOn } from "./ops-bind";
import { evtchnClose } from "./ops-close";
import { abiWriteLock, abiWriteUnlock } from "./abi-lock";

@inline function moreToClose(dom: u32): bool {
  // xen_evtchns first, active second: the reverse of the order in which they
  // are updated, so the loop never ends early (spec §12)
  let xen = atomic.load<u32>(addrXenEvtchns(dom));
  return atomic.load<u32>(addrActiveEvtchns(dom)) > xen;
}

export function evtchnReset(caller: u32, dom: u32, cont: bool): i32 {
  let d = lookupDomain(caller, dom);
  if (d < 0) return -ESRCH;
  let ud = <u32>d;
  if (!mayActOn(caller, ud)) return -EPERM;
  if (ud != caller && (atomic.load<u32>(addrDomFlags(ud)) & DF_PAUSED) == 0) return -EINVAL;

  let lock = addrEventLock(ud);
  let next = addrNextEvtchn(ud);
  writeLock(lock);
  let start: u32;
  if (!cont) {
    if (atomic.load<u32>(next) != 0) { writeUnlock(lock); return -EBUSY; }
    start = 1;
    atomic.store<u32>(next, 1);
  } else {
    start = atomic.load<u32>(next);
    if (start == 0) { writeUnlock(lock); return -EBUSY; }
  }
  writeUnlock(lock);

  for (let p = start; p < loadValidEvtchns(ud) && moreToClose(ud); p++) {
    evtchnClose(ud, p, true); // as a guest would: Xen-owned channels survive; errors ignored
    if (p % <u32>EVTCHNS_PER_BUCKET == 0 && p != start && moreToClose(ud)) {
      atomic.store<u32>(next, p); // the continuation resumes here (spec §13.1 step 4)
      return -ERESTART;
    }
  }

  writeLock(lock);
  atomic.store<u32>(next, 0);
  let rc: i32 = 0;
  if (moreToClose(ud)) {
    rc = -EAGAIN; // the guest opened channels meanwhile
  } else if (loadAbi(ud) == ABI_FIFO) {
    abiWriteLock(ud);
    let n = loadNrVcpus(ud);
    for (let v: u32 = 0; v < n; v++) atomic.store<u32>(addrCbState(ud, v), CB_NONE);
    storeFifoNumEvtchns(ud, 0);
    for (let s: u32 = 0; s < <u32>EVTCHN_FIFO_MAX_ARRAY_PAGES; s++) atomic.store<u32>(addrFifoArraySlot(ud, s), 0);
    storeAbi(ud, ABI_2L);
    abiWriteUnlock(ud);
  }
  writeUnlock(lock);
  return rc;
}
