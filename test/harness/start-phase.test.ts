// runParties' start phase (src/harness/run.ts): the stall clock starts only
// once every party's worker has started, so a slow start — seconds of bundle
// loading and wasm compiling on a loaded machine — is not a stall; a party
// that does not start within the start limit is a watchdog hit naming it.
// The slow start is staged: PartySpec.holdStart keeps a worker from
// reporting itself started until the test lets it. No wall time is asserted.
import { describe, it, expect } from 'vitest';
import { runParties, LitmusFailure } from '../../src/harness/run.ts';
import { Ctl } from '../../src/harness/ctl.ts';
import { createMachine } from '../../src/wasm/data-plane.ts';
import { DRIVER_CTL_WORDS, D_DONE } from '../../src/litmus/parties/driver.ts';
import { waitWord } from '../helpers/wait-word.ts';

const STALL_MS = 300;

/** Raisers told to stop before they start: each party returns at once. */
function setup() {
  const m = createMachine([{ domid: 1, vcpus: 1, frames: 16 }], 'release');
  const ctl = Ctl.create(DRIVER_CTL_WORDS);
  ctl.store(D_DONE, 1);
  const args = { dom: 1, vcpu: 0, port: 1 };
  return { m, ctl, args };
}

describe('runParties start phase', () => {
  it('a party that starts long after the others (3× the stall limit) is not a stall: the run succeeds', async () => {
    const { m, ctl, args } = setup();
    const hold = new SharedArrayBuffer(8);
    const gate = new Int32Array(hold);
    let release: ReturnType<typeof setTimeout> | undefined;
    try {
      const startedWithGate: number[] = [];
      const run = runParties({
        module: m.module, memory: m.memory, ctl, timeoutMs: 30_000, stallMs: STALL_MS, dump: () => 'dump',
        onStarted: () => startedWithGate.push(Atomics.load(gate, 0)),
        parties: [{ party: 'driverRaiser', args }, { party: 'driverRaiser', args, holdStart: hold }],
      });
      // the hold has begun (its worker is up): from here it lasts 3 × STALL_MS, in which the other
      // party, finished at once, moves nothing — with a stall clock from the spawn, a stall
      await waitWord(gate, 1, 1, 'the held party begins its hold');
      release = setTimeout(() => { Atomics.store(gate, 0, 1); Atomics.notify(gate, 0); }, 3 * STALL_MS);
      const results = await run;
      expect(results).toEqual([{ raises: 0 }, { raises: 0 }]);
      expect(startedWithGate).toEqual([1]); // onStarted: once, and only after the late party started
      expect(Atomics.load(gate, 0)).toBe(1); // the held party really waited for the release
    } finally {
      clearTimeout(release);
    }
  });

  it('a party that never starts is a watchdog hit naming it, after the start limit, and its worker is terminated', async () => {
    const { m, ctl, args } = setup();
    const hold = new SharedArrayBuffer(8); // never released
    const err = await runParties({
      module: m.module, memory: m.memory, ctl, timeoutMs: 30_000, stallMs: STALL_MS, startLimitMs: 10 * STALL_MS, dump: () => 'dump',
      parties: [{ party: 'driverRaiser', args }, { party: 'driverRaiser', args, holdStart: hold }],
    }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(LitmusFailure);
    const f = err as LitmusFailure;
    expect(f.kind).toBe('watchdog');
    expect(f.message).toMatch(/driverRaiser#1 did not start within 3000 ms/);
    expect(f.stuck).toContain(1); // (the other party too, if a loaded machine kept it from starting as long)
  });
});
