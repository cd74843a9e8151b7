// Sharded bench campaigns: each shard a separate `wasmxen bench --shard i/n
// --json` process; together they measure every (workload, implementation,
// run) exactly once; every ratio is a shard's own (both sides measured in
// that shard's run); merge groups the shards per machine and writes the HTML
// over the merged set.
import { describe, it, expect, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const bin = fileURLToPath(new URL('../../bin/wasmxen.mjs', import.meta.url));
const wasmxen = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 300_000 });
const dir = mkdtempSync(join(tmpdir(), 'wasmxen-bench-campaign-'));
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

const CAMPAIGN = ['bench', '--workload', 'fifo-pingpong', '--impl', 'wasmxen,postmessage', '--runs', '3', '--seconds', '0.05', '--cores', '2', '--json'];

describe('sharded bench campaign', () => {
  it('2 shards measure every (workload, implementation, run) once, ratios inside each shard; merge groups per machine and writes the HTML', () => {
    const files = [1, 2].map((i) => {
      const r = wasmxen(...CAMPAIGN, '--shard', `${i}/2`);
      expect(r.status, r.stderr).toBe(0);
      const f = join(dir, `bench-${i}.json`);
      writeFileSync(f, r.stdout);
      return f;
    });
    const parts = files.map((f) => JSON.parse(readFileSync(f, 'utf8')));
    const units = parts.flatMap((p) => p.results.flatMap((r: any) => r.run_indices.map((i: number) => `${r.workload} ${r.impl} ${i}`)));
    expect(units.sort()).toEqual(['wasmxen', 'postmessage'].flatMap((impl) => [0, 1, 2].map((i) => `fifo-pingpong ${impl} ${i}`)).sort());
    for (const p of parts) {
      expect(p).toMatchObject({ kind: 'bench', wasmxen: { version: expect.any(String), build: expect.stringMatching(/^[0-9a-f]{16}$/) } });
      for (const r of p.results) {
        expect(r.runs).toBe(r.run_indices.length);
        // the ratio is this shard's own: its baseline's median in the same shard
        const base = p.results.find((x: any) => x.impl === 'postmessage');
        expect(r.vs.postmessage).toBeCloseTo(r.events_per_s / base.events_per_s, 9);
      }
    }
    const html = join(dir, 'merged.html');
    const m = wasmxen('merge', '--json', '--html', html, ...files);
    expect(m.status, m.stderr).toBe(0);
    const j = JSON.parse(m.stdout);
    expect(j.units).toBe(6);
    expect(j.machines).toHaveLength(1); // both shards ran here
    expect(j.machines[0].shards.map((s: any) => s.shard.index)).toEqual([1, 2]);
    expect(j.machines[0].shards[0].report.results).toEqual(parts[0].results.map((r: any) => expect.objectContaining({ vs: r.vs, run_indices: r.run_indices })));
    const page = readFileSync(html, 'utf8');
    expect(page).toMatch(/<h3>Shard 1\/2<\/h3>[\s\S]*<h3>Shard 2\/2<\/h3>/);
    expect(page).toContain('never divided by each other');
    // a shard's runs that are not its own are refused
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ ...parts[1], results: parts[1].results.map((r: any) => ({ ...r, run_indices: [0, 1, 2] })) }));
    const refused = wasmxen('merge', files[0], bad);
    expect(refused.status).toBe(3);
    expect(refused.stderr).toMatch(/bad\.json: malformed shard result: result 'fifo-pingpong (wasmxen|postmessage)' has runs \[0,1,2\], shard 2\/2 owes \[1\]/);
    // a shard that dropped one implementation of a shape it owes (here the baseline) is incomplete
    const partial = join(dir, 'partial.json');
    writeFileSync(partial, JSON.stringify({ ...parts[1], results: parts[1].results.filter((r: any) => r.impl !== 'postmessage') }));
    const incomplete = wasmxen('merge', files[0], partial);
    expect(incomplete.status).toBe(3);
    expect(incomplete.stderr).toMatch(/partial\.json: malformed shard result: shard 2\/2 owes runs of fifo-pingpong postmessage but has no result for them/);
  });

  it('a sharded bench needs --cores (the fan-in shapes must not depend on the machine), refused in one line', () => {
    const r = wasmxen('bench', '--workload', 'fifo-pingpong', '--shard', '1/2', '--json');
    expect(r.status).toBe(3);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/a sharded bench needs --cores/);
  });

  it('merge refuses stress and bench results together', () => {
    const stress = wasmxen('stress', '--scenario', 'close-both-ends', '--iterations', '50', '--seed', '1', '--json');
    const f = join(dir, 'stress.json');
    writeFileSync(f, stress.stdout);
    const b = join(dir, 'bench-1.json');
    const r = wasmxen('merge', f, b);
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/cannot merge stress and bench results: .*stress\.json is stress, .*bench-1\.json is bench/);
  });

  it('a campaign run once per runtime (Node sharded, a browser whole) merges per runtime; within a runtime, overlap and gaps are refused', () => {
    // what the `wasmxen serve` page exports (test/browser/bench.test.ts makes a real one): the same schema, machine.browser set
    const whole = wasmxen(...CAMPAIGN);
    expect(whole.status, whole.stderr).toBe(0);
    const asBrowser = (j: any, shard = { index: 1, count: 1 }) => ({
      ...j, shard, machine: { ...j.machine, browser: 'Chromium 156.0.0.0', node: '', v8: '', memory_gib: null, load_average: null },
    });
    const browser = join(dir, 'browser.json');
    writeFileSync(browser, JSON.stringify(asBrowser(JSON.parse(whole.stdout))));
    const node = [1, 2].map((i) => join(dir, `bench-${i}.json`));
    const m = wasmxen('merge', '--json', ...node, browser);
    expect(m.status, m.stderr).toBe(0);
    const j = JSON.parse(m.stdout);
    expect(j.machines.map((g: any) => g.machine.browser ?? 'Node')).toEqual(['Node', 'Chromium 156.0.0.0']);
    expect(j.units).toBe(12);
    const text = wasmxen('merge', ...node, browser);
    expect(text.stdout).toMatch(/=== machine 1: .*Node [\d.]+ [\s\S]*=== machine 2: .*Chromium 156\.0\.0\.0 ===/);
    expect(text.stdout).toMatch(/load average not readable/);
    // the browser's result twice: overlapping within its runtime
    const twice = wasmxen('merge', ...node, browser, browser);
    expect(twice.status).toBe(3);
    expect(twice.stderr).toMatch(/overlapping shards of Chromium 156\.0\.0\.0: shard 1\/1 is in both .*browser\.json and .*browser\.json/);
    // the Node run with a shard missing is still refused, whatever the browser brought
    const gap = wasmxen('merge', node[0], browser);
    expect(gap.status).toBe(3);
    expect(gap.stderr).toMatch(/missing shard of Node: 2\/2 \(have 1 of 2\)/);
  });
});
