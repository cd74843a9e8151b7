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

  it('--json: the documented shape, a clean run exits 0', () => {
    const r = wasmxen('--scenario', 'raise-drain', '--seconds', '0.5', '--seed', '42', '--json');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ inject: null, detected: false, seed: 42 });
    expect(j.scenarios).toHaveLength(1);
    const s = j.scenarios[0];
    expect(s).toMatchObject({ name: 'raise-drain', forbidden: 0, watchdog: 0 });
    expect(s.iterations).toBeGreaterThan(0);
    expect(s.seconds).toBeGreaterThan(0.4);
    expect(Object.keys(s.outcomes)).toEqual(SCENARIOS.find((d) => d.name === 'raise-drain')!.outcomes.map((o) => o.id));
    expect(Object.values(s.outcomes as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(s.iterations);
  });

  it('prints a jcstress-like histogram per scenario', () => {
    const r = wasmxen('--scenario', 'close-both-ends', '--seconds', '0.3', '--seed', '1');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/close-both-ends — EVTCHNOP_close from both ends/);
    expect(r.stdout).toMatch(/iterations in 0\.\d\d s \([\d,]+\/s\)/);
    expect(r.stdout).toMatch(/^\s+[\d,]+\s+ACCEPTABLE\s+a-first\s/m);
    expect(r.stdout).toMatch(/^\s+0\s+FORBIDDEN\s+errno\s/m);
    expect(r.stdout).toMatch(/summary: 1 scenario, [\d,]+ iterations, 0 forbidden, 0 watchdog — clean/);
  });

  it('--inject: exit status 1, detected, the seed and a one-line command that reproduces it; --trace writes Chrome trace JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wasmxen-stress-'));
    try {
      const file = join(dir, 'trace.json');
      const r = wasmxen('--inject', 'ready-before-head', '--seconds', '30', '--seed', '7', '--json', '--trace', file);
      expect(r.status).toBe(1);
      const j = JSON.parse(r.stdout);
      expect(j).toMatchObject({ inject: 'ready-before-head', detected: true, seed: 7 });
      expect(j.scenarios[0].name).toBe('raise-drain');
      expect(j.scenarios[0].forbidden).toBeGreaterThan(0);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/\(seed 7\); reproduce: wasmxen stress --scenario raise-drain --seed 7 --inject ready-before-head --seconds 30$/m);
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
    for (const args of [['--scenario', 'nope'], ['--inject', 'nope'], ['--seconds', 'soon'], ['--seed', '-1'], ['--inject', 'no-busy', '--build', 'release']]) {
      const r = wasmxen(...args);
      expect(r.status, args.join(' ')).not.toBe(0);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
    }
  });
});
