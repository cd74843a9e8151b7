// `wasmxen run --scenario dma`, as a user runs it.
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../bin/wasmxen.mjs', import.meta.url));
const wasmxen = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 60_000 });

describe('wasmxen run --scenario dma', () => {
  it('--json: overlapping DMA, every transfer checked, MB/s and mapcache statistics reported', () => {
    const r = wasmxen('run', '--scenario', 'dma', '--seconds', '1', '--json');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ scenario: 'dma', ok: true, dm_died: null, workers: 2 });
    expect(report.errors).toMatchObject({ checksum: 0, pattern: 0, status: 0, spurious: 0 });
    expect(report.errors.expected).toBeGreaterThan(0);     // bad commands were refused, the device model kept going
    expect(report.transfers).toBeGreaterThan(1000);
    expect(report.mb_per_s).toBeGreaterThan(0);
    expect(report.mapcache.hits).toBeGreaterThan(0);
    expect(report.mapcache.misses).toBeGreaterThan(0);
    expect(report.mapcache.remaps).toBeGreaterThan(0);
    expect(report.mapcache.peak_locked).toBeGreaterThan(1);
  });

  it('prints a readable report', () => {
    const r = wasmxen('run', '--scenario', 'dma', '--seconds', '0.5');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/MB\/s/);
    expect(r.stdout).toMatch(/mapcache  hits [\d,]+  misses [\d,]+  remaps [\d,]+/);
    expect(r.stdout).toMatch(/every transfer checked end to end/);
  });
});

describe('the dma scenario with the bug re-injected', () => {
  it('reports the dead device model and fails (the CLI exits 1 on !ok)', async () => {
    const { runDmaScenario, formatDmaReport } = await import('../../src/scenarios/dma.ts');
    const r = await runDmaScenario({ seconds: 1, inject: ['mapcache-first-free'] });
    expect(r.ok).toBe(false);
    expect(r.dm_died).toMatch(/Bad RAM offset|live mapping unmapped|unmap of a mapping not locked|not in the mapcache/);
    expect(formatDmaReport(r)).toMatch(/DEVICE MODEL DIED/);
  });
});
