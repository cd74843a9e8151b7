// The target checks the device-model interfaces share (spec §3.3 steps 2–4,
// §4.3 steps 4–6): rcu_lock_remote_domain_by_id (no DOMID_SELF; not the
// caller itself), is_hvm_domain, and XSM's DM_PRIV rule. wasmxen has no
// per-domain device-model designation (Xen's d->target): the control domain
// is every domain's device model.

import { ESRCH, EPERM } from "../shared/errno";
import { DF_CONTROL } from "../shared/layout";
import { domainExists, addrDomFlags } from "../domain/table";

/** The target domain id, or -ESRCH / -EPERM. Every wasmxen domain is HVM, so -EINVAL (not HVM) never applies. */
export function lockRemoteDmTarget(caller: u32, domid: u32): i32 {
  if (!domainExists(domid)) return -ESRCH;
  if (domid == caller) return -EPERM;
  if ((atomic.load<u32>(addrDomFlags(caller)) & DF_CONTROL) == 0) return -EPERM; // XSM_DM_PRIV
  return <i32>domid;
}
