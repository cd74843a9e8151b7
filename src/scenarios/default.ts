// The main job: two domains × two vCPUs on worker threads. Domain 1 pings
// domain 2 over an interdomain channel (latency), streams events on eight
// fan-in ports at mixed priorities, and inside each domain the two vCPUs
// bounce IPIs; a periodic timer VIRQ ticks on every vCPU. Every event of
// every flow is accounted exactly once. At the end, whatever the duration,
// the run waits (bounded) until every vCPU has booted, quiesces the senders
// (S_QUIESCE / S_SENDING: after it no send can start), waits (bounded) until
// every event in flight has been delivered, and only then stops the guests:
// `lost` and `duplicated` count only what really was.
import * as hdr from 'hdr-histogram-js';
import { WideCounter } from '../util/wide-counter.ts';
import { ConfigError, StuckVcpuError } from '../errors.ts';
import { valueAt } from '../bench/stats.ts';
import { TP_KIND_CONSOLE, TP_KIND_OTHER } from '../migrate/format.ts';
import type { ImagePort } from '../migrate/parse.ts';
import { Hypervisor } from '../hypervisor.ts';
import { builtinGuest } from '../platform/host.ts';
import { monotonicNs } from '../platform/clock.ts';
import { guestLayout } from '../guest/layout.ts';
import type { FrontendConfig } from '../guests/frontend.ts';
import type { MigrationReport } from './migrating.ts';
import {
  demoViews, S_QUIESCE, S_SENDING, S_BOOTED, ALL_BOOTED, S_DUPLICATED, S_TICKS, allFlows, sentOf, deliveredOf,
  receiverOf, F_PING, F_PONG, F_FANIN, F_IPI, FANIN_PORTS, type DemoViews,
} from '../guests/demo-shared.ts';
import { LiveLatency, liveLatencyWords, DEMO_SHARED_BYTES_WITH_LIVE, type LivePercentiles } from '../guests/demo-live-latency.ts';

export interface RunReport {
  scenario: 'default';
  abi: '2l' | 'fifo';
  seconds: number;
  sent: number;
  delivered: number;
  lost: number;
  duplicated: number;
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

/** Bound on the wait for every vCPU to boot (worker start, module load, binds) on a loaded machine. */
export const BOOT_LIMIT_MS = 60_000;
/** Bound on the wait for the events in flight after quiescing (a handful per flow). */
export const DRAIN_LIMIT_MS = 20_000;
/** Longest run: the wrapping counters are widened by sampling (src/util/wide-counter.ts), so only Node's timers bound it. */
export const MAX_RUN_SECONDS = 30 * 24 * 3600;
const TICK_MS = 100;
/** Shortest stretch with every vCPU up that a rate is reported from (a few progress samples). */
export const MIN_RATE_S = 0.2;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface RunProgress {
  phase: 'booting' | 'running' | 'draining';
  elapsed: number;
  seconds: number;
  sent: number;
  delivered: number;
  /** delivered so far, by flow */
  flows: { pingpong: number; fanin: number; ipi: number };
  /** one-way latency of every flow's deliveries (src/guests/demo-live-latency.ts): since the last update, and since the start */
  latency: { interval: LivePercentiles; total: LivePercentiles };
}

/** Every flow's sent and delivered words, widened. */
class FlowCounters {
  private readonly sent: WideCounter[];
  private readonly delivered: WideCounter[];
  constructor(v: DemoViews, readonly flows: number[]) {
    this.sent = flows.map((f) => new WideCounter(() => Atomics.load(v.i32, sentOf(f))));
    this.delivered = flows.map((f) => new WideCounter(() => Atomics.load(v.i32, deliveredOf(f))));
  }
  sample(): { sent: number[]; delivered: number[] } {
    return { sent: this.sent.map((c) => c.sample()), delivered: this.delivered.map((c) => c.sample()) };
  }
}

const bootedNames = (mask: number) => [0, 1, 2, 3].filter((b) => (mask & (1 << b)) === 0).map((b) => [1 + (b >> 1), b & 1] as [number, number]);
const vcpuList = (vs: [number, number][]) => vs.map(([d, c]) => `domain ${d} vCPU ${c}`).join(', ');

/** Options of the default scenario. */
export interface DefaultScenarioOptions {
  seconds: number;
  timerHz?: number;
  abi?: '2l' | 'fifo';
  onProgress?: (p: RunProgress) => void;
  /** called once the hypervisor exists, before its vCPUs start (a live view reads its machine) */
  onStart?: (hv: Hypervisor) => void;
  /** at `at` seconds (< seconds), save domain 1's image, hand it to `write` (e.g. into `file`) and let it run on */
  save?: { at: number; file: string; write: (chunks: Uint8Array[]) => Promise<void> };
}

export async function runDefaultScenario(opts: DefaultScenarioOptions): Promise<RunReport> {
  if (!(opts.seconds > 0 && opts.seconds <= MAX_RUN_SECONDS)) throw new ConfigError(`a run of ${opts.seconds} s: give seconds in (0, ${MAX_RUN_SECONDS}]`);
  const abi = opts.abi ?? 'fifo';
  const shared = new SharedArrayBuffer(DEMO_SHARED_BYTES_WITH_LIVE);
  const v = demoViews(shared);
  // the toolstack's plan: domain 1's monitor and console rings in its first free frames
  const free = guestLayout(2, 1023).freeGfn;
  const frontend: FrontendConfig = {};
  const consoleText: Uint8Array[] = [];
  const consoleOut = { write: (c: Uint8Array) => consoleText.push(c) };
  const hv = await Hypervisor.create({
    domains: [
      { id: 1, vcpus: 2, guest: builtinGuest('frontend'), config: frontend },
      { id: 2, vcpus: 2, guest: builtinGuest('backend') },
    ],
    shared,
    abi,
    consumers: [{ name: 'monitor', module: 'monitor' }, { name: 'console', module: 'console' }],
    consoleStream: consoleOut,
  });
  const monitorHost = hv.monitor; // its counters are read after shutdown
  frontend.monitor = { ringGfn: free, xenPort: monitorHost.openRing(1, free) };
  frontend.console = { ringGfn: free + 1, xenPort: hv.console.openRing(1, free + 1) };
  const flows = allFlows();
  const counters = new FlowCounters(v, flows);
  const dup = new WideCounter(() => Atomics.load(v.i32, S_DUPLICATED));
  const live = new LiveLatency(liveLatencyWords(shared)!);
  let last = counters.sample();
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const byFlow = (fs: number[]) => fs.reduce((a, f) => a + last.delivered[flows.indexOf(f)], 0);
  const flowTotals = () => ({
    pingpong: byFlow([F_PING, F_PONG]),
    fanin: byFlow(Array.from({ length: FANIN_PORTS }, (_, i) => F_FANIN + 2 * i)),
    ipi: byFlow([0, 1, 2, 3].map((i) => F_IPI + 2 * i)),
  });
  let report;
  let saved: RunReport['save'];
  const started = monotonicNs();
  const now = () => Number(monotonicNs() - started) / 1e9;
  let elapsed = 0;
  // the rate is measured while every vCPU runs: from the first sample that finds all booted to the quiesce
  let steady: { t: number; delivered: number } | undefined;
  let atQuiesce: { t: number; delivered: number } | undefined;
  const progress = (phase: RunProgress['phase']) => {
    last = counters.sample();
    dup.sample();
    const at = now();
    if (!steady && (Atomics.load(v.i32, S_BOOTED) & ALL_BOOTED) === ALL_BOOTED) steady = { t: at, delivered: sum(last.delivered) };
    opts.onProgress?.({
      phase, elapsed: at, seconds: opts.seconds, sent: sum(last.sent), delivered: sum(last.delivered), flows: flowTotals(), latency: live.sample(at),
    });
  };
  /** Until `done` (which samples) or `limitS` (seconds since start) passes, every TICK_MS; true if done. */
  const waitUntil = async (done: () => boolean, limitS: number) => {
    for (;;) {
      if (done()) return true;
      const left = limitS - now();
      if (left <= 0) return false;
      await sleep(Math.min(TICK_MS, left * 1000));
    }
  };
  try {
    opts.onStart?.(hv);
    hv.start();
    hv.startTimer(opts.timerHz ?? 100);
    if (opts.save) {
      await waitUntil(() => (progress('running'), false), Math.min(opts.save.at, opts.seconds));
      saved = await saveImage(hv, opts.save, [
        { port: frontend.console.xenPort, remoteDom: 0, kind: TP_KIND_CONSOLE },
        { port: frontend.monitor.xenPort, remoteDom: 0, kind: TP_KIND_OTHER },
      ]);
      saved.at_s = now();
    }
    await waitUntil(() => (progress('running'), false), opts.seconds);
    // a run shorter than the boot ends when the guests have booted (their first sends counted)
    const booted = () => (progress('booting'), (Atomics.load(v.i32, S_BOOTED) & ALL_BOOTED) === ALL_BOOTED);
    if (!await waitUntil(booted, now() + BOOT_LIMIT_MS / 1000)) {
      const stuck = bootedNames(Atomics.load(v.i32, S_BOOTED));
      throw new StuckVcpuError(`${vcpuList(stuck)} did not finish booting within ${BOOT_LIMIT_MS / 1000} s`, stuck);
    }
    // quiesce: once S_QUIESCE is stored, a send either saw it or is counted in S_SENDING (demo-common.ts);
    // S_SENDING is read before the sample, so a 0 there means the sample holds every send there will be
    progress('running');
    atQuiesce = { t: now(), delivered: sum(last.delivered) };
    Atomics.store(v.i32, S_QUIESCE, 1);
    let quiet = false;
    const drained = () => {
      quiet = Atomics.load(v.i32, S_SENDING) === 0;
      progress('draining');
      return quiet && last.delivered.every((d, i) => d >= last.sent[i]);
    };
    if (!await waitUntil(drained, now() + DRAIN_LIMIT_MS / 1000)) {
      const stuck = flows.filter((_, i) => last.delivered[i] < last.sent[i]).map(receiverOf);
      const unique = [...new Map(stuck.map((x) => [`${x[0]}.${x[1]}`, x])).values()];
      throw new StuckVcpuError(quiet
        ? `${vcpuList(unique)} did not take ${sum(last.sent) - sum(last.delivered)} event(s) in flight within ${DRAIN_LIMIT_MS / 1000} s of the end`
        : `a vCPU was still sending ${DRAIN_LIMIT_MS / 1000} s after the senders were told to stop`, unique);
    }
    elapsed = now();
  } finally {
    report = await hv.shutdown();
  }
  if (report.crashed.length > 0) throw report.crashed[0];
  progress('draining');
  const latency = hdr.build({ bitBucketSize: 64 });
  let spurious = 0;
  let late = 0;
  const monitor = { requests: 0, answers: 0, callbacks: monitorHost.stats().calls };
  for (const r of report.vcpus) {
    spurious += r.spurious;
    late += r.kernel.lateWakeups;
    const g = r.guest as { latency?: string; monitor?: { requests: number; answers: number } } | undefined;
    if (g?.latency) latency.add(hdr.decodeFromCompressedBase64(g.latency));
    if (g?.monitor) { monitor.requests += g.monitor.requests; monitor.answers += g.monitor.answers; }
  }
  const sent = sum(last.sent);
  const delivered = sum(last.delivered);
  const duplicated = dup.sample();
  return {
    scenario: 'default',
    abi,
    seconds: elapsed,
    sent,
    delivered,
    lost: Math.max(0, sent - delivered),
    duplicated,
    // NaN (JSON null, shown n/a) when the run ended before it had a measured stretch with every vCPU up
    events_per_s: steady && atQuiesce && atQuiesce.t - steady.t >= MIN_RATE_S ? (atQuiesce.delivered - steady.delivered) / (atQuiesce.t - steady.t) : NaN,
    latency_ns: {
      p50: valueAt(latency, 50), p90: valueAt(latency, 90), p99: valueAt(latency, 99), max: latency.maxValue,
    },
    flows: flowTotals(),
    timer_ticks: [0, 1, 2, 3].reduce((a, i) => a + Atomics.load(v.i32, S_TICKS + i), 0),
    spurious,
    late_wakeups: late,
    monitor,
    console: consoleLines(consoleText),
    ...(saved ? { save: saved } : {}),
  };
}

/** The console's bytes (UTF-8, in the order drained) as its non-empty lines. */
function consoleLines(chunks: Uint8Array[]): string[] {
  const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) { all.set(c, at); at += c.length; }
  return new TextDecoder().decode(all).split('\n').filter((l) => l.length > 0);
}

/** hv.saveTo domain 1 and hand the image to `save.write`: paused only while the image is copied out of its memory. */
async function saveImage(hv: Hypervisor, save: NonNullable<DefaultScenarioOptions['save']>, toolstackPorts: ImagePort[]): Promise<NonNullable<RunReport['save']>> {
  const chunks: Uint8Array[] = [];
  const t0 = monotonicNs();
  const fig = await hv.saveTo(1, (c) => chunks.push(c), { toolstackPorts });
  const downtime = Number(monotonicNs() - t0) / 1e6;
  await save.write(chunks);
  return { file: save.file, at_s: 0, bytes: fig.bytes, records: fig.records, downtime_ms: downtime };
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
    ...(r.migration ? [] : [`  monitor ${n(r.monitor.requests)} requests from domain 1 answered in Xen (${n(r.monitor.answers)} answers received)`]),
    ...r.console.map((l) => `  console ${l}`),
    ...(r.migration ? [formatMigration(r.migration, n)] : []),
    ...(r.save ? [`  save    domain 1 at ${r.save.at_s.toFixed(2)} s: ${n(r.save.bytes)} bytes, ${r.save.records} records in ${r.save.file} (paused ${r.save.downtime_ms.toFixed(1)} ms)`] : []),
    r.lost === 0 && r.duplicated === 0 ? '  every event delivered exactly once' : '  EVENTS LOST OR DUPLICATED',
  ].join('\n');
}

function formatMigration(m: MigrationReport, n: (x: number) => number | string): string {
  const head = `  migrate domain 1 at ${m.at_s.toFixed(2)} s to a second wasmxen process over 127.0.0.1: ${n(m.bytes)} bytes, ${m.records} records, paused ${m.downtime_ms.toFixed(1)} ms`;
  if (!m.ok) return `${head}\n          FAILED (${m.error}): domain 1 resumed on the source and ran on there`;
  const t = m.target;
  return `${head}\n          source copy destroyed; on the target a fresh backend took over${t ? `: ${n(t.delivered)} events delivered there, ${n(t.ipis)} IPIs and ${n(t.timer_ticks)} timer ticks of domain 1 after the move` : ''}`;
}
