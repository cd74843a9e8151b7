// The target host of `run --migrate-at` (`wasmxen receive --live`): listens
// on 127.0.0.1, takes one migration of the default scenario's frontend, and
// runs it — Hypervisor.restore validates the image whole (I45), creates a
// fresh backend domain 2 of this host beside it and restores the frontend as
// domain 1 with its toolstack channels pre-bound, this host's console and
// monitor take over their rings at those ports (I56), and domain 1's vCPU
// threads run its resume path
// (src/guests/migrating-frontend.ts). Only once the frontend's resume path
// has finished does it reply ok: the source then destroys its copy; a resume
// that fails is answered like a refused image, and the source keeps running. A refused image is answered with
// the fault and nothing runs. Then it runs until the source says `finish`
// with its own final counts and the moved guest has taken a timer tick on
// each vCPU and an IPI here, quiesces, drains until every flow summed over
// both hosts is delivered, and reports what this host counted.
import { createServer, type AddressInfo, type Socket } from 'node:net';
import * as hdr from 'hdr-histogram-js';
import { Hypervisor } from '../hypervisor.ts';
import { buildForLayout } from '../wasm/private-layout.ts';
import { builtinGuest } from '../platform/host.ts';
import { ImageError } from './errors.ts';
import { MigrationError } from '../errors.ts';
import { readFrames, writeJson, FRAME_HELLO, FRAME_IMAGE_CHUNK, FRAME_IMAGE_END, FRAME_REPLY } from './transport.ts';
import { unexpectedFrame, type Hello } from './receiver.ts';
import type { ImageKey } from './writer.ts';
import { SHARED_BYTES, demoViews, S_QUIESCE, S_SENDING, S_RESUMED, F_IPI, F_PONG } from '../guests/demo-shared.ts';
import { FlowSample, sumCounts, sum, type HostCounts } from '../scenarios/flow-sample.ts';
import {
  TOOLSTACK_CONSUMERS, attachToolstackChannels, channelCounts, channelsSettled, sumChannels, type ChannelCounts,
} from '../scenarios/toolstack-channels.ts';
import type { MigratingFrontendConfig } from '../guests/migrating-frontend.ts';
import { RunClock } from '../scenarios/run-clock.ts';

/** The live target's answer to the source (FRAME_REPLY). */
export type LiveReply = { ok: true } | { ok: false; fault?: string; error: string };

/** What the target counted, for the source to sum with its own. */
export interface LiveTargetReport {
  ok: true;
  /** the private-region layout version of the target hypervisor that ran the moved domain */
  layoutVersion: number;
  counts: HostCounts;
  /** events delivered here when the source's finish arrived: what the run's rate counts (the source stopped sending then) */
  deliveredAtFinish: number;
  /** one-way latency histograms of this host's vCPUs (hdr, compressed base64) */
  latency: string[];
  spurious: number;
  /** what the moved frontend's resume path did (its vCPU 0's report) */
  resumed?: { ports: number; renotified: number; ipiRestarted: boolean };
  /** set when a vCPU of this host crashed (e.g. the resume path failed) */
  crashed?: string;
  /** what the moved frontend did with its toolstack channels here, and the monitor's callbacks here */
  channels: ChannelCounts & { callbacks: number };
  /** the bytes this host's console took from the moved ring (UTF-8): those the source had not taken, then the new ones */
  console: string;
}

/** What the source hands the target at `finish`: its final flow counts and its toolstack channels' counts. */
export type SourceFinal = HostCounts & { channels?: ChannelCounts };

export interface LiveTargetOptions {
  port: number;
  abi: '2l' | 'fifo';
  timerHz: number;
  key?: ImageKey;
  /** the most vCPUs this host gives a domain */
  maxVcpus?: number;
  /** preemption budget of this ("newer") hypervisor */
  preemptEvery?: number;
  /** private-region layout version of this ("newer") hypervisor (default 1, I55) */
  layoutVersion?: number;
  /** bound on the drain after `finish` */
  drainMs?: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function readMigration(socket: Socket): Promise<{ hello: Hello; image: Uint8Array }> {
  let hello: Hello | undefined;
  const chunks: Buffer[] = [];
  let image: Uint8Array | undefined;
  for await (const f of readFrames(socket)) {
    if (f.kind === FRAME_HELLO) hello = JSON.parse(f.body.toString()) as Hello;
    else if (f.kind === FRAME_IMAGE_CHUNK) chunks.push(Buffer.from(f.body));
    else if (f.kind === FRAME_IMAGE_END) image = Buffer.concat(chunks);
    else throw unexpectedFrame(f.kind);
    if (hello && image) break;
  }
  if (!hello || !image) throw new MigrationError('closed', 'the source closed the connection before a HELLO and one whole image: nothing was restored; run the migration again');
  if (hello.domains.length !== 1 || hello.domains[0].domid !== 1) {
    throw new MigrationError('unsupported', `a live target takes domain 1 of the default scenario only, not domain(s) ${hello.domains.map((d) => d.domid).join(', ')}: ` +
      'move other domains with `wasmxen receive` (without --live)');
  }
  return { hello, image };
}

/** Bound on the moved frontend's resume path (worker start, module load, reconnect) on a loaded machine. */
export const RESUME_LIMIT_MS = 30_000;

/**
 * Resolves once the moved frontend's vCPU 0 finished its resume path
 * (S_RESUMED); rejects if a vCPU crashed first (e.g. a channel could not be
 * reconnected) or the bound passed — the source then keeps its copy.
 */
async function frontendResumed(hv: Hypervisor, i32: Int32Array): Promise<void> {
  let crashed: Error | undefined;
  hv.closed.catch((e: Error) => { crashed = e; });
  const limit = Date.now() + RESUME_LIMIT_MS;
  while (Atomics.load(i32, S_RESUMED) === 0) {
    if (crashed) throw new MigrationError('resume', `the moved domain did not resume on the target: ${crashed.message}; the source keeps its copy`, { cause: crashed });
    if (Date.now() > limit) throw new MigrationError('resume', `the moved domain did not resume on the target within ${RESUME_LIMIT_MS / 1000} s; the source keeps its copy`);
    await sleep(1);
  }
}

/**
 * Serve one live migration. `ready` gets the listening port; `finish`
 * resolves with the source's final counts (or undefined: stop now).
 * Resolves with this host's report, or the refusal it answered.
 */
export async function runLiveTarget(opts: LiveTargetOptions, ready: (port: number) => void,
  finish: Promise<SourceFinal | undefined>): Promise<LiveTargetReport | Extract<LiveReply, { ok: false }>> {
  const socket = await new Promise<Socket>((resolve, reject) => {
    const server = createServer({ allowHalfOpen: true }, (s) => { server.close(); resolve(s); });
    server.on('error', reject);
    server.listen(opts.port, '127.0.0.1', () => ready((server.address() as AddressInfo).port));
  });
  const shared = new SharedArrayBuffer(SHARED_BYTES);
  const v = demoViews(shared);
  // from zero, before any vCPU runs: every count of this host is in the sample
  const flows = new FlowSample(v);
  let hv: Hypervisor | undefined;
  const consoleText: Uint8Array[] = [];
  try {
    const { hello, image } = await readMigration(socket);
    const config = hello.domains[0].config as MigratingFrontendConfig;
    ({ hv } = await Hypervisor.restore(image, {
      domains: [{ id: 2, vcpus: 2, guest: builtinGuest('migrating-backend') }],
      shared, abi: opts.abi, preemptEvery: opts.preemptEvery, build: buildForLayout(opts.layoutVersion),
      consumers: TOOLSTACK_CONSUMERS, consoleStream: { write: (c: Uint8Array) => consoleText.push(c) },
      restore: { id: 1, guest: builtinGuest('migrating-frontend'), config, key: opts.key, maxVcpus: opts.maxVcpus },
    }));
    // before any vCPU runs: the guest's resume path binds its ends to these ports (I56)
    attachToolstackChannels(hv, 1, config);
    hv.start();
    hv.startTimer(opts.timerHz);
    await frontendResumed(hv, v.i32);
  } catch (e) {
    await hv?.shutdown();
    const refusal = { ok: false as const, fault: e instanceof ImageError ? e.fault : undefined, error: (e as Error).message };
    writeJson(socket, FRAME_REPLY, refusal);
    socket.end();
    return refusal;
  }
  writeJson(socket, FRAME_REPLY, { ok: true } satisfies LiveReply);
  const target = hv!;
  socket.end();
  // sample at least once a second (WideCounter) until the source finishes
  let source: SourceFinal | undefined;
  let finished = false;
  let deliveredAtFinish = 0;
  void finish.then((c) => { source = c; finished = true; deliveredAtFinish = sum(flows.sample().delivered); });
  while (!finished) { flows.sample(); await sleep(50); }
  // however early the source finishes, the moved guest first shows it carries on here: a timer
  // tick on each of its vCPUs and an IPI taken (bounded; the report shows what it did not do)
  const carriedOn = () => {
    const c = flows.sample();
    const ipi = c.delivered[flows.flows.indexOf(F_IPI)] + c.delivered[flows.flows.indexOf(F_IPI + 2)];
    return c.ticks[0] > 0 && c.ticks[1] > 0 && ipi > 0;
  };
  const clock = new RunClock();
  await clock.waitUntil(carriedOn, RESUME_LIMIT_MS / 1000);
  // quiesce (run-phases.ts: S_SENDING read before the sample); past the bound the source's sums show what was not delivered
  Atomics.store(v.i32, S_QUIESCE, 1);
  await clock.waitUntil(() => {
    const quiet = Atomics.load(v.i32, S_SENDING) === 0;
    const all = sumCounts(flows.sample(), source);
    const settled = channelsSettled(sumChannels(channelCounts(v), source?.channels), all.delivered[flows.flows.indexOf(F_PONG)]);
    return quiet && settled && all.delivered.every((d, i) => d >= all.sent[i]);
  }, clock.now() + (opts.drainMs ?? 20_000) / 1000);
  const layoutVersion = target.machine.dp.layout.LAYOUT_VERSION;
  const monitorHost = target.monitor; // its counters are read after shutdown
  const r = await target.shutdown();
  flows.sample();
  const latency: string[] = [];
  let spurious = 0;
  let resumed: LiveTargetReport['resumed'];
  for (const x of r.vcpus) {
    spurious += x.spurious;
    const g = x.guest as { latency?: string; resumed?: LiveTargetReport['resumed'] } | undefined;
    if (g?.latency) latency.push(g.latency);
    if (x.dom === 1 && g?.resumed) resumed = g.resumed;
  }
  return {
    ok: true, layoutVersion, counts: flows.last, deliveredAtFinish, latency, spurious, ...(resumed ? { resumed } : {}), ...(r.crashed.length ? { crashed: r.crashed[0].message } : {}),
    channels: { ...channelCounts(v), callbacks: monitorHost.stats().calls },
    console: Buffer.concat(consoleText).toString('utf8'),
  };
}

/** Merge hdr histograms (compressed base64) into one. */
export function mergeLatency(encoded: readonly string[]): hdr.Histogram {
  const h = hdr.build({ bitBucketSize: 64 });
  for (const e of encoded) h.add(hdr.decodeFromCompressedBase64(e));
  return h;
}
