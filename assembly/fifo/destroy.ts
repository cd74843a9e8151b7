// evtchn_fifo_destroy: the FIFO state of a domain whose ports are all closed
// goes away — no control block, no array page, 2-level ABI — so nothing in
// the hypervisor names one of its guest frames any more. Under the event
// lock (write) and the ABI lock (write), as the ABI switch (I19).

import { CB_NONE, EVTCHN_FIFO_MAX_ARRAY_PAGES, ABI_2L, ABI_FIFO } from "../shared/layout";
import { addrEventLock, loadNrVcpus, loadAbi, storeAbi, storeFifoNumEvtchns, addrFifoArraySlot } from "../domain/table";
import { addrCbState } from "../domain/vcpu";
import { writeLock, writeUnlock } from "../sync/lock";
import { abiWriteLock, abiWriteUnlock } from "../channel/abi-lock";

export function evtchnFifoDestroy(dom: u32): void {
  let lock = addrEventLock(dom);
  writeLock(lock);
  if (loadAbi(dom) == ABI_FIFO) {
    abiWriteLock(dom);
    let n = loadNrVcpus(dom);
    for (let v: u32 = 0; v < n; v++) atomic.store<u32>(addrCbState(dom, v), CB_NONE);
    storeFifoNumEvtchns(dom, 0); // before the slots: a reader checks the count first (I8)
    for (let s: u32 = 0; s < <u32>EVTCHN_FIFO_MAX_ARRAY_PAGES; s++) atomic.store<u32>(addrFifoArraySlot(dom, s), 0);
    storeAbi(dom, ABI_2L);
    abiWriteUnlock(dom);
  }
  writeUnlock(lock);
}
