// `run --migrate-at S`: the default scenario's flows (ping-pong, fan-in at
// mixed priorities, IPIs, a timer VIRQ on every vCPU) with a frontend that
// keeps its split-driver state in its own memory (src/guests/migrating-*.ts),
// migrated at S seconds to a second wasmxen process (`wasmxen receive
// --live`, src/migrate/live-target.ts) over a TCP socket on 127.0.0.1:
//   1. pause domain 1 (every vCPU parked at a boundary, I28);
//   2. disconnect the source backend from its rings (I49);
//   3. save domain 1 — its console's and monitor's ports recorded as
//      toolstack ports — and stream the image; the target validates it whole,
//      restores it beside a fresh backend of its own, attaches its console and
//      monitor to the moved rings at those ports (I56), starts it and answers
//      once its resume path has finished;
//   4. on the target's ok, destroy domain 1 here (its backend's channels
//      turn unbound); on anything else reconnect the backend and unpause
//      domain 1 — the source runs on as if nothing happened.
// Each host counts what happened on it; at the end the source quiesces, hands
// its final counts to the target, which quiesces and drains until every flow
// summed over both hosts is delivered (and every console line and monitor
// answer the pongs call for is in), and the report is the sum — the console's
// lines are the source's bytes followed by the target's.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { Hypervisor } from '../hypervisor.ts';
import { builtinGuest } from '../platform/host.ts';
import { monotonicNs } from '../platform/clock.ts';
import { projectRoot } from '../paths.ts';
import { guestLayout } from '../guest/layout.ts';
import { ConfigError, MigrationError, StuckVcpuError } from '../errors.ts';
import { sendDomains } from '../migrate/sender.ts';
import { mergeLatency, type LiveReply, type LiveTargetReport, type SourceFinal } from '../migrate/live-target.ts';
import type { MigratingFrontendConfig } from '../guests/migrating-frontend.ts';
import { SHARED_BYTES, demoViews, S_DISCONNECT, S_BACK_BUSY, S_RESCAN, F_IPI, F_PONG, type DemoViews } from '../guests/demo-shared.ts';
import { FlowSample, flowTotals, sumCounts, exactlyOnce, sum } from './flow-sample.ts';
import {
  TOOLSTACK_CONSUMERS, openToolstackChannels, toolstackPorts, channelCounts, channelsSettled, sumChannels,
} from './toolstack-channels.ts';
import { RunClock } from './run-clock.ts';
import { awaitBoot, quiesceAndDrain } from './run-phases.ts';
import { latencyNs, rateBetween, consoleLines, type MigrationReport, type RunReport } from './run-report.ts';
import type { RunProgress } from './default.ts';

export interface MigratingScenarioOptions {
  seconds: number;
  at: number;
  timerHz?: number;
  abi?: '2l' | 'fifo';
  /** the target host gives a domain at most this many vCPUs (1: it refuses domain 1, the source resumes) */
  targetMaxVcpus?: number;
  /** the target host's private-region layout version (default 1; 2: a "newer" hypervisor, I55) */
  targetLayout?: number;
  /** progress without the default scenario's live latency (this frontend keeps no live histogram) */
  onProgress?: (p: Omit<RunProgress, 'latency'>) => void;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
/** How long a frontend the move left on the source has, after the drain, to finish its console line and monitor request. */
const CHANNELS_LIMIT_S = 5;
/** Bound on the target process's start and on its reply to a migration. */
const TARGET_LIMIT_MS = 60_000;

/** The target host: a `wasmxen receive --live` child process of this one. */
interface Target {
  port: number;
  /** hand it the source's final counts; resolves with what it counted */
  finish(source: SourceFinal | undefined): Promise<LiveTargetReport | undefined>;
  kill(): void;
  /** the last line the target printed on stderr ('' if none) */
  lastError(): string;
}

async function startTarget(abi: '2l' | 'fifo', timerHz: number, maxVcpus?: number, layout?: number): Promise<Target> {
  const bin = join(projectRoot(), 'bin', 'wasmxen.mjs');
  const args = ['--no-liftoff', bin, 'receive', '--live', '--abi', abi, '--timer-hz', String(timerHz)];
  if (maxVcpus !== undefined) args.push('--max-vcpus', String(maxVcpus));
  if (layout !== undefined) args.push('--layout', String(layout));
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => { stderr += d; });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const lines = createInterface({ input: child.stdout! });
  let onReport: ((r: LiveTargetReport | undefined) => void) | undefined;
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new MigrationError('target', `the target wasmxen process did not listen within ${TARGET_LIMIT_MS / 1000} s (a loaded machine: run again)`)), TARGET_LIMIT_MS);
    lines.on('line', (l) => {
      const m = /^listening (\d+)$/.exec(l);
      if (m) { clearTimeout(timer); resolve(Number(m[1])); return; }
      try {
        const r = JSON.parse(l) as LiveTargetReport | { ok: false };
        if (r.ok) onReport?.(r);
      } catch { /* not a report line */ }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new MigrationError('target', `the target wasmxen process exited (${code}) before it listened: ${stderr.trim().split('\n').pop() ?? ''}`));
      onReport?.(undefined);
    });
  });
  return {
    port,
    finish: (source) => new Promise((resolve) => {
      onReport = resolve;
      child.stdin!.end(`finish ${JSON.stringify(source ?? null)}\n`);
      void exited.then(() => resolve(undefined));
    }),
    kill: () => { if (child.exitCode === null) child.kill(); },
    lastError: () => stderr.trim().split('\n').pop() ?? '',
  };
}

/** Pause, disconnect, save and send domain 1; destroy it on the target's ok, resume it otherwise. */
async function migrate(hv: Hypervisor, v: DemoViews, target: Target, config: MigratingFrontendConfig): Promise<Omit<MigrationReport, 'at_s'>> {
  const t0 = monotonicNs();
  const ms = () => Number(monotonicNs() - t0) / 1e6;
  try {
    await hv.pauseDomain(1);
  } catch (e) {
    // a vCPU did not park in time: the pause was withdrawn, domain 1 runs on here
    return { ok: false, downtime_ms: ms(), bytes: 0, records: 0, pages: 0, error: (e as Error).message };
  }
  // the backend lets go of the frontend's rings: after S_BACK_BUSY reads 0 no service touches them (I49)
  Atomics.store(v.i32, S_DISCONNECT, 1);
  while (Atomics.load(v.i32, S_BACK_BUSY) !== 0) await sleep(0);
  const chunks: Uint8Array[] = [];
  let figures = { bytes: 0, records: 0, pages: 0 };
  let reply: LiveReply;
  try {
    figures = await hv.saveTo(1, (c) => chunks.push(c), { keepPaused: true, toolstackPorts: toolstackPorts(config) });
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      reply = (await Promise.race([
        sendDomains<LiveReply>(target.port, [{ domid: 1, config, save: (sink) => chunks.forEach(sink) }]),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new MigrationError('target', `the target did not answer within ${TARGET_LIMIT_MS / 1000} s`)), TARGET_LIMIT_MS);
        }),
      ])).reply;
    } finally {
      clearTimeout(timer);
    }
  } catch (e) {
    reply = { ok: false, error: (e as Error).message };
  }
  if (reply.ok) {
    const downtime = ms();
    await hv.destroyDomain(1);
    return { ok: true, downtime_ms: downtime, ...figures };
  }
  // the source resumes: the backend reconnects and re-reads its rings once, the frontend runs on
  Atomics.store(v.i32, S_DISCONNECT, 0);
  Atomics.store(v.i32, S_RESCAN, 0b11);
  hv.unpauseDomain(1);
  return { ok: false, downtime_ms: ms(), ...figures, error: reply.error, ...(reply.fault ? { fault: reply.fault } : {}) };
}

export async function runMigratingScenario(opts: MigratingScenarioOptions): Promise<RunReport> {
  if (!(opts.at >= 0 && opts.at < opts.seconds)) throw new ConfigError(`--migrate-at ${opts.at} must be in [0, ${opts.seconds}): migrate before the run ends`);
  const abi = opts.abi ?? 'fifo';
  const timerHz = opts.timerHz ?? 100;
  const shared = new SharedArrayBuffer(SHARED_BYTES);
  const v = demoViews(shared);
  // the toolstack's plan: domain 1's split ring, monitor ring and console ring in its first free frames
  const free = guestLayout(2, 1023).freeGfn;
  const config: MigratingFrontendConfig = { ringGfn: free };
  const consoleText: Uint8Array[] = [];
  const hv = await Hypervisor.create({
    domains: [
      { id: 1, vcpus: 2, guest: builtinGuest('migrating-frontend'), config },
      { id: 2, vcpus: 2, guest: builtinGuest('migrating-backend') },
    ],
    shared, abi, consumers: TOOLSTACK_CONSUMERS, consoleStream: { write: (c: Uint8Array) => consoleText.push(c) },
  });
  const monitorHost = hv.monitor; // its counters are read after shutdown
  openToolstackChannels(hv, config, free + 1);
  const flows = new FlowSample(v);
  const idx = (f: number) => flows.flows.indexOf(f);
  const clock = new RunClock();
  const progress = (phase: RunProgress['phase']) => {
    const c = flows.sample();
    opts.onProgress?.({ phase, elapsed: clock.now(), seconds: opts.seconds, sent: sum(c.sent), delivered: sum(c.delivered), flows: flowTotals(c) });
    return c;
  };
  let target: Target | undefined;
  let migration: MigrationReport | undefined;
  let remote: LiveTargetReport | undefined;
  let elapsed = 0;
  // the rate: from every vCPU booted (the downtime of the move included) to the finish when the move
  // succeeded — both hosts' deliveries up to there (the target samples its count when the finish
  // arrives, a frame's transit later) — or to the quiesce when it failed, draining excluded
  let steady: { t: number; delivered: number } | undefined;
  let quiescedAt: { t: number; delivered: number } | undefined;
  let finishAt: { t: number; delivered: number } | undefined;
  let report;
  try {
    target = await startTarget(abi, timerHz, opts.targetMaxVcpus, opts.targetLayout);
    hv.start();
    hv.startTimer(timerHz);
    await awaitBoot(v, clock, () => progress('booting'));
    steady = { t: clock.now(), delivered: sum(flows.last.delivered) };
    await clock.runUntil(() => progress('running'), opts.at);
    const at = clock.now();
    migration = { at_s: at, ...await migrate(hv, v, target, config) };
    const pingpongAt = flowTotals(flows.sample()).pingpong;
    await clock.runUntil(() => progress('running'), Math.max(opts.seconds, clock.now()));
    // quiesce this host; what it still owes is delivered here (its own flows) or on the target
    quiescedAt = { t: clock.now(), delivered: sum(flows.sample().delivered) };
    const local = migration.ok ? [2, 3].map((s) => idx(F_IPI + 2 * s)) : flows.flows.map((_, i) => i);
    await quiesceAndDrain(v, clock, () => progress('draining'), flows.flows, local);
    // domain 1 still here (the move failed): its last console line and monitor answer too (bounded)
    const pongs = () => flows.sample().delivered[idx(F_PONG)];
    if (!migration.ok && !await clock.waitUntil(() => channelsSettled(channelCounts(v), pongs()), clock.now() + CHANNELS_LIMIT_S)) {
      throw new StuckVcpuError(`domain 1's console line or monitor request did not settle within ${CHANNELS_LIMIT_S} s of the end (the frontend, left on this host after the failed move)`, [[1, 0]]);
    }
    elapsed = clock.now();
    flows.sample();
    if (!migration.ok) migration.pingpong_after_resume = flowTotals(flows.last).pingpong - pingpongAt;
    if (migration.ok) {
      // the target sends until this finish reaches it: the rate counts both hosts up to here
      finishAt = { t: clock.now(), delivered: sum(flows.last.delivered) };
      remote = await target.finish({ ...flows.last, channels: channelCounts(v) });
      if (!remote) {
        const why = target.lastError();
        throw new MigrationError('target', `the target wasmxen process ended without a report${why ? ` (${why})` : ''}: the counts of domain 1 after the move are lost; run again`);
      }
      if (remote.crashed) throw new MigrationError('target', `a vCPU crashed on the target host: ${remote.crashed}`);
    } else {
      await target.finish(undefined);
    }
  } finally {
    report = await hv.shutdown();
    target?.kill();
  }
  if (report.crashed.length > 0) throw report.crashed[0];
  const all = sumCounts(flows.sample(), remote?.counts);
  const latency = mergeLatency([
    ...report.vcpus.map((r) => (r.guest as { latency?: string } | undefined)?.latency).filter((l): l is string => !!l),
    ...(remote?.latency ?? []),
  ]);
  const counted = exactlyOnce(all);
  const channels = sumChannels(channelCounts(v), remote?.channels);
  if (migration && remote) {
    const t = remote.counts;
    migration.target = {
      delivered: sum(t.delivered), ipis: t.delivered[idx(F_IPI)] + t.delivered[idx(F_IPI + 2)], timer_ticks: t.ticks[0] + t.ticks[1], spurious: remote.spurious,
      layout_version: remote.layoutVersion,
      ...(remote.resumed ? { resumed: remote.resumed } : {}),
      console_bytes: new TextEncoder().encode(remote.console).length, monitor_requests: remote.channels.posted,
    };
  }
  return {
    scenario: 'default',
    abi,
    seconds: elapsed,
    ...counted,
    events_per_s: rateBetween(steady, remote && finishAt ? { t: finishAt.t, delivered: finishAt.delivered + remote.deliveredAtFinish } : quiescedAt),
    latency_ns: latencyNs(latency),
    flows: flowTotals(all),
    timer_ticks: sum(all.ticks),
    spurious: report.vcpus.reduce((a, r) => a + r.spurious, 0) + (remote?.spurious ?? 0),
    late_wakeups: report.vcpus.reduce((a, r) => a + r.kernel.lateWakeups, 0),
    monitor: { requests: channels.posted, answers: channels.answered, callbacks: monitorHost.stats().calls + (remote?.channels.callbacks ?? 0) },
    console: consoleLines([...consoleText, ...(remote ? [new TextEncoder().encode(remote.console)] : [])]),
    migration,
  };
}
