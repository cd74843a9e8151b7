// The typed export list of build/wasmxen*.wasm (assembly/index.ts). Values
// typed u32 on the wasm side arrive as signed i32 here; callers normalise
// with `>>> 0` where the full range matters (ports and addresses never
// exceed 2^31 in practice: memory is at most 4 GiB and ports < 2^17).

export interface DataPlaneExports {
  readonly memory: WebAssembly.Memory;

  domainCreate(dom: number, gbase: number, frames: number, pbase: number, pbytes: number,
    nrVcpus: number, maxPort: number, width: number, capacity: number): void;
  domainDestroy(dom: number): void;
  domainExists(dom: number): number;
  /** mark a paused domain dying: 0 or -ESRCH */
  domainKill(dom: number): number;
  /** evtchn_destroy, one step of at most `batch` ports: 0 done, -ERESTART (85) re-invoke, -EINVAL not dying, -ESRCH */
  domainDestroyStep(dom: number, batch: number): number;
  /** unpublish a dead domain: 0 regions and domid free, -ERESTART references held, -EBUSY not dead yet */
  domainRelease(dom: number): number;
  domainRefs(dom: number): number;
  domainGet(dom: number): number;
  domainPut(dom: number): void;
  vcpuParkEnter(dom: number, vcpu: number): void;
  vcpuParkLeave(dom: number, vcpu: number): void;

  addrDomainPriv(dom: number): number;
  addrGuestBase(dom: number): number;
  addrGfn(dom: number, gfn: number): number;
  addrVcpuRecord(dom: number, vcpu: number): number;
  addrQueueRecord(dom: number, vcpu: number, prio: number): number;
  addrChannelRecord(dom: number, port: number): number;
  addrVcpuInfoOf(dom: number, vcpu: number): number;
  addrEventWord(dom: number, port: number): number;
  addrControlBlock(dom: number, vcpu: number): number;

  /** RAISE_NEWLY_PENDING (1) | RAISE_DROPPED (2) bits, see assembly/fifo/raise.ts. */
  fifoSetPending(dom: number, vcpu: number, port: number): number;
  fifoClearPending(dom: number, port: number): void;
  fifoUnmask(dom: number, port: number): void;
  fifoIsPending(dom: number, port: number): number;
  fifoIsMasked(dom: number, port: number): number;
  fifoIsBusy(dom: number, port: number): number;
  fifoInitControl(dom: number, gfnLo: number, gfnHi: number, offset: number, vcpu: number): number;
  fifoExpandArray(dom: number, gfnLo: number, gfnHi: number): number;
  fifoPortInit(dom: number, port: number): void;
  fifoSetPriority(dom: number, port: number, priority: number): number;
  channelSetNotifyVcpu(dom: number, port: number, vcpu: number): void;

  eventChannelOp(dom: number, vcpu: number, cmd: number, gpaLo: number, gpaHi: number): number;
  evtchnAllocUnbound(caller: number, dom: number, remoteDom: number): number;
  evtchnAllocUnboundAt(caller: number, dom: number, remoteDom: number, port: number): number;
  evtchnBindInterdomain(caller: number, remoteDom: number, remotePort: number): number;
  evtchnBindVirq(caller: number, virq: number, vcpu: number): number;
  evtchnBindIpi(caller: number, vcpu: number): number;
  evtchnBindPirq(caller: number, pirq: number, flags: number): number;
  evtchnClose(caller: number, port: number): number;
  evtchnSend(caller: number, port: number): number;
  evtchnStatus(caller: number, dom: number, port: number): number;
  /** 0 status, 1 vcpu, 2 u0, 3 u1, 4 union words set (0, 1 or 2) */
  evtchnStatusOut(field: number): number;
  evtchnBindVcpu(caller: number, port: number, vcpu: number): number;
  evtchnUnmask(caller: number, port: number): number;
  evtchnSetPriority(caller: number, port: number, priority: number): number;
  raiseVirq(dom: number, vcpu: number, virq: number): number;
  evtchnSetPending(dom: number, vcpu: number, port: number): number;
  evtchnIsPending(dom: number, port: number): number;
  evtchnIsMasked(dom: number, port: number): number;
  domainSetFlags(dom: number, flags: number): void;
  domainPause(dom: number): void;
  xenConsumerRegister(id: number, drain: number): number;
  evtchnAllocUnboundXen(ld: number, lvcpu: number, remoteDom: number, slot: number): number;
  evtchnAttachXen(ld: number, port: number, lvcpu: number, remoteDom: number, slot: number): number;
  evtchnFreeXen(ld: number, port: number): number;
  evtchnFreeXenBegin(ld: number, port: number): number;
  evtchnFreeXenEnd(ld: number, port: number): void;
  notifyViaXenEventChannel(ld: number, port: number): number;
  /** after evtchnSend returned 1 (SEND_CALL_CONSUMER): 0 slot, 1 vcpu, 2 port, 3 domain */
  consumerCallField(field: number): number;
  consumerCallDone(): void;
  addrChannelInflight(dom: number, port: number): number;
  domainUnpause(dom: number): void;
  /** cmd: EVTCHNOP_reset or EVTCHNOP_reset_cont with position bits; 0, -errno, or -ERESTART (85): re-issue with cmd = continuationArg0Lo() */
  evtchnReset(caller: number, dom: number, cmd: number): number;
  /** HCALL_COMPLETED (result in the register context) or HCALL_PREEMPTED (re-issue), -EFAULT without a context */
  hypercall(dom: number, vcpu: number, regsGpaLo: number, regsGpaHi: number): number;
  hypercallSetPreemptEvery(n: number): void;
  /** the wasm guest stub: continuations taken (result in the register context), or -EFAULT */
  guestHypercall(dom: number, vcpu: number, regsGpaLo: number, regsGpaHi: number): number;
  continuationArg0Lo(): number;
  continuationArg0Hi(): number;
  /** P2M_* (assembly/shared/layout.ts) */
  p2mTypeOf(dom: number, gfn: number): number;
  domainTotPages(dom: number): number;
  domainMaxPages(dom: number): number;
  domainSetMaxPages(dom: number, pages: number): void;
  p2mRestoreSet(dom: number, gfn: number, type: number): number;
  domainRestoreTotPages(dom: number, pages: number): void;
  dirtyBitmapRestoreWord(dom: number, i: number, word: number): void;
  domainSetLogDirty(dom: number, on: number): void;
  dirtyBitmapWord(dom: number, i: number, clear: number): number;
  schedPollPrepare(dom: number, vcpu: number, portsGpaLo: number, portsGpaHi: number, nr: number): number;
  schedPollKick(): number;
  schedPollFinish(dom: number, vcpu: number): void;
  guestTwoLevelFrames(vcpus: number): number;
  guestTwoLevelSetup(dom: number, gs2Gfn: number): number;
  guestTwoLevelRoute(dom: number, gs2Gfn: number, port: number, vcpu: number): number;
  guestTwoLevelNext(dom: number, gs2Gfn: number, vcpu: number): number;
  guestTwoLevelMask(dom: number, port: number): number;
  guestTwoLevelUnmask(dom: number, gs2Gfn: number, vcpu: number, port: number): number;

  markEventsPending(dom: number, vcpu: number): number;
  kickVcpu(dom: number, vcpu: number): void;
  upcallPending(dom: number, vcpu: number): number;
  clearUpcallPending(dom: number, vcpu: number): void;
  /** x86 PV local_events_need_delivery(): upcall pending and not masked (I25) */
  localEventsNeedDelivery(dom: number, vcpu: number): number;
  /** guest: evtchn_upcall_mask := 1 (Linux xen_irq_disable) */
  guestIrqDisable(dom: number, vcpu: number): void;
  /** guest: evtchn_upcall_mask := 0, then evtchn_upcall_pending as read after it (Linux xen_irq_enable's re-check) */
  guestIrqEnable(dom: number, vcpu: number): number;
  upcallMasked(dom: number, vcpu: number): number;
  /** VB_IDLE 0, VB_UPCALL 1, VB_LATE 2 (a lost wake-up: the flag set and no notify since the sleep began, I3), see assembly/upcall.ts */
  vcpuBlock(dom: number, vcpu: number, timeoutNs: number): number;
  /** the judgement of a timed-out sleep that found the flag set, `k` the kick value it slept on: 0 late, 2 lost (I3); waits up to 100 ms */
  vcpuJudgeTimedOut(dom: number, vcpu: number, k: number): number;
  /** vcpuBlock for a guest kernel's counted vCPU thread: spins maxSpins rounds while running vCPU threads ≤ cores, minSpins otherwise (I51) */
  guestVcpuBlock(dom: number, vcpu: number, timeoutNs: number, maxSpins: number, minSpins: number): number;
  vcpuThreadStart(cores: number): void;
  vcpuThreadStop(): void;
  vcpusRunning(): number;
  vcpuSpinBudget(maxSpins: number, minSpins: number): number;
  vcpuBlockPrepare(dom: number, vcpu: number): number;
  vcpuBlockDone(dom: number, vcpu: number): void;
  addrVcpuKick(dom: number, vcpu: number): number;

  guestFifoSetup(dom: number, gsGfn: number): number;
  guestFifoInitVcpu(dom: number, gsGfn: number, vcpu: number, cbGfn: number, offset: number): number;
  guestFifoAddArrayPage(dom: number, gsGfn: number, gfn: number): number;
  guestFifoNext(dom: number, gsGfn: number, vcpu: number): number;
  guestFifoMask(dom: number, gsGfn: number, port: number): number;
  guestFifoUnmask(dom: number, gsGfn: number, port: number): number;
  guestEventWordAddr(dom: number, gsGfn: number, port: number): number;

  stressConfigure(rate: number, spins: number, yieldLog2: number, inject: number): void;
  stressSeed(seed: number): void;
  isStressBuild(): number;

  waitCanary(addr: number): number;
}

/**
 * release: the product; debug: asserts on, unoptimised; stress: asserts on,
 * noise points and bug injection compiled in; layout2: the release build with
 * hypervisor-private layout version 2 (a "newer" hypervisor: other offsets and
 * record sizes in the private region, the same guest ABI and image format).
 */
export type WasmBuild = 'release' | 'debug' | 'stress' | 'layout2';
