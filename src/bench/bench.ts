// `wasmxen bench`: every selected workload, variant and implementation as one
// cell each (runner.ts), summarised, and every result compared with each
// baseline measured in the same run on the same shape.
import { runCell, type CellMeasure } from './runner.ts';
import { WORKLOADS, workload, implsFor } from './workloads/index.ts';
import { IMPLS, BASELINES, type ImplName, type Workload, type Variant } from './workloads/types.ts';
import type { MachineInfo } from './machine-info.ts';
import { machineInfo } from '../platform/machine.ts';
import { median, spread, percentiles, curve, type Percentiles } from './stats.ts';
import { tuning } from './workloads/tuning.ts';
import { benchDma } from './dma.ts';
import { shapeKey, shardRuns } from '../campaign/bench-plan.ts';
import type { Shard } from '../campaign/shard.ts';

/** What `runBench` measures and for how long. */
export interface BenchOptions {
  /** workload names, or ['all'] */
  workloads: string[];
  seconds: number;
  runs: number;
  warmupSeconds?: number;
  impls?: readonly ImplName[];
  cores?: number;
  /** the core count the scaling workloads' shapes are planned for (a sharded campaign's, the same on every machine); default: cores */
  planCores?: number;
  /** run only this shard's (shape, run) groups of the campaign (src/campaign/bench-plan.ts); default: all */
  shard?: Shard;
  /** called once per finished run (warm-up included) with the total number of runs planned */
  onRun?: (done: number, total: number, label: string) => void;
}

/** One workload × implementation: throughput and latency over the measured runs, and their spread. */
export interface BenchResult {
  workload: string;
  impl: ImplName;
  params: Record<string, number>;
  /** median over the measured runs */
  events_per_s: number;
  latency: Workload['latency'];
  latency_ns: Percentiles;
  /** [percentile, ns] points of the latency distribution */
  latency_curve: [number, number][];
  latency_samples: number;
  runs: number;
  /** (max − min) / median of events_per_s over the runs; null (NaN before JSON) from a single run */
  spread: number | null;
  events_per_s_runs: number[];
  /** process CPU time per event delivered (every thread), median over the runs; null where CPU time cannot be read (a browser) */
  cpu_ns_per_event: number | null;
  /**
   * process CPU time ÷ wall time, median over the runs: how many cores the parties kept busy. Spinning
   * parties each keep one busy; less than min(threads, cores) means another process took a core.
   * null where CPU time cannot be read (a browser).
   */
  cores_busy: number | null;
  /** worker threads the cell ran (parties) */
  threads: number;
  /**
   * The run was contended: its parties spin (wasmxen, JS reference), yet kept fewer than
   * CONTENDED_FRACTION × min(threads, cores) cores busy — another process took cores, the figures are low.
   * null where it cannot be told (no CPU time: a browser).
   */
  contended: boolean | null;
  sent: number;
  delivered: number;
  lost_wakeups: number;
  /** events_per_s ÷ each baseline's events_per_s on the same workload and parameters */
  vs: Partial<Record<ImplName, number>>;
  /** latency p50 ÷ each baseline's latency p50 (lower is better) */
  vs_latency_p50: Partial<Record<ImplName, number>>;
  /**
   * wasmxen results of a workload with a reference (Workload.reference, e.g.
   * guest-stream → fifo-1to1): events_per_s ÷ the reference's wasmxen
   * events_per_s in the same run, keyed by the reference's shape ("fifo-1to1",
   * "fifo-fanin senders=2"); {} otherwise
   */
  vs_reference?: Record<string, number>;
  /** the same for latency p50 (lower is better) */
  vs_reference_latency_p50?: Record<string, number>;
  /** workload-specific figures (dma: MB/s and the mapcache's counters) */
  extra?: Record<string, number>;
  /** a sharded run: which of the campaign's runs (0-based) of this cell these are */
  run_indices?: number[];
}

/** Implementations whose parties spin (each keeps a core busy): cores busy below the threads they run means contention. */
export const SPINNING_IMPLS: readonly string[] = ['wasmxen', 'js-reference'];
/** A spinning cell is contended below this fraction of min(threads, cores) cores busy. */
export const CONTENDED_FRACTION = 0.75;

export function isContended(impl: string, coresBusy: number, threads: number, cores: number): boolean {
  return SPINNING_IMPLS.includes(impl) && coresBusy < CONTENDED_FRACTION * Math.min(threads, cores);
}

/** The report of a `runBench` run (the `wasmxen bench --json` schema, bench/README.md). */
export interface BenchReport {
  machine: MachineInfo;
  config: {
    seconds: number; runs: number; warmup_seconds: number; workloads: string[]; impls: ImplName[];
    build: 'release'; tuning: ReturnType<typeof tuning>;
  };
  results: BenchResult[];
}

interface Cell { w: Workload; v: Variant; impl: ImplName; runIndices: number[] }

/** The device model's workload (src/bench/dma.ts): not a Workload of the event-channel roles, but reported alike. */
export const DMA_WORKLOAD = 'dma';

/** The workloads named (`['all']`: every one); throws RangeError for an unknown name. */
export function selectWorkloads(names: string[]): Workload[] {
  if (names.includes('all')) return [...WORKLOADS];
  const chosen = new Set(names.filter((n) => n !== DMA_WORKLOAD).map(workload));
  // a workload's reference runs in the same run (its ratio is only meaningful inside one run)
  for (const w of [...chosen]) {
    for (const v of w.variants(1)) { const ref = w.reference?.(v); if (ref) chosen.add(workload(ref.workload)); }
  }
  return WORKLOADS.filter((w) => chosen.has(w));
}

const wantsDma = (names: string[]) => names.includes('all') || names.includes(DMA_WORKLOAD);

/** The campaign's shapes in run order (src/campaign/bench-plan.ts): every workload's variants for `cores`, then dma. */
export function benchShapes(names: string[], cores: number): string[] {
  const shapes = selectWorkloads(names).flatMap((w) => w.variants(cores).map((v) => shapeKey(w.name, v.params)));
  return wantsDma(names) ? [...shapes, DMA_WORKLOAD] : shapes;
}

function summarise(c: Cell, m: CellMeasure, threads: number, cores: number): BenchResult {
  const eps = m.runs.map((r) => r.eventsPerSecond);
  const cpu = m.runs.every((r) => r.cpuSeconds !== null);
  const coresBusy = cpu ? median(m.runs.map((r) => r.cpuSeconds! / r.seconds)) : null;
  return {
    workload: c.w.name,
    impl: c.impl,
    params: c.v.params,
    events_per_s: median(eps),
    latency: c.w.latency,
    latency_ns: percentiles(m.latency),
    latency_curve: curve(m.latency),
    latency_samples: m.latency.totalCount,
    runs: m.runs.length,
    spread: spread(eps),
    events_per_s_runs: eps,
    cpu_ns_per_event: cpu ? median(m.runs.map((r) => (r.cpuSeconds! * 1e9) / r.delivered)) : null,
    cores_busy: coresBusy,
    threads,
    contended: coresBusy === null || c.w.spins === false ? null : isContended(c.impl, coresBusy, threads, cores),
    sent: m.runs.reduce((a, r) => a + r.sent, 0),
    delivered: m.runs.reduce((a, r) => a + r.delivered, 0),
    lost_wakeups: m.runs.reduce((a, r) => a + r.lateWakeups, 0),
    vs: {},
    vs_latency_p50: {},
  };
}

const sameShape = (a: BenchResult, b: BenchResult) =>
  a.workload === b.workload && JSON.stringify(a.params) === JSON.stringify(b.params);

/** Fill vs / vs_latency_p50 of every result from the baselines of its shape, and vs_reference from its workload's reference. */
export function compare(results: BenchResult[]): void {
  for (const r of results) {
    r.vs_reference = {};
    r.vs_reference_latency_p50 = {};
    const w = WORKLOADS.find((x) => x.name === r.workload);
    const ref = r.impl === 'wasmxen' ? w?.reference?.({ params: r.params }) : undefined;
    const base = ref && results.find((x) => x.impl === 'wasmxen' && x.workload === ref.workload && JSON.stringify(x.params) === JSON.stringify(ref.params));
    if (ref && base) {
      const key = shapeKey(ref.workload, ref.params);
      r.vs_reference[key] = base.events_per_s > 0 ? r.events_per_s / base.events_per_s : NaN;
      if (r.latency_samples > 0 && base.latency_samples > 0) r.vs_reference_latency_p50[key] = r.latency_ns.p50 / base.latency_ns.p50;
    }
    for (const b of BASELINES) {
      const base = results.find((x) => x.impl === b && sameShape(x, r));
      if (!base) continue;
      r.vs[b] = base.events_per_s > 0 ? r.events_per_s / base.events_per_s : NaN;
      if (r.latency_samples > 0 && base.latency_samples > 0) r.vs_latency_p50[b] = r.latency_ns.p50 / base.latency_ns.p50;
    }
  }
}

/** Run the selected workloads on every implementation (`wasmxen bench`): one warm-up and `runs` measured runs per cell, every event accounted exactly once; resolves with the whole report. */
export async function runBench(o: BenchOptions): Promise<BenchReport> {
  const machine = machineInfo();
  const impls = o.impls ?? IMPLS;
  const warmup = o.warmupSeconds ?? Math.min(0.5, o.seconds);
  const cells: Cell[] = [];
  const shapes: string[] = [];
  for (const w of selectWorkloads(o.workloads)) {
    for (const v of w.variants(o.planCores ?? o.cores ?? machine.cores)) {
      const runIndices = o.shard ? shardRuns(shapes.length, o.runs, o.shard) : [...Array(o.runs).keys()];
      shapes.push(shapeKey(w.name, v.params));
      if (runIndices.length === 0) continue;
      for (const impl of implsFor(w, impls)) cells.push({ w, v, impl, runIndices });
    }
  }
  const dmaRuns = o.shard ? shardRuns(shapes.length, o.runs, o.shard) : [...Array(o.runs).keys()];
  const dma = wantsDma(o.workloads) && dmaRuns.length > 0;
  const total = cells.reduce((a, c) => a + c.runIndices.length + 1, 0) + (dma ? dmaRuns.length + 1 : 0);
  let done = 0;
  const results: BenchResult[] = [];
  for (const c of cells) {
    const label = `${c.w.name}${Object.entries(c.v.params).map(([k, v]) => ` ${k}=${v}`).join('')} ${c.impl}`;
    const spec = c.w.cell(c.impl, c.v);
    // test hook: a receiver that expects every port one off must fail the run, loudly
    if (typeof process !== 'undefined' && process.env.WASMXEN_BENCH_INJECT === 'misroute') spec.geometry = { ...spec.geometry, recvFirst: spec.geometry.recvFirst + 1 };
    const m = await runCell(spec, {
      seconds: o.seconds, runs: c.runIndices.length, warmupSeconds: warmup,
      onRun: () => o.onRun?.(++done, total, label),
    });
    results.push({ ...summarise(c, m, spec.parties.length + (spec.host ? 1 : 0), o.cores ?? machine.cores), ...(o.shard ? { run_indices: c.runIndices } : {}) });
  }
  if (dma) {
    const r = await benchDma({
      seconds: o.seconds, runs: dmaRuns.length, cores: o.cores ?? machine.cores, onRun: () => o.onRun?.(++done, total, 'dma wasmxen'),
    });
    results.push({ ...r, ...(o.shard ? { run_indices: dmaRuns } : {}) });
  }
  compare(results);
  return {
    machine,
    config: {
      seconds: o.seconds, runs: o.runs, warmup_seconds: warmup,
      workloads: [...selectWorkloads(o.workloads).map((w) => w.name), ...(wantsDma(o.workloads) ? [DMA_WORKLOAD] : [])],
      impls: [...impls], build: 'release', tuning: tuning(1024),
    },
    results,
  };
}
