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
  readonly control = new SharedArrayBuffer(16);

  constructor(private readonly dp: DataPlane) {}

  spawn(data: Omit<VcpuWorkerData, 'control'>): void {
    const worker = new Worker(workerPath('vcpu'), { workerData: { ...data, control: this.control } });
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

  /** Ask every vCPU to stop, wake it, collect the reports and end the threads. */
  async stopAll(): Promise<VcpuReport[]> {
    Atomics.store(new Int32Array(this.control), CONTROL_STOP, 1);
    for (const r of this.running) this.dp.x.kickVcpu(r.dom, r.vcpu);
    try {
      return await Promise.all(this.running.map((r) => r.done));
    } finally {
      await Promise.all(this.running.map(async (r) => {
        r.api[Comlink.releaseProxy]();
        await r.worker.terminate();
      }));
      this.running.length = 0;
    }
  }
}
