// The hypervisor's public contract as data: what a domain and the
// hypervisor are created from, what pause and destroy take, and what
// destroy and shutdown report (src/hypervisor.ts implements it).
import type { WasmBuild } from './wasm/exports.ts';
import type { GuestAbi } from './guest/kernel.ts';
import type { VcpuReport } from './vcpu/protocol.ts';
import type { HandlerError, VcpuCrashError } from './errors.ts';
import type { Writable } from 'node:stream';
import type { ConsumerSpec } from './consumers/types.ts';
import type { ByteSink } from './consumers/host.ts';

/** A domain to create: its id, vCPUs, port limit, RAM, and the guest module that runs it (none: a service domain). */
export interface DomainSpec {
  id: number;
  vcpus: number;
  /** highest port (Xen's max_evtchn_port); default 1023 */
  maxEvtchnPort?: number;
  /** guest RAM beyond what the kernel uses, in KiB; default 256 */
  ramKiB?: number;
  /** path of a guest module run on every vCPU thread; none: a service domain served on this thread */
  guest?: string;
  /** handed to the guest module as g.config (the toolstack's xenstore entries) */
  config?: unknown;
  /** the control domain (default: id 0) */
  control?: boolean;
  /** the event-channel ABI the guest boots into (default: the hypervisor's) */
  abi?: GuestAbi;
  /** reservation limit in pages (Xen's max_pages); default: every frame the domain has, all populated */
  maxPages?: number;
  /** 64 (default) or 32: a 32-bit domain's preemptible hypercalls continue after every item */
  guestWidth?: 64 | 32;
}

/** What `Hypervisor.create` builds: domains, wasm build, ABI, consumers, and where failures go. */
export interface HypervisorOptions {
  domains: DomainSpec[];
  /**
   * which wasm build runs the data plane; default release. 'layout2' is a
   * "newer" hypervisor with private-region layout version 2: it runs every
   * guest unchanged and restores images saved under either layout (I55).
   */
  build?: WasmBuild;
  /** a buffer every guest sees as g.shared */
  shared?: SharedArrayBuffer;
  /**
   * The ABI guests use: every domain starts in 2-level (as in Xen); with
   * 'fifo' (the default) the guest kernel moves to FIFO with init_control at boot.
   */
  abi?: GuestAbi;
  /** Xen-internal consumers ('monitor', 'console' or module paths), at most 7 distinct (Xen's limit) */
  consumers?: ConsumerSpec[];
  /** where the console consumer's bytes go (default: nowhere, they are counted) */
  consoleStream?: Writable | ByteSink;
  /**
   * Items a 64-bit caller's preemptible hypercall (memory_op reservations,
   * HVMOP/DMOP modified-memory, EVTCHNOP_reset) does before it creates a
   * continuation; default 64. A 32-bit domain's calls continue after every item.
   */
  preemptEvery?: number;
  /**
   * Called with every failure the hypervisor survives: a HandlerError (a
   * service-domain handler threw) or a VcpuCrashError (a vCPU thread died).
   * `'error'` listeners get the same errors; with neither, they become
   * process warnings. Called synchronously where the failure is seen (the
   * upcall that ran the handler, a worker's exit); what it throws becomes a
   * process warning and never stops a domain serving.
   */
  onError?: (error: HandlerError | VcpuCrashError) => void;
  /** memory beyond the listed domains for domains created later (createDomain), in KiB; default 0 (a destroyed domain's space is reused) */
  spareKiB?: number;
}

/** Options of `pauseDomain`. */
export interface PauseOptions {
  /** how long every vCPU has to reach a hypercall or upcall boundary; default 2000 ms */
  timeoutMs?: number;
}

/** Options of `destroyDomain`: the pause bound and the evtchn_destroy batch. */
export interface DestroyOptions extends PauseOptions {
  /** ports closed per evtchn_destroy step before it is preempted (XSA-344); default 64 */
  batch?: number;
}

/** What `destroyDomain` resolves with. */
export interface DestroyReport {
  /** the destroyed domain's id (free for createDomain now) */
  domain: number;
  /** evtchn_destroy steps (each closing at most `batch` ports) */
  steps: number;
  /** vCPU threads stopped */
  vcpus: VcpuReport[];
  /** release re-invocations while a hypercall in flight still referenced the domain (I27) */
  releaseRetries: number;
}

/** Run by destroyDomain after the domain is marked dying (device models let go of its memory). */
export type DestroyHook = () => Promise<void>;

/** What `shutdown()` resolves with. */
export interface ShutdownReport {
  /** the reports of the vCPUs that ran until they were stopped */
  vcpus: VcpuReport[];
  /** the vCPUs that crashed instead (already reported through onError / 'error' / closed) */
  crashed: VcpuCrashError[];
}

/** The events a Hypervisor emits. */
export interface HypervisorEvents {
  /** a failure the hypervisor survived: a handler that threw, a vCPU thread that crashed */
  error: [error: HandlerError | VcpuCrashError];
}
