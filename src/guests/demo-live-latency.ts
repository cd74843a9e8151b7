// The default scenario's live one-way latency. The guests' HDR histograms
// (demo-common.ts) are read once, at the end; for figures while the run goes
// on, every delivery's latency is also counted in a log-linear histogram in
// the scenario's shared buffer, after the demo's words (demo-shared.ts), and
// the main thread reads percentiles from it at every progress update.
//
// Buckets: values in [2^e, 2^(e+1)) ns, e = 0..BUCKET_EXPONENTS-1, are split
// into SUB_BUCKETS equal parts (values ≥ 2^BUCKET_EXPONENTS ns, about 18
// minutes, land in the last bucket). A percentile is reported as its bucket's
// upper bound: at most 1/SUB_BUCKETS (6.25 %) above the true value, never below.
// Counts are u32 words bumped with Atomics.add by any vCPU (they wrap); the
// reader takes differences between two reads modulo 2^32, exact while fewer
// than 2^32 deliveries fall in one bucket between two reads.
import { SHARED_BYTES } from './demo-shared.ts';

const SUB_BITS = 4;
export const SUB_BUCKETS = 1 << SUB_BITS;
export const BUCKET_EXPONENTS = 40;
const BUCKETS = BUCKET_EXPONENTS * SUB_BUCKETS;
/** Byte offset of the live histogram in the scenario's shared buffer. */
export const LIVE_LATENCY_OFFSET = Math.ceil(SHARED_BYTES / 8) * 8;
/** The shared buffer's size with the live histogram. */
export const DEMO_SHARED_BYTES_WITH_LIVE = LIVE_LATENCY_OFFSET + BUCKETS * 4;

/** The live histogram's words in `sab`, or undefined if the buffer was made without room for it. */
export function liveLatencyWords(sab: SharedArrayBuffer): Uint32Array | undefined {
  return sab.byteLength >= DEMO_SHARED_BYTES_WITH_LIVE ? new Uint32Array(sab, LIVE_LATENCY_OFFSET, BUCKETS) : undefined;
}

/** The bucket of `ns` (≥ 1). */
export function bucketOf(ns: number): number {
  const v = Math.max(1, Math.floor(ns));
  const e = Math.min(BUCKET_EXPONENTS - 1, Math.floor(Math.log2(v)));
  const base = 2 ** e;
  const sub = Math.min(SUB_BUCKETS - 1, Math.floor(((v - base) / base) * SUB_BUCKETS));
  return e * SUB_BUCKETS + sub;
}

/** The largest value bucket `b` holds (its upper bound, exclusive, as reported). */
export function bucketTop(b: number): number {
  const e = Math.floor(b / SUB_BUCKETS);
  const sub = b % SUB_BUCKETS;
  return 2 ** e + ((sub + 1) * 2 ** e) / SUB_BUCKETS;
}

/** Count one delivery's latency (any thread). */
export function recordLive(words: Uint32Array, ns: number): void {
  Atomics.add(words, bucketOf(ns), 1);
}

/** Percentiles of a window of deliveries (ns, bucket upper bounds; 0 with no samples). */
export interface LivePercentiles {
  samples: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** seconds of the run the window covers */
  seconds: number;
}

function percentilesOf(counts: Float64Array, seconds: number): LivePercentiles {
  let n = 0;
  for (const c of counts) n += c;
  const at = (q: number) => {
    if (n === 0) return 0;
    const rank = Math.ceil(q * n);
    let seen = 0;
    for (let b = 0; b < counts.length; b++) {
      seen += counts[b];
      if (seen >= rank) return bucketTop(b);
    }
    return bucketTop(counts.length - 1);
  };
  let top = -1;
  for (let b = counts.length - 1; b >= 0; b--) if (counts[b] > 0) { top = b; break; }
  return { samples: n, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: top < 0 ? 0 : bucketTop(top), seconds };
}

/** The main thread's reader: each sample gives the window since the last sample and the whole run so far. */
export class LiveLatency {
  private readonly prev = new Uint32Array(BUCKETS);
  private readonly total = new Float64Array(BUCKETS);
  private lastAt = 0;

  /** Counts from now on: what the words hold already is the baseline, not part of any window. */
  constructor(private readonly words: Uint32Array) {
    for (let b = 0; b < BUCKETS; b++) this.prev[b] = Atomics.load(words, b);
  }

  /** At `elapsed` seconds since the start. */
  sample(elapsed: number): { interval: LivePercentiles; total: LivePercentiles } {
    const delta = new Float64Array(BUCKETS);
    for (let b = 0; b < BUCKETS; b++) {
      const now = Atomics.load(this.words, b);
      delta[b] = (now - this.prev[b]) >>> 0;
      this.prev[b] = now;
      this.total[b] += delta[b];
    }
    const since = this.lastAt;
    this.lastAt = elapsed;
    return { interval: percentilesOf(delta, elapsed - since), total: percentilesOf(this.total, elapsed) };
  }
}
