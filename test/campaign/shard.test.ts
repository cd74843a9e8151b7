// Shards partition a campaign exactly: for any campaign and any n, the n
// shards' units are disjoint and their union is the campaign; a total budget
// splits exactly over all runs; bench shards keep every implementation of one
// shape's run together.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { parseShard, shardUnits } from '../../src/campaign/shard.ts';
import { campaignUnits, reproduceLine, type StressCampaign } from '../../src/campaign/stress-campaign.ts';
import { shardRuns } from '../../src/campaign/bench-plan.ts';

const SEED = Number(process.env.WASMXEN_SEED ?? 20261206);
const campaign = (over: Partial<StressCampaign>): StressCampaign => ({
  scenarios: ['raise-drain', 'close-both-ends'], seed0: 10, seeds: 3, budget: { iterations: 100 }, inject: null, build: 'stress', noise: true,
  until_first_failure: false, ...over,
});

describe('shards', () => {
  it('parses i/n (1-based) and refuses anything else with a message naming the form', () => {
    expect(parseShard('2/5')).toEqual({ index: 2, count: 5 });
    expect(parseShard(' 1 / 1 ')).toEqual({ index: 1, count: 1 });
    for (const bad of ['0/3', '4/3', '1/0', 'a/b', '1', '-1/2', '1.5/3', '']) expect(() => parseShard(bad), bad).toThrow(/shard/);
  });

  it('n shards cover every (scenario, seed) exactly once, for any campaign and n (seed printed; WASMXEN_SEED overrides)', () => {
    console.log(`shard partition property: seed ${SEED}`);
    fc.assert(fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 0, max: 1e6 }), (seeds, n, seed0) => {
      const c = campaign({ seeds, seed0 });
      const all = campaignUnits(c).map((u) => `${u.scenario}#${u.seed}`);
      const parts = Array.from({ length: n }, (_, i) => shardUnits(campaignUnits(c), { index: i + 1, count: n }).map((u) => `${u.scenario}#${u.seed}`));
      const union = parts.flat();
      expect(union.length).toBe(all.length);
      expect(new Set(union).size).toBe(all.length);
      expect([...union].sort()).toEqual([...all].sort());
    }), { seed: SEED, numRuns: 200 });
  });

  it('the canonical order is scenario name, then seed; a shard owns positions p ≡ i−1 (mod n)', () => {
    const u = campaignUnits(campaign({ seeds: 2 }));
    expect(u.map((x) => `${x.scenario}#${x.seed}`)).toEqual(['close-both-ends#10', 'close-both-ends#11', 'raise-drain#10', 'raise-drain#11']);
    expect(shardUnits(u, { index: 2, count: 3 }).map((x) => x.position)).toEqual([1]);
    expect(shardUnits(u, { index: 1, count: 3 }).map((x) => x.position)).toEqual([0, 3]);
  });

  it('a total iteration budget splits exactly over all runs; a total time budget evenly; budgets that cannot split are refused', () => {
    const u = campaignUnits(campaign({ budget: { total_iterations: 1003 } }));
    expect(u.reduce((a, x) => a + x.iterations!, 0)).toBe(1003);
    expect(Math.max(...u.map((x) => x.iterations!)) - Math.min(...u.map((x) => x.iterations!))).toBe(1);
    const t = campaignUnits(campaign({ budget: { total_seconds: 6 } }));
    expect(t.every((x) => x.seconds === 1)).toBe(true);
    expect(() => campaignUnits(campaign({ budget: { total_iterations: 5 } }))).toThrow(/fewer than the campaign's 6 runs/);
    expect(() => campaignUnits(campaign({ seed0: 0xffffffff, seeds: 2 }))).toThrow(/pass 4294967295/);
    expect(() => campaignUnits(campaign({ budget: {} }))).toThrow(/needs a budget/);
    expect(() => campaignUnits(campaign({ budget: { seconds: 1, total_iterations: 100 } }))).toThrow(/per-run budget .* or one total budget/);
  });

  it('the reproduce line reruns exactly that scenario, seed, bug and budget', () => {
    const c = campaign({ inject: 'ready-before-head', scenarios: ['raise-drain'], budget: { total_seconds: 1 }, seeds: 3, noise: false });
    const u = campaignUnits(c)[2];
    expect(reproduceLine(c, u)).toBe('npx wasmxen stress --scenario raise-drain --seed 12 --inject ready-before-head --seconds 0.333333333333 --no-noise');
  });

  it('bench: the (shape, run) groups of n shards partition every shape\'s runs', () => {
    for (const n of [1, 2, 3, 7]) {
      for (let shape = 0; shape < 5; shape++) {
        const got = Array.from({ length: n }, (_, i) => shardRuns(shape, 4, { index: i + 1, count: n })).flat().sort();
        expect(got, `n=${n} shape=${shape}`).toEqual([0, 1, 2, 3]);
      }
    }
  });
});
