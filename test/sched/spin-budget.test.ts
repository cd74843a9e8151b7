// The guest kernel's spin budget (assembly/sched/spin.ts, I51): a blocking
// vCPU spins only while the vCPU threads running guest code do not outnumber
// the cores; a thread is counted from online() to offline() except while it
// sleeps in guestVcpuBlock.
import { describe, it, expect } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMachine } from '../../src/wasm/data-plane.ts';
import { Hypervisor } from '../../src/hypervisor.ts';

const VB_IDLE = 0;

describe('spin budget (I51)', () => {
  it('spins while the running vCPU threads fit the cores, not once they outnumber them; unknown cores: always', () => {
    const { dp } = createMachine([{ domid: 1, vcpus: 1, frames: 16, maxEvtchnPort: 63 }]);
    const x = dp.x;
    expect(x.vcpuSpinBudget(500, 7)).toBe(500); // no core count yet
    x.vcpuThreadStart(2);
    x.vcpuThreadStart(0); // 0: keeps the known count
    expect(x.vcpusRunning()).toBe(2);
    expect(x.vcpuSpinBudget(500, 7)).toBe(500);
    x.vcpuThreadStart(0);
    expect(x.vcpuSpinBudget(500, 7)).toBe(7); // three on two cores: the short spin (the kernel's: none)
    x.vcpuThreadStop();
    expect(x.vcpuSpinBudget(500, 7)).toBe(500);
    // a counted thread that sleeps is not counted while asleep, and is again once awake
    expect(x.guestVcpuBlock(1, 0, 1e6, 500, 0)).toBe(VB_IDLE);
    expect(x.vcpusRunning()).toBe(2);
    x.vcpuThreadStop();
    x.vcpuThreadStop();
    expect(x.vcpusRunning()).toBe(0);
  });

  it('a vCPU thread counts while it runs guest code, not while it sleeps for events, and not after it stopped', async () => {
    // main() holds each vCPU in guest code until the test releases it
    const dir = mkdtempSync(join(tmpdir(), 'wasmxen-spin-'));
    const guest = join(dir, 'hold.mjs');
    writeFileSync(guest, `export function main(g) {
  const w = new Int32Array(g.shared);
  Atomics.add(w, 1, 1); Atomics.notify(w, 1);
  while (Atomics.load(w, 0) === 0 && !g.stopping()) Atomics.wait(w, 0, 0, 50);
}\n`);
    const shared = new SharedArrayBuffer(8);
    const w = new Int32Array(shared);
    const hv = await Hypervisor.create({ domains: [{ id: 1, vcpus: 2, guest }], shared });
    const x = hv.machine.dp.x;
    const deadline = Date.now() + 30_000;
    const until = (what: string, ok: () => boolean) => {
      while (!ok()) {
        if (Date.now() > deadline) throw new Error(`watchdog: ${what} (vCPU threads running: ${x.vcpusRunning()})`);
        Atomics.wait(w, 1, Atomics.load(w, 1), 5);
      }
    };
    try {
      hv.start();
      until('both vCPUs entered main()', () => Atomics.load(w, 1) === 2);
      expect(x.vcpusRunning()).toBe(2); // in guest code: counted
      Atomics.store(w, 0, 1);
      Atomics.notify(w, 0);
      // out of main(), in the upcall loop with nothing to do: asleep, not counted
      until('both vCPUs asleep', () => x.vcpusRunning() === 0);
    } finally {
      await hv.shutdown();
    }
    expect(x.vcpusRunning()).toBe(0); // stopped threads went offline
  }, 60_000);
});
