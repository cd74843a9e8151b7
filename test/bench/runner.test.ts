// The bench runner fails loudly when a run does not balance: an event on a
// port the receiver did not expect is an accounting violation, and the cell
// rejects with BenchCorrectnessError instead of reporting a number.
import { describe, it, expect } from 'vitest';
import { runCell, BenchCorrectnessError } from '../../src/bench/runner.ts';
import { streamCell } from '../../src/bench/workloads/streams.ts';
import { median, spread } from '../../src/bench/stats.ts';
import { compare, type BenchResult } from '../../src/bench/bench.ts';

describe('bench runner', () => {
  for (const impl of ['wasmxen', 'postmessage'] as const) {
    it(`${impl}: a receiver that sees the wrong ports fails the cell`, async () => {
      const spec = streamCell(impl, { senders: 1, streamsPerSender: 1, ports: 64 });
      spec.geometry = { ...spec.geometry, recvFirst: spec.geometry.recvFirst + 1 }; // off by one: every port is "wrong"
      await expect(runCell(spec, { seconds: 0.05, runs: 1, warmupSeconds: 0.05 })).rejects.toThrow(BenchCorrectnessError);
    });
  }

  it('a balanced cell reports every run', async () => {
    const spec = streamCell('wasmxen', { senders: 1, streamsPerSender: 2, ports: 64 });
    const m = await runCell(spec, { seconds: 0.05, runs: 2, warmupSeconds: 0.05 });
    expect(m.runs).toHaveLength(2);
    for (const r of m.runs) {
      expect(r.delivered).toBe(r.sent);
      expect(r.eventsPerSecond).toBeGreaterThan(0);
    }
    expect(m.latency.totalCount).toBeGreaterThan(0);
  });

  it('median, spread and ratios', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(spread([90, 100, 110])).toBeCloseTo(0.2);
    expect(spread([5])).toBeNaN(); // one run: no spread ("n/a", null in JSON)
    const r = (impl: BenchResult['impl'], eps: number, p50: number) => ({
      workload: 'w', impl, params: {}, events_per_s: eps, latency_ns: { p50, p90: p50, p99: p50, p999: p50, max: p50 },
      latency_samples: 1, vs: {}, vs_latency_p50: {},
    }) as unknown as BenchResult;
    const rs = [r('wasmxen', 100, 1), r('postmessage', 10, 10), r('comlink', 1, 100), r('js-reference', 50, 2)];
    compare(rs);
    expect(rs[0].vs).toEqual({ postmessage: 10, comlink: 100, 'js-reference': 2 });
    expect(rs[0].vs_latency_p50).toEqual({ postmessage: 0.1, comlink: 0.01, 'js-reference': 0.5 });
  });
});
