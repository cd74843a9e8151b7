// The device model and the life of its guest (I30). A mapcache region maps
// one guest's memory, so it holds a reference on that domain (Xen: QEMU's
// foreign mappings keep the dying domain's pages, and with them the domain,
// until QEMU lets go): mcInit takes it, mcRelease drops it. When the guest
// dies the toolstack calls mcGuestGone — from then on no mapping is made
// (-EFAULT: the DMA completes with DMA_ST_BAD_ADDR) and no command is
// claimed — then re-invokes mcRelease until the commands already started
// have finished (they complete normally: never half-done) and no locked
// mapping is left; mcRelease then drops every mapping and the reference.
//
// Ordering: a claimer sets its tag's DMA_INFLIGHT bit, then re-reads
// DMF_GUEST_GONE (and gives the tag back if set); mcRelease sets GONE (under
// DM_LOCK), then reads DMA_INFLIGHT. All seq-cst, so either the claimer
// sees GONE or mcRelease sees the bit. Mappings are made and counted under
// DM_LOCK, which mcGuestGone and mcRelease take.

import { DMF_GUEST_REF, DMF_GUEST_GONE, DMA_INFLIGHT, DM_REV_LOCKED } from "../shared/dm-layout";
import { EINVAL, ERESTART } from "../shared/errno";
import { mutexAcquire, mutexRelease } from "../sync/lock";
import { rcuLockDomain, rcuUnlockDomain } from "../domain/refs";
import { addrLock, isInitialised, loadGuestDom, loadFlags, orFlags, clearFlags } from "./region";
import { mcInvalidateAll } from "./mapcache";

/** mcInit's reference on the guest: false if the guest does not exist. Drops a reference an earlier init held. */
export function dmTakeGuestRef(dm: usize, guestDom: u32): bool {
  if (isInitialised(dm) && (loadFlags(dm) & DMF_GUEST_REF) != 0) {
    clearFlags(dm, DMF_GUEST_REF);
    rcuUnlockDomain(loadGuestDom(dm));
  }
  return rcuLockDomain(guestDom);
}

/** True while the region may touch its guest's memory (it holds the reference). */
@inline export function dmHoldsGuest(dm: usize): bool {
  return (loadFlags(dm) & DMF_GUEST_REF) != 0;
}

@inline export function dmGuestGone(dm: usize): bool {
  return (loadFlags(dm) & DMF_GUEST_GONE) != 0;
}

/** The guest is dying: refuse new mappings and commands from now on. 0 or -EINVAL. */
export function mcGuestGone(dm: usize): i32 {
  if (!isInitialised(dm)) return -EINVAL;
  mutexAcquire(addrLock(dm));
  orFlags(dm, DMF_GUEST_GONE);
  mutexRelease(addrLock(dm));
  return 0;
}

/**
 * Let go of a dying guest: -ERESTART while a command is in flight or a locked
 * mapping exists (re-invoke), else drop every mapping and the reference: 0.
 * -EINVAL if mcGuestGone was not called first. Idempotent.
 */
export function mcRelease(dm: usize): i32 {
  if (!isInitialised(dm) || !dmGuestGone(dm)) return -EINVAL;
  if (!dmHoldsGuest(dm)) return 0;
  if (atomic.load<u32>(dm + DMA_INFLIGHT) != 0) return -ERESTART;
  mutexAcquire(addrLock(dm));
  let busy = load<u32>(dm + DM_REV_LOCKED) != 0; // a locked request is outstanding
  mutexRelease(addrLock(dm));
  if (busy) return -ERESTART;
  mcInvalidateAll(dm); // nothing is locked and nothing new can be mapped: every entry goes
  let old = clearFlags(dm, DMF_GUEST_REF);
  if ((old & DMF_GUEST_REF) != 0) rcuUnlockDomain(loadGuestDom(dm));
  return 0;
}
