// The `dma` workload of `wasmxen bench`: the device model's overlapping DMA
// on real threads (src/dm/bench.ts), measured like the other workloads —
// warm-up, several runs, median and spread, CPU time — and reported in the
// same result schema (an event is one transfer, checked end to end), on
// wasmxen alone: Node has no alternative implementation of a guest-memory
// mapcache to compare with. MB/s and the mapcache's counters go in `extra`.
import { runDmaWorkload } from '../dm/bench.ts';
import { median, spread } from './stats.ts';
import type { BenchResult } from './bench.ts';
import { processCpuSeconds } from '../platform/bench.ts';

/** Transfers per run: about `seconds` of work at this machine's rate (~25 k transfers/s). */
const RATE_GUESS = 25_000;
const WORKERS = 2;
const SLOTS = 32;

/** Measure the device model: overlapping DMA transfers through the mapcache, `runs` runs of about `seconds` each, every transfer checked end to end, reported in the bench result schema. */
export async function benchDma(o: { seconds: number; runs: number; cores: number; onRun?: () => void }): Promise<BenchResult> {
  const transfers = Math.max(2_000, Math.round(o.seconds * RATE_GUESS));
  await runDmaWorkload({ transfers: Math.max(1_000, transfers >> 2), seed: 99, workers: WORKERS }); // warm-up
  o.onRun?.();
  const rates: number[] = [];
  const mbs: number[] = [];
  const cpuPerEvent: number[] = [];
  const busy: number[] = [];
  let last;
  for (let i = 0; i < o.runs; i++) {
    const cpu0 = processCpuSeconds()!;
    last = await runDmaWorkload({ transfers, seed: i + 1, workers: WORKERS });
    const cpuS = processCpuSeconds()! - cpu0;
    rates.push(last.transfersPerS);
    mbs.push(last.mbPerS);
    cpuPerEvent.push((cpuS * 1e9) / last.transfers);
    busy.push(cpuS / last.seconds);
    o.onRun?.();
  }
  const threads = WORKERS + 1;
  const coresBusy = median(busy);
  return {
    workload: 'dma', impl: 'wasmxen', params: { workers: WORKERS, slots: SLOTS },
    events_per_s: median(rates), latency: 'not measured',
    latency_ns: { p50: 0, p90: 0, p99: 0, p999: 0, max: 0 }, latency_curve: [], latency_samples: 0,
    runs: o.runs, spread: spread(rates), events_per_s_runs: rates,
    cpu_ns_per_event: median(cpuPerEvent), cores_busy: coresBusy, threads,
    // the guest and the device-model workers sleep between commands (they do not spin): their
    // cores busy says nothing about contention: whether it was contended cannot be told (null)
    contended: null,
    sent: transfers * o.runs, delivered: transfers * o.runs, lost_wakeups: 0, vs: {}, vs_latency_p50: {},
    extra: {
      mb_per_s: median(mbs), mapcache_hits: last!.mapcache.hits, mapcache_misses: last!.mapcache.misses,
      mapcache_remaps: last!.mapcache.remaps,
    },
  };
}
