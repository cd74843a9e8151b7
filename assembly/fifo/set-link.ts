// setLink: append behind a queue tail by writing its LINK field, bounded
// against a guest that keeps rewriting the word (spec §9.6, commit dae2a1c5).
//
// Bound (I10): at most 1 + SET_LINK_RETRIES cmpxchg attempts per call. After
// the first failure BUSY is set; a well-behaved guest may then only set
// MASKED, clear PENDING or clear LINKED (clearing MASKED waits for BUSY to
// drop, §10.4), so four retries suffice for it, and a LINKED clear ends the
// loop. A guest that defeats the bound loses the event (only its own).

import {
  EVTCHN_FIFO_LINKED, EVTCHN_FIFO_BUSY, EVTCHN_FIFO_LINK_MASK, SET_LINK_RETRIES,
} from "../shared/fifo-abi";
import { LINK_TRIES_BUCKETS } from "../shared/layout";
import { D_STAT_LINK_TRIES, D_STAT_LINK_GAVE_UP } from "../shared/private-layout";
import { addrDomField } from "../domain/table";
import { noise, NP_LINK_BEFORE_CAS, injected, INJ_UNBOUNDED_SET_LINK, INJ_NO_BUSY } from "../stress/noise";

/** The value the tail should take to link `port`, keeping PENDING/MASKED/LINKED and reserved bits. */
@inline function linkedTo(cur: u32, port: u32): u32 {
  return (cur & ~(EVTCHN_FIFO_BUSY | EVTCHN_FIFO_LINK_MASK)) | port;
}

function countTries(dom: u32, tries: u32): void {
  // @ts-ignore: WASMXEN_STATS is defined per asconfig target (--use)
  if (!WASMXEN_STATS && tries < 2) return; // the common case: counted in debug and stress builds only
  let bucket = tries < <u32>LINK_TRIES_BUCKETS ? tries : <u32>LINK_TRIES_BUCKETS - 1;
  atomic.add<u32>(addrDomField(dom, D_STAT_LINK_TRIES) + (<usize>bucket << 2), 1);
}

/**
 * Link `port` behind the tail word at `addr` of domain `dom`. Returns true if
 * linked (or given up: the caller must then not write HEAD), false if the
 * tail is no longer LINKED (the caller makes `port` the new head).
 */
export function setLink(dom: u32, addr: usize, port: u32): bool {
  if (injected(INJ_UNBOUNDED_SET_LINK)) return setLinkUnbounded(dom, addr, port); // stress build: re-injected bug
  let cur = atomic.load<u32>(addr);
  if ((cur & EVTCHN_FIFO_LINKED) == 0) { countTries(dom, 0); return false; }
  noise(NP_LINK_BEFORE_CAS);
  let seen = atomic.cmpxchg<u32>(addr, cur, linkedTo(cur, port));
  if (seen == cur) { countTries(dom, 1); return true; }

  // stop the guest from clearing MASKED (the stress build's INJ_NO_BUSY skips it: a re-injected bug)
  if (!injected(INJ_NO_BUSY)) atomic.or<u32>(addr, EVTCHN_FIFO_BUSY);
  cur = atomic.load<u32>(addr);
  for (let i: u32 = 0; i < <u32>SET_LINK_RETRIES; i++) {
    if ((cur & EVTCHN_FIFO_LINKED) == 0) {
      atomic.and<u32>(addr, ~EVTCHN_FIFO_BUSY);
      countTries(dom, i + 1);
      return false;
    }
    noise(NP_LINK_BEFORE_CAS);
    seen = atomic.cmpxchg<u32>(addr, cur, linkedTo(cur, port));
    if (seen == cur) { countTries(dom, i + 2); return true; } // the CAS also dropped BUSY
    cur = seen;
  }
  atomic.and<u32>(addr, ~EVTCHN_FIFO_BUSY);
  countTries(dom, <u32>SET_LINK_RETRIES + 1);
  atomic.add<u32>(addrDomField(dom, D_STAT_LINK_GAVE_UP), 1);
  return true; // pretend linked: the event is lost, only for this guest
}

/**
 * INJ_UNBOUNDED_SET_LINK (stress build only): the pre-2013 loop, no BUSY and
 * no bound — a guest that keeps rewriting its tail word keeps the caller
 * here, queue locks held, for as long as it likes. Breaks I5 and I10 on
 * purpose; `wasmxen stress --inject unbounded-set-link` must catch it.
 */
function setLinkUnbounded(dom: u32, addr: usize, port: u32): bool {
  let cur = atomic.load<u32>(addr);
  let tries: u32 = 0;
  while (true) {
    if ((cur & EVTCHN_FIFO_LINKED) == 0) { countTries(dom, tries); return false; }
    noise(NP_LINK_BEFORE_CAS);
    tries++;
    let seen = atomic.cmpxchg<u32>(addr, cur, linkedTo(cur, port));
    if (seen == cur) { countTries(dom, tries); return true; }
    cur = seen;
  }
}
