// Sharded stress campaigns as a CI matrix runs them: every shard a separate
// `wasmxen stress --shard i/n --json` process, then `wasmxen merge`. The
// shards cover exactly the unsharded campaign's (scenario, seed) set; the
// merge sums their counts and judges the sum; a bug one shard finds makes
// the campaign forbidden with that shard's reproduce line, which reruns it;
// and merge refuses, in one line, what cannot be merged honestly.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scenarioByName } from '../../src/stress/scenarios.ts';
import { verdictOf, EXIT_STATUS } from '../../src/stress/verdict.ts';
import { stressScale } from '../helpers/litmus.ts';

const bin = fileURLToPath(new URL('../../bin/wasmxen.mjs', import.meta.url));
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
const wasmxen = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 300_000 });
const SEED = String(Number(process.env.WASMXEN_SEED ?? 300) >>> 0);
const ITERATIONS = String(Math.round(150 * stressScale()));
// one scenario × 5 seeds, a small iteration budget per run, 3 shards
const CAMPAIGN = ['stress', '--scenario', 'close-both-ends', '--seeds', '5', '--seed', SEED, '--iterations', ITERATIONS, '--json'];

type Json = Record<string, any>;
let dir: string;
const shardFile = (i: number) => join(dir, `shard-${i}.json`);
const shards: Json[] = [];
let whole: Json;

function runShard(shard: string, file?: string): Json {
  const r = wasmxen(...CAMPAIGN, '--shard', shard);
  expect([0, 2], `shard ${shard}: exit ${r.status}\n${r.stderr}`).toContain(r.status);
  if (file) writeFileSync(file, r.stdout);
  return JSON.parse(r.stdout);
}

const key = (r: Json) => `${r.scenario}#${r.seed}`;

beforeAll(() => {
  console.log(`sharded campaign: seed ${SEED} (WASMXEN_SEED overrides), ${ITERATIONS} iterations per run`);
  dir = mkdtempSync(join(tmpdir(), 'wasmxen-campaign-'));
  for (let i = 1; i <= 3; i++) shards.push(runShard(`${i}/3`, shardFile(i)));
  whole = runShard('1/1');
}, 600_000);

afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

describe('sharded stress campaign', () => {
  it('3 shards run as separate processes cover exactly the unsharded campaign\'s (scenario, seed) set, each once', () => {
    const union = shards.flatMap((s) => s.runs.map(key));
    expect(new Set(union).size).toBe(union.length);
    expect([...union].sort()).toEqual(whole.runs.map(key).sort());
    expect(union).toHaveLength(5);
    // every run ran its budget (the iteration bound, or a forbidden outcome stopped it)
    for (const s of shards) for (const r of s.runs) expect(r.iterations).toBeGreaterThanOrEqual(Number(ITERATIONS));
  });

  it('each shard records its shard, its seeds, the wasmxen version and build, and the machine', () => {
    for (const [i, s] of shards.entries()) {
      expect(s.shard).toEqual({ index: i + 1, count: 3 });
      expect(s.seeds).toEqual(s.runs.map((r: Json) => r.seed).sort((a: number, b: number) => a - b));
      expect(s.wasmxen.version).toBe(pkg.version);
      expect(s.wasmxen.build).toMatch(/^[0-9a-f]{16}$/);
      expect(s.wasmxen.build).toBe(shards[0].wasmxen.build);
      expect(s.machine).toMatchObject({ cores: expect.any(Number), cpu_model: expect.any(String), node: process.versions.node, v8: process.versions.v8 });
      expect(typeof s.machine.load_average).toBe('number');
      expect(s.campaign).toEqual(shards[0].campaign);
    }
  });

  it('merge sums the shards\' counts, judges the sum, and exits with the campaign verdict', () => {
    const r = wasmxen('merge', '--json', shardFile(1), shardFile(2), shardFile(3));
    const m = JSON.parse(r.stdout);
    const runs = shards.flatMap((s) => s.runs);
    const def = scenarioByName('close-both-ends')!;
    const summed = Object.fromEntries(def.outcomes.map((o) => [o.id, runs.reduce((a: number, x: Json) => a + x.outcomes[o.id], 0)]));
    const s = m.scenarios[0];
    expect(s.outcomes).toEqual(summed);
    expect(s.iterations).toBe(runs.reduce((a: number, x: Json) => a + x.iterations, 0));
    const verdict = verdictOf(def, { iterations: s.iterations, outcomes: summed, forbidden: 0, watchdog: 0 });
    expect(s.verdict).toBe(verdict);
    expect(m.verdict).toBe(verdict);
    expect(m.units).toEqual({ total: 5, run: 5, skipped: 0 });
    expect(m.shards.map((x: Json) => x.shard.index)).toEqual([1, 2, 3]);
    expect(r.status).toBe(EXIT_STATUS[verdict as keyof typeof EXIT_STATUS]);
    // the text report: the histogram and the campaign verdict
    const t = wasmxen('merge', shardFile(3), shardFile(1), shardFile(2));
    expect(t.stdout).toMatch(new RegExp(`campaign verdict: ${verdict.toUpperCase()} — 5 of 5 runs`));
    expect(t.stdout).toMatch(/close-both-ends — EVTCHNOP_close from both ends/);
  });

  describe('merge refuses, in one line naming the fault', () => {
    const refuse = (files: string[], re: RegExp) => {
      const r = wasmxen('merge', ...files);
      expect(r.status, r.stdout + r.stderr).toBe(3);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(re);
    };
    const variant = (name: string, edit: (j: Json) => void, from = 2) => {
      const j = JSON.parse(readFileSync(shardFile(from), 'utf8'));
      edit(j);
      const f = join(dir, name);
      writeFileSync(f, JSON.stringify(j));
      return f;
    };

    it('missing shards, named', () => {
      refuse([shardFile(1)], /missing shards: 2\/3, 3\/3 \(have 1 of 3\)/);
      refuse([shardFile(1), shardFile(3)], /missing shard: 2\/3/);
    });

    it('overlapping shards, named with both files', () => {
      const copy = variant('copy-of-1.json', () => {}, 1);
      refuse([shardFile(1), copy, shardFile(2), shardFile(3)], new RegExp(`overlapping shards: shard 1/3 is in both .*shard-1\\.json and .*copy-of-1\\.json`));
    });

    it('shards of different versions or builds', () => {
      refuse([shardFile(1), variant('v.json', (j) => { j.wasmxen.version = '9.9.9'; }), shardFile(3)], /shards of different versions or builds: .* is wasmxen 9\.9\.9/);
      refuse([shardFile(1), variant('b.json', (j) => { j.wasmxen.build = '0123456789abcdef'; }), shardFile(3)], /different versions or builds: .*build 0123456789abcdef/);
      // all of another version: this wasmxen's scenario definitions would judge them
      const other = [1, 2, 3].map((i) => variant(`other-${i}.json`, (j) => { j.wasmxen.version = '9.9.9'; }, i));
      refuse(other, new RegExp(`the shards were made by wasmxen 9\\.9\\.9, this is wasmxen ${pkg.version.replaceAll('.', '\\.')}: merge with the version that made them`));
    });

    it('shards of different campaigns or splits', () => {
      refuse([shardFile(1), variant('c.json', (j) => { j.campaign.seeds = 6; }), shardFile(3)], /different campaigns: .* differ in seeds/);
      refuse([shardFile(1), variant('n.json', (j) => { j.shard = { index: 2, count: 4 }; }), shardFile(3)], /different splits: .*shard 1\/3, .*shard 2\/4/);
    });

    it('malformed files: not JSON, not a shard result, runs that are not the shard\'s, unreadable', () => {
      const notJson = join(dir, 'not.json');
      writeFileSync(notJson, '{"kind": "stress", ');
      refuse([notJson], /not\.json: malformed shard result: not JSON/);
      refuse([variant('nokind.json', (j) => { delete j.kind; })], /nokind\.json: malformed shard result: no "kind"/);
      refuse([shardFile(1), variant('dropped.json', (j) => { j.runs.pop(); }), shardFile(3)], /dropped\.json: malformed shard result: its runs are not those shard 2\/3/);
      refuse([shardFile(1), variant('moved.json', (j) => { j.runs[0].seed += 1; }), shardFile(3)], /moved\.json: malformed shard result: its runs are not those shard 2\/3/);
      refuse([shardFile(1), variant('neg.json', (j) => { j.runs[0].iterations = -1; }), shardFile(3)], /neg\.json: malformed shard result: a run is not/);
      refuse([join(dir, 'absent.json')], /absent\.json: cannot read it \(ENOENT\)/);
    });
  });
});

describe('an injected bug found by one shard', () => {
  it('makes the merged verdict forbidden with that shard\'s reproduce line, which reruns it', () => {
    // one run in the campaign: shard 1/3 owns it, shards 2/3 and 3/3 own none (and say so: inconclusive)
    const args = ['stress', '--inject', 'ready-before-head', '--seeds', '1', '--seed', '7', '--iterations', '200000', '--seconds', '60', '--json'];
    const files = [1, 2, 3].map((i) => {
      const r = wasmxen(...args, '--shard', `${i}/3`);
      expect(r.status, r.stderr).toBe(i === 1 ? 1 : 2);
      const f = join(dir, `inj-${i}.json`);
      writeFileSync(f, r.stdout);
      return f;
    });
    const s1 = JSON.parse(readFileSync(files[0], 'utf8'));
    expect(s1.forbidden_outcomes).toHaveLength(1);
    const line = s1.forbidden_outcomes[0].reproduce;
    expect(line).toBe('npx wasmxen stress --scenario raise-drain --seed 7 --inject ready-before-head --seconds 60 --iterations 200000');
    const m = wasmxen('merge', '--json', ...files);
    expect(m.status).toBe(1);
    const j = JSON.parse(m.stdout);
    expect(j.verdict).toBe('forbidden');
    expect(j.forbidden_outcomes).toEqual([expect.objectContaining({ scenario: 'raise-drain', seed: 7, shard: '1/3', reproduce: line })]);
    expect(m.stderr.trim().split('\n')).toHaveLength(1);
    expect(m.stderr).toContain(`shard 1/3); reproduce: ${line}`);
    // the reproduce line on one machine: the same scenario, seed and bug, caught again
    const again = wasmxen(...line.replace(/^npx wasmxen /, '').split(' '), '--json');
    expect(again.status, again.stderr).toBe(1);
    expect(JSON.parse(again.stdout)).toMatchObject({ verdict: 'forbidden', seeds: [7], runs: [{ scenario: 'raise-drain', seed: 7, verdict: 'forbidden' }] });
  });

  it('--until-first-failure stops the shard at its first forbidden run and lists the rest as skipped; merge accepts them', () => {
    const r = wasmxen('stress', '--inject', 'ready-before-head', '--seeds', '3', '--seed', '7', '--iterations', '200000', '--seconds', '60', '--until-first-failure', '--json');
    expect(r.status, r.stderr).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(j.runs.map((x: Json) => [x.seed, x.verdict])).toEqual([[7, 'forbidden']]);
    expect(j.skipped).toEqual([{ scenario: 'raise-drain', seed: 8, position: 1 }, { scenario: 'raise-drain', seed: 9, position: 2 }]);
    expect(j.seeds).toEqual([7, 8, 9]);
    const f = join(dir, 'until.json');
    writeFileSync(f, r.stdout);
    const m = wasmxen('merge', '--json', f);
    expect(m.status).toBe(1);
    expect(JSON.parse(m.stdout)).toMatchObject({ verdict: 'forbidden', units: { total: 3, run: 1, skipped: 2 } });
  });
});
