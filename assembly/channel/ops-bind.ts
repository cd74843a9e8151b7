// EVTCHNOP_alloc_unbound, bind_interdomain, bind_virq, bind_ipi, bind_pirq:
// checks in Xen's order with Xen's errnos (spec §5.1–5.5). Each returns the
// new port (≥ 0) or -errno.

import { ESRCH, EPERM, EINVAL, ENOENT, EBUSY, EEXIST, EOPNOTSUPP } from "../shared/errno";
import {
  DOMID_SELF, NR_VIRQS, ECS_UNBOUND, ECS_INTERDOMAIN, ECS_VIRQ, ECS_IPI,
} from "../shared/evtchn-abi";
import { DF_CONTROL } from "../shared/layout";
import { addrEventLock, loadNrVcpus, addrDomFlags } from "../domain/table";
import {
  addrChannelLock, loadState, storeState, storeNotifyVcpu, loadNotifyVcpu, loadRemoteDom,
  storeRemoteDom, storeRemotePort,
} from "./record";
import { writeLock, writeUnlock } from "../sync/lock";
import { lookupDomainRef, getFreePort, portIsValid, unallocatePort } from "./alloc";
import { rcuUnlockDomain } from "../domain/refs";
import { eventLockPair, eventUnlockPair, channelLockPair, channelUnlockPair } from "./locks";
import { portInit, portSetPending } from "./port-ops";
import {
  virqType, VIRQ_PER_VCPU, VIRQ_GLOBAL, globalVirqHandler, loadVirqPort, storeVirqPort,
} from "./virq";

/** Default "target" policy: the domain itself or the control domain (spec §5.1 step 4). */
export function mayActOn(caller: u32, dom: u32): bool {
  return caller == dom || (atomic.load<u32>(addrDomFlags(caller)) & DF_CONTROL) != 0;
}

export function evtchnAllocUnbound(caller: u32, dom: u32, remoteDom: u32): i32 {
  let d = lookupDomainRef(caller, dom);
  if (d < 0) return -ESRCH;
  let ud = <u32>d;
  let lock = addrEventLock(ud);
  writeLock(lock);
  let port = getFreePort(ud);
  if (port >= 0) {
    let p = <u32>port;
    if (!mayActOn(caller, ud)) {
      unallocatePort(ud, p); // allocated before the check; stays FREE (spec §16.4)
      port = -EPERM;
    } else {
      let cl = addrChannelLock(ud, p);
      writeLock(cl);
      storeRemoteDom(ud, p, remoteDom == <u32>DOMID_SELF ? caller : remoteDom); // the caller, not d (§16.5)
      storeNotifyVcpu(ud, p, 0);
      portInit(ud, p);
      storeState(ud, p, ECS_UNBOUND);
      writeUnlock(cl);
    }
  }
  writeUnlock(lock);
  rcuUnlockDomain(ud);
  return port;
}

export function evtchnBindInterdomain(caller: u32, remoteDom: u32, remotePort: u32): i32 {
  let ld = caller;
  let r = lookupDomainRef(caller, remoteDom); // held until the bind is done: rd's regions stay (I27)
  if (r < 0) return -ESRCH;
  let rd = <u32>r;
  eventLockPair(ld, rd);
  let port = getFreePort(ld);
  if (port >= 0) {
    let lp = <u32>port;
    if (!portIsValid(rd, remotePort)
        || loadState(rd, remotePort) != ECS_UNBOUND || loadRemoteDom(rd, remotePort) != ld) {
      unallocatePort(ld, lp);
      port = -EINVAL;
    } else {
      channelLockPair(ld, lp, rd, remotePort);
      storeRemoteDom(ld, lp, rd);
      storeRemotePort(ld, lp, remotePort);
      portInit(ld, lp);
      storeState(ld, lp, ECS_INTERDOMAIN);
      storeRemoteDom(rd, remotePort, ld);
      storeRemotePort(rd, remotePort, lp);
      storeState(rd, remotePort, ECS_INTERDOMAIN);
      channelUnlockPair(ld, lp, rd, remotePort);
      // the peer's sends while unbound were dropped: raise once (spec §5.2 step 8)
      portSetPending(ld, loadNotifyVcpu(ld, lp), lp);
    }
  }
  eventUnlockPair(ld, rd);
  rcuUnlockDomain(rd);
  return port;
}

export function evtchnBindVirq(caller: u32, virq: u32, vcpu: u32): i32 {
  if (virq >= <u32>NR_VIRQS) return -EINVAL;
  let type = virqType(virq);
  if (type != VIRQ_PER_VCPU && vcpu != 0) return -EINVAL;
  if (vcpu >= loadNrVcpus(caller)) return -ENOENT;
  let lock = addrEventLock(caller);
  writeLock(lock);
  let port: i32;
  if (type == VIRQ_GLOBAL && globalVirqHandler() != <i32>caller) {
    port = -EBUSY;
  } else if (loadVirqPort(caller, vcpu, virq) != 0) {
    port = -EEXIST;
  } else {
    port = getFreePort(caller);
    if (port >= 0) {
      let p = <u32>port;
      let cl = addrChannelLock(caller, p);
      writeLock(cl);
      storeNotifyVcpu(caller, p, vcpu);
      storeRemotePort(caller, p, virq);
      portInit(caller, p);
      storeState(caller, p, ECS_VIRQ);
      writeUnlock(cl);
      storeVirqPort(caller, vcpu, virq, p); // published after the channel is bound
    }
  }
  writeUnlock(lock);
  return port;
}

export function evtchnBindIpi(caller: u32, vcpu: u32): i32 {
  if (vcpu >= loadNrVcpus(caller)) return -ENOENT;
  let lock = addrEventLock(caller);
  writeLock(lock);
  let port = getFreePort(caller);
  if (port >= 0) {
    let p = <u32>port;
    let cl = addrChannelLock(caller, p);
    writeLock(cl);
    storeNotifyVcpu(caller, p, vcpu);
    portInit(caller, p);
    storeState(caller, p, ECS_IPI);
    writeUnlock(cl);
  }
  writeUnlock(lock);
  return port;
}

/** No physical IRQs on this platform: Xen's answer where PIRQs do not exist (spec §5.5). */
export function evtchnBindPirq(caller: u32, pirq: u32, flags: u32): i32 {
  return -EOPNOTSUPP;
}
