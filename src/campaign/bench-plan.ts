// Shards of a bench campaign. The campaign is (workload × implementation ×
// run) over the workloads' shapes (workload and parameters, e.g. fan-in
// senders=3); its units are grouped by (shape, run) — every implementation
// of one shape's run r lands on the same shard — and the groups, in the
// campaign's order (shape, then run), are dealt out by shard.ts. So the n
// shards cover every (workload, implementation, run) exactly once, and each
// shard holds the baselines its ratios need: a ratio is only ever computed
// between results one machine measured in one shard's run.
import { owns, type Shard } from './shard.ts';

/** What decides a bench campaign's units — identical on every shard (`wasmxen merge` checks). */
export interface BenchCampaign {
  kind: 'bench';
  /** shape keys in campaign order: workload name and its parameters */
  shapes: string[];
  impls: string[];
  runs: number;
  seconds: number;
  warmup_seconds: number;
  /** the core count the scaling workloads' shapes were planned for */
  cores: number;
}

/** The key of a shape: `fan-in senders=2`, `ping-pong`. */
export function shapeKey(workload: string, params: Record<string, number>): string {
  return [workload, ...Object.entries(params).map(([k, v]) => `${k}=${v}`)].join(' ');
}

/** The runs (0-based run indices) of shape number `shape` that `shard` owns. */
export function shardRuns(shape: number, runs: number, shard: Shard): number[] {
  const mine: number[] = [];
  for (let r = 0; r < runs; r++) if (owns(shard, shape * runs + r)) mine.push(r);
  return mine;
}
