// vCPU worker threads: one per vCPU of every domain that runs a guest module.
// Control over comlink; the stop request itself is a shared flag plus a kick,
// so a vCPU asleep in Atomics.wait notices at once.
//
// A vCPU whose guest module throws (at load, in main(), in a handler) or
// whose thread exits before it was asked to stop is reported through
// `onCrash` the moment it happens — exactly once per vCPU — and is left out
// of stopAll's reports: a crash never waits for shutdown to be noticed.
import * as Comlink from 'comlink';
import { spawnWorker } from '../platform/host.ts';
import type { WorkerHandle } from '../platform/types.ts';
import type { DataPlane } from '../wasm/data-plane.ts';
import { VcpuCrashError } from '../errors.ts';
import { CONTROL_STOP, type VcpuApi, type VcpuReport, type VcpuWorkerData } from './protocol.ts';

interface Running {
  dom: number;
  vcpu: number;
  worker: WorkerHandle;
  api: Comlink.Remote<VcpuApi>;
  /** the report, or undefined if the vCPU crashed (reported through onCrash) */
  done: Promise<VcpuReport | undefined>;
}

export class VcpuPool {
  private readonly running: Running[] = [];
  readonly control = new SharedArrayBuffer(16);

  constructor(private readonly dp: DataPlane, private readonly onCrash: (e: VcpuCrashError) => void) {}

  spawn(data: Omit<VcpuWorkerData, 'control'>): void {
    const worker = spawnWorker('vcpu', { ...data, control: this.control });
    const api = Comlink.wrap<VcpuApi>(worker.endpoint);
    const done = new Promise<VcpuReport | undefined>((resolve) => {
      let settled = false;
      const crash = (e: VcpuCrashError) => {
        if (settled) return;
        settled = true;
        this.onCrash(e);
        resolve(undefined);
      };
      worker.onError((e) => crash(new VcpuCrashError(data.dom, data.vcpu, e)));
      worker.onExit((code) => crash(new VcpuCrashError(data.dom, data.vcpu, undefined, code)));
      api.run().then((r) => {
        if (!settled) { settled = true; resolve(r); }
      }, (e: unknown) => crash(new VcpuCrashError(data.dom, data.vcpu, e)));
    });
    this.running.push({ dom: data.dom, vcpu: data.vcpu, worker, api, done });
  }

  get size(): number {
    return this.running.length;
  }

  /** Ask every vCPU to stop, wake it, collect the reports of those that did not crash, and end the threads. */
  async stopAll(): Promise<VcpuReport[]> {
    Atomics.store(new Int32Array(this.control), CONTROL_STOP, 1);
    for (const r of this.running) this.dp.x.kickVcpu(r.dom, r.vcpu);
    try {
      const reports = await Promise.all(this.running.map((r) => r.done));
      return reports.filter((r): r is VcpuReport => r !== undefined);
    } finally {
      await Promise.all(this.running.map(async (r) => {
        r.api[Comlink.releaseProxy]();
        await r.worker.terminate();
      }));
      this.running.length = 0;
    }
  }
}
