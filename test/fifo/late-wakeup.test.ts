// What vcpuBlock calls a lost wake-up (VB_LATE, I3): a sleep that timed out,
// found the upcall flag set, and no raiser that kicked since the sleep began
// notified — not even within the grace. A raiser descheduled between its flag
// and its kick, or whose notify lost the race with the timeout, is late.
// The judgement is checked case by case on one thread (vcpuJudgeTimedOut),
// then end to end with a raiser on a second thread doing raw atomics.
import { describe, it, expect } from 'vitest';
import { Worker } from 'node:worker_threads';
import { fifoMachine } from '../helpers/fifo-machine.ts';

const VB_UPCALL = 1;
const VB_LATE = 2;
const LATE = 0, LOST = 2;

function setup() {
  const m = fifoMachine({ domains: [{ domid: 1, vcpus: 1, maxPort: 1023 }] });
  const { x } = m.dp;
  return { m, x, i32: m.dp.i32, kick: m.dp.vcpuKickIndex(1, 0), notified: m.dp.vcpuNotifiedIndex(1, 0), blocked: m.dp.vcpuBlockedIndex(1, 0) };
}

describe('lost wake-up judgement (VB_LATE, I3)', () => {
  it('after a timed-out sleep on kick value k: a kick that notified is late; a kick that never notified, or no kick, is lost', () => {
    const { x, i32, kick, notified } = setup();
    x.markEventsPending(1, 0); // the flag, and a kick with nobody blocked: no notify recorded
    const k = Atomics.load(i32, kick);
    expect(x.vcpuJudgeTimedOut(1, 0, k)).toBe(LOST);           // no kick since k
    Atomics.add(i32, kick, 1);
    expect(x.vcpuJudgeTimedOut(1, 0, k)).toBe(LOST);           // a kick that skipped its notify (a raiser that read V_BLOCKED too early)
    Atomics.store(i32, notified, k + 1);
    expect(x.vcpuJudgeTimedOut(1, 0, k)).toBe(LATE);           // its notify was sent, after the timeout
    expect(x.vcpuJudgeTimedOut(1, 0, k + 1)).toBe(LOST);       // a notify for an older kick does not count
  });

  it('the hypervisor\'s kick of a blocked vCPU records its notify', () => {
    const { x, i32, kick, notified, blocked } = setup();
    const k = Atomics.load(i32, kick);
    Atomics.store(i32, blocked, 1);
    x.markEventsPending(1, 0);
    Atomics.store(i32, blocked, 0);
    expect(Atomics.load(i32, notified)).toBe(k + 1);
    expect(x.vcpuJudgeTimedOut(1, 0, k)).toBe(LATE);
  });

  it('end to end: a raiser that sets the flag and never kicks makes a sleeping vCPU report VB_LATE', async () => {
    const { m, x, blocked } = setup();
    // the raiser sets the flag only once the sleeper is marked blocked; a sleeper that saw the flag
    // before sleeping (VB_UPCALL) proves nothing, so the case repeats until one slept (bounded)
    let seen: number | undefined;
    for (let attempt = 0; attempt < 20 && seen !== VB_LATE; attempt++) {
      x.clearUpcallPending(1, 0);
      const src = `
        const { workerData: d, parentPort } = require('node:worker_threads');
        const i32 = new Int32Array(d.buffer);
        parentPort.postMessage('running');
        while (Atomics.load(i32, d.blocked) === 0) {}
        Atomics.or(i32, d.flag, 1);`;
      const t = new Worker(src, { eval: true, workerData: { buffer: m.dp.memory.buffer, blocked, flag: (x.addrVcpuInfoOf(1, 0) >>> 0) >> 2 } });
      await new Promise<void>((resolve, reject) => { t.once('message', () => resolve()); t.once('error', reject); });
      let r = 0;
      while (r === 0) r = x.vcpuBlock(1, 0, 1e6); // a sleep that ended before the raiser ran is retried
      await t.terminate();
      expect([VB_UPCALL, VB_LATE]).toContain(r);
      expect(m.dp.vcpuBlocked(1, 0)).toBe(0);
      seen = r;
    }
    expect(seen, 'no sleep ever found the flag set after its timeout in 20 attempts').toBe(VB_LATE);
  });
});
