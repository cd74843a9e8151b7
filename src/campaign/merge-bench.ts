// `wasmxen merge` of bench shards: every shard's results checked against the
// (shape, run) groups its shard of the campaign owed (bench-plan.ts), then
// grouped per machine. Nothing is recomputed across shards: each shard's
// ratios (×postMessage …) were computed inside that shard's run, on one
// machine, and stay as they are; figures of different machines are shown
// side by side, never divided by each other.
import { DMA_WORKLOAD, type BenchReport, type BenchResult } from '../bench/bench.ts';
import type { MachineInfo } from '../bench/machine-info.ts';
import { shapeKey, shardRuns, type BenchCampaign } from './bench-plan.ts';
import { WORKLOADS, implsFor } from '../bench/workloads/index.ts';
import { canonical, malformed, type ShardFile } from './merge-input.ts';
import { shardLabel, type Shard } from './shard.ts';
import type { BuildInfo } from './provenance.ts';

/** One shard's part of a merged bench campaign: its report as it ran. */
export interface BenchShardPart {
  file: string;
  shard: Shard;
  report: BenchReport;
}

/** The merged report of a bench campaign (`wasmxen merge --json`). */
export interface MergedBench {
  kind: 'bench';
  campaign: BenchCampaign;
  wasmxen: BuildInfo;
  /** (workload × implementation × run) units measured, over all shards */
  units: number;
  /** shards grouped by the machine they ran on (same CPU, cores, memory, OS, Node/V8) */
  machines: { machine: Omit<MachineInfo, 'date' | 'load_average' | 'commit'>; shards: BenchShardPart[] }[];
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function checkCampaign(f: ShardFile): BenchCampaign {
  const c = f.campaign as BenchCampaign;
  if (c.kind !== 'bench' || !Array.isArray(c.shapes) || !Array.isArray(c.impls) || !Number.isSafeInteger(c.runs) || c.runs < 1) {
    throw malformed(f.file, 'its "campaign" lacks shapes, impls or runs');
  }
  return c;
}

function checkResults(f: ShardFile, c: BenchCampaign): BenchReport {
  const j = f.json as unknown as BenchReport;
  if (!Array.isArray(j.results) || !isObj(j.config)) throw malformed(f.file, 'no "results" list or "config"');
  const seen = new Set<string>();
  for (const r of j.results) {
    if (!isObj(r) || typeof r.workload !== 'string' || typeof r.impl !== 'string' || !isObj(r.params) || typeof r.events_per_s !== 'number'
      || !Array.isArray(r.run_indices)) {
      throw malformed(f.file, `a result is not {workload, impl, params, events_per_s, run_indices}: ${JSON.stringify(r).slice(0, 120)}`);
    }
    // the device model's workload is one shape whatever its parameters (bench.ts benchShapes)
    const key = r.workload === DMA_WORKLOAD ? DMA_WORKLOAD : shapeKey(r.workload, r.params);
    const shape = c.shapes.indexOf(key);
    if (shape < 0) throw malformed(f.file, `result '${key}' is not a shape of its campaign`);
    if (r.workload !== DMA_WORKLOAD && !c.impls.includes(r.impl)) throw malformed(f.file, `result '${key} ${r.impl}': not an implementation of its campaign`);
    if (seen.has(`${key} ${r.impl}`)) throw malformed(f.file, `result '${key} ${r.impl}' appears twice`);
    seen.add(`${key} ${r.impl}`);
    const owed = shardRuns(shape, c.runs, f.shard);
    if (canonical(r.run_indices) !== canonical(owed)) {
      throw malformed(f.file, `result '${key} ${r.impl}' has runs [${r.run_indices.join(',')}], shard ${shardLabel(f.shard)} owes [${owed.join(',')}]`);
    }
    if (r.runs !== owed.length) throw malformed(f.file, `result '${key} ${r.impl}' counts ${r.runs} runs for ${owed.length} run indices`);
  }
  // every implementation of every shape the shard owes runs of: a shard that dropped one (a baseline, say) is incomplete
  const missing: string[] = [];
  c.shapes.forEach((key, s) => {
    if (shardRuns(s, c.runs, f.shard).length === 0) return;
    if (key === DMA_WORKLOAD) { if (![...seen].some((u) => u.startsWith(`${DMA_WORKLOAD} `))) missing.push(key); return; }
    for (const impl of implsOf(key, c.impls)) if (!seen.has(`${key} ${impl}`)) missing.push(`${key} ${impl}`);
  });
  if (missing.length) throw malformed(f.file, `shard ${shardLabel(f.shard)} owes runs of ${missing.join(', ')} but has no result for them`);
  return j;
}

/** The campaign's implementations that can express the workload of shape `key` (a workload unknown here: all of them). */
function implsOf(key: string, impls: string[]): string[] {
  const w = WORKLOADS.find((x) => x.name === key.split(' ')[0]);
  return w ? implsFor(w, impls) : impls;
}

const machineKey = (m: MachineInfo) => ({
  cores: m.cores, cpu_model: m.cpu_model, memory_gib: m.memory_gib, platform: m.platform, arch: m.arch, os_release: m.os_release,
  node: m.node, v8: m.v8, wasm_flags: m.wasm_flags, ...(m.browser !== undefined ? { browser: m.browser } : {}),
});

export function mergeBench(files: ShardFile[]): MergedBench {
  const c = checkCampaign(files[0]);
  const parts = files.map((f) => ({ file: f.file, shard: f.shard, report: checkResults(f, c) })).sort((a, b) => a.shard.index - b.shard.index);
  const machines: MergedBench['machines'] = [];
  for (const p of parts) {
    const key = machineKey(p.report.machine);
    const group = machines.find((g) => canonical(g.machine) === canonical(key));
    if (group) group.shards.push(p);
    else machines.push({ machine: key, shards: [p] });
  }
  const units = parts.reduce((a, p) => a + p.report.results.reduce((b, r: BenchResult) => b + (r.run_indices?.length ?? 0), 0), 0);
  return { kind: 'bench', campaign: c, wasmxen: files[0].wasmxen, units, machines };
}
