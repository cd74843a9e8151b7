// EVTCHNOP_send, status, bind_vcpu, unmask, set_priority (spec §5.7–5.11).

import { ESRCH, EINVAL, EPERM, ENOENT, ENOSYS, EACCES } from "../shared/errno";
import {
  ECS_FREE, ECS_RESERVED, ECS_UNBOUND, ECS_INTERDOMAIN, ECS_PIRQ, ECS_VIRQ, ECS_IPI,
} from "../shared/evtchn-abi";
import { addrEventLock, loadNrVcpus } from "../domain/table";
import {
  addrChannelLock, loadState, loadNotifyVcpu, storeNotifyVcpu, loadRemoteDom, loadRemotePort,
} from "./record";
import { readLock, readUnlock, writeLock, writeUnlock } from "../sync/lock";
import { lookupDomainRef, portIsValid } from "./alloc";
import { rcuUnlockDomain } from "../domain/refs";
import { mayActOn } from "./ops-bind";
import { portSetPending, raiseUsable, portUnmask, loadConsumer, evtchnUsable, isFifo } from "./port-ops";
import { fifoSetPriority } from "../fifo/control";
import { virqType, VIRQ_PER_VCPU } from "./virq";
import { SEND_CALL_CONSUMER, consumerCallEnter, consumerCallExit } from "./consumers";
import { injected } from "../stress/noise";
import { INJ_CALLBACK_UNDER_LOCK } from "../stress/inject";

// The consumer call the last evtchnSend on this thread asked for (thread-local).
let callDom: u32 = 0;
let callPort: u32 = 0;
let callVcpu: u32 = 0;
let callSlot: u32 = 0;
let callHeldLock: usize = 0; // INJ_CALLBACK_UNDER_LOCK only

export function consumerCallField(field: u32): u32 {
  switch (field) {
    case 0: return callSlot;
    case 1: return callVcpu;
    case 2: return callPort;
    default: return callDom;
  }
}

/** The callback of the last SEND_CALL_CONSUMER returned: leave the in-flight count. */
export function consumerCallDone(): void {
  consumerCallExit(callDom, callPort);
  if (callHeldLock != 0) { readUnlock(callHeldLock); callHeldLock = 0; }
}

export function evtchnSend(caller: u32, port: u32): i32 {
  if (!portIsValid(caller, port)) return -EINVAL;
  let cl = addrChannelLock(caller, port);
  readLock(cl);
  let rc: i32 = 0;
  if (loadConsumer(caller, port) != 0) {
    rc = -EINVAL; // guests cannot send from the Xen end
  } else {
    let state = loadState(caller, port);
    if (state == ECS_INTERDOMAIN) {
      // only the local lock: the peer's state and consumer change only with both
      // channel locks held (I17), so they are fixed here and the peer is usable
      let rd = loadRemoteDom(caller, port);
      let rp = loadRemotePort(caller, port);
      let consumer = loadConsumer(rd, rp);
      if (consumer != 0) {
        // the peer ends in Xen: count the call in, and let the caller run the
        // callback once our lock is released (spec §11, I23)
        consumerCallEnter(rd, rp);
        callDom = rd; callPort = rp; callVcpu = loadNotifyVcpu(rd, rp); callSlot = consumer - 1;
        if (injected(INJ_CALLBACK_UNDER_LOCK)) { callHeldLock = cl; return SEND_CALL_CONSUMER; }
        rc = SEND_CALL_CONSUMER;
      } else {
        raiseUsable(rd, loadNotifyVcpu(rd, rp), rp);
      }
    } else if (state == ECS_IPI) {
      raiseUsable(caller, loadNotifyVcpu(caller, port), port); // consumer 0 and IPI: usable, under our lock
    } else if (state != ECS_UNBOUND) {
      rc = -EINVAL; // VIRQ, PIRQ, FREE, RESERVED; UNBOUND drops the event (spec §16.7)
    }
  }
  readUnlock(cl);
  return rc;
}

// OUT fields of the last successful evtchnStatus on this thread
let statusOut: u32 = 0;
let statusVcpu: u32 = 0;
let statusU0: u32 = 0;
let statusU1: u32 = 0;
let statusUnionSet: u32 = 0; // 0: union untouched, 1: u0 (16..19) written, 2: u0 and u1

@inline export function lastStatus(): u32 { return statusOut; }
@inline export function lastStatusVcpu(): u32 { return statusVcpu; }
@inline export function lastStatusU0(): u32 { return statusU0; }
@inline export function lastStatusU1(): u32 { return statusU1; }
@inline export function lastStatusUnionSet(): u32 { return statusUnionSet; }

export function evtchnStatus(caller: u32, dom: u32, port: u32): i32 {
  let d = lookupDomainRef(caller, dom);
  if (d < 0) return -ESRCH;
  let ud = <u32>d;
  let rc = statusLocked(caller, ud, port);
  rcuUnlockDomain(ud);
  return rc;
}

function statusLocked(caller: u32, ud: u32, port: u32): i32 {
  if (!portIsValid(ud, port)) return -EINVAL;
  let lock = addrEventLock(ud);
  readLock(lock);
  let rc: i32 = 0;
  if (!mayActOn(caller, ud)) {
    rc = -EPERM;
  } else {
    let state = loadState(ud, port);
    statusUnionSet = 0;
    if (state == ECS_FREE || state == ECS_RESERVED) statusOut = 0;
    else if (state == ECS_UNBOUND) { statusOut = 1; statusU0 = loadRemoteDom(ud, port) & 0xffff; statusUnionSet = 1; }
    else if (state == ECS_INTERDOMAIN) {
      statusOut = 2; statusU0 = loadRemoteDom(ud, port) & 0xffff; statusU1 = loadRemotePort(ud, port); statusUnionSet = 2;
    }
    else if (state == ECS_PIRQ) { statusOut = 3; statusU0 = loadRemotePort(ud, port); statusUnionSet = 1; }
    else if (state == ECS_VIRQ) { statusOut = 4; statusU0 = loadRemotePort(ud, port); statusUnionSet = 1; }
    else statusOut = 5; // ECS_IPI: union untouched
    statusVcpu = loadNotifyVcpu(ud, port);
  }
  readUnlock(lock);
  return rc;
}

export function evtchnBindVcpu(caller: u32, port: u32, vcpu: u32): i32 {
  if (vcpu >= loadNrVcpus(caller)) return -ENOENT; // before the port (spec §5.9)
  if (!portIsValid(caller, port)) return -EINVAL;
  let lock = addrEventLock(caller);
  writeLock(lock);
  let rc: i32 = 0;
  if (loadConsumer(caller, port) != 0) {
    rc = -EINVAL;
  } else {
    let state = loadState(caller, port);
    if (state == ECS_VIRQ) {
      if (virqType(loadRemotePort(caller, port)) == VIRQ_PER_VCPU) rc = -EINVAL;
      else storeNotifyVcpu(caller, port, vcpu);
    } else if (state == ECS_UNBOUND || state == ECS_INTERDOMAIN) {
      storeNotifyVcpu(caller, port, vcpu); // pending state stays where it is (I14)
    } else {
      rc = -EINVAL; // IPI, FREE, RESERVED (PIRQ does not exist here)
    }
  }
  writeUnlock(lock);
  return rc;
}

export function evtchnUnmask(caller: u32, port: u32): i32 {
  if (!portIsValid(caller, port)) return -EINVAL;
  let cl = addrChannelLock(caller, port);
  readLock(cl);
  portUnmask(caller, port); // filtered: nothing for FREE or Xen-owned ports, still 0
  readUnlock(cl);
  return 0;
}

export function evtchnSetPriority(caller: u32, port: u32, priority: u32): i32 {
  if (!portIsValid(caller, port)) return -EINVAL;
  let cl = addrChannelLock(caller, port);
  readLock(cl);
  let rc: i32;
  if (!isFifo(caller)) rc = -ENOSYS;
  else if (!evtchnUsable(caller, port)) rc = -EACCES;
  else rc = fifoSetPriority(caller, port, priority);
  readUnlock(cl);
  return rc;
}

