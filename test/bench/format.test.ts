// The bench's figure formatting: a ratio judged against a target never
// prints a figure the target would judge otherwise.
import { describe, it, expect } from 'vitest';
import { ratio, rate, judgedRatio, judgedRate } from '../../src/bench/format.ts';
import { targetsTable } from '../../src/bench/markdown.ts';
import type { BenchReport, BenchResult } from '../../src/bench/bench.ts';

describe('judgedRatio', () => {
  const atLeastHalf = (x: number) => x >= 0.5;
  it('rounds as ratio does when the rounding keeps the judgement', () => {
    expect(judgedRatio(0.4612, atLeastHalf)).toBe(ratio(0.4612));
    expect(judgedRatio(0.5031, atLeastHalf)).toBe('0.50×');
    expect(judgedRatio(22.14, (x) => x >= 20)).toBe('22.1×');
    expect(judgedRatio(undefined, atLeastHalf)).toBe('–');
  });
  it('shows the digits that keep a missed target from reading as met, and the reverse', () => {
    expect(judgedRatio(0.4967, atLeastHalf)).toBe('0.497×');
    expect(judgedRatio(0.49996, atLeastHalf)).toBe('0.49996×');
    expect(judgedRatio(19.96, (x) => x >= 20)).toBe('19.960×');
    expect(judgedRatio(3.004, (x) => x <= 3)).toBe('3.004×');
  });
});

describe('judgedRate', () => {
  const atLeast15M = (x: number) => x >= 15e6;
  it('rounds as rate does when the rounding keeps the judgement', () => {
    expect(judgedRate(14.2e6, atLeast15M)).toBe(rate(14.2e6));
    expect(judgedRate(15.04e6, atLeast15M)).toBe('15.0 M');
    expect(judgedRate(980e3, atLeast15M)).toBe(rate(980e3));
  });
  it('shows the digits that keep a missed target from reading as met', () => {
    expect(judgedRate(14.962e6, atLeast15M)).toBe('14.96 M');
    expect(judgedRate(14.9996e6, atLeast15M)).toBe('14.9996 M');
  });
});

describe('targetsTable', () => {
  it('a target whose baseline was not measured says so, never "missed"', () => {
    const one = { workload: 'fifo-1to1', impl: 'wasmxen', params: {}, events_per_s: 16e6, vs: {}, contended: false } as unknown as BenchResult;
    const t = targetsTable({ results: [one] } as unknown as BenchReport);
    expect(t).toContain('| `fifo-1to1` ≥ 20× postMessage | – | not measured |');
    expect(t).toContain('| `fifo-1to1` ≥ 2× the JS reference | – | not measured |');
    expect(t).toContain('| `fifo-1to1` ≥ 15 M events/s | 16.0 M/s | met |');
  });
});
