// SCHEDOP_poll's hypervisor side (spec §6.6), in two halves around the sleep
// (which the calling thread does on the kick word: wasm has no clock, and
// Xen's timeout is an absolute system time the shell knows).
//
// No lost wake-up (I20): the poller sets its poll_mask bit, reads the kick
// word, then checks the ports; a raiser sets PENDING, then reads poll_mask and
// kicks (checkPollers). All seq-cst: either the poller sees the port pending,
// or the raiser sees the bit and bumps the kick word, so the poller's wait on
// the old kick value returns at once.

import { D_POLL_MASK } from "../shared/private-layout";
import { EINVAL } from "../shared/errno";
import { addrDomField, loadNrVcpus, loadValidEvtchns } from "../domain/table";
import { addrKick, addrBlocked } from "../domain/vcpu";
import { localEventsNeedDelivery } from "../upcall";
import { evtchnUsable, portIsPending } from "./port-ops";
import { addrPollEvtchn } from "./pollers";

export const SCHEDOP_POLL_MAX_PORTS: u32 = 128;

// kick value read by the last schedPollPrepare on this thread
let pollKick: i32 = 0;
export function lastPollKick(): i32 { return pollKick; }

/**
 * Mark `vcpu` polling and check. Returns 0 (return to the guest now: an
 * upcall needing delivery — pending and not masked — or a polled port is pending), -EINVAL (too many ports, or one not
 * valid or not guest-usable), or 1: sleep while the kick word still holds
 * lastPollKick(), then call schedPollFinish. `ports` points at `nr` u32 ports
 * already copied in.
 */
export function schedPollPrepare(dom: u32, vcpu: u32, ports: usize, nr: u32): i32 {
  if (nr > SCHEDOP_POLL_MAX_PORTS) return -EINVAL;
  if (vcpu >= loadNrVcpus(dom)) return -EINVAL;
  atomic.store<i32>(addrBlocked(dom, vcpu), 1);
  atomic.or<u32>(addrDomField(dom, D_POLL_MASK), <u32>1 << vcpu);
  atomic.store<i32>(addrPollEvtchn(dom, vcpu), -1);
  pollKick = atomic.load<i32>(addrKick(dom, vcpu));
  // an upcall the vCPU has masked does not need delivery: x86 PV Xen polls on (I25)
  if (localEventsNeedDelivery(dom, vcpu)) { schedPollFinish(dom, vcpu); return 0; }
  for (let i: u32 = 0; i < nr; i++) {
    let port = load<u32>(ports + (<usize>i << 2));
    if (port >= loadValidEvtchns(dom) || !evtchnUsable(dom, port)) { schedPollFinish(dom, vcpu); return -EINVAL; }
    if (portIsPending(dom, port)) { schedPollFinish(dom, vcpu); return 0; }
  }
  if (nr == 1) atomic.store<i32>(addrPollEvtchn(dom, vcpu), <i32>load<u32>(ports));
  return 1;
}

/** Leave the polling state (woken, timed out, or returning early). */
export function schedPollFinish(dom: u32, vcpu: u32): void {
  atomic.and<u32>(addrDomField(dom, D_POLL_MASK), ~(<u32>1 << vcpu));
  atomic.store<i32>(addrPollEvtchn(dom, vcpu), 0);
  atomic.store<i32>(addrBlocked(dom, vcpu), 0);
}
