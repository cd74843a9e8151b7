// What vcpuBlock calls a lost wake-up (VB_LATE, I3): a sleep that timed out
// with the upcall flag set and no kick, even after the grace. A raiser that
// got as far as its kick while the vCPU was marked blocked is merely late.
// The raiser is a second thread doing raw atomics on the shared memory; it
// starts only once the sleeper has marked itself blocked (Atomics, no sleeps).
import { describe, it, expect } from 'vitest';
import { Worker } from 'node:worker_threads';
import { fifoMachine } from '../helpers/fifo-machine.ts';
import { V_BLOCKED } from '../../assembly/shared/layout.ts';

const VB_UPCALL = 1;
const VB_LATE = 2;

/**
 * A thread that, once running, waits until word `blocked` is 1, then sets
 * bit 0 of word `flag` and, with `bump`, adds 1 to word `kick` without
 * notifying (a raiser whose notify lost the race with the sleeper's
 * timeout). Indices are i32. Resolves when the thread is running.
 */
async function raiser(buffer: ArrayBufferLike, w: { blocked: number; flag: number; kick: number; bump: boolean }) {
  const src = `
    const { workerData: d, parentPort } = require('node:worker_threads');
    const i32 = new Int32Array(d.buffer);
    parentPort.postMessage('running');
    while (Atomics.load(i32, d.blocked) === 0) {}
    Atomics.or(i32, d.flag, 1);
    if (d.bump) Atomics.add(i32, d.kick, 1);`;
  const t = new Worker(src, { eval: true, workerData: { buffer, ...w } });
  await new Promise<void>((resolve, reject) => { t.once('message', () => resolve()); t.once('error', reject); });
  return t;
}

/** SCHEDOP_block until the raiser has raised: a sleep that ended before the raiser saw `blocked` is retried. */
function blockUntilRaised(x: ReturnType<typeof setup>['x'], timeoutNs: number): number {
  for (;;) {
    const r = x.vcpuBlock(1, 0, timeoutNs);
    if (r !== 0) return r;
  }
}

function setup() {
  const m = fifoMachine({ domains: [{ domid: 1, vcpus: 1, maxPort: 1023 }] });
  const { x } = m.dp;
  const idx = {
    flag: (x.addrVcpuInfoOf(1, 0) >>> 0) >> 2,
    kick: (x.addrVcpuKick(1, 0) >>> 0) >> 2,
  };
  return { m, x, idx };
}

describe('lost wake-up detection (VB_LATE, I3)', () => {
  it('a flag with no kick at all is a lost wake-up, reported after the grace; the vCPU is unmarked blocked', async () => {
    const { m, x, idx } = setup();
    const blocked = ((x.addrVcpuRecord(1, 0) >>> 0) + V_BLOCKED) >> 2;
    const t = await raiser(m.dp.memory.buffer, { ...idx, blocked, bump: false });
    // the raiser sets the flag only while the sleeper is marked blocked, and the sleeper
    // checks the flag after marking itself: either it sees the flag before sleeping
    // (VB_UPCALL: nothing to judge) or it sleeps 1 ms and finds the flag with no kick
    const r = blockUntilRaised(x, 1e6);
    await t.terminate();
    expect(m.dp.vcpuBlocked(1, 0)).toBe(0);
    if (r === VB_UPCALL) return; // the flag landed before the sleep: nothing to judge
    expect(r).toBe(VB_LATE);
  });

  // Every interleaving must give VB_UPCALL; the one the old judgement got wrong (the
  // sleep times out between the raiser's kick and its notify) needs the timed-out
  // sleep, so the case is repeated.
  it('a kick that moved the kick word while the vCPU slept marked blocked is not a lost wake-up, even if its notify came too late', async () => {
    for (let i = 0; i < 20; i++) {
      const { m, x, idx } = setup();
      const blocked = ((x.addrVcpuRecord(1, 0) >>> 0) + V_BLOCKED) >> 2;
      const t = await raiser(m.dp.memory.buffer, { ...idx, blocked, bump: true });
      const r = blockUntilRaised(x, 1e6);
      await t.terminate();
      expect(r).toBe(VB_UPCALL);
      expect(m.dp.vcpuBlocked(1, 0)).toBe(0);
    }
  });
});
