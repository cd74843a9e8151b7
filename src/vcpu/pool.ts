// vCPU worker threads: one per vCPU of every domain that runs a guest module.
// Control over comlink; the stop request itself is a shared flag plus a kick,
// so a vCPU asleep in Atomics.wait notices at once.
import { Worker } from 'node:worker_threads';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { workerPath } from '../paths.ts';
import type { DataPlane } from '../wasm/data-plane.ts';
import { CONTROL_STOP, type VcpuApi, type VcpuReport, type VcpuWorkerData } from './protocol.ts';

interface Running {
  dom: number;
  vcpu: number;
  worker: Worker;
  api: Comlink.Remote<VcpuApi>;
  done: Promise<VcpuReport>;
}

export class VcpuPool {
  private readonly running: Running[] = [];
  /** one stop flag per domain, so one domain's vCPUs can be stopped alone (destroy) */
  private readonly controls = new Map<number, SharedArrayBuffer>();

  constructor(private readonly dp: DataPlane) {}

  private control(dom: number): SharedArrayBuffer {
    let c = this.controls.get(dom);
    if (!c) { c = new SharedArrayBuffer(16); this.controls.set(dom, c); }
    return c;
  }

  spawn(data: Omit<VcpuWorkerData, 'control'>): void {
    const worker = new Worker(workerPath('vcpu'), { workerData: { ...data, control: this.control(data.dom) } });
    const api = Comlink.wrap<VcpuApi>(nodeEndpoint(worker));
    const failed = new Promise<never>((_, reject) => {
      worker.once('error', (e) => reject(new Error(`vCPU ${data.vcpu} of domain ${data.dom} crashed: ${e.message}`)));
      worker.once('exit', (code) => reject(new Error(`vCPU ${data.vcpu} of domain ${data.dom} exited (code ${code}) before stopping`)));
    });
    const done = Promise.race([api.run(), failed]);
    done.catch(() => { /* reported by stopAll */ });
    this.running.push({ dom: data.dom, vcpu: data.vcpu, worker, api, done });
  }

  get size(): number {
    return this.running.length;
  }

  /** vCPU threads of `dom` running now. */
  sizeOf(dom: number): number {
    return this.running.filter((r) => r.dom === dom).length;
  }

  /** Ask every vCPU to stop, wake it, collect the reports and end the threads. */
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
      return await Promise.all(which.map((r) => r.done));
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
