// The control protocol between the hypervisor shell and a vCPU worker
// (comlink: setup, inspection, teardown only; never the event path).
import type { KernelStats } from '../guest/kernel.ts';
import type { ConsumerBinding } from '../consumers/types.ts';

export interface VcpuWorkerData {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  /** Int32Array words: [0] stop flag */
  control: SharedArrayBuffer;
  dom: number;
  vcpu: number;
  vcpus: number;
  maxPort: number;
  /** file path or URL of the guest module */
  guest: string;
  config: unknown;
  shared?: SharedArrayBuffer;
  /** Xen-internal consumers to load on this thread */
  consumers: ConsumerBinding[];
  /** the domain was restored on this host: run the module's resume() instead of main() */
  resume?: boolean;
}

/** What a guest-module vCPU reports when it stops: its kernel's counters and its module's report(). */
export interface VcpuReport {
  dom: number;
  vcpu: number;
  kernel: KernelStats;
  spurious: number;
  guest: unknown;
  /** the vCPU left because its domain was destroyed */
  destroyed?: boolean;
}

export interface VcpuApi {
  /** Boot the guest module on this vCPU and run it until the stop flag is set; resolves with its report. */
  run(): Promise<VcpuReport>;
  /** Counters so far (answered between upcalls). */
  stats(): KernelStats;
}

export const CONTROL_STOP = 0;
