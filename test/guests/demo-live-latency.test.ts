// The default scenario's live latency histogram (src/guests/demo-live-latency.ts):
// every value lands in a bucket whose reported bound is at or above it and at
// most 1/16 above; percentiles of a window match the exact percentiles of its
// samples within that bound; windows are differences of two reads, right
// across the u32 counters' wrap; the whole-run window counts every sample once.
import { describe, it, expect } from 'vitest';
import {
  bucketOf, bucketTop, recordLive, liveLatencyWords, LiveLatency, SUB_BUCKETS, DEMO_SHARED_BYTES_WITH_LIVE, LIVE_LATENCY_OFFSET,
} from '../../src/guests/demo-live-latency.ts';
import { SHARED_BYTES } from '../../src/guests/demo-shared.ts';

const SEED = Number(process.env.WASMXEN_SEED ?? 20261206);

/** mulberry32: a small seeded generator. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const exact = (sorted: number[], q: number) => sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)];

describe(`live latency histogram (seed ${SEED}; WASMXEN_SEED overrides)`, () => {
  it('lies after the demo\'s words, and a buffer without room has none', () => {
    expect(LIVE_LATENCY_OFFSET).toBeGreaterThanOrEqual(SHARED_BYTES);
    expect(liveLatencyWords(new SharedArrayBuffer(SHARED_BYTES))).toBeUndefined();
    expect(liveLatencyWords(new SharedArrayBuffer(DEMO_SHARED_BYTES_WITH_LIVE))).toBeInstanceOf(Uint32Array);
  });

  it('reports each value as a bound at or above it, at most 1/16 above', () => {
    const r = rng(SEED);
    for (let i = 0; i < 20_000; i++) {
      const v = Math.max(1, Math.floor(2 ** (r() * 36)));
      const top = bucketTop(bucketOf(v));
      expect(top, `value ${v}`).toBeGreaterThan(v);
      expect(top, `value ${v}`).toBeLessThanOrEqual(v * (1 + 1 / SUB_BUCKETS) + 1);
    }
    for (let b = 1; b < 36 * SUB_BUCKETS; b++) expect(bucketTop(b)).toBeGreaterThan(bucketTop(b - 1));
  });

  it('gives the percentiles of each window and of the whole run, across the counters\' wrap', () => {
    const sab = new SharedArrayBuffer(DEMO_SHARED_BYTES_WITH_LIVE);
    const words = liveLatencyWords(sab)!;
    // counters near the wrap: a window is a difference modulo 2^32
    for (let b = 0; b < words.length; b++) words[b] = 0xffffff00 + (b % 7);
    const live = new LiveLatency(words);
    live.sample(0);
    const r = rng(SEED + 1);
    const all: number[] = [];
    for (let w = 1; w <= 3; w++) {
      const window: number[] = [];
      for (let i = 0; i < 5000; i++) window.push(Math.floor(1000 + r() * r() * 1e6));
      for (const v of window) recordLive(words, v);
      all.push(...window);
      const { interval, total } = live.sample(w * 0.5);
      expect(interval.samples).toBe(window.length);
      expect(interval.seconds).toBeCloseTo(0.5, 9);
      expect(total.samples).toBe(all.length);
      for (const [got, samples] of [[interval, window], [total, all]] as const) {
        const s = [...samples].sort((a, b) => a - b);
        for (const [q, key] of [[0.5, 'p50'], [0.9, 'p90'], [0.99, 'p99'], [1, 'max']] as const) {
          expect(got[key]).toBe(bucketTop(bucketOf(exact(s, q))));
        }
      }
    }
    const empty = live.sample(2);
    expect(empty.interval).toMatchObject({ samples: 0, p50: 0, max: 0 });
  });
});
