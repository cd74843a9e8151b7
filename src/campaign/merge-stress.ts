// `wasmxen merge` of stress shards: every shard's runs checked against what
// its shard of the campaign owed (shard.ts, stress-campaign.ts), the counts
// of each scenario summed over all shards and judged once (the verdict is a
// function of summed counts, src/stress/verdict.ts), one campaign verdict,
// and every forbidden outcome with the shard that found it and its
// reproduce line.
import { scenarioByName } from '../stress/scenarios.ts';
import { overallVerdict, type Verdict } from '../stress/verdict.ts';
import type { ScenarioResult } from '../stress/runner.ts';
import type { MachineInfo } from '../bench/machine-info.ts';
import { campaignUnits, sumResults, type StressCampaign } from './stress-campaign.ts';
import type { ForbiddenJson, RunJson, StressShardJson } from './stress-json.ts';
import { shardUnits, shardLabel, type Shard } from './shard.ts';
import { malformed, type ShardFile } from './merge-input.ts';
import { buildInfo, type BuildInfo } from './provenance.ts';
import { MergeError } from './merge-input.ts';

/** The merged report of a stress campaign (`wasmxen merge --json`). */
export interface MergedStress {
  kind: 'stress';
  verdict: Verdict;
  campaign: StressCampaign;
  wasmxen: BuildInfo;
  /** per scenario: counts summed over every shard, judged */
  scenarios: ScenarioResult[];
  /** runs in the campaign, run, and skipped (--until-first-failure) */
  units: { total: number; run: number; skipped: number };
  forbidden_outcomes: ForbiddenJson[];
  shards: { file: string; shard: Shard; verdict: Verdict; runs: number; skipped: number; iterations: number; machine: MachineInfo }[];
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;

function checkCampaign(f: ShardFile): StressCampaign {
  const c = f.campaign as StressCampaign;
  if (!Array.isArray(c.scenarios) || !Number.isSafeInteger(c.seed0) || !Number.isSafeInteger(c.seeds) || !isObj(c.budget)) {
    throw malformed(f.file, 'its "campaign" lacks scenarios, seed0, seeds or budget');
  }
  for (const n of c.scenarios) if (!scenarioByName(n)) throw malformed(f.file, `its campaign names a scenario this wasmxen does not have: '${n}'`);
  return c;
}

/** The runs of one file, checked: well-formed, and exactly the units its shard owes (run or skipped). */
function checkRuns(f: ShardFile, c: StressCampaign): RunJson[] {
  const j = f.json as unknown as StressShardJson;
  if (!Array.isArray(j.runs) || !Array.isArray(j.skipped)) throw malformed(f.file, 'no "runs" and "skipped" lists');
  let owed;
  try { owed = shardUnits(campaignUnits(c), f.shard); } catch (e) { throw malformed(f.file, `its campaign cannot be split: ${(e as Error).message}`); }
  for (const r of j.runs) {
    const def = isObj(r) && typeof r.scenario === 'string' ? scenarioByName(r.scenario) : undefined;
    if (!def || !isCount(r.seed) || !isCount(r.position) || !isCount(r.iterations) || !isCount(r.forbidden) || !isCount(r.watchdog)
      || typeof r.seconds !== 'number' || !isObj(r.outcomes) || !Object.values(r.outcomes).every(isCount)
      || !Object.keys(r.outcomes).every((k) => def.outcomes.some((o) => o.id === k))) {
      throw malformed(f.file, `a run is not {scenario, seed, position, iterations, outcomes, forbidden, watchdog, seconds} of a known scenario: ${JSON.stringify(r).slice(0, 120)}`);
    }
    if ((r.forbidden > 0 || r.watchdog > 0) && typeof r.reproduce !== 'string') throw malformed(f.file, `forbidden run ${r.scenario} seed ${r.seed} has no reproduce line`);
  }
  const key = (u: { scenario: string; seed: number; position: number }) => `${u.position}:${u.scenario}:${u.seed}`;
  const got = [...j.runs, ...j.skipped].map(key).sort();
  const want = owed.map(key).sort();
  if (got.length !== want.length || got.some((k, i) => k !== want[i])) {
    throw malformed(f.file, `its runs are not those shard ${shardLabel(f.shard)} of its campaign owes (${got.length} listed, ${want.length} owed)`);
  }
  if (j.skipped.length && !c.until_first_failure) throw malformed(f.file, 'it skipped runs without --until-first-failure');
  return j.runs;
}

/** A run's counts as sumResults takes them. */
function counts(r: RunJson) {
  return {
    iterations: r.iterations, outcomes: r.outcomes, forbidden: r.forbidden, watchdog: r.watchdog, seconds: r.seconds,
    ...(r.failure ? { failure: { kind: r.failure.kind, outcome: r.failure.outcome, detail: r.failure.detail, iteration: r.failure.iteration, atSeconds: r.failure.at_seconds } } : {}),
  };
}

/** Counts of `runs` summed and judged per scenario, in campaign order. */
function judge(names: string[], runs: RunJson[]): ScenarioResult[] {
  return [...names].sort().map((n) => sumResults(scenarioByName(n)!, runs.filter((r) => r.scenario === n).map(counts)));
}

export function mergeStress(files: ShardFile[]): MergedStress {
  // the verdicts are judged here, by this wasmxen's scenario definitions (their outcomes and evidence)
  const here = buildInfo().version;
  if (files[0].wasmxen.version !== here) {
    throw new MergeError(`the shards were made by wasmxen ${files[0].wasmxen.version}, this is wasmxen ${here}: merge with the version that made them (its scenarios judge the counts)`);
  }
  const c = checkCampaign(files[0]);
  const perFile = files.map((f) => ({ f, runs: checkRuns(f, c) }));
  const all = perFile.flatMap((p) => p.runs);
  const scenarios = judge(c.scenarios, all);
  const forbidden: ForbiddenJson[] = perFile.flatMap(({ f, runs }) => runs.filter((r) => r.forbidden > 0 || r.watchdog > 0).map((r) => ({
    scenario: r.scenario, seed: r.seed, kind: r.failure?.kind ?? 'forbidden', outcome: r.failure?.outcome ?? 'forbidden',
    detail: r.failure?.detail ?? '', reproduce: r.reproduce!, shard: shardLabel(f.shard),
  })));
  const skipped = perFile.reduce((a, p) => a + (p.f.json as unknown as StressShardJson).skipped.length, 0);
  return {
    kind: 'stress',
    verdict: overallVerdict(scenarios.map((s) => s.verdict)),
    campaign: c,
    wasmxen: files[0].wasmxen,
    scenarios,
    units: { total: campaignUnits(c).length, run: all.length, skipped },
    forbidden_outcomes: forbidden,
    shards: perFile.map(({ f, runs }) => {
      const sj = f.json as unknown as StressShardJson;
      // the shard's own verdict: over the scenarios it ran (a shard owning no run is inconclusive)
      const judged = judge([...new Set(runs.map((r) => r.scenario))], runs).map((s) => s.verdict);
      return {
        file: f.file, shard: f.shard, verdict: overallVerdict(judged), runs: runs.length,
        skipped: sj.skipped.length, iterations: runs.reduce((a, r) => a + r.iterations, 0), machine: sj.machine,
      };
    }).sort((a, b) => a.shard.index - b.shard.index),
  };
}
