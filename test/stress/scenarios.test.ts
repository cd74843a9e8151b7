// wasmxen stress, proof part 1: every scenario runs clean on the correct data
// plane — on the stress build with its scheduling noise and on the release
// build as shipped. A run lasts CLEAN_SECONDS (× WASMXEN_STRESS_SCALE); every
// iteration is classified exactly once and no outcome is forbidden.
import { describe, it, expect } from 'vitest';
import { SCENARIOS, scenarioByName } from '../../src/stress/scenarios.ts';
import { runScenario } from '../../src/stress/runner.ts';
import { CLEAN_SECONDS, SEED, summary } from './helpers.ts';

/**
 * Scenarios that find a real bug of the data plane as it stands (reported in
 * docs/decisions/0003-stress-harness.md): tested below for the bug instead.
 */
const KNOWN_BUGS = new Set(['abi-switch']);

for (const build of ['stress', 'release'] as const) {
  describe(`wasmxen stress [${build} build]: every scenario runs clean on the correct data plane`, () => {
    for (const def of SCENARIOS) {
      if (KNOWN_BUGS.has(def.name)) continue;
      it(`${def.name}: no forbidden outcome, no watchdog hit, every iteration classified`, async () => {
        const r = await runScenario(def, { seconds: CLEAN_SECONDS, seed: SEED, build });
        expect(r.forbidden, summary(r)).toBe(0);
        expect(r.watchdog, summary(r)).toBe(0);
        expect(r.failure, summary(r)).toBeUndefined();
        expect(r.iterations, summary(r)).toBeGreaterThan(0);
        const total = Object.values(r.outcomes).reduce((a, b) => a + b, 0);
        expect(total, summary(r)).toBe(r.iterations);
        const acceptable = def.outcomes.filter((o) => o.kind !== 'forbidden').reduce((s, o) => s + r.outcomes[o.id], 0);
        expect(acceptable).toBe(r.iterations);
      });
    }
  });
}

describe('wasmxen stress: abi-switch finds a raise lost between init_control and expand_array (known bug)', () => {
  // A raise that finds FIFO on but no event array page sets the channel's
  // sticky pending flag; expand_array replays sticky flags right after it
  // publishes the page. Nothing orders the two: a raise that read "no page"
  // before the publication can set its flag after the replay passed the port,
  // and the event is never delivered (I19 promises a switch under load loses
  // nothing). When the data plane is fixed this test fails: move abi-switch
  // out of KNOWN_BUGS above.
  it('the lost IPI has its sticky flag set and an unmasked, idle FIFO word', async () => {
    const r = await runScenario(scenarioByName('abi-switch')!, { seconds: 30, seed: SEED });
    expect(r.failure?.outcome, summary(r)).toBe('lost');
    expect(r.failure!.detail).toMatch(/sticky true, FIFO word 0x00000000/);
  }, 60_000);
});
