// `wasmxen stress` as a user runs it: the list, the histogram, --json, the
// exit status and reproduce line on a detected bug, and the --trace file.
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SCENARIOS } from '../../src/stress/scenarios.ts';
import { INJECTIONS } from '../../src/stress/inject.ts';

const bin = fileURLToPath(new URL('../../bin/wasmxen.mjs', import.meta.url));
const wasmxen = (...args: string[]) => spawnSync(process.execPath, [bin, 'stress', ...args], { encoding: 'utf8', timeout: 90_000 });

describe('wasmxen stress (CLI)', () => {
  it('--list names every scenario with its iteration, and every injectable bug with its scenario', () => {
    const r = wasmxen('--list');
    expect(r.status).toBe(0);
    for (const s of SCENARIOS) expect(r.stdout).toContain(`  ${s.name}\n      race`);
    for (const i of INJECTIONS) expect(r.stdout).toMatch(new RegExp(`${i.name}\\s+.*\\[${i.scenario}\\]`));
  });

  it('--list shows the device model\'s scenario with its injection, and every scenario\'s evidence', () => {
    const r = wasmxen('--list');
    expect(r.stdout).toMatch(/  dm-mapcache\n      race/);
    expect(r.stdout).toMatch(/catches    --inject mapcache-first-free/);
    expect(r.stdout.match(/      evidence   /g)).toHaveLength(SCENARIOS.length);
  });

  it('--json: the documented shape; the verdict and the exit status agree (0 clean, 2 inconclusive); seconds is measured', () => {
    const r = wasmxen('--scenario', 'raise-drain', '--seconds', '0.5', '--seed', '42', '--json');
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ inject: null, detected: false, seed: 42, seconds_requested: 0.5, build: 'stress', noise: true });
    expect(j.scenarios).toHaveLength(1);
    const s = j.scenarios[0];
    expect(s).toMatchObject({ name: 'raise-drain', forbidden: 0, watchdog: 0 });
    expect(['clean', 'inconclusive']).toContain(s.verdict);
    expect(j.verdict).toBe(s.verdict);
    expect(r.status).toBe(s.verdict === 'clean' ? 0 : 2);
    expect(r.stderr).toEqual(s.verdict === 'clean' ? '' : expect.stringMatching(/^wasmxen stress: inconclusive: raise-drain — .*run longer/));
    const def = SCENARIOS.find((d) => d.name === 'raise-drain')!;
    const raced = def.evidence.outcomes.some((o) => s.outcomes[o] > 0);
    expect(s.verdict).toBe(s.iterations > 0 && raced ? 'clean' : 'inconclusive');
    // measured from the first iteration to the stop, which comes no sooner than the request
    expect(s.seconds).toBeGreaterThanOrEqual(0.5);
    expect(Object.keys(s.outcomes)).toEqual(SCENARIOS.find((d) => d.name === 'raise-drain')!.outcomes.map((o) => o.id));
    expect(Object.values(s.outcomes as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(s.iterations);
  });

  it('prints a jcstress-like histogram per scenario, with its verdict', () => {
    const r = wasmxen('--scenario', 'close-both-ends', '--seconds', '0.3', '--seed', '1');
    expect(r.stdout).toMatch(/close-both-ends — EVTCHNOP_close from both ends/);
    expect(r.stdout).toMatch(/iterations in 0\.\d\d s \([\d,]+\/s\)/);
    expect(r.stdout).toMatch(/^\s+0\s+FORBIDDEN\s+errno\s/m);
    const clean = /^\s+[\d,]+\s+INTERESTING\s+overlapped\s/m.test(r.stdout);
    expect(r.status).toBe(clean ? 0 : 2);
    expect(r.stdout).toMatch(clean
      ? /summary: 1 scenario, [\d,]+ iterations, 0 forbidden, 0 watchdog — clean/
      : /INCONCLUSIVE: .*\n[\s\S]*summary: .* — inconclusive/);
  });

  it('a run in which the race cannot happen is inconclusive, exit status 2, with a hint', () => {
    // one iteration is not enough for both orders of priority-change (its evidence needs both)
    const r = wasmxen('--scenario', 'priority-change', '--seconds', '0.01', '--seed', '3', '--json', '--build', 'release');
    const j = JSON.parse(r.stdout);
    const s = j.scenarios[0];
    if (s.outcomes['before-change'] > 0 && s.outcomes['after-change'] > 0) return; // both orders did happen in 10 ms: nothing to judge
    expect(s.verdict).toBe('inconclusive');
    expect(s.hint).toMatch(/run longer \(--seconds\) or with fewer other processes/);
    expect(j.verdict).toBe('inconclusive');
    expect(r.status).toBe(2);
  });

  it('--inject: exit status 1, detected, the seed and a one-line command that reproduces it; --trace writes Chrome trace JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wasmxen-stress-'));
    try {
      const file = join(dir, 'trace.json');
      const r = wasmxen('--inject', 'ready-before-head', '--seconds', '30', '--seed', '7', '--json', '--trace', file);
      expect(r.status).toBe(1);
      const j = JSON.parse(r.stdout);
      expect(j).toMatchObject({ inject: 'ready-before-head', detected: true, seed: 7, verdict: 'forbidden', trace_file: file });
      expect(j.scenarios[0].verdict).toBe('forbidden');
      expect(j.scenarios[0].name).toBe('raise-drain');
      expect(j.scenarios[0].forbidden).toBeGreaterThan(0);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/\(seed 7\); reproduce: npx wasmxen stress --scenario raise-drain --seed 7 --inject ready-before-head --seconds 30$/m);
      const t = JSON.parse(readFileSync(file, 'utf8'));
      const ev = t.traceEvents as { name: string; ph: string; ts: number; dur?: number; pid: number; tid: number; args?: Record<string, unknown> }[];
      // one named track per party thread
      const threads = ev.filter((e) => e.ph === 'M' && e.name === 'thread_name').map((e) => e.args!.name);
      expect(threads).toEqual(['raise-drain role 0 #0', 'raise-drain role 1 #1']);
      // steps with the event-word values they read and wrote
      const raises = ev.filter((e) => e.ph === 'X' && e.name.startsWith('raise '));
      expect(raises.length).toBeGreaterThan(0);
      expect(raises[0].args!.read).toMatch(/^0x[0-9a-f]{8} \[[P-][M-][L-][B-]\] link=\d+$/);
      expect(raises[0].args!.wrote).toMatch(/\[P/);
      for (const e of ev.filter((x) => x.ph === 'X')) {
        expect(e.dur).toBeGreaterThan(0);
        expect([1, 2]).toContain(e.tid);
      }
      const fail = ev.find((e) => e.ph === 'i');
      expect(fail?.name).toMatch(/^FORBIDDEN: (lost|missed)$/);
      // the window ends at the failure: nothing long after it
      expect(Math.max(...ev.filter((e) => e.ph === 'X').map((e) => e.ts))).toBeLessThanOrEqual(fail!.ts + 1000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects bad options with one line and a non-zero exit', () => {
    for (const args of [['--scenario', 'nope'], ['--inject', 'nope'], ['--seconds', 'soon'], ['--seed', '-1'], ['--inject', 'no-busy', '--build', 'release'],
      ['--seconds', '1e9'], ['--stall-ms', '1e12'], ['--trace', '/nonexistent-dir/t.json'],
      ['--shard', '2/2'], ['--shard', '3/2', '--seed', '1'], ['--shard', '0/2', '--seed', '1'], ['--total-seconds', '10', '--seconds', '1'],
      ['--total-iterations', '3', '--seeds', '4', '--scenario', 'raise-drain'], ['--seed', '4294967295', '--seeds', '2'], ['--iterations', '1.5']]) {
      const r = wasmxen(...args);
      expect(r.status, args.join(' ')).toBe(3);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
    }
  });
});
