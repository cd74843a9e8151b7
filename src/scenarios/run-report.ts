// What a run of the default scenario's guests reports (`wasmxen run`, with
// or without --migrate-at), and its human-readable form.
import type * as hdr from 'hdr-histogram-js';
import { valueAt } from '../bench/stats.ts';

/** What every `wasmxen run` scenario reports first: its ABI, its length and its exactly-once totals. */
export interface RunTotals {
  abi: '2l' | 'fifo';
  /** the run's length in seconds */
  seconds: number;
  sent: number;
  delivered: number;
  /** events sent and never delivered */
  lost: number;
  /** deliveries beyond the sends */
  duplicated: number;
  /** delivered events per second */
  events_per_s: number;
}

export interface RunReport extends RunTotals {
  scenario: 'default';
  /** delivered events per second from the moment every vCPU had booted to the quiesce; NaN (JSON null) if that was under 0.2 s */
  events_per_s: number;
  latency_ns: { p50: number; p90: number; p99: number; max: number };
  flows: { pingpong: number; fanin: number; ipi: number };
  timer_ticks: number;
  spurious: number;
  late_wakeups: number;
  /** the vm_event-style monitor: requests posted by domain 1, answers it received */
  monitor: { requests: number; answers: number; callbacks: number };
  /** what the guests wrote to their emulated console */
  console: string[];
  /** the data plane's fifo-1to1 rate measured in the same process after the scenario (`wasmxen run` adds it) */
  data_plane?: { workload: 'fifo-1to1'; events_per_s: number };
  /** with `save`: domain 1's image written mid-run (src/migrate/), the domain paused only for the copy */
  save?: { file: string; at_s: number; bytes: number; records: number; downtime_ms: number };
  /** with `--migrate-at` (src/scenarios/migrating.ts): domain 1 moved to a second process; counts summed over both */
  migration?: MigrationReport;
}

/** What `--migrate-at` adds to the run's report. */
export interface MigrationReport {
  /** seconds into the run when domain 1 was paused */
  at_s: number;
  ok: boolean;
  /** domain 1 paused: from the pause to the target's ok — its resume path finished — (or to the source's resume on failure) */
  downtime_ms: number;
  /** image bytes, records and populated pages sent */
  bytes: number;
  records: number;
  pages: number;
  /** why it failed — the target refused the image, did not answer, or domain 1 did not pause — (the source resumed it) */
  error?: string;
  fault?: string;
  /** refused: ping-pong events delivered after the source resumed domain 1 (its frontend really runs on) */
  pingpong_after_resume?: number;
  /** what the target host counted after the move */
  target?: {
    delivered: number; ipis: number; timer_ticks: number; spurious: number;
    /** the target hypervisor's private-region layout version (--migrate-layout) */
    layout_version: number;
    /** the moved frontend's resume path: ports rebound, requests notified again, IPI chain restarted */
    resumed?: { ports: number; renotified: number; ipiRestarted: boolean };
    /** console bytes the target's console took from the moved ring (those the source had not taken first), monitor requests posted there */
    console_bytes: number;
    monitor_requests: number;
  };
}

/** Shortest stretch with every vCPU up that a rate is reported from (a few progress samples). */
export const MIN_RATE_S = 0.2;

/** Delivered events per second between two samples; NaN (JSON null, shown n/a) if they are under MIN_RATE_S apart. */
export function rateBetween(from: { t: number; delivered: number } | undefined, to: { t: number; delivered: number } | undefined): number {
  return from && to && to.t - from.t >= MIN_RATE_S ? (to.delivered - from.delivered) / (to.t - from.t) : NaN;
}

/** The report's one-way latency percentiles of a histogram (ns). */
export function latencyNs(h: hdr.Histogram): RunReport['latency_ns'] {
  return { p50: valueAt(h, 50), p90: valueAt(h, 90), p99: valueAt(h, 99), max: h.maxValue };
}

export function formatRunReport(r: RunReport): string {
  const n = (x: number) => Math.round(x).toLocaleString('en-US');
  const us = (ns: number) => `${(ns / 1000).toFixed(1)} µs`;
  return [
    `wasmxen: 2 domains × 2 vCPUs on worker threads, ${r.abi === 'fifo' ? 'FIFO' : '2-level'} ABI, ${r.seconds.toFixed(2)} s`,
    `  events  sent ${n(r.sent)}  delivered ${n(r.delivered)}  lost ${r.lost}  duplicated ${r.duplicated}`,
    `  flows   ping-pong ${n(r.flows.pingpong)}  fan-in (8 ports, mixed priorities) ${n(r.flows.fanin)}  IPIs ${n(r.flows.ipi)}`,
    Number.isFinite(r.events_per_s)
      ? `  rate    ${n(r.events_per_s)} events/s from the last vCPU's boot to the end of sending${r.data_plane ? ` (the data plane alone, fifo-1to1 in one short run here: ${n(r.data_plane.events_per_s)} events/s; ${(r.events_per_s / r.data_plane.events_per_s).toFixed(3)}× of it)` : ''}`
      : `  rate    n/a: the run stopped within ${MIN_RATE_S} s of the last vCPU's boot (run longer for a rate)`,
    `  latency one-way p50 ${us(r.latency_ns.p50)}  p90 ${us(r.latency_ns.p90)}  p99 ${us(r.latency_ns.p99)}  max ${us(r.latency_ns.max)}`,
    `  timer   ${n(r.timer_ticks)} VIRQ_TIMER ticks handled; spurious events ${r.spurious}; lost wake-ups ${r.late_wakeups}`,
    `  monitor ${n(r.monitor.requests)} requests from domain 1 answered in Xen (${n(r.monitor.answers)} answers received)`,
    ...consoleShown(r.console).map((l) => `  console ${l}`),
    ...(r.migration ? [formatMigration(r.migration, n)] : []),
    ...(r.save ? [`  save    domain 1 at ${r.save.at_s.toFixed(2)} s: ${n(r.save.bytes)} bytes, ${r.save.records} records in ${r.save.file} (paused ${r.save.downtime_ms.toFixed(1)} ms)`] : []),
    r.lost === 0 && r.duplicated === 0 ? '  every event delivered exactly once' : '  EVENTS LOST OR DUPLICATED',
  ].join('\n');
}

/** Console lines a terminal shows: all of a dozen, else the first and last few around a count (--json has them all). */
const CONSOLE_SHOWN = 12;
function consoleShown(lines: string[]): string[] {
  if (lines.length <= CONSOLE_SHOWN) return lines;
  const head = CONSOLE_SHOWN / 2;
  const tail = CONSOLE_SHOWN - head - 1;
  return [...lines.slice(0, head), `… ${lines.length - head - tail} more lines (--json has every line)`, ...lines.slice(-tail)];
}

function formatMigration(m: MigrationReport, n: (x: number) => number | string): string {
  const head = `  migrate domain 1 at ${m.at_s.toFixed(2)} s to a second wasmxen process over 127.0.0.1: ${n(m.bytes)} bytes, ${m.records} records, paused ${m.downtime_ms.toFixed(1)} ms`;
  if (!m.ok) return `${head}\n          FAILED (${m.error}): domain 1 resumed on the source and ran on there`;
  const t = m.target;
  return `${head}\n          source copy destroyed; on the target a fresh backend took over${t ? `: ${n(t.delivered)} events delivered there, ${n(t.ipis)} IPIs and ${n(t.timer_ticks)} timer ticks of domain 1 after the move` : ''}` +
    (t ? `\n          its console and monitor carried on at the same ports: ${n(t.console_bytes)} console bytes and ${n(t.monitor_requests)} monitor requests there` : '');
}

/** The console's bytes (UTF-8, in the order drained) as its non-empty lines. */
export function consoleLines(chunks: Uint8Array[]): string[] {
  const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) { all.set(c, at); at += c.length; }
  return new TextDecoder().decode(all).split('\n').filter((l) => l.length > 0);
}
