// Randomized overlapping DMA on real threads: one guest vCPU keeping 32
// commands in flight, device-model workers on their own threads executing
// them through the shared mapcache, each worker holding up to 16 mappings
// locked while it "does the I/O" and finishing them out of order.
//
// Must never happen (fixed mapcache): a checksum or sector mismatch, a wrong
// status, a fatal device-model error (wrong reverse translation, a window
// unlocked under its request), an invariant violated at the end (a leaked
// lock, a duplicate key). Must always be detected with --inject
// mapcache-first-free. Transfers: 10 000 × WASMXEN_STRESS_SCALE by default,
// or exactly WASMXEN_DMA_TRANSFERS (e.g. 100000). The litmus runner's
// watchdog turns a hang into a failure with the mapcache dumped.
// The race is proven: runs repeat (at most MAX_RACE_RUNS) until a request was
// started while another worker held a locked mapping in the same mapcache
// bucket (counted by the server parties: DC_SHARED_IN_FLIGHT).
import { describe, it, expect } from 'vitest';
import { runDmaRace, type DmaRaceReport } from '../../src/dm/race.ts';
import { stressScale, untilRaced, MAX_RACE_RUNS } from '../helpers/litmus.ts';

const TRANSFERS = Number(process.env.WASMXEN_DMA_TRANSFERS ?? 0) || Math.round(10_000 * stressScale());
const SEED = Number(process.env.WASMXEN_SEED ?? 1);
const NOISE = { rate: 20000, spins: 4000, yieldLog2: 4 };

/** Repeat a clean race until requests on two workers shared a locked mapping; returns the last run. */
async function untilShared(run: () => Promise<DmaRaceReport>, transfers: number): Promise<DmaRaceReport> {
  const runs = await untilRaced(async () => { const r = await run(); expectClean(r, transfers); return r; }, (rs) => rs.some((r) => r.sharedInFlight > 0));
  expect(runs.some((r) => r.sharedInFlight > 0), `the race never happened: no request shared a locked mapping with another worker's in ${runs.length} of ${MAX_RACE_RUNS} runs`).toBe(true);
  return runs[runs.length - 1];
}

function expectClean(r: DmaRaceReport, transfers: number): void {
  const why = () => JSON.stringify({ guest: r.guest, fatal: r.fatal, check: r.finalCheck, checkFailure: r.checkFailure }) + '\n' + r.dump;
  expect(r.fatal, why()).toBeUndefined();
  expect(r.guest.failures, why()).toEqual([]);
  expect(r.guest).toMatchObject({ issued: transfers, completed: transfers, checksumErrors: 0, patternErrors: 0, statusErrors: 0, spurious: 0 });
  expect(r.finalCheck, why()).toBeUndefined();
  expect(r.checkFailure, why()).toBeUndefined();
  expect(r.lateWakeups).toBe(0);
  expect(r.ok).toBe(true);
  expect(r.mapcache.lockedNow).toBe(0);
}

describe(`randomized overlapping DMA, 32 slots, real threads (${TRANSFERS} transfers, seed ${SEED}; WASMXEN_SEED overrides)`, () => {
  it('release build, 2 workers: every checksum right; mappings overlap (shared buckets, chains, remaps)', async () => {
    const r = await untilShared(() => runDmaRace({ build: 'release', transfers: TRANSFERS, seed: SEED, buckets: 4 }), TRANSFERS);
    expect(r.workers.every((n) => n > 0)).toBe(true);               // both workers served
    expect(r.mapcache.peakLocked).toBeGreaterThanOrEqual(16);        // many requests held mappings at once
    expect(r.mapcache.hits).toBeGreaterThan(0);                      // locked requests shared entries
    expect(r.mapcache.remaps).toBeGreaterThan(0);
    expect(r.mapcache.longestChain).toBeGreaterThanOrEqual(2);
    expect(r.guest.reads).toBeGreaterThan(TRANSFERS / 4);
    expect(r.guest.writes).toBeGreaterThan(TRANSFERS / 4);
  });

  it('stress build with scheduling noise at the map/copy/unmap points, 3 workers, bad commands mixed in', async () => {
    const n = Math.max(500, Math.round(TRANSFERS / 4));
    const r = await untilShared(() => runDmaRace({ build: 'stress', transfers: n, seed: SEED, noise: NOISE, workers: 3, badEvery: 9, buckets: 2 }), n);
    expect(r.guest.expectedErrors).toBeGreaterThan(0);
    expect(r.mapcache.faults).toBeGreaterThan(0);
  });

  it('2-level event channels: the same, with the doorbell, wake-ups and completions on the 2-level ABI', async () => {
    const n = Math.max(500, Math.round(TRANSFERS / 4));
    await untilShared(() => runDmaRace({ build: 'release', transfers: n, seed: SEED + 1, abi: '2l', buckets: 4 }), n);
  });

  it('debug build with the invariant check after every mapcache operation', async () => {
    const n = Math.max(300, Math.round(TRANSFERS / 10));
    const r = await runDmaRace({ build: 'debug', transfers: n, seed: SEED, checks: true, buckets: 4 });
    expectClean(r, n);
    expect(r.mapcache.checks).toBeGreaterThan(2 * n);
  });

  for (const noise of [undefined, NOISE]) {
    it(`--inject mapcache-first-free${noise ? ' with noise' : ''}: the harness detects a wrong guest address or a live mapping unmapped`, async () => {
      const r = await runDmaRace({ build: 'stress', transfers: TRANSFERS, seed: SEED, inject: ['mapcache-first-free'], noise, buckets: 4 });
      expect(r.detected, JSON.stringify(r.guest)).toBe(true);
      expect(r.ok).toBe(false);
      // the device model died as QEMU does, or the data/invariants show the damage
      const seen = [r.fatal?.kind, r.finalCheck, r.guest.checksumErrors + r.guest.patternErrors > 0 ? 'data' : undefined].filter(Boolean);
      expect(seen.length).toBeGreaterThan(0);
      if (r.fatal) expect(['bad-ram-offset', 'live-unmapped', 'lock-underflow', 'not-in-cache']).toContain(r.fatal.kind);
    });
  }
});
