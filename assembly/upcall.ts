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

import { VI_UPCALL_PENDING, VI_UPCALL_MASK } from "./shared/layout";
import { D_STAT_UPCALLS, D_STAT_KICKS } from "./shared/private-layout";
import { addrVcpuInfo, addrKick, addrBlocked, addrNotified } from "./domain/vcpu";
import { addrDomField } from "./domain/table";
import { noise, NP_BLOCK_BEFORE_WAIT, NP_UPCALL_BEFORE_KICK, injected, INJ_LOST_WAKEUP } from "./stress/noise";
import { spinBudget, vcpuThreadSleeps, vcpuThreadWakes } from "./sched/spin";

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
  let mine = atomic.add<i32>(kick, 1) + 1;
  if (atomic.load<i32>(addrBlocked(dom, vcpu)) != 0) {
    atomic.add<u32>(addrDomField(dom, D_STAT_KICKS), 1);
    // recorded before the notify: a sleeper whose wait timed out as this kick landed can tell
    // a notify that lost the race (benign) from one that was never sent (a lost wake-up, I3)
    atomic.store<i32>(addrNotified(dom, vcpu), mine);
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

// evtchn_upcall_mask (x86 PV "events disabled", spec §2.1) is byte 1 of the
// same 32-bit word as evtchn_upcall_pending: set and cleared by the guest with
// 32-bit atomics on that word, as the pending byte is (spec §12.1), so neither
// side's update can undo the other's.
const UPCALL_MASK_BITS: u32 = <u32>0xff << (<u32>VI_UPCALL_MASK * 8);

/**
 * Xen's local_events_need_delivery() on x86 PV: an upcall is pending and the
 * vCPU has not masked upcalls (I25). SCHEDOP_poll returns at once only then.
 */
export function localEventsNeedDelivery(dom: u32, vcpu: u32): bool {
  let w = atomic.load<u32>(addrVcpuInfo(dom, vcpu) + VI_UPCALL_PENDING);
  return (w & 1) != 0 && (w & UPCALL_MASK_BITS) == 0;
}

/** Xen's local_event_delivery_enable(): clear evtchn_upcall_mask (SCHEDOP_block does it before blocking, I25). */
export function eventDeliveryEnable(dom: u32, vcpu: u32): void {
  let w = addrVcpuInfo(dom, vcpu) + VI_UPCALL_PENDING;
  // only the vCPU itself sets its mask, so a clear mask read here stays clear: no RMW on the
  // raiser's cache line on every block (the mask is almost always clear)
  if ((atomic.load<u32>(w) & UPCALL_MASK_BITS) != 0) atomic.and<u32>(w, ~UPCALL_MASK_BITS);
}

/** Guest side: mask upcalls (Linux's xen_irq_disable: evtchn_upcall_mask := 1). */
export function guestIrqDisable(dom: u32, vcpu: u32): void {
  atomic.or<u32>(addrVcpuInfo(dom, vcpu) + VI_UPCALL_PENDING, <u32>1 << (<u32>VI_UPCALL_MASK * 8));
}

/**
 * Guest side: unmask upcalls, then re-check (Linux's xen_irq_enable: an
 * upcall flagged while masked kicked nobody awake and must be taken now).
 * Returns evtchn_upcall_pending as read after the unmask (seq-cst).
 */
export function guestIrqEnable(dom: u32, vcpu: u32): u32 {
  eventDeliveryEnable(dom, vcpu);
  return loadUpcallPending(dom, vcpu);
}

/** Guest side: evtchn_upcall_mask is set. */
export function upcallMasked(dom: u32, vcpu: u32): bool {
  return (atomic.load<u32>(addrVcpuInfo(dom, vcpu) + VI_UPCALL_PENDING) & UPCALL_MASK_BITS) != 0;
}

/** vcpuBlock results. */
export const VB_IDLE: u32 = 0;   // woken or timed out, no upcall pending
export const VB_UPCALL: u32 = 1; // an upcall is pending
export const VB_LATE: u32 = 2;   // an upcall is pending and no raiser that kicked since the sleep notified, even LATE_GRACE_NS after the timeout: a lost wake-up (I3)
/** How long a timed-out vcpuBlock that finds the flag set waits for the kick before calling it lost. */
const LATE_GRACE_NS: i64 = 100_000_000;
const LATE_SLICE_NS: i64 = 1_000_000;

/**
 * SCHEDOP_block: enable event delivery (clear evtchn_upcall_mask, as Xen's
 * vcpu_block_enable_events does, I25), then block `vcpu` until an upcall is
 * pending or a kick arrives: spin briefly (a wake-up across cores costs tens
 * of µs here), then sleep. With the mask clear, "an upcall needs delivery" is
 * "the upcall flag is set". timeoutNs < 0 sleeps without limit. Returns VB_*.
 */
export function vcpuBlock(dom: u32, vcpu: u32, timeoutNs: i64): u32 {
  return blockAfterSpins(dom, vcpu, timeoutNs, BLOCK_SPINS, false);
}

/**
 * vcpuBlock for a guest kernel's vCPU thread counted in G_VCPUS_RUNNING
 * (I51): spins up to `maxSpins` rounds while the running vCPU threads do not
 * outnumber the cores, `minSpins` otherwise, and is not counted while asleep.
 */
export function guestVcpuBlock(dom: u32, vcpu: u32, timeoutNs: i64, maxSpins: u32, minSpins: u32): u32 {
  return blockAfterSpins(dom, vcpu, timeoutNs, spinBudget(maxSpins, minSpins), true);
}

/**
 * A sleep that timed out and then found the upcall flag set is a lost wake-up
 * only if no raiser that kicked after `k` notified: a raiser descheduled
 * between its flag store and its kick, or whose notify lost the race with the
 * timeout, is merely late. V_BLOCKED is still 1, so every raiser kicking now
 * notifies; each records its kick value in V_NOTIFIED before notifying.
 * Waits up to LATE_GRACE_NS for that record; returns 0 (late) or 2 (lost, I3).
 */
export function judgeTimedOut(dom: u32, vcpu: u32, k: i32): i32 {
  let kick = addrKick(dom, vcpu);
  let notified = addrNotified(dom, vcpu);
  for (let slice: i64 = 0; slice < LATE_GRACE_NS; slice += LATE_SLICE_NS) {
    if (atomic.load<i32>(notified) - k > 0) return 0;
    let kv = atomic.load<i32>(kick);
    atomic.wait<i32>(kick, kv, LATE_SLICE_NS); // a kick's notify ends the slice early
  }
  return atomic.load<i32>(notified) - k > 0 ? 0 : 2;
}

function blockAfterSpins(dom: u32, vcpu: u32, timeoutNs: i64, spins: u32, counted: bool): u32 {
  eventDeliveryEnable(dom, vcpu);
  for (let i: u32 = 0; i < spins; i++) {
    if (loadUpcallPending(dom, vcpu) != 0) return VB_UPCALL;
  }
  let blocked = addrBlocked(dom, vcpu);
  let kick = addrKick(dom, vcpu);
  atomic.store<i32>(blocked, 1);
  let k = atomic.load<i32>(kick);
  noise(NP_BLOCK_BEFORE_WAIT);
  let r = 1; // "not-equal": did not sleep
  if (loadUpcallPending(dom, vcpu) == 0) {
    if (counted) vcpuThreadSleeps();
    r = atomic.wait<i32>(kick, k, timeoutNs);
    if (r == 2 && loadUpcallPending(dom, vcpu) != 0) r = judgeTimedOut(dom, vcpu, k);
    if (counted) vcpuThreadWakes();
  }
  atomic.store<i32>(blocked, 0);
  if (loadUpcallPending(dom, vcpu) == 0) return VB_IDLE;
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
  eventDeliveryEnable(dom, vcpu);
  atomic.store<i32>(addrBlocked(dom, vcpu), 1);
  return atomic.load<i32>(addrKick(dom, vcpu));
}

export function vcpuBlockDone(dom: u32, vcpu: u32): void {
  atomic.store<i32>(addrBlocked(dom, vcpu), 0);
}
