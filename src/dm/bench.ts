// The dma workload for `wasmxen bench` to call: overlapping DMA on real
// threads (the race runner without faults), measured. Returns throughput and
// the mapcache's behaviour; throws if any transfer was wrong.
import { runDmaRace } from './race.ts';
import type { MapCacheStats } from './region.ts';
import { DeviceModelError } from '../errors.ts';

/** `runDmaWorkload`'s result: what moved, how fast, and the mapcache counters. */
export interface DmaWorkloadResult {
  transfers: number;
  bytes: number;
  seconds: number;
  mbPerS: number;
  transfersPerS: number;
  workers: number;
  mapcache: MapCacheStats;
}

/** One DMA workload run (release build): `transfers` overlapping transfers served by device-model worker threads; throws if any transfer fails its checks. */
export async function runDmaWorkload(o: { transfers?: number; workers?: number; seed?: number } = {}): Promise<DmaWorkloadResult> {
  const transfers = o.transfers ?? 50_000;
  const r = await runDmaRace({ build: 'release', transfers, workers: o.workers ?? 2, seed: o.seed ?? 1, buckets: 4 });
  if (!r.ok) {
    throw new DeviceModelError(r.fatal ? 'died' : 'corrupt', 1, `dma workload: transfers failed their checks (${r.fatal?.message ?? JSON.stringify(r.guest.failures)}): ` +
      'the device model is broken in this build; its figures mean nothing — run `wasmxen run --scenario dma` for the whole report');
  }
  return {
    transfers, bytes: r.guest.bytes, seconds: r.seconds, mbPerS: r.guest.bytes / 1e6 / r.seconds,
    transfersPerS: transfers / r.seconds, workers: r.workers.length, mapcache: r.mapcache,
  };
}
