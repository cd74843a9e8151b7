// A thread's handle on the data plane: the wasm exports over the shared
// memory plus the named TypeScript accessors of shared words (I1). Reads are
// Atomics loads; TypeScript writes shared state only through wasm exports.
// Hypervisor-private offsets come from the module's layout table, read once
// per thread into `layout` (I54); guest-visible ones are constants.
import type { DataPlaneExports, WasmBuild } from './exports.ts';
import { compileDataPlane, instantiateDataPlane } from './module.ts';
import {
  planMemory, createSharedMemory, sizeDomain, domainBytes, type DomainConfig, type MemoryPlan, type DomainRegion,
} from './memory-map.ts';
import { RegionAllocator } from './region-allocator.ts';
import { ConfigError, LayoutMismatchError, DomainStateError } from '../errors.ts';
import {
  LINK_TRIES_BUCKETS, LASTQ_VCPU_SHIFT, LASTQ_PRIO_MASK, CF_FIFO_PENDING, DF_CONTROL, PAGE_SIZE, G_VERSION,
} from '../../assembly/shared/layout.ts';
import { readPrivateLayout, privateLayoutOf, type PrivateLayout } from './private-layout.ts';
import { CB_READY_OFFSET, CB_HEAD_OFFSET, EVTCHN_FIFO_MAX_QUEUES } from '../../assembly/shared/fifo-abi.ts';

/** A channel's record in the hypervisor-private region, decoded. */
export interface ChannelRecord {
  state: number;
  notifyVcpu: number;
  priority: number;
  lastq: { prio: number; vcpu: number };
  remoteDom: number;
  remotePort: number;
  stickyPending: boolean;
}

/** A domain's event-channel counters. */
export interface DomainStats {
  /** linkTries[n]: setLink calls that made n cmpxchg attempts (last bucket: n or more); n < 2 and `raises` only in debug and stress builds. */
  linkTries: number[];
  linkGaveUp: number;
  lockGaveUp: number;
  noControlBlock: number;
  upcalls: number;
  kicks: number;
  raises: number;
  /** EVTCHNOP_unmask found PENDING, the guest took the event before the relink: nothing relinked (I26) */
  relinkSkipped: number;
}

/** The data plane instantiated on the shared memory in this thread: its exports and typed views. */
export class DataPlane {
  readonly u32: Uint32Array;
  readonly i32: Int32Array;
  readonly u8: Uint8Array;
  /** This build's hypervisor-private offsets (I54): the only source of D_*, V_*, Q_*, C_* in TypeScript. */
  readonly layout: PrivateLayout;

  constructor(readonly x: DataPlaneExports, readonly memory: WebAssembly.Memory) {
    this.u32 = new Uint32Array(memory.buffer);
    this.i32 = new Int32Array(memory.buffer);
    this.u8 = new Uint8Array(memory.buffer);
    this.layout = readPrivateLayout(x as unknown as WebAssembly.Exports);
  }

  /**
   * Attach the calling thread to an existing memory (workers). Throws
   * LayoutMismatchError if another private-layout version laid the memory
   * out (G_VERSION, I54): the module would read every private word at the
   * wrong place.
   */
  static attach(mod: WebAssembly.Module, memory: WebAssembly.Memory): DataPlane {
    const dp = new DataPlane(instantiateDataPlane(mod, memory), memory);
    const laidOut = dp.load32(G_VERSION);
    if (laidOut !== dp.layout.LAYOUT_VERSION) {
      throw new LayoutMismatchError(
        `this memory was laid out for hypervisor-private layout version ${laidOut}, but the data plane attaching to it ` +
        `uses version ${dp.layout.LAYOUT_VERSION}: attach every thread with the module of the build that created the memory`);
    }
    return dp;
  }

  load32(addr: number): number {
    return Atomics.load(this.u32, addr >>> 2);
  }

  // ---------------------------------------------------------------- FIFO views
  /** The event word of `port`, or undefined if no array page covers it. */
  eventWord(dom: number, port: number): number | undefined {
    const a = this.x.addrEventWord(dom, port) >>> 0;
    return a === 0 ? undefined : this.load32(a);
  }

  queueTail(dom: number, vcpu: number, prio: number): number {
    return this.load32((this.x.addrQueueRecord(dom, vcpu, prio) >>> 0) + this.layout.Q_TAIL);
  }

  queueLockWord(dom: number, vcpu: number, prio: number): number {
    return this.load32((this.x.addrQueueRecord(dom, vcpu, prio) >>> 0) + this.layout.Q_LOCK);
  }

  /** The guest's control block of `vcpu` as Xen sees it, or undefined if none is registered. */
  controlBlock(dom: number, vcpu: number): { ready: number; head: number[] } | undefined {
    const cb = this.x.addrControlBlock(dom, vcpu) >>> 0;
    if (cb === 0) return undefined;
    const head: number[] = [];
    for (let q = 0; q < EVTCHN_FIFO_MAX_QUEUES; q++) head.push(this.load32(cb + CB_HEAD_OFFSET + 4 * q));
    return { ready: this.load32(cb + CB_READY_OFFSET), head };
  }

  controlBlockState(dom: number, vcpu: number): number {
    return this.load32((this.x.addrVcpuRecord(dom, vcpu) >>> 0) + this.layout.V_CB_STATE);
  }

  upcallPending(dom: number, vcpu: number): number {
    return this.x.upcallPending(dom, vcpu);
  }

  /** Int32 index of the vCPU record word at `off` (`this.layout.V_*`). */
  private vcpuWordIndex(dom: number, vcpu: number, off: number): number { return ((this.x.addrVcpuRecord(dom, vcpu) >>> 0) + off) >> 2; }

  vcpuBlocked(dom: number, vcpu: number): number {
    return Atomics.load(this.i32, this.vcpuBlockedIndex(dom, vcpu));
  }

  vcpuKicks(dom: number, vcpu: number): number {
    return Atomics.load(this.i32, this.vcpuKickIndex(dom, vcpu));
  }

  /** Int32 index of vCPU `vcpu`'s V_BLOCKED word (tests that stage a sleep, I3). */
  vcpuBlockedIndex(dom: number, vcpu: number): number { return this.vcpuWordIndex(dom, vcpu, this.layout.V_BLOCKED); }
  /** Int32 index of vCPU `vcpu`'s V_NOTIFIED word: the kick its last raiser notified (I3). */
  vcpuNotifiedIndex(dom: number, vcpu: number): number { return this.vcpuWordIndex(dom, vcpu, this.layout.V_NOTIFIED); }
  /** Int32 index of vCPU `vcpu`'s V_KICK word, the futex a blocked vCPU sleeps on (I3). */
  vcpuKickIndex(dom: number, vcpu: number): number { return this.vcpuWordIndex(dom, vcpu, this.layout.V_KICK); }

  /** Channel `port`'s lock word (I4: diagnostics). */
  channelLockWord(dom: number, port: number): number { return this.load32((this.x.addrChannelRecord(dom, port) >>> 0) + this.layout.C_LOCK); }
  /** The domain's event lock and ABI lock words (diagnostics). */
  eventLockWord(dom: number): number { return this.domainField(dom, this.layout.D_EVENT_LOCK); }
  abiLockWord(dom: number): number { return this.domainField(dom, this.layout.D_ABI_LOCK); }

  notifyVcpu(dom: number, port: number): number {
    return this.load32((this.x.addrChannelRecord(dom, port) >>> 0) + this.layout.C_NOTIFY_VCPU);
  }

  channel(dom: number, port: number): ChannelRecord {
    const c = this.x.addrChannelRecord(dom, port) >>> 0;
    const L = this.layout;
    const lastq = this.load32(c + L.C_FIFO_LASTQ);
    return {
      state: this.load32(c + L.C_STATE),
      notifyVcpu: this.load32(c + L.C_NOTIFY_VCPU),
      priority: this.load32(c + L.C_PRIORITY),
      lastq: { prio: lastq & LASTQ_PRIO_MASK, vcpu: lastq >>> LASTQ_VCPU_SHIFT },
      remoteDom: this.load32(c + L.C_REMOTE_DOM),
      remotePort: this.load32(c + L.C_REMOTE_PORT),
      stickyPending: (this.load32(c + L.C_FLAGS) & CF_FIFO_PENDING) !== 0,
    };
  }

  // ------------------------------------------------------------ domain views
  /** The domain header word at `off`, an offset of this build's layout (`dp.layout.D_*`). */
  private domainField(dom: number, off: number): number {
    return this.load32((this.x.addrDomainPriv(dom) >>> 0) + off);
  }

  abi(dom: number): 'fifo' | '2l' {
    return this.domainField(dom, this.layout.D_ABI) === 1 ? 'fifo' : '2l';
  }

  /** DF_* bits (D_FLAGS), the futex parked vCPUs sleep on (I28). */
  domainFlags(dom: number): number { return this.domainField(dom, this.layout.D_FLAGS); }
  /** Bit v: vCPU v is parked for a pause (I28). */
  parkedMask(dom: number): number { return this.domainField(dom, this.layout.D_PARKED); }
  /** Bit v: vCPU v is blocked in SCHEDOP_poll (D_POLL_MASK). */
  pollMask(dom: number): number { return this.domainField(dom, this.layout.D_POLL_MASK); }
  /** Int32Array index of a domain header word (`dp.layout.D_*`), for Atomics.wait / waitAsync on it. */
  private domainWordIndex(dom: number, off: number): number { return ((this.x.addrDomainPriv(dom) >>> 0) + off) >> 2; }
  /** Int32Array index of D_FLAGS, the futex parked vCPUs sleep on (I28). */
  domainFlagsIndex(dom: number): number { return this.domainWordIndex(dom, this.layout.D_FLAGS); }
  /** Int32Array index of D_PARKED, for waiting until a vCPU parks (I28). */
  parkedMaskIndex(dom: number): number { return this.domainWordIndex(dom, this.layout.D_PARKED); }

  validEvtchns(dom: number): number { return this.domainField(dom, this.layout.D_VALID_EVTCHNS); }
  activeEvtchns(dom: number): number { return this.domainField(dom, this.layout.D_ACTIVE_EVTCHNS); }
  fifoNumEvtchns(dom: number): number { return this.domainField(dom, this.layout.D_FIFO_NUM_EVTCHNS); }

  /** setLink calls that made `attempts` cmpxchg attempts (bucket LINK_TRIES_BUCKETS - 1: that many or more), I10. */
  linkTries(dom: number, attempts: number): number {
    return this.domainField(dom, this.layout.D_STAT_LINK_TRIES + 4 * Math.min(Math.max(0, attempts), LINK_TRIES_BUCKETS - 1));
  }
  /** setLink calls that reached the bound and gave up (spec §9.6). */
  linkGaveUp(dom: number): number { return this.domainField(dom, this.layout.D_STAT_LINK_GAVE_UP); }
  /** FIFO raises dropped after SET_PENDING_LOCK_ATTEMPTS queue changes inside them (Xen's lock_old_queue, spec §9.5). */
  lockGaveUp(dom: number): number { return this.domainField(dom, this.layout.D_STAT_LOCK_GAVE_UP); }

  stats(dom: number): DomainStats {
    const L = this.layout;
    const linkTries: number[] = [];
    for (let i = 0; i < LINK_TRIES_BUCKETS; i++) linkTries.push(this.linkTries(dom, i));
    return {
      linkTries,
      linkGaveUp: this.linkGaveUp(dom),
      lockGaveUp: this.lockGaveUp(dom),
      noControlBlock: this.domainField(dom, L.D_STAT_NO_CONTROL_BLOCK),
      upcalls: this.domainField(dom, L.D_STAT_UPCALLS),
      kicks: this.domainField(dom, L.D_STAT_KICKS),
      raises: this.domainField(dom, L.D_STAT_RAISES),
      relinkSkipped: this.domainField(dom, L.D_STAT_RELINK_SKIPPED),
    };
  }
}

/** A memory with its domains created and the calling thread attached. */
export interface Machine {
  /** the layout; `plan.domains` lists the domains that exist now (created and not yet released) */
  plan: MemoryPlan;
  memory: WebAssembly.Memory;
  module: WebAssembly.Module;
  dp: DataPlane;
  build: WasmBuild;
  /** hands out and takes back domain regions (created at run time, freed by releaseDomain) */
  allocator: RegionAllocator;
  domain(domid: number): DomainRegion;
  /** Create a domain in free space (ConfigError if the id is taken or no block is large enough). */
  createDomain(cfg: DomainConfig): DomainRegion;
  /** Give a released domain's regions back (after domainRelease returned 0: no reference is left, I27). */
  releaseDomain(domid: number): void;
}

/** Options of one machine (shared memory and data plane). */
export interface MachineOptions {
  /** Items a 64-bit caller's preemptible hypercall does before it creates a continuation (default 64; 32-bit callers: 1). */
  preemptEvery?: number;
  /** memory beyond the listed domains, for domains created later with createDomain (bytes) */
  spareBytes?: number;
}

function createIn(dp: DataPlane, r: DomainRegion): void {
  dp.x.domainCreate(r.domid, r.guestBase, r.frames, r.privBase, r.privBytes, r.vcpus, r.maxEvtchnPort,
    r.guestWidth, r.channelCapacity);
  if (r.control) dp.x.domainSetFlags(r.domid, DF_CONTROL);
  dp.x.domainSetMaxPages(r.domid, r.maxPages);
}

/** Lay out one shared memory for `domains`, compile and instantiate the data plane on it, and create the domains. */
export function createMachine(domains: readonly DomainConfig[], build: WasmBuild = 'release', opts: MachineOptions = {}): Machine {
  const module = compileDataPlane(build);
  const layout = privateLayoutOf(module);
  const plan = planMemory(domains, opts.spareBytes ?? 0, layout);
  if (opts.preemptEvery !== undefined && (!Number.isInteger(opts.preemptEvery) || opts.preemptEvery < 1 || opts.preemptEvery > 0xffffffff)) {
    throw new ConfigError(`preemptEvery ${opts.preemptEvery} is out of range: use a whole number of items ≥ 1`);
  }
  const memory = createSharedMemory(plan);
  const dp = DataPlane.attach(module, memory);
  if (opts.preemptEvery !== undefined) dp.x.hypercallSetPreemptEvery(opts.preemptEvery);
  for (const r of plan.domains) createIn(dp, r);
  const allocator = new RegionAllocator(plan.bytes, plan.domains.map((r) => ({ base: r.guestBase, bytes: domainBytes(r) })));
  const find = (domid: number) => plan.domains.findIndex((d) => d.domid === domid);
  return {
    plan, memory, module, dp, build, allocator,
    domain(domid: number): DomainRegion {
      const i = find(domid);
      if (i < 0) throw new RangeError(`no domain ${domid} in this machine`);
      return plan.domains[i];
    },
    createDomain(cfg: DomainConfig): DomainRegion {
      const sizes = sizeDomain(cfg, layout);
      if (find(cfg.domid) >= 0 || dp.x.domainExists(cfg.domid) !== 0) {
        throw new ConfigError(`domain id ${cfg.domid} is in use: destroy that domain first or choose another id`);
      }
      if (dp.x.domainRefs(cfg.domid) !== 0) {
        throw new ConfigError(`domain id ${cfg.domid} is still referenced by a hypercall in flight: release the old domain first`);
      }
      const guestBase = allocator.alloc(domainBytes(sizes), `domain ${cfg.domid}`);
      const r: DomainRegion = { ...sizes, guestBase, privBase: guestBase + sizes.frames * PAGE_SIZE };
      createIn(dp, r);
      plan.domains.push(r);
      return r;
    },
    releaseDomain(domid: number): void {
      const i = find(domid);
      if (i < 0) throw new RangeError(`no domain ${domid} in this machine`);
      if (dp.x.domainExists(domid) !== 0 || dp.x.domainRefs(domid) !== 0) {
        throw new DomainStateError(domid, 'in-use', `domain ${domid} is still published or referenced: kill it, destroy its event channels and wait until domainRelease returns 0 before releasing its regions (I27)`);
      }
      allocator.release(plan.domains[i].guestBase);
      plan.domains.splice(i, 1);
    },
  };
}
