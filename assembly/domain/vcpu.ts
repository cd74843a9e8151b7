// vCPU record accessors (hypervisor-private) and the guest-visible vcpu_info.

import { SHARED_INFO_GFN, PAGE_SHIFT, VCPU_INFO_SIZE } from "../shared/layout";
import {
  D_VCPUS, VCPU_BYTES, V_CB_STATE, V_CB_GFN, V_CB_OFFSET, V_KICK, V_BLOCKED, V_NOTIFIED, V_QUEUES,
  QUEUE_BYTES, V_VIRQ_TO_EVTCHN,
} from "../shared/private-layout";
import { privBase, guestBase } from "./table";

@inline export function addrVcpu(dom: u32, vcpu: u32): usize {
  return privBase(dom) + <usize>D_VCPUS + <usize>vcpu * <usize>VCPU_BYTES;
}
@inline export function addrCbState(dom: u32, vcpu: u32): usize { return addrVcpu(dom, vcpu) + V_CB_STATE; }
@inline export function addrCbGfn(dom: u32, vcpu: u32): usize { return addrVcpu(dom, vcpu) + V_CB_GFN; }
@inline export function addrCbOffset(dom: u32, vcpu: u32): usize { return addrVcpu(dom, vcpu) + V_CB_OFFSET; }
@inline export function addrKick(dom: u32, vcpu: u32): usize { return addrVcpu(dom, vcpu) + V_KICK; }
@inline export function addrBlocked(dom: u32, vcpu: u32): usize { return addrVcpu(dom, vcpu) + V_BLOCKED; }
@inline export function addrNotified(dom: u32, vcpu: u32): usize { return addrVcpu(dom, vcpu) + V_NOTIFIED; }
@inline export function addrQueue(dom: u32, vcpu: u32, prio: u32): usize {
  return addrVcpu(dom, vcpu) + <usize>V_QUEUES + <usize>prio * <usize>QUEUE_BYTES;
}
@inline export function addrVirqToEvtchn(dom: u32, vcpu: u32, virq: u32): usize {
  return addrVcpu(dom, vcpu) + <usize>V_VIRQ_TO_EVTCHN + (<usize>virq << 2);
}

/** vcpu_info of `vcpu` inside shared_info (vCPU ids < XEN_LEGACY_MAX_VCPUS). */
@inline export function addrVcpuInfo(dom: u32, vcpu: u32): usize {
  return guestBase(dom) + (<usize>SHARED_INFO_GFN << PAGE_SHIFT) + <usize>vcpu * <usize>VCPU_INFO_SIZE;
}
