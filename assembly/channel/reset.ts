// EVTCHNOP_reset (10) and EVTCHNOP_reset_cont (14) (spec §5, §13.1): close
// every port a guest could close, then return the domain to the 2-level ABI.
// Preemptible: after closing a port p with p % 64 == 0, once the invocation
// has used its budget (hypercall/preempt.ts), the call creates a
// continuation: argument 0 becomes EVTCHNOP_reset_cont with p / 64 in the
// bits above EVTCHNOP_RESET_CONT_SHIFT. The position lives only there (I42):
// Xen keeps it in d->next_evtchn, so a guest moved mid-reset gets -EBUSY on
// its new host (spec §5.3); here a reset_cont reaching a hypervisor that never
// saw the reset's start resumes at its port (one beyond the ports valid there
// finds nothing left to close), and a plain reset_cont (position
// 0, as Xen leaves it) restarts at port 1 — closing is idempotent.
// D_NEXT_EVTCHN holds only the claim "a reset of this domain is running",
// which makes a second fresh reset -EBUSY as in Xen.

import { ESRCH, EPERM, EINVAL, EBUSY, EAGAIN } from "../shared/errno";
import { EVTCHNOP_reset_cont } from "../shared/evtchn-abi";
import { EVTCHNOP_CMD_MASK, EVTCHNOP_RESET_CONT_SHIFT } from "../shared/evtchn-structs";
import { preemptCheck, createContinuation, progressShift } from "../hypercall/preempt";
import {
  DF_PAUSED, CB_NONE, EVTCHNS_PER_BUCKET, EVTCHN_FIFO_MAX_ARRAY_PAGES, ABI_2L, ABI_FIFO,
} from "../shared/layout";
import {
  addrEventLock, addrNextEvtchn, addrActiveEvtchns, addrXenEvtchns, addrDomFlags, loadValidEvtchns,
  loadNrVcpus, loadAbi, storeAbi, storeFifoNumEvtchns, addrFifoArraySlot, loadMaxEvtchnPort,
} from "../domain/table";
import { addrCbState } from "../domain/vcpu";
import { writeLock, writeUnlock } from "../sync/lock";
import { lookupDomainRef } from "./alloc";
import { rcuUnlockDomain } from "../domain/refs";
import { mayActOn } from "./ops-bind";
import { evtchnClose } from "./ops-close";
import { abiWriteLock, abiWriteUnlock } from "./abi-lock";

@inline function moreToClose(dom: u32): bool {
  // xen_evtchns first, active second: the reverse of the order in which they
  // are updated, so the loop never ends early (spec §12)
  let xen = atomic.load<u32>(addrXenEvtchns(dom));
  return atomic.load<u32>(addrActiveEvtchns(dom)) > xen;
}

/**
 * `cmd`: EVTCHNOP_reset, or EVTCHNOP_reset_cont with its position bits.
 * Returns 0, -errno, or -ERESTART after createContinuation.
 */
export function evtchnReset(caller: u32, dom: u32, cmd: u32): i32 {
  let cont = (cmd & <u32>EVTCHNOP_CMD_MASK) == <u32>EVTCHNOP_reset_cont;
  let bucket = cont ? cmd >>> progressShift(EVTCHNOP_RESET_CONT_SHIFT) : 0;
  let d = lookupDomainRef(caller, dom);
  if (d < 0) return -ESRCH;
  // the reference keeps the target's regions while this invocation runs (I27); a continuation
  // takes a new one when it is re-issued
  let rc = resetOn(caller, <u32>d, cont, bucket);
  rcuUnlockDomain(<u32>d);
  return rc;
}

function resetOn(caller: u32, ud: u32, cont: bool, bucket: u32): i32 {
  if (!mayActOn(caller, ud)) return -EPERM;
  if (ud != caller && (atomic.load<u32>(addrDomFlags(ud)) & DF_PAUSED) == 0) return -EINVAL;
  let start: u32 = bucket == 0 ? 1 : bucket * <u32>EVTCHNS_PER_BUCKET;
  // a position beyond the domain's port limit is no progress point any reset
  // could have made; one beyond the ports valid *here* is (the domain moved
  // to a host where its channel table was created afresh, spec §7.7): the
  // scan finds nothing above it and the reset completes (I42)
  if (bucket != 0 && (<u64>bucket * <u64>EVTCHNS_PER_BUCKET > <u64>loadMaxEvtchnPort(ud))) return -EINVAL;

  let lock = addrEventLock(ud);
  let next = addrNextEvtchn(ud);
  writeLock(lock);
  if (!cont && atomic.load<u32>(next) != 0) { writeUnlock(lock); return -EBUSY; }
  atomic.store<u32>(next, 1); // claimed (a reset_cont also claims: its start may have been elsewhere)
  writeUnlock(lock);

  let done: u32 = 0;
  for (let p = start; p < loadValidEvtchns(ud) && moreToClose(ud); p++) {
    evtchnClose(ud, p, true); // as a guest would: Xen-owned channels survive; errors ignored
    done++;
    if (p % <u32>EVTCHNS_PER_BUCKET == 0 && p != start && moreToClose(ud) && preemptCheck(caller, done)) {
      // the continuation resumes at p (closed again, harmlessly), wherever it runs (I42)
      let c = <u32>EVTCHNOP_reset_cont | ((p / <u32>EVTCHNS_PER_BUCKET) << EVTCHNOP_RESET_CONT_SHIFT);
      return createContinuation(<u64>c);
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
