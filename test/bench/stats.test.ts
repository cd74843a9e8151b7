// Figures that cannot contradict themselves: HdrHistogram answers a
// percentile with the top of its bucket, which can lie above the exact
// maximum (the "p50 24936.4 µs … max 24920.1 µs").
import { describe, it, expect } from 'vitest';
import * as hdr from 'hdr-histogram-js';
import { percentiles, curve, spread, valueAt } from '../../src/bench/stats.ts';
import { percent } from '../../src/bench/format.ts';

describe('bench statistics', () => {
  it('no percentile exceeds the maximum, even when the bucket top does', () => {
    const h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60e9, numberOfSignificantValueDigits: 3, bitBucketSize: 64 });
    h.recordValue(24_920_100);
    expect(h.getValueAtPercentile(50)).toBeGreaterThan(h.maxValue); // the raw answer does
    const p = percentiles(h);
    expect(p.max).toBe(24_920_100);
    for (const k of ['p50', 'p90', 'p99', 'p999'] as const) expect(p[k]).toBeLessThanOrEqual(p.max);
    const c = curve(h).map(([, v]) => v);
    for (let i = 1; i < c.length; i++) expect(c[i]).toBeGreaterThanOrEqual(c[i - 1]);
    expect(Math.max(...c)).toBe(p.max);
    expect(valueAt(h, 100)).toBe(p.max);
  });

  it('a spread from one run is n/a (null in JSON), from two a number', () => {
    expect(Number.isNaN(spread([5]))).toBe(true);
    expect(JSON.parse(JSON.stringify({ s: spread([5]) })).s).toBeNull();
    expect(percent(spread([5]))).toBe('n/a');
    expect(spread([4, 6])).toBeCloseTo(0.4);
    expect(percent(spread([4, 6]))).toBe('40%');
  });
});
