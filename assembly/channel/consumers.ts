// Xen-internal consumers (spec §11): channels whose far end is a callback
// inside the hypervisor (vm_event rings, an emulated console, ioreq servers).
//
// The callback itself is TypeScript, loaded in every vCPU thread: a send to a
// Xen-owned peer takes the peer's in-flight count under the sender's channel
// lock, releases the lock and returns SEND_CALL_CONSUMER with the call's
// arguments; the calling thread runs the callback and then calls
// consumerCallDone (a release-ordered decrement). No event-channel lock is
// held while a callback runs (commit 1376ef90).
//
// Closing a Xen-owned channel (a Xen-side free) first detaches it under the
// locks (state RESERVED: not allocatable, not usable; the peer turns UNBOUND,
// so no new call can start), then — without holding any lock, so a callback
// may itself close or send — waits for the in-flight count to drain, then
// frees the port (I23). A consumer registered without drain skips the wait
// (upstream Xen's model: callbacks validate their own state).

import { G_XEN_CONSUMERS, NR_XEN_CONSUMERS, G_CONSUMER_NODRAIN, CF_CONSUMER_SHIFT } from "../shared/layout";
import { C_INFLIGHT } from "../shared/private-layout";
import { ENOSPC, ENOENT, EINVAL, ESRCH, EBUSY } from "../shared/errno";
import { ECS_UNBOUND, ECS_INTERDOMAIN } from "../shared/evtchn-abi";
import {
  addrEventLock, loadNrVcpus, addrXenEvtchns, loadValidEvtchns,
} from "../domain/table";
import {
  addrChannel, addrChannelLock, addrChannelFlags, storeState, storeNotifyVcpu, storeRemoteDom,
  loadState, loadRemoteDom, loadRemotePort, loadNotifyVcpu,
} from "./record";
import { writeLock, writeUnlock, readTryLock, readUnlock } from "../sync/lock";
import { getFreePort, portIsValid } from "./alloc";
import { rcuLockDomain, rcuUnlockDomain } from "../domain/refs";
import { portSetPending, loadConsumer } from "./port-ops";

export const SEND_CALL_CONSUMER: i32 = 1;

/** The registration word of consumer slot `slot` (< NR_XEN_CONSUMERS): its id, 0 when free. */
@inline function addrConsumerSlot(slot: u32): usize { return <usize>G_XEN_CONSUMERS + (<usize>slot << 2); }

const INFLIGHT_WAITING: u32 = 0x80000000;
const INFLIGHT_COUNT: u32 = 0x7fffffff;
const DRAIN_SPINS = 2000;

@inline export function addrInflight(dom: u32, port: u32): usize { return addrChannel(dom, port) + C_INFLIGHT; }

/**
 * Register consumer `id` (≠ 0): the slot already holding it, or the first
 * empty one claimed by compare-exchange. Returns the slot, or -ENOSPC when
 * all 7 hold other consumers (Xen BUG()s there; the shell reports it).
 */
export function xenConsumerRegister(id: u32, drain: bool): i32 {
  if (id == 0) return -EINVAL;
  for (let s: u32 = 0; s < <u32>NR_XEN_CONSUMERS; s++) {
    let a = addrConsumerSlot(s);
    let cur = atomic.load<u32>(a);
    if (cur == 0) cur = atomic.cmpxchg<u32>(a, 0, id);
    if (cur == 0 || cur == id) {
      let bit: u32 = <u32>1 << s;
      if (drain) atomic.and<u32>(G_CONSUMER_NODRAIN, ~bit); else atomic.or<u32>(G_CONSUMER_NODRAIN, bit);
      return <i32>s;
    }
  }
  return -ENOSPC;
}

@inline export function consumerDrains(slot: u32): bool {
  return (atomic.load<u32>(G_CONSUMER_NODRAIN) & (<u32>1 << slot)) == 0;
}

/**
 * alloc_unbound_xen(ld, lvcpu, remote_domid, fn): a Xen-owned UNBOUND port in
 * `ld` for `remoteDom` to bind, notifying `lvcpu`, owned by consumer `slot`.
 * No port-init hook. Returns the port or -errno.
 */
export function evtchnAllocUnboundXen(ld: u32, lvcpu: u32, remoteDom: u32, slot: u32): i32 {
  if (!rcuLockDomain(ld)) return -ESRCH;
  let rc = allocUnboundXenRef(ld, lvcpu, remoteDom, slot);
  rcuUnlockDomain(ld);
  return rc;
}

/** The checks alloc_unbound_xen and the attach share: 0, -ENOENT (no such vCPU) or -EINVAL (an unregistered slot). */
function checkXenOwner(ld: u32, lvcpu: u32, slot: u32): i32 {
  if (lvcpu >= loadNrVcpus(ld)) return -ENOENT;
  if (slot >= <u32>NR_XEN_CONSUMERS || atomic.load<u32>(addrConsumerSlot(slot)) == 0) return -EINVAL;
  return 0;
}

/** Make port `p` of `ld` consumer `slot`'s, notifying `lvcpu`; under the event lock and the channel's write lock. */
function makeXenOwned(ld: u32, p: u32, lvcpu: u32, slot: u32): void {
  storeNotifyVcpu(ld, p, lvcpu);
  atomic.or<u32>(addrChannelFlags(ld, p), (slot + 1) << CF_CONSUMER_SHIFT);
  atomic.store<i32>(addrInflight(ld, p), 0);
  atomic.add<u32>(addrXenEvtchns(ld), 1); // after active_evtchns (spec §12): the port is counted there already
}

function allocUnboundXenRef(ld: u32, lvcpu: u32, remoteDom: u32, slot: u32): i32 {
  let bad = checkXenOwner(ld, lvcpu, slot);
  if (bad != 0) return bad;
  let lock = addrEventLock(ld);
  writeLock(lock);
  let port = getFreePort(ld);
  if (port >= 0) {
    let p = <u32>port;
    let cl = addrChannelLock(ld, p);
    writeLock(cl);
    storeRemoteDom(ld, p, remoteDom & 0xffff);
    makeXenOwned(ld, p, lvcpu, slot);
    storeState(ld, p, ECS_UNBOUND);
    writeUnlock(cl);
  }
  writeUnlock(lock);
  return port;
}

/**
 * Take over a restored domain's toolstack channel (I56): the UNBOUND port
 * `port` of `ld` that the restorer pre-bound at the number its image records
 * becomes consumer `slot`'s Xen-owned channel, notifying `lvcpu` — what
 * xenconsoled does on the target when it binds the console port the
 * toolstack allocated before the restore. Checked under the domain's event
 * lock, so no bind or close of the port interleaves: -ESRCH no such domain;
 * -ENOENT no such vCPU; -EINVAL an unregistered slot, a port beyond the
 * domain's valid ports, or a port not UNBOUND for `remoteDom`; -EBUSY a port
 * already Xen-owned. The channel keeps its port and remote domain.
 */
export function evtchnAttachXen(ld: u32, port: u32, lvcpu: u32, remoteDom: u32, slot: u32): i32 {
  if (!rcuLockDomain(ld)) return -ESRCH;
  let rc = attachXenRef(ld, port, lvcpu, remoteDom, slot);
  rcuUnlockDomain(ld);
  return rc;
}

function attachXenRef(ld: u32, port: u32, lvcpu: u32, remoteDom: u32, slot: u32): i32 {
  let bad = checkXenOwner(ld, lvcpu, slot);
  if (bad != 0) return bad;
  let lock = addrEventLock(ld);
  writeLock(lock);
  let rc: i32 = -EINVAL;
  if (port != 0 && portIsValid(ld, port)) {
    let cl = addrChannelLock(ld, port);
    writeLock(cl);
    if (loadConsumer(ld, port) != 0) {
      rc = -EBUSY;
    } else if (loadState(ld, port) == ECS_UNBOUND && loadRemoteDom(ld, port) == (remoteDom & 0xffff)) {
      makeXenOwned(ld, port, lvcpu, slot);
      rc = <i32>port;
    }
    writeUnlock(cl);
  }
  writeUnlock(lock);
  return rc;
}

/** Enter a callback on Xen-owned (dom, port); called with the sender's channel lock held. */
@inline export function consumerCallEnter(dom: u32, port: u32): void {
  atomic.add<u32>(addrInflight(dom, port), 1);
}

/** Leave it (release-ordered: everything the callback did happens before a closer sees 0). */
export function consumerCallExit(dom: u32, port: u32): void {
  let old = atomic.sub<u32>(addrInflight(dom, port), 1);
  if ((old & INFLIGHT_COUNT) == 1 && (old & INFLIGHT_WAITING) != 0) atomic.notify(addrInflight(dom, port), -1);
}

/** Wait, holding no lock, until no callback runs on (dom, port): spin briefly, then sleep (no lost wake-up, as I4). */
export function consumerDrain(dom: u32, port: u32): void {
  let a = addrInflight(dom, port);
  for (let i = 0; (atomic.load<u32>(a) & INFLIGHT_COUNT) != 0; i++) {
    if (i < DRAIN_SPINS) continue;
    let cur = atomic.or<u32>(a, INFLIGHT_WAITING) | INFLIGHT_WAITING;
    if ((cur & INFLIGHT_COUNT) != 0) atomic.wait<i32>(a, <i32>cur, 1000000); // 1 ms: re-check even if a notify raced
  }
  atomic.and<u32>(a, INFLIGHT_COUNT);
}

/**
 * notify_via_xen_event_channel(ld, lport) (spec §6.5): raise the peer of a
 * Xen-owned interdomain channel. Never blocks: a channel being changed drops
 * the event (try-lock).
 */
export function notifyViaXenEventChannel(ld: u32, lport: u32): i32 {
  if (!rcuLockDomain(ld)) return -EINVAL; // I27: ld's regions stay while we use them
  // a port beyond valid_evtchns (never allocated, or already taken by
  // evtchn_destroy, which shrinks it) is refused; Xen's void function drops it
  let rc: i32 = -EINVAL;
  if (lport < loadValidEvtchns(ld)) {
    rc = 0;
    let cl = addrChannelLock(ld, lport);
    if (readTryLock(cl)) {
      if (loadState(ld, lport) == ECS_INTERDOMAIN) {
        let rd = loadRemoteDom(ld, lport);
        let rp = loadRemotePort(ld, lport);
        portSetPending(rd, loadNotifyVcpu(rd, rp), rp);
      }
      readUnlock(cl);
    }
  }
  rcuUnlockDomain(ld);
  return rc;
}
