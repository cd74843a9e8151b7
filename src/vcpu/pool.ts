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
  /** one stop flag per domain, so one domain's vCPUs can be stopped alone (destroy) */
  private readonly controls = new Map<number, SharedArrayBuffer>();

  constructor(private readonly dp: DataPlane, private readonly onCrash: (e: VcpuCrashError) => void) {}

  private control(dom: number): SharedArrayBuffer {
    let c = this.controls.get(dom);
    if (!c) { c = new SharedArrayBuffer(16); this.controls.set(dom, c); }
    return c;
  }

  spawn(data: Omit<VcpuWorkerData, 'control'>): void {
    const worker = spawnWorker('vcpu', { ...data, control: this.control(data.dom) });
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
    return await this.stop(this.running.slice());
  }

  /**
   * Stop the vCPU threads of one domain (destroy: they have parked, and leave
   * when the domain is marked dying) and end them.
   */
  async stopDomain(dom: number): Promise<VcpuReport[]> {
    return await this.stop(this.running.filter((r) => r.dom === dom));
  }

  private async stop(which: Running[]): Promise<VcpuReport[]> {
    for (const dom of new Set(which.map((r) => r.dom))) Atomics.store(new Int32Array(this.control(dom)), CONTROL_STOP, 1);
    for (const r of which) if (this.dp.x.domainExists(r.dom) !== 0) this.dp.x.kickVcpu(r.dom, r.vcpu);
    try {
      const reports = await Promise.all(which.map((r) => r.done));
      return reports.filter((r): r is VcpuReport => r !== undefined);
    } finally {
      await Promise.all(which.map(async (r) => {
        r.api[Comlink.releaseProxy]();
        await r.worker.terminate();
      }));
      for (const r of which) this.running.splice(this.running.indexOf(r), 1);
      for (const dom of new Set(which.map((r) => r.dom))) if (!this.running.some((r) => r.dom === dom)) this.controls.delete(dom);
    }
  }
}
