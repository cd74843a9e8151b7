// Domain references: Xen's rcu_lock_domain_by_id / get_domain. A hypercall
// or a Xen-internal service that names another domain by id (bind to it,
// act on it, raise its VIRQ, map its memory) holds a reference while it
// touches that domain's regions; the toolstack reuses a destroyed domain's
// regions and domid only after its table entry is unpublished and its count
// has drained to zero (I27). The count lives in the global header, not in
// the domain's regions, so it outlives them.
//
// Protocol (all seq-cst): a taker increments, then loads the table entry;
// the releaser unpublishes the entry, then loads the count. If the taker saw
// the entry published, its increment precedes the releaser's load, which so
// sees it; if it saw it unpublished it decrements and fails (-ESRCH to its
// caller). A domain's own vCPUs need no reference: a domain is paused, and
// its vCPUs stopped, before it starts dying.

import { G_DOMREFS, MAX_DOMAINS } from "../shared/layout";
import { domainExists } from "./table";

@inline function addrRefs(dom: u32): usize { return <usize>G_DOMREFS + (<usize>dom << 2); }

/** Take a reference on `dom` if it exists (rcu_lock_domain_by_id); false: no such domain, nothing taken. */
export function rcuLockDomain(dom: u32): bool {
  if (dom >= <u32>MAX_DOMAINS) return false;
  atomic.add<u32>(addrRefs(dom), 1);
  if (domainExists(dom)) return true;
  atomic.sub<u32>(addrRefs(dom), 1);
  return false;
}

/** Drop a reference taken by rcuLockDomain (rcu_unlock_domain / put_domain). */
export function rcuUnlockDomain(dom: u32): void {
  atomic.sub<u32>(addrRefs(dom), 1);
}

/** References held now (0 once the last holder of an unpublished domain has left). */
export function domainRefs(dom: u32): u32 {
  return dom < <u32>MAX_DOMAINS ? atomic.load<u32>(addrRefs(dom)) : 0;
}
