// Summaries of repeated runs and of latency histograms.
import type * as hdr from 'hdr-histogram-js';

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** (max − min) / median: 0.05 means the runs lay within 5 % of the median's size; NaN (shown "n/a", JSON null) from fewer than 2 runs. */
export function spread(xs: readonly number[]): number {
  const m = median(xs);
  return xs.length < 2 || !(m > 0) ? NaN : (Math.max(...xs) - Math.min(...xs)) / m;
}

/**
 * The value at percentile `p`, never above the recorded maximum: HdrHistogram
 * answers a percentile with the highest value equivalent to its bucket (up
 * to 0.1 % above any recorded value at 3 significant digits), while maxValue
 * is exact — so an unclamped p99.9 can exceed the max it precedes.
 * @internal (hdr-histogram-js is bundled, not a dependency: its types stay out of the declarations)
 */
export function valueAt(h: hdr.Histogram, p: number): number {
  if (h.totalCount === 0) return 0;
  if (p >= 100) return h.maxValue;
  return Math.min(h.getValueAtPercentile(p), h.maxValue);
}

/** Latency percentiles in nanoseconds. */
export interface Percentiles { p50: number; p90: number; p99: number; p999: number; max: number }

/** @internal (hdr-histogram-js is bundled, not a dependency: its types stay out of the declarations) */
export function percentiles(h: hdr.Histogram): Percentiles {
  return {
    p50: valueAt(h, 50),
    p90: valueAt(h, 90),
    p99: valueAt(h, 99),
    p999: valueAt(h, 99.9),
    max: h.maxValue,
  };
}

/** The points of a latency distribution plot: [percentile, ns]. */
export const CURVE_PERCENTILES = [0, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.99, 100];

/** @internal (hdr-histogram-js is bundled, not a dependency: its types stay out of the declarations) */
export function curve(h: hdr.Histogram): [number, number][] {
  if (h.totalCount === 0) return [];
  return CURVE_PERCENTILES.map((p) => [p, p === 0 ? h.minNonZeroValue : valueAt(h, p)]);
}
