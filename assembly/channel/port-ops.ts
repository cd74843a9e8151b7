// ABI dispatch ("port ops", spec §7) behind the usable filter (spec §4.5).
// Exactly one ABI is active per domain: 2-level until init_control switches
// it to FIFO.

import { ABI_FIFO, CF_CONSUMER_MASK } from "../shared/layout";
import { ECS_RESERVED } from "../shared/evtchn-abi";
import { loadAbi } from "../domain/table";
import { abiReadLock, abiReadUnlock } from "./abi-lock";
import { noise, NP_RAISE_ABI } from "../stress/noise";
import { loadState, addrChannelFlags, loadNotifyVcpu } from "./record";
import { fifoSetPending, fifoClearPending, fifoUnmask, fifoIsPending, fifoIsMasked, fifoIsBusy } from "../fifo/raise";
import { fifoPortInit } from "../fifo/control";
import {
  twoLevelSetPending, twoLevelClearPending, twoLevelUnmask, twoLevelIsPending, twoLevelIsMasked,
} from "../twolevel/xen";

@inline export function loadConsumer(dom: u32, port: u32): u32 {
  return (atomic.load<u32>(addrChannelFlags(dom, port)) & CF_CONSUMER_MASK) >> 1;
}

/** Guest-usable: not owned by a Xen consumer and bound (UNBOUND, INTERDOMAIN, PIRQ, VIRQ, IPI). */
export function evtchnUsable(dom: u32, port: u32): bool {
  return loadConsumer(dom, port) == 0 && loadState(dom, port) > <u32>ECS_RESERVED;
}

@inline export function isFifo(dom: u32): bool { return loadAbi(dom) == ABI_FIFO; }

/**
 * Raise `port` on `vcpu` if usable. Returns RAISE_* bits (0 if filtered).
 * A raise that finds the domain in 2-level holds the ABI lock for read, so
 * the switch to FIFO can not pass under it (I19); one that finds FIFO needs
 * no lock: FIFO is published only after the switch is complete (I9), and the
 * way back (a completed reset) happens with no guest channel left.
 */
export function portSetPending(dom: u32, vcpu: u32, port: u32): u32 {
  if (!evtchnUsable(dom, port)) return 0;
  return raiseUsable(dom, vcpu, port);
}

/**
 * portSetPending for a caller that already knows `port` is guest-usable and
 * holds a channel lock that keeps it so (I17): EVTCHNOP_send on the hot path.
 */
export function raiseUsable(dom: u32, vcpu: u32, port: u32): u32 {
  if (isFifo(dom)) return fifoSetPending(dom, vcpu, port);
  abiReadLock(dom);
  let fifo = isFifo(dom); // re-read under the lock: a switch may have completed meanwhile
  noise(NP_RAISE_ABI);
  let r = fifo ? fifoSetPending(dom, vcpu, port) : twoLevelSetPending(dom, vcpu, port);
  abiReadUnlock(dom);
  return r;
}

export function portClearPending(dom: u32, port: u32): void {
  if (!evtchnUsable(dom, port)) return;
  if (isFifo(dom)) fifoClearPending(dom, port); else twoLevelClearPending(dom, port);
}

export function portUnmask(dom: u32, port: u32): void {
  if (!evtchnUsable(dom, port)) return;
  if (isFifo(dom)) { fifoUnmask(dom, port); return; } // as portSetPending (I19)
  abiReadLock(dom);
  if (isFifo(dom)) fifoUnmask(dom, port); else twoLevelUnmask(dom, loadNotifyVcpu(dom, port), port);
  abiReadUnlock(dom);
}

export function portIsPending(dom: u32, port: u32): bool {
  if (!evtchnUsable(dom, port)) return false;
  return isFifo(dom) ? fifoIsPending(dom, port) : twoLevelIsPending(dom, port);
}

export function portIsMasked(dom: u32, port: u32): bool {
  if (!evtchnUsable(dom, port)) return true;
  return isFifo(dom) ? fifoIsMasked(dom, port) : twoLevelIsMasked(dom, port);
}

/** FIFO only: a LINKED port may not be reallocated (spec §9.8). Not filtered: FREE ports are asked. */
export function portIsBusy(dom: u32, port: u32): bool {
  return isFifo(dom) && fifoIsBusy(dom, port);
}

/** Port-init hook of every guest bind (spec §9.4). */
export function portInit(dom: u32, port: u32): void {
  if (isFifo(dom)) fifoPortInit(dom, port);
}
