// The `dma` workload of `wasmxen bench`: the device model's overlapping DMA
// on real threads (src/dm/bench.ts), measured like the other workloads —
// warm-up, several runs, median and spread — but on wasmxen alone: Node has
// no alternative implementation of a guest-memory mapcache to compare with.
import { runDmaWorkload } from '../dm/bench.ts';

/** `benchDma`'s result: transfer and byte rates, their spread, the mapcache counters. */
export interface DmaBenchResult {
  workload: 'dma';
  impl: 'wasmxen';
  runs: number;
  transfers_per_s: number;
  mb_per_s: number;
  /** (max − min) / median of transfers/s */
  spread: number;
  workers: number;
  /** every run's transfers were checked end to end (a failure throws) */
  transfers: number;
  mapcache: { hits: number; misses: number; remaps: number };
}

/** Transfers per run: about `seconds` of work at this machine's rate (~25 k transfers/s). */
const RATE_GUESS = 25_000;

/** Measure the device model: overlapping DMA transfers through the mapcache, `runs` runs of about `seconds` each, every transfer checked end to end. */
export async function benchDma(seconds: number, runs: number, onRun?: (done: number, total: number) => void): Promise<DmaBenchResult> {
  const transfers = Math.max(2_000, Math.round(seconds * RATE_GUESS));
  await runDmaWorkload({ transfers: Math.max(1_000, transfers >> 2), seed: 99 }); // warm-up
  const rates: number[] = [];
  const mbs: number[] = [];
  let last;
  for (let i = 0; i < runs; i++) {
    last = await runDmaWorkload({ transfers, seed: i + 1 });
    rates.push(last.transfersPerS);
    mbs.push(last.mbPerS);
    onRun?.(i + 1, runs);
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  const m = median(rates);
  return {
    workload: 'dma', impl: 'wasmxen', runs, transfers_per_s: m, mb_per_s: median(mbs),
    spread: (Math.max(...rates) - Math.min(...rates)) / m, workers: last!.workers, transfers: transfers * runs,
    mapcache: { hits: last!.mapcache.hits, misses: last!.mapcache.misses, remaps: last!.mapcache.remaps },
  };
}

/** The one-line summary of `benchDma` in the bench table. */
export function formatDmaLine(r: DmaBenchResult): string {
  return `dma        wasmxen    ${(r.transfers_per_s / 1000).toFixed(1)} k transfers/s  ${r.mb_per_s.toFixed(0)} MB/s  ` +
    `spread ${(r.spread * 100).toFixed(1)}%  ${r.workers} device-model workers, 32 slots; mapcache hits ${r.mapcache.hits}, ` +
    `misses ${r.mapcache.misses}, remaps ${r.mapcache.remaps}; ${r.transfers.toLocaleString('en-US')} transfers checked end to end`;
}
