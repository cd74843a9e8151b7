// FIFO event words, seen from the hypervisor (spec §2.3, §9.1).

import { EVTCHN_FIFO_EVENT_WORDS_PER_PAGE } from "../shared/fifo-abi";
import { loadFifoNumEvtchns, addrFifoArraySlot, gfnAddr } from "../domain/table";

/**
 * Address of `port`'s event word, or 0 ("none") if no array page covers it.
 * Pairs with expandArray: the gfn is stored before num_evtchns is raised, and
 * num_evtchns is read first here (both seq-cst), so a covered port always
 * finds its page (I8, XSA-221/359). The gfn was validated at expand time.
 */
export function fifoWordAddr(dom: u32, port: u32): usize {
  if (port >= loadFifoNumEvtchns(dom)) return 0;
  let gfn = atomic.load<u32>(addrFifoArraySlot(dom, port / <u32>EVTCHN_FIFO_EVENT_WORDS_PER_PAGE));
  let page = gfnAddr(dom, <u64>gfn);
  if (page == 0) return 0;
  return page + (<usize>(port % <u32>EVTCHN_FIFO_EVENT_WORDS_PER_PAGE) << 2);
}
