// The target checks the device-model interfaces share (spec §3.3 steps 2–4,
// §4.3 steps 4–6): rcu_lock_remote_domain_by_id (no DOMID_SELF; not the
// caller itself), is_hvm_domain, and XSM's DM_PRIV rule. wasmxen has no
// per-domain device-model designation (Xen's d->target): the control domain
// is every domain's device model.

import { ESRCH, EPERM } from "../shared/errno";
import { DF_CONTROL } from "../shared/layout";
import { addrDomFlags } from "../domain/table";
import { rcuLockDomain, rcuUnlockDomain } from "../domain/refs";

/**
 * The target domain id with a reference held (I27; drop it with
 * unlockDmTarget on every return path), or -ESRCH / -EPERM with none. Every
 * wasmxen domain is HVM, so -EINVAL (not HVM) never applies.
 */
export function lockRemoteDmTarget(caller: u32, domid: u32): i32 {
  if (!rcuLockDomain(domid)) return -ESRCH;
  if (domid == caller || (atomic.load<u32>(addrDomFlags(caller)) & DF_CONTROL) == 0) { // XSM_DM_PRIV
    rcuUnlockDomain(domid);
    return -EPERM;
  }
  return <i32>domid;
}

/** Drop the reference lockRemoteDmTarget took. */
export function unlockDmTarget(domid: u32): void { rcuUnlockDomain(domid); }
