// Upcall delivery (spec §14) and the vCPU block/wake protocol.
//
// markEventsPending sets bit 0 of evtchn_upcall_pending with a 32-bit atomic
// OR on the word holding bytes 0..3 of vcpu_info; the guest clears it with a
// 32-bit atomic AND on the same word — one primitive on those bytes (spec §12.1).
//
// Wake protocol (I3, no lost wake-up):
//   Xen:   set upcall flag → kick += 1 → if blocked: notify(kick)
//   guest: blocked := 1 → k := kick → if flag == 0: wait(kick, k) → blocked := 0
// All steps are seq-cst. If the guest saw the flag clear, Xen's flag store
// comes later in the total order, so Xen sees blocked = 1 and notifies, and
// its kick increment makes the guest's wait return "not-equal" if it had not
// started sleeping yet.

import { VI_UPCALL_PENDING, D_STAT_UPCALLS, D_STAT_KICKS } from "./shared/layout";
import { addrVcpuInfo, addrKick, addrBlocked } from "./domain/vcpu";
import { addrDomField } from "./domain/table";
import { noise, NP_BLOCK_BEFORE_WAIT, NP_UPCALL_BEFORE_KICK, injected, INJ_LOST_WAKEUP } from "./stress/noise";

const BLOCK_SPINS = 2000;

/** Returns true if the flag went 0 → 1 (an upcall was requested). */
export function markEventsPending(dom: u32, vcpu: u32): bool {
  let old = atomic.or<u32>(addrVcpuInfo(dom, vcpu) + VI_UPCALL_PENDING, 1);
  if ((old & 1) != 0) return false;
  atomic.add<u32>(addrDomField(dom, D_STAT_UPCALLS), 1);
  noise(NP_UPCALL_BEFORE_KICK);
  if (injected(INJ_LOST_WAKEUP)) return true; // stress build: re-injected bug, no kick (breaks I3)
  kickVcpu(dom, vcpu);
  return true;
}

export function kickVcpu(dom: u32, vcpu: u32): void {
  let kick = addrKick(dom, vcpu);
  atomic.add<i32>(kick, 1);
  if (atomic.load<i32>(addrBlocked(dom, vcpu)) != 0) {
    atomic.add<u32>(addrDomField(dom, D_STAT_KICKS), 1);
    atomic.notify(kick, -1);
  }
}

@inline export function loadUpcallPending(dom: u32, vcpu: u32): u32 {
  return atomic.load<u32>(addrVcpuInfo(dom, vcpu) + VI_UPCALL_PENDING) & 1;
}

/** Guest side: clear evtchn_upcall_pending before scanning (spec §10.1). */
export function clearUpcallPending(dom: u32, vcpu: u32): void {
  atomic.and<u32>(addrVcpuInfo(dom, vcpu) + VI_UPCALL_PENDING, ~(<u32>0xff));
}

/** vcpuBlock results. */
export const VB_IDLE: u32 = 0;   // woken or timed out, no upcall pending
export const VB_UPCALL: u32 = 1; // an upcall is pending
export const VB_LATE: u32 = 2;   // an upcall is pending but the sleep ran into its timeout: a lost wake-up (I3)

/**
 * Block `vcpu` until an upcall is pending or a kick arrives: spin briefly
 * (a wake-up across cores costs tens of µs here), then sleep.
 * timeoutNs < 0 sleeps without limit. Returns VB_*.
 */
export function vcpuBlock(dom: u32, vcpu: u32, timeoutNs: i64): u32 {
  for (let i = 0; i < BLOCK_SPINS; i++) {
    if (loadUpcallPending(dom, vcpu) != 0) return VB_UPCALL;
  }
  let blocked = addrBlocked(dom, vcpu);
  let kick = addrKick(dom, vcpu);
  atomic.store<i32>(blocked, 1);
  let k = atomic.load<i32>(kick);
  noise(NP_BLOCK_BEFORE_WAIT);
  let r = 1; // "not-equal": did not sleep
  if (loadUpcallPending(dom, vcpu) == 0) r = atomic.wait<i32>(kick, k, timeoutNs);
  atomic.store<i32>(blocked, 0);
  if (loadUpcallPending(dom, vcpu) == 0) return VB_IDLE;
  // A kick always follows the flag (I3), so a timed-out sleep with the flag
  // set means the kick was lost; the flag landing in the last nanoseconds
  // before the timeout is the only benign cause.
  return r == 2 ? VB_LATE : VB_UPCALL;
}

/**
 * The two halves of vcpuBlock for a thread that must not block (a domain on
 * a Node service's main thread, waiting with Atomics.waitAsync): mark the vCPU
 * blocked and return the kick value to wait on; the caller then checks the
 * upcall flag, waits on the kick word only if it is clear, and calls
 * vcpuBlockDone. Same ordering as vcpuBlock (I3).
 */
export function vcpuBlockPrepare(dom: u32, vcpu: u32): i32 {
  atomic.store<i32>(addrBlocked(dom, vcpu), 1);
  return atomic.load<i32>(addrKick(dom, vcpu));
}

export function vcpuBlockDone(dom: u32, vcpu: u32): void {
  atomic.store<i32>(addrBlocked(dom, vcpu), 0);
}
