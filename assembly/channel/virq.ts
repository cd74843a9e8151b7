// VIRQs (spec §5.12, §6.2, §6.3): per-vCPU, per-domain and global types, and
// the hypervisor-side raise that never blocks (try-lock, drop on failure).

import { NR_VIRQS } from "../shared/evtchn-abi";
import { DF_CONTROL } from "../shared/layout";
import { addrVirqToEvtchn, addrVcpu } from "../domain/vcpu";
import { V_VIRQ_LOCK } from "../shared/private-layout";
import { loadNrVcpus, domainExists, addrDomFlags } from "../domain/table";
import { addrChannelLock, loadNotifyVcpu } from "./record";
import { readLock, readUnlock, readTryLock } from "../sync/lock";
import { portSetPending } from "./port-ops";
import { rcuLockDomain, rcuUnlockDomain } from "../domain/refs";

export const VIRQ_TIMER: u32 = 0;
export const VIRQ_DEBUG: u32 = 1;
export const VIRQ_DOM_EXC: u32 = 3;
export const VIRQ_XENOPROF: u32 = 7;
export const VIRQ_ARGO: u32 = 11;
export const VIRQ_XENPMU: u32 = 13;

export const VIRQ_PER_VCPU: u32 = 0;
export const VIRQ_PER_DOMAIN: u32 = 1;
export const VIRQ_GLOBAL: u32 = 2;

/** Type of a VIRQ number < NR_VIRQS; unassigned numbers classify as global (spec §16.15). */
export function virqType(virq: u32): u32 {
  if (virq == VIRQ_TIMER || virq == VIRQ_DEBUG || virq == VIRQ_XENOPROF || virq == VIRQ_XENPMU) return VIRQ_PER_VCPU;
  if (virq == VIRQ_ARGO) return VIRQ_PER_DOMAIN;
  return VIRQ_GLOBAL;
}

/** The domain that handles global VIRQs: the control domain (the hardware domain here), or -1. */
export function globalVirqHandler(): i32 {
  if (domainExists(0) && (atomic.load<u32>(addrDomFlags(0)) & DF_CONTROL) != 0) return 0;
  return -1;
}

@inline export function addrVirqLock(dom: u32, vcpu: u32): usize { return addrVcpu(dom, vcpu) + V_VIRQ_LOCK; }

@inline export function loadVirqPort(dom: u32, vcpu: u32, virq: u32): u32 {
  return atomic.load<u32>(addrVirqToEvtchn(dom, vcpu, virq));
}
@inline export function storeVirqPort(dom: u32, vcpu: u32, virq: u32, port: u32): void {
  atomic.store<u32>(addrVirqToEvtchn(dom, vcpu, virq), port);
}

/**
 * send_vcpu_virq / send_domain_virq / send_global_virq: raise `virq` of
 * domain `dom` (per-vCPU VIRQs on `vcpu`; global ones go to their handler
 * domain). Returns 1 if an event was raised, 0 if dropped (unbound, channel
 * being created or closed, or an invalid request).
 */
export function raiseVirq(dom: u32, vcpu: u32, virq: u32): u32 {
  if (virq >= <u32>NR_VIRQS) return 0;
  let type = virqType(virq);
  if (type == VIRQ_GLOBAL) {
    let h = globalVirqHandler();
    if (h < 0) return 0;
    dom = <u32>h;
  }
  if (!rcuLockDomain(dom)) return 0; // I27
  let raised = raiseVirqRef(dom, vcpu, virq, type);
  rcuUnlockDomain(dom);
  return raised;
}

function raiseVirqRef(dom: u32, vcpu: u32, virq: u32, type: u32): u32 {
  let owner: u32 = type == VIRQ_PER_VCPU ? vcpu : 0;
  if (owner >= loadNrVcpus(dom)) return 0;
  let vlock = addrVirqLock(dom, owner);
  readLock(vlock);
  let port = loadVirqPort(dom, owner, virq);
  let raised: u32 = 0;
  if (port != 0) {
    let clock = addrChannelLock(dom, port);
    if (readTryLock(clock)) { // failure: the channel is being bound or closed: drop (spec §12)
      let target = type == VIRQ_PER_VCPU ? owner : loadNotifyVcpu(dom, port);
      portSetPending(dom, target, port);
      raised = 1;
      readUnlock(clock);
    }
  }
  readUnlock(vlock);
  return raised;
}
