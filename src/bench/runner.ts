// Runs one bench cell (a workload × implementation × parameters) on real
// worker threads: spawn the parties once, then a warm-up run and `runs`
// measured runs, each started together on the control block's barrier. After
// every run the page's counters must balance (sent = delivered, no accounting
// violation) or the cell fails with BenchCorrectnessError. Threads, channels
// and CPU time come from src/platform/bench.ts (Node) or bench.browser.ts.
import * as Comlink from 'comlink';
import * as hdr from 'hdr-histogram-js';
import { spawnBenchParty, partyChannel, processCpuSeconds } from '../platform/bench.ts';
import type { WorkerHandle } from '../platform/types.ts';
import { BenchCtl } from '../harness/ctl.ts';
import type { BenchPage, PageGeometry } from './page.ts';
import type { BenchWorkerApi, BenchWorkerData } from './protocol.ts';
import type { RoleResult } from './roles/context.ts';
import { histogram, type RoleContext } from './roles/context.ts';
import { runRole } from './roles/index.ts';
import type { DataPlane } from '../wasm/data-plane.ts';
import { WasmxenError } from '../errors.ts';

export interface PartySpec { role: string; args: Record<string, unknown> }

export interface CellSpec {
  /** what the workers attach to */
  attach: Pick<BenchWorkerData, 'module' | 'memory' | 'pageSab' | 'pageAddr'>;
  /** the main thread's view of the same page */
  page: BenchPage;
  geometry: PageGeometry;
  parties: PartySpec[];
  /** a MessageChannel between parties i and j: each gets its end appended to its ports (index parties.length: the host) */
  links?: [number, number][];
  /**
   * A party run on the runner's own (main) thread, on its event loop — a
   * service domain's vCPU, or the thread a worker posts to. It meets the
   * others at the start barrier; its role must not block the thread.
   */
  host?: { party: PartySpec; dp?: DataPlane };
}

export interface RunMeasure {
  sent: number;
  delivered: number;
  seconds: number;
  /** process CPU seconds over the run; null where they cannot be read (a browser) */
  cpuSeconds: number | null;
  eventsPerSecond: number;
  lateWakeups: number;
}

export interface CellMeasure {
  runs: RunMeasure[];
  /** latency samples of the measured runs, merged @internal */
  latency: hdr.Histogram;
}

/** A bench run whose events or data were wrong (lost, duplicated, corrupted): its figures mean nothing. */
export class BenchCorrectnessError extends WasmxenError {
  override name = 'BenchCorrectnessError';
  override readonly code = 'WASMXEN_BENCH_CORRECTNESS';
}

export interface RunOptions {
  seconds: number;
  runs: number;
  warmupSeconds: number;
  /** called after each run (warm-up included) */
  onRun?: () => void;
}

/** Every thread of the cell that meets at the start barrier: the workers and the host party. */
const partyCount = (spec: CellSpec) => spec.parties.length + (spec.host ? 1 : 0);

interface Party {
  worker: WorkerHandle;
  api: Comlink.Remote<BenchWorkerApi>;
  /** rejects if the worker crashes or exits: raced against every run */
  failure: Promise<never>;
}

function spawn(spec: CellSpec, ctl: BenchCtl, closing: { now: boolean }): { parties: Party[]; host?: RoleContext } {
  const ports: unknown[][] = Array.from({ length: partyCount(spec) }, () => []);
  for (const [i, j] of spec.links ?? []) {
    const ch = partyChannel();
    ports[i].push(ch.port1);
    ports[j].push(ch.port2);
  }
  const host: RoleContext | undefined = spec.host && {
    page: spec.page, ctl, parties: partyCount(spec), dp: spec.host.dp, ports: ports[spec.parties.length] as RoleContext['ports'],
  };
  return { host, parties: spec.parties.map((_, i) => {
    const data = { ...spec.attach, ctl: ctl.sab, parties: partyCount(spec), ports: ports[i] } as BenchWorkerData;
    const worker = spawnBenchParty(data, ports[i]);
    const failure = new Promise<never>((_, reject) => {
      worker.onError((e) => { ctl.abort(); reject(e); });
      // the runner's own terminate at the end of the cell is not a failure
      worker.onExit((code) => { if (closing.now) return; ctl.abort(); reject(new Error(`bench party ${spec.parties[i].role} exited (code ${code})`)); });
    });
    failure.catch(() => { /* raced in runOnce */ });
    return { worker, api: Comlink.wrap<BenchWorkerApi>(worker.endpoint), failure };
  }) };
}

/** The host party's run, on this thread; it aborts the cell if it fails, as a worker's does. */
function runHost(spec: CellSpec, host: RoleContext, seconds: number): Promise<RoleResult> {
  const p = spec.host!.party;
  return runRole(host, p.role, { ...p.args, seconds });
}

async function runOnce(spec: CellSpec, parties: Party[], host: RoleContext | undefined, ctl: BenchCtl, seconds: number): Promise<{ m: RunMeasure; results: RoleResult[] }> {
  spec.page.reset(spec.geometry);
  ctl.reset();
  const cpu0 = processCpuSeconds();
  const deadlineMs = seconds * 1000 + 30_000;
  let timer: NodeJS.Timeout | undefined;
  const watchdog = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      ctl.abort();
      spec.page.stop();
      reject(new BenchCorrectnessError(`bench: a run did not finish within ${deadlineMs / 1000} s (sent ${spec.page.totalSent()}, delivered ${spec.page.totalDelivered()})`));
    }, deadlineMs);
  });
  let results: RoleResult[];
  try {
    results = await Promise.race([
      Promise.all([
        ...parties.map((p, i) => p.api.run(spec.parties[i].role, { ...spec.parties[i].args, seconds })),
        ...(host ? [runHost(spec, host, seconds)] : []),
      ]),
      watchdog,
      ...parties.map((p) => p.failure),
    ]);
  } catch (e) {
    ctl.abort();
    spec.page.stop();
    throw e;
  } finally {
    clearTimeout(timer);
  }
  const cpu1 = processCpuSeconds();
  const page = spec.page;
  const sent = page.totalSent();
  const delivered = page.totalDelivered();
  if (page.errors !== 0) {
    const e = page.lastError();
    throw new BenchCorrectnessError(`bench: ${page.errors} accounting violation(s): stream ${e.stream} expected port ${e.expected}, got ${e.got} (sent ${sent}, delivered ${delivered})`);
  }
  if (sent !== delivered || sent === 0) {
    throw new BenchCorrectnessError(`bench: sent ${sent} events but delivered ${delivered}`);
  }
  const t0 = Math.min(...results.map((r) => r.tStart));
  const t1 = Math.max(...results.map((r) => r.tEnd));
  const secs = Math.max(1e-9, (t1 - t0) / 1e9);
  return {
    m: {
      sent, delivered, seconds: secs, cpuSeconds: cpu0 === null || cpu1 === null ? null : cpu1 - cpu0,
      eventsPerSecond: delivered / secs, lateWakeups: page.lateWakeups,
    },
    results,
  };
}

export async function runCell(spec: CellSpec, o: RunOptions): Promise<CellMeasure> {
  const ctl = BenchCtl.create();
  const closing = { now: false };
  const { parties, host } = spawn(spec, ctl, closing);
  const latency = histogram();
  const runs: RunMeasure[] = [];
  try {
    for (let i = -1; i < o.runs; i++) {
      const { m, results } = await runOnce(spec, parties, host, ctl, i < 0 ? o.warmupSeconds : o.seconds);
      if (i >= 0) {
        runs.push(m);
        for (const r of results) if (r.hist) latency.add(hdr.decodeFromCompressedBase64(r.hist));
      }
      o.onRun?.();
    }
  } finally {
    closing.now = true;
    await Promise.all(parties.map(async (p) => {
      p.api[Comlink.releaseProxy]();
      await p.worker.terminate();
    }));
    for (const port of host?.ports ?? []) port.close();
  }
  return { runs, latency };
}
