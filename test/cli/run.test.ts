// The main job as a user runs it: `wasmxen run`.
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../bin/wasmxen.mjs', import.meta.url));
const wasmxen = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 60_000 });

describe('wasmxen run', () => {
  it('--json reports every event delivered exactly once', () => {
    const r = wasmxen('run', '--seconds', '0.5', '--json');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.abi).toBe('fifo');
    expect(report.sent).toBeGreaterThan(1000);
    expect(report.delivered).toBe(report.sent);
    expect(report.lost).toBe(0);
    expect(report.duplicated).toBe(0);
    expect(report.events_per_s).toBeGreaterThan(0);
  });

  it('prints a readable report', () => {
    const r = wasmxen('run', '--seconds', '0.3');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/every event delivered exactly once/);
  });

  it('rejects a bad option with one line and a non-zero exit', () => {
    const r = wasmxen('run', '--seconds', 'soon');
    expect(r.status).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/seconds/);
  });
});
