// The main job: two domains × two vCPUs on worker threads. Domain 1 pings
// domain 2 over an interdomain channel (latency), streams events on eight
// fan-in ports at mixed priorities, and inside each domain the two vCPUs
// bounce IPIs; a periodic timer VIRQ ticks on every vCPU. Every event of
// every flow is accounted exactly once; at the end senders quiesce, in-flight
// events drain, and the report says what was sent, delivered, lost and
// duplicated, with one-way latency percentiles.
import * as hdr from 'hdr-histogram-js';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeFile } from 'node:fs/promises';
import { TP_KIND_CONSOLE, TP_KIND_OTHER } from '../migrate/format.ts';
import type { ImagePort } from '../migrate/parse.ts';
import { Hypervisor } from '../hypervisor.ts';
import { PassThrough } from 'node:stream';
import { guestModulePath } from '../paths.ts';
import { guestLayout } from '../guest/layout.ts';
import type { FrontendConfig } from '../guests/frontend.ts';
import {
  SHARED_BYTES, demoViews, S_QUIESCE, S_DUPLICATED, S_TICKS, allFlows, sentOf, deliveredOf, F_PING, F_PONG,
  F_FANIN, F_IPI, FANIN_PORTS,
} from '../guests/demo-shared.ts';

export interface RunReport {
  scenario: 'default';
  abi: '2l' | 'fifo';
  seconds: number;
  sent: number;
  delivered: number;
  lost: number;
  duplicated: number;
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
  /** with saveAt: domain 1's image written mid-run (src/migrate/), the domain paused only for the copy */
  save?: { file: string; at_s: number; bytes: number; records: number; downtime_ms: number };
}

const DRAIN_LIMIT_MS = 5000;

export interface DefaultScenarioOptions {
  seconds: number;
  timerHz?: number;
  abi?: '2l' | 'fifo';
  /** at this many seconds (< seconds), write domain 1's image to saveTo and let it run on */
  saveAt?: number;
  saveTo?: string;
}

export async function runDefaultScenario(opts: DefaultScenarioOptions): Promise<RunReport> {
  const abi = opts.abi ?? 'fifo';
  const shared = new SharedArrayBuffer(SHARED_BYTES);
  const v = demoViews(shared);
  // the toolstack's plan: domain 1's monitor and console rings in its first free frames
  const free = guestLayout(2, 1023).freeGfn;
  const frontend: FrontendConfig = {};
  const consoleOut = new PassThrough();
  const consoleText: Buffer[] = [];
  consoleOut.on('data', (c: Buffer) => consoleText.push(c));
  const hv = await Hypervisor.create({
    domains: [
      { id: 1, vcpus: 2, guest: guestModulePath('frontend'), config: frontend },
      { id: 2, vcpus: 2, guest: guestModulePath('backend') },
    ],
    shared,
    abi,
    consumers: [{ name: 'monitor', module: 'monitor' }, { name: 'console', module: 'console' }],
    consoleStream: consoleOut,
  });
  frontend.monitor = { ringGfn: free, xenPort: hv.monitor.openRing(1, free) };
  frontend.console = { ringGfn: free + 1, xenPort: hv.console.openRing(1, free + 1) };
  const flows = allFlows();
  const total = (idx: (f: number) => number) => flows.reduce((a, f) => a + Atomics.load(v.i32, idx(f)), 0);
  let report;
  let saved: RunReport['save'];
  const started = process.hrtime.bigint();
  let elapsed = 0;
  try {
    hv.start();
    hv.startTimer(opts.timerHz ?? 100);
    if (opts.saveAt !== undefined && opts.saveTo) {
      await sleep(Math.min(opts.saveAt, opts.seconds) * 1000);
      saved = await saveToFile(hv, opts.saveTo, [
        { port: frontend.console.xenPort, remoteDom: 0, kind: TP_KIND_CONSOLE },
        { port: frontend.monitor.xenPort, remoteDom: 0, kind: TP_KIND_OTHER },
      ]);
      saved.at_s = Number(process.hrtime.bigint() - started) / 1e9;
      await sleep(Math.max(0, opts.seconds - opts.saveAt) * 1000);
    } else {
      await sleep(opts.seconds * 1000);
    }
    Atomics.store(v.i32, S_QUIESCE, 1);
    const deadline = Date.now() + DRAIN_LIMIT_MS;
    while (total(deliveredOf) + Atomics.load(v.i32, S_DUPLICATED) < total(sentOf) && Date.now() < deadline) await sleep(5);
    elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  } finally {
    report = await hv.shutdown();
  }
  const latency = hdr.build();
  let spurious = 0;
  let late = 0;
  const monitor = { requests: 0, answers: 0, callbacks: hv.monitor.stats().calls };
  for (const r of report.vcpus) {
    spurious += r.spurious;
    late += r.kernel.lateWakeups;
    const g = r.guest as { latency?: string; monitor?: { requests: number; answers: number } } | undefined;
    if (g?.latency) latency.add(hdr.decodeFromCompressedBase64(g.latency));
    if (g?.monitor) { monitor.requests += g.monitor.requests; monitor.answers += g.monitor.answers; }
  }
  const sent = total(sentOf);
  const delivered = total(deliveredOf);
  const sum = (fs: number[]) => fs.reduce((a, f) => a + Atomics.load(v.i32, deliveredOf(f)), 0);
  return {
    scenario: 'default',
    abi,
    seconds: elapsed,
    sent,
    delivered,
    lost: Math.max(0, sent - delivered),
    duplicated: Atomics.load(v.i32, S_DUPLICATED),
    events_per_s: delivered / elapsed,
    latency_ns: {
      p50: latency.getValueAtPercentile(50), p90: latency.getValueAtPercentile(90),
      p99: latency.getValueAtPercentile(99), max: latency.maxValue,
    },
    flows: {
      pingpong: sum([F_PING, F_PONG]),
      fanin: sum(Array.from({ length: FANIN_PORTS }, (_, i) => F_FANIN + 2 * i)),
      ipi: sum([0, 1, 2, 3].map((i) => F_IPI + 2 * i)),
    },
    timer_ticks: [0, 1, 2, 3].reduce((a, i) => a + Atomics.load(v.i32, S_TICKS + i), 0),
    spurious,
    late_wakeups: late,
    monitor,
    console: Buffer.concat(consoleText).toString('utf8').split('\n').filter((l) => l.length > 0),
    ...(saved ? { save: saved } : {}),
  };
}

/** hv.saveTo domain 1 into `file`: paused only while the image is copied out of its memory. */
async function saveToFile(hv: Hypervisor, file: string, toolstackPorts: ImagePort[]): Promise<NonNullable<RunReport['save']>> {
  const chunks: Uint8Array[] = [];
  const t0 = process.hrtime.bigint();
  const fig = await hv.saveTo(1, (c) => chunks.push(c), { toolstackPorts });
  const downtime = Number(process.hrtime.bigint() - t0) / 1e6;
  await writeFile(file, chunks);
  return { file, at_s: 0, bytes: fig.bytes, records: fig.records, downtime_ms: downtime };
}

export function formatRunReport(r: RunReport): string {
  const n = (x: number) => Math.round(x).toLocaleString('en-US');
  const us = (ns: number) => `${(ns / 1000).toFixed(1)} µs`;
  return [
    `wasmxen: 2 domains × 2 vCPUs on worker threads, ${r.abi === 'fifo' ? 'FIFO' : '2-level'} ABI, ${r.seconds.toFixed(2)} s`,
    `  events  sent ${n(r.sent)}  delivered ${n(r.delivered)}  lost ${r.lost}  duplicated ${r.duplicated}`,
    `  flows   ping-pong ${n(r.flows.pingpong)}  fan-in (8 ports, mixed priorities) ${n(r.flows.fanin)}  IPIs ${n(r.flows.ipi)}`,
    `  rate    ${n(r.events_per_s)} events/s`,
    `  latency one-way p50 ${us(r.latency_ns.p50)}  p90 ${us(r.latency_ns.p90)}  p99 ${us(r.latency_ns.p99)}  max ${us(r.latency_ns.max)}`,
    `  timer   ${n(r.timer_ticks)} VIRQ_TIMER ticks handled; spurious events ${r.spurious}; lost wake-ups ${r.late_wakeups}`,
    `  monitor ${n(r.monitor.requests)} requests from domain 1 answered in Xen (${n(r.monitor.answers)} answers received)`,
    ...r.console.map((l) => `  console ${l}`),
    ...(r.save ? [`  save    domain 1 at ${r.save.at_s.toFixed(2)} s: ${n(r.save.bytes)} bytes, ${r.save.records} records in ${r.save.file} (paused ${r.save.downtime_ms.toFixed(1)} ms)`] : []),
    r.lost === 0 && r.duplicated === 0 ? '  every event delivered exactly once' : '  EVENTS LOST OR DUPLICATED',
  ].join('\n');
}
