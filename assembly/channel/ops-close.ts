// EVTCHNOP_close and evtchn_free (spec §5.6, §4.6).

import { EINVAL } from "../shared/errno";
import {
  ECS_FREE, ECS_RESERVED, ECS_UNBOUND, ECS_INTERDOMAIN, ECS_PIRQ, ECS_VIRQ, ECS_IPI,
} from "../shared/evtchn-abi";
import { CF_CONSUMER_MASK } from "../shared/layout";
import { addrEventLock, addrActiveEvtchns, addrXenEvtchns } from "../domain/table";
import {
  addrChannelLock, loadState, storeState, storeNotifyVcpu, loadNotifyVcpu, loadRemoteDom,
  loadRemotePort, storeRemoteDom, addrChannelFlags,
} from "./record";
import { writeLock, writeUnlock } from "../sync/lock";
import { portIsValid } from "./alloc";
import { channelLockPair, channelUnlockPair } from "./locks";
import { portClearPending, loadConsumer } from "./port-ops";
import { virqType, VIRQ_PER_VCPU, addrVirqLock, storeVirqPort, loadVirqPort } from "./virq";
import { consumerDrains, consumerDrain } from "./consumers";
import { injected, noise, NP_CLOSE_LOCKED } from "../stress/noise";
import { INJ_NO_DRAIN, INJ_DESTROY_NO_PEER_LOCK } from "../stress/inject";

// this thread is closing ports for evtchn_destroy (only INJ_DESTROY_NO_PEER_LOCK looks)
let destroyClosing = false;
export function setDestroyClosing(on: bool): void { destroyClosing = on; }

/**
 * evtchn_free, with the channel write-locked by the caller: clear pending
 * (usable channels only), counters (xen_evtchns before active_evtchns), state
 * FREE, notify 0, consumer 0. MASKED and a FIFO LINKED bit stay (spec §5.6
 * step 4): a still-LINKED port is busy until the guest consumes it.
 */
function evtchnFree(dom: u32, port: u32): void {
  portClearPending(dom, port);
  if (loadConsumer(dom, port) != 0) atomic.sub<u32>(addrXenEvtchns(dom), 1);
  atomic.sub<u32>(addrActiveEvtchns(dom), 1);
  storeState(dom, port, ECS_FREE);
  storeNotifyVcpu(dom, port, 0);
  atomic.and<u32>(addrChannelFlags(dom, port), ~CF_CONSUMER_MASK);
}

/**
 * Close `port` of domain `dom`. `guest` is true for EVTCHNOP_close (Xen-owned
 * channels refused) and false for Xen's own frees. Returns 0 or -EINVAL.
 * A Xen-owned channel whose consumer drains is detached under the locks and
 * freed only after its callbacks in flight have returned (I23).
 */
export function evtchnClose(dom: u32, port: u32, guest: bool): i32 {
  if (guest || !portIsValid(dom, port) || loadConsumer(dom, port) == 0) return closeLocked(dom, port, guest, false);
  let rc = evtchnFreeXenBegin(dom, port);
  if (rc == 0) evtchnFreeXenEnd(dom, port);
  return rc;
}

/**
 * free_xen_event_channel, first half: under the locks, detach the Xen-owned
 * channel (RESERVED; its peer turns UNBOUND) so no callback can start — or,
 * for a consumer without drain, free it at once. A consumer may hold its own
 * lock across this half, never across the second.
 */
export function evtchnFreeXenBegin(dom: u32, port: u32): i32 {
  if (!portIsValid(dom, port)) return -EINVAL;
  let slot = loadConsumer(dom, port);
  if (slot == 0) return -EINVAL;
  if (!consumerDrains(slot - 1) || injected(INJ_NO_DRAIN)) return closeLocked(dom, port, false, false);
  return closeLocked(dom, port, false, true);
}

/** Second half: wait, holding no lock, for callbacks in flight, then free the port (I23). */
export function evtchnFreeXenEnd(dom: u32, port: u32): void {
  if (!portIsValid(dom, port) || loadState(dom, port) != ECS_RESERVED || loadConsumer(dom, port) == 0) return;
  consumerDrain(dom, port); // a callback may close or send meanwhile: no lock is held here
  let lock = addrEventLock(dom);
  writeLock(lock);
  if (loadState(dom, port) == ECS_RESERVED) freeLocked(dom, port);
  writeUnlock(lock);
}

/** The close itself under the event lock; `detach` leaves the port RESERVED instead of freeing it. */
function closeLocked(dom: u32, port: u32, guest: bool, detach: bool): i32 {
  if (!portIsValid(dom, port)) return -EINVAL;
  let lock = addrEventLock(dom);
  writeLock(lock);
  noise(NP_CLOSE_LOCKED); // stress build: a peer's close (or send) meets this one holding the lock
  let rc: i32 = -EINVAL; // also the answer if the channel keeps changing under us
  // at most two passes: the second after re-taking the locks in domid order
  for (let pass = 0; pass < 2; pass++) {
    if (guest && loadConsumer(dom, port) != 0) break;
    let state = loadState(dom, port);
    if (state == ECS_FREE || state == ECS_RESERVED || state == ECS_PIRQ) break;
    if (state == ECS_UNBOUND || state == ECS_IPI) {
      if (detach) detachLocked(dom, port); else freeLocked(dom, port);
      rc = 0;
      break;
    }
    if (state == ECS_VIRQ) {
      let virq = loadRemotePort(dom, port);
      let owner = virqType(virq) == VIRQ_PER_VCPU ? loadNotifyVcpu(dom, port) : 0;
      let vlock = addrVirqLock(dom, owner);
      writeLock(vlock);
      if (loadVirqPort(dom, owner, virq) == port) storeVirqPort(dom, owner, virq, 0);
      writeUnlock(vlock);
      freeLocked(dom, port);
      rc = 0;
      break;
    }
    // ECS_INTERDOMAIN: both event locks, lower domid first (I17)
    let rd = loadRemoteDom(dom, port);
    if (rd != dom) {
      if (rd > dom) {
        writeLock(addrEventLock(rd));
      } else {
        writeUnlock(lock);
        writeLock(addrEventLock(rd));
        writeLock(lock);
        // the state may have changed while no lock was held: re-validate
        if (loadState(dom, port) != ECS_INTERDOMAIN || loadRemoteDom(dom, port) != rd) {
          writeUnlock(addrEventLock(rd));
          if (loadState(dom, port) == ECS_INTERDOMAIN) break; // now bound elsewhere: -EINVAL
          continue; // e.g. the peer closed first: we are UNBOUND now
        }
      }
    }
    let rp = loadRemotePort(dom, port);
    // both channel locks: a sender holding its own read lock has the peer pinned (I17, I29)
    let unlocked = destroyClosing && injected(INJ_DESTROY_NO_PEER_LOCK);
    if (!unlocked) channelLockPair(dom, port, rd, rp);
    if (detach) storeState(dom, port, ECS_RESERVED); else evtchnFree(dom, port);
    storeState(rd, rp, ECS_UNBOUND);
    storeRemoteDom(rd, rp, dom); // re-bindable only by the closer's domid (spec §16.8)
    if (!unlocked) channelUnlockPair(dom, port, rd, rp);
    if (rd != dom) writeUnlock(addrEventLock(rd));
    rc = 0;
    break;
  }
  writeUnlock(lock);
  return rc;
}

function detachLocked(dom: u32, port: u32): void {
  let cl = addrChannelLock(dom, port);
  writeLock(cl);
  storeState(dom, port, ECS_RESERVED);
  writeUnlock(cl);
}

function freeLocked(dom: u32, port: u32): void {
  let cl = addrChannelLock(dom, port);
  writeLock(cl);
  evtchnFree(dom, port);
  writeUnlock(cl);
}
