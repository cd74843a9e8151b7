// Domain destruction (Xen's domain_kill → evtchn_destroy → put_domain), in
// three steps the toolstack drives:
//
//   domainKill      the domain, already paused by the toolstack (its vCPUs
//                   parked, I28), is marked dying under its event lock: after
//                   that barrier no port can be allocated in it (get_free_port
//                   answers -EINVAL), and its parked vCPUs are woken to leave.
//   evtchnDestroy   close every port from the highest down, as
//                   evtchn_close(d, port, 0): interdomain peers turn UNBOUND
//                   under both channel locks (I17), Xen-owned channels are
//                   detached and their callbacks drained (I23). Preemptible
//                   (XSA-344): at most `batch` ports per call, then -ERESTART
//                   with the progress in valid_evtchns (Xen stores it there
//                   too), so a re-invocation continues where the last stopped
//                   and re-invoking a finished destroy is a no-op (I29).
//   domainRelease   the table entry is unpublished (new lookups fail with
//                   -ESRCH) and the regions may be reused once every
//                   reference taken before has been dropped (I27).
//
// Differences from Xen are listed in docs/architecture.md (§ Domain lifecycle).

import { ESRCH, EINVAL, EBUSY, ERESTART } from "../shared/errno";
import { DF_DYING, DF_DEAD, DF_PAUSED } from "../shared/layout";
import { D_PARKED } from "../shared/private-layout";
import { ECS_FREE } from "../shared/evtchn-abi";
import {
  addrEventLock, addrDomFlags, addrDomField, domainExists, clearDomainEntry, loadValidEvtchns, storeValidEvtchns,
} from "./table";
import { rcuLockDomain, rcuUnlockDomain, domainRefs } from "./refs";
import { writeLock, writeUnlock, readLock, readUnlock } from "../sync/lock";
import { loadState } from "../channel/record";
import { evtchnClose, setDestroyClosing } from "../channel/ops-close";
import { evtchnFifoDestroy } from "../fifo/destroy";

/** Mark `dom` dying (DOMDYING_dying). 0, or -ESRCH. Idempotent. */
export function domainKill(dom: u32): i32 {
  if (!rcuLockDomain(dom)) return -ESRCH;
  let lock = addrEventLock(dom);
  // the flag is set under the event lock, which every allocation holds: an
  // allocation either finished before it or sees it (Xen: spin_barrier)
  writeLock(lock);
  atomic.or<u32>(addrDomFlags(dom), DF_DYING);
  writeUnlock(lock);
  atomic.notify(addrDomFlags(dom), -1); // parked vCPUs leave (I28)
  rcuUnlockDomain(dom);
  return 0;
}

/**
 * evtchn_destroy, one step: close up to `batch` (≥ 1) ports. 0 when every
 * port is closed and the FIFO state is gone (DOMDYING_dead), -ERESTART to be
 * re-invoked, -EINVAL if the domain is not dying, -ESRCH if it does not exist.
 */
export function evtchnDestroy(dom: u32, batch: u32): i32 {
  if (!rcuLockDomain(dom)) return -ESRCH;
  let rc = destroyStep(dom, batch == 0 ? 1 : batch);
  rcuUnlockDomain(dom);
  return rc;
}

function destroyStep(dom: u32, batch: u32): i32 {
  let flags = atomic.load<u32>(addrDomFlags(dom));
  if ((flags & DF_DYING) == 0) return -EINVAL;
  if ((flags & DF_DEAD) != 0) return 0;
  // Xen's "kind-of-barrier": an allocation that began before the flag ends first
  let lock = addrEventLock(dom);
  readLock(lock);
  readUnlock(lock);

  let closed: u32 = 0;
  for (let i = loadValidEvtchns(dom); --i != 0;) {
    setDestroyClosing(true);
    evtchnClose(dom, i, false); // errors (FREE, RESERVED) mean nothing to close
    setDestroyClosing(false);
    if (loadState(dom, i) != ECS_FREE) {
      // a Xen-side close in another thread detached it and is draining its
      // callbacks: it frees the port when they end. Keep the port valid for
      // it and come back (bounded by that closer's drain).
      storeValidEvtchns(dom, i + 1);
      return -ERESTART;
    }
    if (++closed >= batch && i != 1) {
      storeValidEvtchns(dom, i); // ports ≥ i are closed: the next step starts below i (I29)
      return -ERESTART;
    }
  }
  evtchnFifoDestroy(dom);
  atomic.or<u32>(addrDomFlags(dom), DF_DEAD);
  return 0;
}

/**
 * Unpublish a dead domain and report whether its regions and domid are free:
 * 0 (no reference left: reuse them), -ERESTART (references still held:
 * re-invoke), -EBUSY (evtchnDestroy has not completed).
 */
export function domainRelease(dom: u32): i32 {
  if (domainExists(dom)) {
    if ((atomic.load<u32>(addrDomFlags(dom)) & DF_DEAD) == 0) return -EBUSY;
    clearDomainEntry(dom); // before the count is read (I27)
  }
  return domainRefs(dom) == 0 ? 0 : -ERESTART;
}

// ------------------------------------------------------------------- pause

/** Ask every vCPU of `dom` to park at its next hypercall or upcall boundary (I28). */
export function domainPause(dom: u32): void {
  atomic.or<u32>(addrDomFlags(dom), DF_PAUSED);
}

/** Let parked vCPUs run again. */
export function domainUnpause(dom: u32): void {
  atomic.and<u32>(addrDomFlags(dom), ~DF_PAUSED);
  atomic.notify(addrDomFlags(dom), -1);
}

/** vCPU `vcpu` parks: its bit in D_PARKED, then a wake-up for a toolstack waiting on the mask. */
export function vcpuParkEnter(dom: u32, vcpu: u32): void {
  atomic.or<u32>(addrDomField(dom, D_PARKED), <u32>1 << (vcpu & 31));
  atomic.notify(addrDomField(dom, D_PARKED), -1);
}

/** vCPU `vcpu` runs again. */
export function vcpuParkLeave(dom: u32, vcpu: u32): void {
  atomic.and<u32>(addrDomField(dom, D_PARKED), ~(<u32>1 << (vcpu & 31)));
}
