// The bounded phases both run scenarios share (src/scenarios/run-phases.ts),
// on the demo guests' shared words set by hand: a boot that does not finish
// names the vCPUs whose S_BOOTED bit stayed clear; a drain stores S_QUIESCE,
// returns once the owed flows are delivered, and otherwise names the vCPUs
// that did not take their events — or says a vCPU was still sending.
import { describe, it, expect } from 'vitest';
import { StuckVcpuError } from '../../src/errors.ts';
import { RunClock } from '../../src/scenarios/run-clock.ts';
import { awaitBoot, quiesceAndDrain } from '../../src/scenarios/run-phases.ts';
import { SHARED_BYTES, demoViews, allFlows, receiverOf, S_BOOTED, S_QUIESCE, S_SENDING, F_PONG, F_IPI } from '../../src/guests/demo-shared.ts';

async function rejection(p: Promise<unknown>): Promise<StuckVcpuError> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(StuckVcpuError);
  expect((e as StuckVcpuError).code).toBe('WASMXEN_STUCK_VCPU');
  return e as StuckVcpuError;
}

describe('run phases', () => {
  it('boot: returns once every S_BOOTED bit is set; otherwise names the vCPUs that did not boot', async () => {
    const v = demoViews(new SharedArrayBuffer(SHARED_BYTES));
    let polls = 0;
    Atomics.store(v.i32, S_BOOTED, 0b0111); // domain 2 vCPU 1 never boots
    const e = await rejection(awaitBoot(v, new RunClock(), () => { polls++; }, 50));
    expect(e.message).toBe('domain 2 vCPU 1 did not finish booting within 0.05 s');
    expect(e.vcpus).toEqual([[2, 1]]);
    expect(polls).toBeGreaterThan(0);
    Atomics.store(v.i32, S_BOOTED, 0b1111);
    await expect(awaitBoot(v, new RunClock(), () => {}, 50)).resolves.toBeUndefined();
  });

  it('drain: quiesces, returns once the owed flows are delivered; a flow not owed by this host may lag', async () => {
    const v = demoViews(new SharedArrayBuffer(SHARED_BYTES));
    const flows = allFlows();
    const counts = { sent: flows.map(() => 5), delivered: flows.map(() => 5) };
    counts.delivered[0] = 2; // not owed here (delivered on another host)
    await quiesceAndDrain(v, new RunClock(), () => counts, flows, flows.map((_, i) => i).slice(1), 50);
    expect(Atomics.load(v.i32, S_QUIESCE)).toBe(1);
  });

  it('drain: names the receivers of the flows still owed, with the events they did not take', async () => {
    const v = demoViews(new SharedArrayBuffer(SHARED_BYTES));
    const flows = allFlows();
    const pong = flows.indexOf(F_PONG);
    const ipi = flows.indexOf(F_IPI + 2 * 3);
    const counts = { sent: flows.map(() => 7), delivered: flows.map(() => 7) };
    counts.delivered[pong] = 5;
    counts.delivered[ipi] = 6;
    const e = await rejection(quiesceAndDrain(v, new RunClock(), () => counts, flows, flows.map((_, i) => i), 50));
    expect(e.vcpus).toEqual([receiverOf(F_PONG), receiverOf(F_IPI + 6)]);
    expect(e.message).toBe('domain 1 vCPU 0, domain 2 vCPU 1 did not take 3 event(s) in flight within 0.05 s of the end');
  });

  it('drain: a vCPU still inside a send after the bound is said to be sending, not stuck on delivery', async () => {
    const v = demoViews(new SharedArrayBuffer(SHARED_BYTES));
    const flows = allFlows();
    Atomics.store(v.i32, S_SENDING, 1);
    const counts = { sent: flows.map(() => 1), delivered: flows.map(() => 1) };
    const e = await rejection(quiesceAndDrain(v, new RunClock(), () => counts, flows, flows.map((_, i) => i), 50));
    expect(e.message).toBe('a vCPU was still sending 0.05 s after the senders were told to stop');
  });
});
