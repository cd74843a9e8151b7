// The run report's human-readable form: a long console is shown as its first
// and last lines around a count of the rest; a short one whole.
import { describe, it, expect } from 'vitest';
import { formatRunReport, type RunReport } from '../../src/scenarios/run-report.ts';

function report(console: string[]): RunReport {
  return {
    scenario: 'default', abi: 'fifo', seconds: 1, sent: 10, delivered: 10, lost: 0, duplicated: 0, events_per_s: 10,
    latency_ns: { p50: 1, p90: 1, p99: 1, max: 1 }, flows: { pingpong: 10, fanin: 0, ipi: 0 }, timer_ticks: 0, spurious: 0,
    late_wakeups: 0, monitor: { requests: 0, answers: 0, callbacks: 0 }, console,
  };
}

const shown = (text: string) => text.split('\n').filter((l) => l.startsWith('  console ')).map((l) => l.slice('  console '.length));

describe('formatRunReport: the console', () => {
  it('a dozen lines or fewer: every line', () => {
    const lines = Array.from({ length: 12 }, (_, i) => `line ${i}`);
    expect(shown(formatRunReport(report(lines)))).toEqual(lines);
  });

  it('more: the first six, a count of the elided ones, the last five', () => {
    const lines = Array.from({ length: 40 }, (_, i) => `line ${i}`);
    expect(shown(formatRunReport(report(lines)))).toEqual([
      ...lines.slice(0, 6), '… 29 more lines (--json has every line)', ...lines.slice(35),
    ]);
  });
});
