// The complete export list of the wasmxen data plane: thin wrappers with
// integers in and out. A u64 gfn crosses as two u32 halves (lo, hi) so the
// TypeScript side never needs BigInt. Functions that return u32 values above
// 2^31 arrive in JS as negative numbers; src/wasm/ normalises them.

import { domainCreate as create, domainDestroy as destroy } from "./domain/create";
import { domainExists as exists, privBase, guestBase, gfnAddr } from "./domain/table";
import {
  domainKill as kill, evtchnDestroy as destroyStep, domainRelease as release, domainPause as pause,
  domainUnpause as unpause, vcpuParkEnter as parkEnter, vcpuParkLeave as parkLeave,
} from "./domain/destroy";
import { domainRefs as refs, rcuLockDomain as rcuLock, rcuUnlockDomain as rcuUnlock } from "./domain/refs";
import { addrVcpu, addrQueue, addrVcpuInfo } from "./domain/vcpu";
import { addrChannel, storeNotifyVcpu } from "./channel/record";
import { fifoWordAddr } from "./fifo/event-word";
import { controlBlockAddr } from "./fifo/queue";
import {
  fifoSetPending as setPending, fifoClearPending as clearPending, fifoUnmask as unmask,
  fifoIsPending as isPending, fifoIsMasked as isMasked, fifoIsBusy as isBusy,
} from "./fifo/raise";
import {
  initControl, expandArray, fifoPortInit as portInit, fifoSetPriority as setPriority,
} from "./fifo/control";
import {
  guestFifoSetup as gSetup, guestFifoInitVcpu as gInitVcpu, guestFifoAddArrayPage as gAddPage,
  guestFifoNext as gNext, guestFifoMask as gMask, guestFifoUnmask as gUnmask, guestWordAddr,
} from "./guest/fifo-guest";
import {
  markEventsPending as markPending, clearUpcallPending as clearUpcall,
  loadUpcallPending, vcpuBlock as block, guestVcpuBlock as guestBlock, kickVcpu as kick, vcpuBlockPrepare as blockPrepare,
  vcpuBlockDone as blockDone, judgeTimedOut, localEventsNeedDelivery as needDelivery, guestIrqDisable as irqDisable,
  guestIrqEnable as irqEnable, upcallMasked as masked,
} from "./upcall";
import { addrKick } from "./domain/vcpu";
import { waitCanary as canary } from "./canary";
import { eventChannelOp as evtchnOp } from "./channel/hypercall";
import {
  evtchnAllocUnbound as allocUnbound, evtchnBindInterdomain as bindInterdomain, evtchnBindVirq as bindVirq,
  evtchnBindIpi as bindIpi, evtchnBindPirq as bindPirq, allocUnboundAt,
} from "./channel/ops-bind";
import { evtchnClose as close } from "./channel/ops-close";
import {
  evtchnSend as send, evtchnStatus as status, evtchnBindVcpu as bindVcpu, evtchnUnmask as unmaskOp,
  evtchnSetPriority as setPriorityOp, lastStatus, lastStatusVcpu, lastStatusU0, lastStatusU1, lastStatusUnionSet,
} from "./channel/ops-misc";
import { raiseVirq as virqRaise } from "./channel/virq";
import {
  xenConsumerRegister as consumerRegister, evtchnAllocUnboundXen as allocUnboundXen, evtchnAttachXen as attachXen,
  notifyViaXenEventChannel as notifyViaXen, addrInflight,
} from "./channel/consumers";
import { consumerCallField as callField, consumerCallDone as callDone } from "./channel/ops-misc";
import { evtchnClose as closeAny, evtchnFreeXenBegin as freeXenBegin, evtchnFreeXenEnd as freeXenEnd } from "./channel/ops-close";
import { portSetPending, portIsPending, portIsMasked } from "./channel/port-ops";
import { addrDomFlags, guestBase, guestFrames } from "./domain/table";
import { schedPollPrepare as pollPrepare, schedPollFinish as pollFinish, lastPollKick } from "./channel/poll";
import { evtchnReset as reset } from "./channel/reset";
import {
  guestTwoLevelSetup as g2Setup, guestTwoLevelRoute as g2Route, guestTwoLevelNext as g2Next,
  guestTwoLevelMask as g2Mask, guestTwoLevelUnmask as g2Unmask, twoLevelStateFrames as g2Frames,
} from "./guest/twolevel-guest";
import { DF_PAUSED, PAGE_SHIFT, DF_LOG_DIRTY, G_PREEMPT_EVERY } from "./shared/layout";
import { vcpuThreadStart as threadStart, vcpuThreadStop as threadStop, vcpusRunning as running, spinBudget } from "./sched/spin";
import { hypercall as hypercallEntry } from "./hypercall/entry";
import { continuationArg0 } from "./hypercall/preempt";
import { guestHypercallLoop as guestLoop } from "./guest/hypercall-loop";
import { guestRange, p2mType, loadTotPages, loadMaxPages, addrMaxPages, dirtyWord, p2mRestoreType, restoreTotPages, restoreDirtyWord } from "./mm/p2m";
import { EFAULT, ESRCH } from "./shared/errno";
import { noiseSeed } from "./stress/noise";
import { G_NOISE_RATE, G_NOISE_SPINS, G_NOISE_YIELD, G_INJECT } from "./shared/layout";

@inline function gfn64(lo: u32, hi: u32): u64 { return (<u64>hi << 32) | <u64>lo; }

// ------------------------------------------------------------ domains
export function domainCreate(dom: u32, gbase: u32, frames: u32, pbase: u32, pbytes: u32,
  nrVcpus: u32, maxPort: u32, width: u32, capacity: u32): void {
  create(dom, gbase, frames, pbase, pbytes, nrVcpus, maxPort, width, capacity);
}
export function domainDestroy(dom: u32): void { destroy(dom); }
export function domainExists(dom: u32): bool { return exists(dom); }
// the lifecycle (assembly/domain/destroy.ts, refs.ts): kill → destroy steps → release
/** Mark a (paused) domain dying: 0 or -ESRCH. */
export function domainKill(dom: u32): i32 { return kill(dom); }
/** evtchn_destroy, one step of at most `batch` ports: 0 done, -ERESTART re-invoke, -EINVAL not dying, -ESRCH. */
export function domainDestroyStep(dom: u32, batch: u32): i32 { return destroyStep(dom, batch); }
/** Unpublish a dead domain: 0 regions and domid free, -ERESTART references held, -EBUSY not dead yet. */
export function domainRelease(dom: u32): i32 { return release(dom); }
/** References held on `dom` (Xen's rcu_lock_domain_by_id / get_domain). */
export function domainRefs(dom: u32): u32 { return refs(dom); }
/** Take / drop a reference, as a Xen-internal service that uses another domain does. */
export function domainGet(dom: u32): bool { return rcuLock(dom); }
export function domainPut(dom: u32): void { rcuUnlock(dom); }
export function vcpuParkEnter(dom: u32, vcpu: u32): void { parkEnter(dom, vcpu); }
export function vcpuParkLeave(dom: u32, vcpu: u32): void { parkLeave(dom, vcpu); }

// ------------------------------------------- addresses (for src/wasm views)
export function addrDomainPriv(dom: u32): usize { return privBase(dom); }
export function addrGuestBase(dom: u32): usize { return guestBase(dom); }
export function addrGfn(dom: u32, gfn: u32): usize { return gfnAddr(dom, <u64>gfn); }
export function addrVcpuRecord(dom: u32, vcpu: u32): usize { return addrVcpu(dom, vcpu); }
export function addrQueueRecord(dom: u32, vcpu: u32, prio: u32): usize { return addrQueue(dom, vcpu, prio); }
export function addrChannelRecord(dom: u32, port: u32): usize { return addrChannel(dom, port); }
export function addrVcpuInfoOf(dom: u32, vcpu: u32): usize { return addrVcpuInfo(dom, vcpu); }
export function addrEventWord(dom: u32, port: u32): usize { return fifoWordAddr(dom, port); }
export function addrControlBlock(dom: u32, vcpu: u32): usize { return controlBlockAddr(dom, vcpu); }

// ------------------------------------------------------ FIFO, Xen side
export function fifoSetPending(dom: u32, vcpu: u32, port: u32): u32 { return setPending(dom, vcpu, port); }
export function fifoClearPending(dom: u32, port: u32): void { clearPending(dom, port); }
export function fifoUnmask(dom: u32, port: u32): void { unmask(dom, port); }
export function fifoIsPending(dom: u32, port: u32): bool { return isPending(dom, port); }
export function fifoIsMasked(dom: u32, port: u32): bool { return isMasked(dom, port); }
export function fifoIsBusy(dom: u32, port: u32): bool { return isBusy(dom, port); }
export function fifoInitControl(dom: u32, gfnLo: u32, gfnHi: u32, offset: u32, vcpu: u32): i32 {
  return initControl(dom, gfn64(gfnLo, gfnHi), offset, vcpu);
}
export function fifoExpandArray(dom: u32, gfnLo: u32, gfnHi: u32): i32 {
  return expandArray(dom, gfn64(gfnLo, gfnHi));
}
export function fifoPortInit(dom: u32, port: u32): void { portInit(dom, port); }
export function fifoSetPriority(dom: u32, port: u32, priority: u32): i32 { return setPriority(dom, port, priority); }
export function channelSetNotifyVcpu(dom: u32, port: u32, vcpu: u32): void { storeNotifyVcpu(dom, port, vcpu); }

// ------------------------------------------------ event-channel operations
/** HYPERVISOR_event_channel_op(cmd, arg) from vCPU `vcpu` of `dom`; `arg` is a guest-physical address. */
export function eventChannelOp(dom: u32, vcpu: u32, cmd: u32, gpaLo: u32, gpaHi: u32): i32 {
  return evtchnOp(dom, vcpu, cmd, gfn64(gpaLo, gpaHi));
}
// The same operations with the structs' IN fields as arguments; bind/alloc return the port or -errno.
export function evtchnAllocUnbound(caller: u32, dom: u32, remoteDom: u32): i32 { return allocUnbound(caller, dom, remoteDom); }
/** alloc_unbound at a named port (0: lowest free), Xen 4.17's static event channels; the restorer's pre-binding. */
export function evtchnAllocUnboundAt(caller: u32, dom: u32, remoteDom: u32, port: u32): i32 { return allocUnboundAt(caller, dom, remoteDom, port); }
export function evtchnBindInterdomain(caller: u32, remoteDom: u32, remotePort: u32): i32 { return bindInterdomain(caller, remoteDom, remotePort); }
export function evtchnBindVirq(caller: u32, virq: u32, vcpu: u32): i32 { return bindVirq(caller, virq, vcpu); }
export function evtchnBindIpi(caller: u32, vcpu: u32): i32 { return bindIpi(caller, vcpu); }
export function evtchnBindPirq(caller: u32, pirq: u32, flags: u32): i32 { return bindPirq(caller, pirq, flags); }
export function evtchnClose(caller: u32, port: u32): i32 { return close(caller, port, true); }
export function evtchnSend(caller: u32, port: u32): i32 { return send(caller, port); }
/** On 0, the OUT fields are read with evtchnStatusOut(0..4): status, vcpu, u0, u1, which union words were set. */
export function evtchnStatus(caller: u32, dom: u32, port: u32): i32 { return status(caller, dom, port); }
export function evtchnStatusOut(field: u32): u32 {
  switch (field) {
    case 0: return lastStatus();
    case 1: return lastStatusVcpu();
    case 2: return lastStatusU0();
    case 3: return lastStatusU1();
    default: return lastStatusUnionSet();
  }
}
export function evtchnBindVcpu(caller: u32, port: u32, vcpu: u32): i32 { return bindVcpu(caller, port, vcpu); }
export function evtchnUnmask(caller: u32, port: u32): i32 { return unmaskOp(caller, port); }
export function evtchnSetPriority(caller: u32, port: u32, priority: u32): i32 { return setPriorityOp(caller, port, priority); }
/** Xen-internal: raise a VIRQ (returns 1 if raised, 0 if dropped). */
export function raiseVirq(dom: u32, vcpu: u32, virq: u32): u32 { return virqRaise(dom, vcpu, virq); }
/** Xen-internal: the ABI's set_pending behind the usable filter (RAISE_* bits). */
export function evtchnSetPending(dom: u32, vcpu: u32, port: u32): u32 { return portSetPending(dom, vcpu, port); }
// ------------------------------------------------ Xen-internal consumers
/** Register consumer `id`; returns its slot (0..6) or -ENOSPC (Xen would BUG()). */
export function xenConsumerRegister(id: u32, drain: u32): i32 { return consumerRegister(id, drain != 0); }
/** alloc_unbound_xen: a Xen-owned port in `ld` for `remoteDom`, consumer `slot`, notifying `lvcpu`. */
export function evtchnAllocUnboundXen(ld: u32, lvcpu: u32, remoteDom: u32, slot: u32): i32 { return allocUnboundXen(ld, lvcpu, remoteDom, slot); }
/** Take over the restorer's pre-bound UNBOUND `port` of `ld` (for `remoteDom`) as consumer `slot`'s Xen-owned channel (I56). */
export function evtchnAttachXen(ld: u32, port: u32, lvcpu: u32, remoteDom: u32, slot: u32): i32 { return attachXen(ld, port, lvcpu, remoteDom, slot); }
/** free_xen_event_channel: close a Xen-owned port, waiting for callbacks in flight unless the consumer opted out. */
export function evtchnFreeXen(ld: u32, port: u32): i32 {
  if (!rcuLock(ld)) return -ESRCH; // the domain was released: its ports went with it (I27)
  let rc = closeAny(ld, port, false);
  rcuUnlock(ld);
  return rc;
}
/** The two halves of evtchnFreeXen, for a consumer that holds its own lock across the first. */
export function evtchnFreeXenBegin(ld: u32, port: u32): i32 {
  if (!rcuLock(ld)) return -ESRCH;
  let rc = freeXenBegin(ld, port);
  rcuUnlock(ld);
  return rc;
}
export function evtchnFreeXenEnd(ld: u32, port: u32): void {
  if (!rcuLock(ld)) return;
  freeXenEnd(ld, port);
  rcuUnlock(ld);
}
export function notifyViaXenEventChannel(ld: u32, port: u32): i32 { return notifyViaXen(ld, port); }
/** After evtchnSend returned 1: the call to make (0 slot, 1 vcpu, 2 port, 3 domain), then consumerCallDone. */
export function consumerCallField(field: u32): u32 { return callField(field); }
export function consumerCallDone(): void { callDone(); }
export function addrChannelInflight(dom: u32, port: u32): usize { return addrInflight(dom, port); }

/** The ABI's is_pending / is_masked behind the usable filter (spec §4.5). */
export function evtchnIsPending(dom: u32, port: u32): bool { return portIsPending(dom, port); }
export function evtchnIsMasked(dom: u32, port: u32): bool { return portIsMasked(dom, port); }
export function domainSetFlags(dom: u32, flags: u32): void { atomic.or<u32>(addrDomFlags(dom), flags); }
export function domainPause(dom: u32): void { pause(dom); }
export function domainUnpause(dom: u32): void { unpause(dom); }
/**
 * EVTCHNOP_reset / reset_cont with the whole command word `cmd` (EVTCHNOP_reset, or EVTCHNOP_reset_cont
 * with its position bits): 0, -errno, or -ERESTART — then re-issue with cmd = continuationArg0Lo().
 */
export function evtchnReset(caller: u32, dom: u32, cmd: u32): i32 { return reset(caller, dom, cmd); }

// ------------------------------------------------ hypercall entry, p2m
/** The hypercall instruction of vCPU `vcpu`: HCALL_COMPLETED / HCALL_PREEMPTED, or -EFAULT (no register context). */
export function hypercall(dom: u32, vcpu: u32, regsGpaLo: u32, regsGpaHi: u32): i32 {
  return hypercallEntry(dom, vcpu, gfn64(regsGpaLo, regsGpaHi));
}
/** The guest's stub in wasm: issue and re-issue until complete; continuations taken, or -EFAULT. */
export function guestHypercall(dom: u32, vcpu: u32, regsGpaLo: u32, regsGpaHi: u32): i32 {
  return guestLoop(dom, vcpu, gfn64(regsGpaLo, regsGpaHi));
}
/** Items a 64-bit caller's preemptible hypercall does per invocation (0: the default); set before vCPUs run. */
export function hypercallSetPreemptEvery(n: u32): void { atomic.store<u32>(G_PREEMPT_EVERY, n); }
/** Argument 0 of the continuation the last -ERESTART on this thread created (low, high halves). */
export function continuationArg0Lo(): u32 { return <u32>continuationArg0(); }
export function continuationArg0Hi(): u32 { return <u32>(continuationArg0() >> 32); }
/** The P2M_* type of `gfn`. */
export function p2mTypeOf(dom: u32, gfn: u32): u32 { return p2mType(dom, <u64>gfn); }
export function domainTotPages(dom: u32): u32 { return loadTotPages(dom); }
export function domainMaxPages(dom: u32): u32 { return loadMaxPages(dom); }
/** XEN_DOMCTL_max_mem: the reservation limit in pages. */
/** The restorer's p2m write on a domain that does not run yet (assembly/mm/p2m.ts). */
export function p2mRestoreSet(dom: u32, gfn: u32, type: u32): i32 { return p2mRestoreType(dom, gfn, type); }
export function domainRestoreTotPages(dom: u32, pages: u32): void { restoreTotPages(dom, pages); }
export function dirtyBitmapRestoreWord(dom: u32, i: u32, word: u32): void { restoreDirtyWord(dom, i, word); }
export function domainSetMaxPages(dom: u32, pages: u32): void { atomic.store<u32>(addrMaxPages(dom), pages); }
/** Log-dirty mode on or off (XEN_DOMCTL_SHADOW_OP_ENABLE_LOGDIRTY / _OFF). */
export function domainSetLogDirty(dom: u32, on: u32): void {
  if (on != 0) atomic.or<u32>(addrDomFlags(dom), DF_LOG_DIRTY); else atomic.and<u32>(addrDomFlags(dom), ~DF_LOG_DIRTY);
}
/** Word `i` of the log-dirty bitmap (gfns 32i..32i+31); clear != 0: read and clear (SHADOW_OP_CLEAN), else peek. */
export function dirtyBitmapWord(dom: u32, i: u32, clear: u32): u32 { return dirtyWord(dom, i, clear != 0); }

// ------------------------------------------------------- SCHEDOP_poll
/**
 * First half of SCHEDOP_poll from vCPU `vcpu` of `dom`: `nr` ports at guest
 * address `portsGpa`. 0 (return now), -errno, or 1: sleep on the kick word
 * (addrVcpuKick) while it holds schedPollKick(), then schedPollFinish.
 */
export function schedPollPrepare(dom: u32, vcpu: u32, portsGpaLo: u32, portsGpaHi: u32, nr: u32): i32 {
  let gpa = gfn64(portsGpaLo, portsGpaHi);
  let limit = <u64>guestFrames(dom) << PAGE_SHIFT;
  if (nr <= 128 && (gpa >= limit || guestRange(dom, gpa, nr * 4) == 0)) return -EFAULT; // copy_from_guest (I43)
  return pollPrepare(dom, vcpu, guestBase(dom) + <usize>gpa, nr);
}
export function schedPollKick(): i32 { return lastPollKick(); }
export function schedPollFinish(dom: u32, vcpu: u32): void { pollFinish(dom, vcpu); }

// ------------------------------------------------ 2-level, guest side
export function guestTwoLevelFrames(vcpus: u32): u32 { return g2Frames(vcpus); }
export function guestTwoLevelSetup(dom: u32, gs2Gfn: u32): i32 { return g2Setup(dom, gs2Gfn); }
export function guestTwoLevelRoute(dom: u32, gs2Gfn: u32, port: u32, vcpu: u32): i32 { return g2Route(dom, gs2Gfn, port, vcpu); }
export function guestTwoLevelNext(dom: u32, gs2Gfn: u32, vcpu: u32): u32 { return g2Next(dom, gs2Gfn, vcpu); }
export function guestTwoLevelMask(dom: u32, port: u32): i32 { return g2Mask(dom, port); }
export function guestTwoLevelUnmask(dom: u32, gs2Gfn: u32, vcpu: u32, port: u32): i32 { return g2Unmask(dom, gs2Gfn, vcpu, port); }

// ------------------------------------------------------------- upcalls
export function markEventsPending(dom: u32, vcpu: u32): bool { return markPending(dom, vcpu); }
export function kickVcpu(dom: u32, vcpu: u32): void { kick(dom, vcpu); }
export function upcallPending(dom: u32, vcpu: u32): u32 { return loadUpcallPending(dom, vcpu); }
export function clearUpcallPending(dom: u32, vcpu: u32): void { clearUpcall(dom, vcpu); }
export function localEventsNeedDelivery(dom: u32, vcpu: u32): bool { return needDelivery(dom, vcpu); }
export function guestIrqDisable(dom: u32, vcpu: u32): void { irqDisable(dom, vcpu); }
export function guestIrqEnable(dom: u32, vcpu: u32): u32 { return irqEnable(dom, vcpu); }
export function upcallMasked(dom: u32, vcpu: u32): bool { return masked(dom, vcpu); }
export function vcpuBlockPrepare(dom: u32, vcpu: u32): i32 { return blockPrepare(dom, vcpu); }
export function vcpuBlockDone(dom: u32, vcpu: u32): void { blockDone(dom, vcpu); }
export function addrVcpuKick(dom: u32, vcpu: u32): usize { return addrKick(dom, vcpu); }
/** vcpuBlock's judgement of a timed-out sleep that found the flag set, for tests: 0 late, 2 a lost wake-up (I3). */
export function vcpuJudgeTimedOut(dom: u32, vcpu: u32, k: i32): i32 { return judgeTimedOut(dom, vcpu, k); }
export function vcpuBlock(dom: u32, vcpu: u32, timeoutNs: f64): u32 {
  return block(dom, vcpu, timeoutNs < 0 ? <i64>-1 : <i64>timeoutNs);
}
export function guestVcpuBlock(dom: u32, vcpu: u32, timeoutNs: f64, maxSpins: u32, minSpins: u32): u32 {
  return guestBlock(dom, vcpu, timeoutNs < 0 ? <i64>-1 : <i64>timeoutNs, maxSpins, minSpins);
}
export function vcpuThreadStart(cores: u32): void { threadStart(cores); }
export function vcpuThreadStop(): void { threadStop(); }
export function vcpusRunning(): i32 { return running(); }
export function vcpuSpinBudget(maxSpins: u32, minSpins: u32): u32 { return spinBudget(maxSpins, minSpins); }

// ---------------------------------------------------------- FIFO, guest side
export function guestFifoSetup(dom: u32, gsGfn: u32): i32 { return gSetup(dom, gsGfn); }
export function guestFifoInitVcpu(dom: u32, gsGfn: u32, vcpu: u32, cbGfn: u32, offset: u32): i32 {
  return gInitVcpu(dom, gsGfn, vcpu, cbGfn, offset);
}
export function guestFifoAddArrayPage(dom: u32, gsGfn: u32, gfn: u32): i32 { return gAddPage(dom, gsGfn, gfn); }
export function guestFifoNext(dom: u32, gsGfn: u32, vcpu: u32): u32 { return gNext(dom, gsGfn, vcpu); }
export function guestFifoMask(dom: u32, gsGfn: u32, port: u32): i32 { return gMask(dom, gsGfn, port); }
export function guestFifoUnmask(dom: u32, gsGfn: u32, port: u32): i32 { return gUnmask(dom, gsGfn, port); }
export function guestEventWordAddr(dom: u32, gsGfn: u32, port: u32): usize {
  let gs = gfnAddr(dom, <u64>gsGfn);
  return gs == 0 ? 0 : guestWordAddr(dom, gs, port);
}

// ------------------------------------------------- stress build controls
/** Scheduling noise and bug injection; inert outside the stress build. */
export function stressConfigure(rate: u32, spins: u32, yieldLog2: u32, inject: u32): void {
  atomic.store<u32>(G_NOISE_SPINS, spins);
  atomic.store<u32>(G_NOISE_YIELD, yieldLog2);
  atomic.store<u32>(G_INJECT, inject);
  atomic.store<u32>(G_NOISE_RATE, rate);
}
/** Seed this thread's noise PRNG. */
export function stressSeed(seed: u32): void { noiseSeed(seed); }
/** 1 if this module is the stress build. */
export function isStressBuild(): u32 {
  // @ts-ignore: WASMXEN_STRESS is defined per asconfig target (--use)
  return WASMXEN_STRESS ? 1 : 0;
}

// -------------------------------------------------------------- canary
export function waitCanary(addr: usize): i32 { return canary(addr); }

// ------------------------------------------------ the private-layout table
// This build's hypervisor-private memory map (assembly/shared/private-layout.ts),
// exported as immutable globals: the TypeScript shell reads them once per
// machine and never compiles its own copy (src/wasm/private-layout.ts, I54).
export {
  LAYOUT_VERSION, DOM_HEADER_BYTES, D_DOMID, D_NR_VCPUS, D_MAX_EVTCHN_PORT, D_ABI, D_VALID_EVTCHNS,
  D_FIFO_NUM_EVTCHNS, D_GUEST_WIDTH, D_CHANNEL_CAPACITY, D_FLAGS, D_PARKED, D_POLL_MASK, D_EVENT_LOCK,
  D_ACTIVE_EVTCHNS, D_XEN_EVTCHNS, D_NEXT_EVTCHN, D_TOT_PAGES, D_MAX_PAGES, D_P2M_TABLE, D_DIRTY_BITMAP,
  D_P2M_REMOVALS, D_ABI_LOCK, D_STAT_LINK_TRIES, D_STAT_LINK_GAVE_UP, D_STAT_LOCK_GAVE_UP,
  D_STAT_NO_CONTROL_BLOCK, D_STAT_UPCALLS, D_STAT_KICKS, D_STAT_RELINK_SKIPPED, D_STAT_RAISES, D_FIFO_ARRAY,
  D_VCPUS, VCPU_BYTES, V_KICK, V_BLOCKED, V_NOTIFIED, V_POLL, V_CB_STATE, V_CB_GFN, V_CB_OFFSET, V_VIRQ_LOCK,
  V_QUEUES, QUEUE_BYTES, Q_TAIL, Q_LOCK, V_VIRQ_TO_EVTCHN, D_CHANNELS, CHANNEL_BYTES, C_LOCK, C_STATE,
  C_FLAGS, C_NOTIFY_VCPU, C_PRIORITY, C_FIFO_LASTQ, C_REMOTE_DOM, C_REMOTE_PORT, C_INFLIGHT,
} from "./shared/private-layout";

// ------------------------------------------- other planes' export lists
export * from "./bench/index";
export * from "./dm/index";
