// Domain creation and destruction on the shared-memory side. The TS shell
// plans and validates the regions (src/wasm/memory-map.ts); this code
// initialises them to Xen's initial state (spec §4.4).

import { PAGE_SHIFT, ABI_2L, EVTCHNS_PER_BUCKET } from "../shared/layout";
import { ECS_RESERVED } from "../shared/evtchn-abi";
import { setDomainEntry, clearDomainEntry, initDomainHeader, storeAbi, storeValidEvtchns } from "./table";
import { storeState } from "../channel/record";
import { p2mInit } from "../mm/p2m";

/** Zero both regions, publish the domain, one bucket of ports, port 0 RESERVED, 2-level ABI. */
export function domainCreate(
  dom: u32, gbase: u32, frames: u32, pbase: u32, pbytes: u32,
  nrVcpus: u32, maxPort: u32, width: u32, capacity: u32,
): void {
  memory.fill(<usize>gbase, 0, <usize>frames << PAGE_SHIFT); // shared_info and RAM start zeroed
  memory.fill(<usize>pbase, 0, <usize>pbytes);
  initDomainHeaderAt(pbase, dom, nrVcpus, maxPort, width, capacity);
  p2mInit(dom, frames); // the private region holds the p2m after the channel table (src/wasm/memory-map.ts)
  setDomainEntry(dom, gbase, frames, pbase, pbytes);
}

function initDomainHeaderAt(pbase: u32, dom: u32, nrVcpus: u32, maxPort: u32, width: u32, capacity: u32): void {
  // the table entry's private base must be readable by the accessors below
  setDomainEntry(dom, 0, 0, pbase, 0);
  initDomainHeader(dom, nrVcpus, maxPort, width, capacity);
  storeState(dom, 0, ECS_RESERVED);
  storeAbi(dom, ABI_2L);
  storeValidEvtchns(dom, EVTCHNS_PER_BUCKET);
}

export function domainDestroy(dom: u32): void {
  clearDomainEntry(dom);
}
