// Port validity, storage buckets and allocation (spec §4.4).
//
// Storage for every port up to the domain's channel capacity is reserved at
// creation; a bucket of 64 ports is "allocated" by initialising its records
// and then publishing valid_evtchns (XSA-340), which only grows (XSA-338).
// All allocation runs under the domain's event lock (write).

import { EVTCHNS_PER_BUCKET, DF_DYING } from "../shared/layout";
import { CHANNEL_BYTES } from "../shared/private-layout";
import { ENOSPC, EBUSY, EINVAL, ENOMEM } from "../shared/errno";
import { ECS_FREE, DOMID_SELF } from "../shared/evtchn-abi";
import { EVTCHN_FIFO_NR_CHANNELS } from "../shared/fifo-abi";
import {
  loadValidEvtchns, storeValidEvtchns, loadMaxEvtchnPort, loadChannelCapacity, addrActiveEvtchns,
  addrDomFlags,
} from "../domain/table";
import { loadState, addrChannel } from "./record";
import { rcuLockDomain } from "../domain/refs";
import { isFifo, portIsBusy } from "./port-ops";
import { twoLevelLimit } from "../twolevel/xen";

/** port_is_valid: storage exists (spec §4.4); independent of state and ABI. */
@inline export function portIsValid(dom: u32, port: u32): bool {
  return port < loadValidEvtchns(dom);
}

/** The ABI's port limit: 131072 in FIFO, W × W in 2-level. */
export function maxEvtchns(dom: u32): u32 {
  return isFifo(dom) ? <u32>EVTCHN_FIFO_NR_CHANNELS : twoLevelLimit(dom);
}

/**
 * rcu_lock_domain_by_any_id: resolve DOMID_SELF and take a reference on the
 * domain (I27); -1 if no such domain. Every success is paired with
 * rcuUnlockDomain on every return path.
 */
export function lookupDomainRef(caller: u32, dom: u32): i32 {
  let d = dom == <u32>DOMID_SELF ? caller : dom;
  return rcuLockDomain(d) ? <i32>d : -1;
}

export function domainDying(dom: u32): bool {
  return (atomic.load<u32>(addrDomFlags(dom)) & DF_DYING) != 0;
}

/** allocate_port(d, p): 0, -ENOSPC, -EBUSY or -ENOMEM. */
function allocatePort(dom: u32, port: u32): i32 {
  if (port > loadMaxEvtchnPort(dom) || port >= maxEvtchns(dom)) return -ENOSPC;
  let valid = loadValidEvtchns(dom);
  if (port < valid) {
    if (loadState(dom, port) != ECS_FREE || portIsBusy(dom, port)) return -EBUSY;
  } else {
    let capacity = loadChannelCapacity(dom);
    while (valid <= port) {
      if (valid + <u32>EVTCHNS_PER_BUCKET > capacity) return -ENOMEM; // buckets made so far stay
      // records beyond valid_evtchns were zeroed at creation and never written: FREE
      memory.fill(addrChannel(dom, valid), 0, <usize>EVTCHNS_PER_BUCKET * <usize>CHANNEL_BYTES);
      valid += <u32>EVTCHNS_PER_BUCKET;
      storeValidEvtchns(dom, valid); // after the bucket is initialised (XSA-340)
    }
  }
  atomic.add<u32>(addrActiveEvtchns(dom), 1);
  return 0;
}

/** get_free_port(d): the lowest free, non-busy port, or -EINVAL (dying), -ENOSPC, -ENOMEM. */
export function getFreePort(dom: u32): i32 {
  if (domainDying(dom)) return -EINVAL;
  let max = loadMaxEvtchnPort(dom);
  for (let p: u32 = 0; p <= max; p++) {
    let rc = allocatePort(dom, p);
    if (rc == 0) return <i32>p;
    if (rc != -EBUSY) return rc;
  }
  return -ENOSPC;
}

/** evtchn_allocate_port(d, port) for one named port: `port` or -errno (-EINVAL when dying). */
export function allocatePortAt(dom: u32, port: u32): i32 {
  if (domainDying(dom)) return -EINVAL;
  let rc = allocatePort(dom, port);
  return rc == 0 ? <i32>port : rc;
}

/** check_free_port undo: an allocated port the failed operation left FREE is counted back out. */
export function unallocatePort(dom: u32, port: u32): void {
  if (loadState(dom, port) == ECS_FREE) atomic.sub<u32>(addrActiveEvtchns(dom), 1);
}
