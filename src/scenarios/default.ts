// The main job: two domains × two vCPUs on worker threads. Domain 1 pings
// domain 2 over an interdomain channel (latency), streams events on eight
// fan-in ports at mixed priorities, and inside each domain the two vCPUs
// bounce IPIs; a periodic timer VIRQ ticks on every vCPU. Every event of
// every flow is accounted exactly once. At the end, whatever the duration,
// the run waits (bounded) until every vCPU has booted, quiesces the senders
// and waits (bounded) until every event in flight has been delivered
// (src/scenarios/run-phases.ts), and only then stops the guests: `lost` and
// `duplicated` count only what really was.
import * as hdr from 'hdr-histogram-js';
import { ConfigError } from '../errors.ts';
import type { ImagePort } from '../migrate/parse.ts';
import { Hypervisor } from '../hypervisor.ts';
import { builtinGuest } from '../platform/host.ts';
import { monotonicNs } from '../platform/clock.ts';
import { guestLayout } from '../guest/layout.ts';
import type { FrontendConfig } from '../guests/frontend.ts';
import { demoViews } from '../guests/demo-shared.ts';
import { LiveLatency, liveLatencyWords, DEMO_SHARED_BYTES_WITH_LIVE, type LivePercentiles } from '../guests/demo-live-latency.ts';
import { FlowSample, flowTotals, exactlyOnce, sum } from './flow-sample.ts';
import { RunClock } from './run-clock.ts';
import { allBooted, awaitBoot, quiesceAndDrain } from './run-phases.ts';
import { latencyNs, rateBetween, consoleLines, type RunReport } from './run-report.ts';
import { toolstackPorts, openToolstackChannels, TOOLSTACK_CONSUMERS } from './toolstack-channels.ts';

/** Longest run: the wrapping counters are widened by sampling (src/util/wide-counter.ts), so only Node's timers bound it. */
export const MAX_RUN_SECONDS = 30 * 24 * 3600;

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
    consumers: TOOLSTACK_CONSUMERS,
    consoleStream: consoleOut,
  });
  const monitorHost = hv.monitor; // its counters are read after shutdown
  openToolstackChannels(hv, frontend, free);
  const flows = new FlowSample(v);
  const live = new LiveLatency(liveLatencyWords(shared)!);
  let report;
  let saved: RunReport['save'];
  const clock = new RunClock();
  let elapsed = 0;
  // the rate is measured while every vCPU runs: from the first sample that finds all booted to the quiesce
  let steady: { t: number; delivered: number } | undefined;
  let atQuiesce: { t: number; delivered: number } | undefined;
  const progress = (phase: RunProgress['phase']) => {
    const c = flows.sample();
    const at = clock.now();
    if (!steady && allBooted(v)) steady = { t: at, delivered: sum(c.delivered) };
    opts.onProgress?.({
      phase, elapsed: at, seconds: opts.seconds, sent: sum(c.sent), delivered: sum(c.delivered), flows: flowTotals(c), latency: live.sample(at),
    });
    return c;
  };
  try {
    opts.onStart?.(hv);
    hv.start();
    hv.startTimer(opts.timerHz ?? 100);
    if (opts.save) {
      await clock.runUntil(() => progress('running'), Math.min(opts.save.at, opts.seconds));
      saved = await saveImage(hv, opts.save, toolstackPorts(frontend));
      saved.at_s = clock.now();
    }
    await clock.runUntil(() => progress('running'), opts.seconds);
    // a run shorter than the boot ends when the guests have booted (their first sends counted)
    await awaitBoot(v, clock, () => progress('booting'));
    const before = progress('running');
    atQuiesce = { t: clock.now(), delivered: sum(before.delivered) };
    await quiesceAndDrain(v, clock, () => progress('draining'), flows.flows, flows.flows.map((_, i) => i));
    elapsed = clock.now();
  } finally {
    report = await hv.shutdown();
  }
  if (report.crashed.length > 0) throw report.crashed[0];
  const last = progress('draining');
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
  // a guest counts a delivery beyond the sends as a duplicate, never as delivered: no flow shows more delivered than sent
  return {
    scenario: 'default',
    abi,
    seconds: elapsed,
    ...exactlyOnce(last),
    // NaN (JSON null, shown n/a) when the run ended before it had a measured stretch with every vCPU up
    events_per_s: rateBetween(steady, atQuiesce),
    latency_ns: latencyNs(latency),
    flows: flowTotals(last),
    timer_ticks: sum(last.ticks),
    spurious,
    late_wakeups: late,
    monitor,
    console: consoleLines(consoleText),
    ...(saved ? { save: saved } : {}),
  };
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
