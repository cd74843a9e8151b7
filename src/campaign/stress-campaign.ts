// A stress campaign: every (scenario, seed) of scenarios × seeds
// seed0 … seed0+S−1, each run for a per-run budget — or a total budget split
// evenly over all runs of the campaign (not of one shard: the share of a run
// does not depend on how many shards there are). A shard runs the units it
// owns (shard.ts) one after another; the verdict of each scenario is judged
// from its counts summed over the shard's runs (src/stress/verdict.ts), which
// is why shards merge by adding counts.
import { runScenario, MAX_SCENARIO_SECONDS, type ScenarioResult, type StressOptions } from '../stress/runner.ts';
import { scenarioByName, type ScenarioDef } from '../stress/scenarios.ts';
import { verdictOf, inconclusiveHint, overallVerdict, type Verdict } from '../stress/verdict.ts';
import type { WasmBuild } from '../wasm/exports.ts';
import { shardUnits, type Shard } from './shard.ts';

/** How long each run of a campaign goes: exactly one of per-run or total, in seconds or iterations. */
export interface Budget {
  seconds?: number;
  iterations?: number;
  total_seconds?: number;
  total_iterations?: number;
}

/** Everything that decides a campaign's units and what each runs — identical on every shard. */
export interface StressCampaign {
  /** scenario names, sorted */
  scenarios: string[];
  seed0: number;
  /** how many seeds: seed0 … seed0+seeds−1 */
  seeds: number;
  budget: Budget;
  inject: string | null;
  build: WasmBuild;
  noise: boolean;
  until_first_failure: boolean;
}

/** One run of the campaign: a scenario with a seed and its share of the budget. */
export interface StressUnit {
  scenario: string;
  seed: number;
  /** position in the campaign's canonical order (scenario name, then seed) */
  position: number;
  seconds?: number;
  iterations?: number;
}

/** Seeds are 32-bit (the noise generator's state). */
export const MAX_SEED = 0xffffffff;
/** Most runs in one campaign (units are listed in every shard's JSON). */
export const MAX_UNITS = 1_000_000;

/** The campaign's units in canonical order, each with its budget. Throws RangeError on a budget that cannot be split. */
export function campaignUnits(c: StressCampaign): StressUnit[] {
  if (c.seed0 + c.seeds - 1 > MAX_SEED) throw new RangeError(`seeds ${c.seed0}…${c.seed0 + c.seeds - 1} pass ${MAX_SEED}: lower --seed or --seeds`);
  const total = c.scenarios.length * c.seeds;
  if (total > MAX_UNITS) throw new RangeError(`${total} runs (scenarios × seeds) exceed ${MAX_UNITS}: lower --seeds`);
  const b = c.budget;
  const perRun = [b.seconds, b.iterations].filter((x) => x !== undefined).length;
  const totals = [b.total_seconds, b.total_iterations].filter((x) => x !== undefined).length;
  if (totals > 1 || (totals && perRun)) throw new RangeError('give a per-run budget (--seconds, --iterations) or one total budget (--total-seconds or --total-iterations)');
  if (!totals && !perRun) throw new RangeError('a campaign needs a budget: --seconds, --iterations, --total-seconds or --total-iterations');
  let seconds = b.seconds;
  if (b.total_seconds !== undefined) {
    seconds = b.total_seconds / total;
    if (seconds > MAX_SCENARIO_SECONDS) throw new RangeError(`--total-seconds ${b.total_seconds} gives each of the ${total} runs more than ${MAX_SCENARIO_SECONDS} s: add seeds`);
    if (seconds < 0.001) throw new RangeError(`--total-seconds ${b.total_seconds} gives each of the ${total} runs less than 1 ms`);
  }
  if (b.total_iterations !== undefined && b.total_iterations < total) {
    throw new RangeError(`--total-iterations ${b.total_iterations} is fewer than the campaign's ${total} runs (scenarios × seeds)`);
  }
  const names = [...c.scenarios].sort();
  const units: StressUnit[] = [];
  for (const scenario of names) {
    for (let k = 0; k < c.seeds; k++) {
      const p = units.length;
      // a total iteration budget splits exactly: the first (total mod runs) runs get one more
      const iterations = b.total_iterations !== undefined
        ? Math.floor(b.total_iterations / total) + (p < b.total_iterations % total ? 1 : 0)
        : b.iterations;
      units.push({ scenario, seed: c.seed0 + k, position: p, ...(seconds !== undefined ? { seconds } : {}), ...(iterations !== undefined ? { iterations } : {}) });
    }
  }
  return units;
}

/** Seconds as a command-line argument: exact, without float noise. */
const secondsArg = (s: number) => String(Number(s.toPrecision(12)));

/** The command that reruns exactly this scenario and seed, with its budget, on one machine. */
export function reproduceLine(c: StressCampaign, u: StressUnit): string {
  return `npx wasmxen stress --scenario ${u.scenario} --seed ${u.seed}${c.inject ? ` --inject ${c.inject}` : ''}`
    + `${u.seconds !== undefined ? ` --seconds ${secondsArg(u.seconds)}` : ''}${u.iterations !== undefined ? ` --iterations ${u.iterations}` : ''}`
    + `${c.noise || c.build !== 'stress' ? '' : ' --no-noise'}${c.build !== 'stress' ? ` --build ${c.build}` : ''}`;
}

/** One finished run of a shard. */
export interface UnitResult {
  unit: StressUnit;
  result: ScenarioResult;
  reproduce?: string;
}

/** What a shard did: its runs, the runs it skipped after a failure (--until-first-failure), and per-scenario sums. */
export interface CampaignOutcome {
  runs: UnitResult[];
  skipped: StressUnit[];
  /** per scenario (campaign order), counts summed over this shard's runs and judged */
  scenarios: ScenarioResult[];
  verdict: Verdict;
}

function defOf(name: string): ScenarioDef {
  const d = scenarioByName(name);
  if (!d) throw new RangeError(`no scenario '${name}'`);
  return d;
}

/** Counts of several runs of one scenario added up and judged (the runs' first failure kept). */
export function sumResults(def: ScenarioDef, rs: Pick<ScenarioResult, 'iterations' | 'outcomes' | 'forbidden' | 'watchdog' | 'seconds' | 'failure'>[]): ScenarioResult {
  const outcomes = Object.fromEntries(def.outcomes.map((o) => [o.id, 0]));
  let iterations = 0, forbidden = 0, watchdog = 0, seconds = 0;
  let failure: ScenarioResult['failure'];
  for (const r of rs) {
    iterations += r.iterations;
    forbidden += r.forbidden;
    watchdog += r.watchdog;
    seconds += r.seconds;
    for (const [k, v] of Object.entries(r.outcomes)) outcomes[k] = (outcomes[k] ?? 0) + v;
    failure ??= r.failure;
  }
  const judged = { iterations, outcomes, forbidden, watchdog };
  const verdict = verdictOf(def, judged);
  return {
    name: def.name, iterations, outcomes, forbidden, watchdog, seconds, rate: iterations / Math.max(seconds, 1e-6), verdict,
    ...(verdict === 'inconclusive' ? { hint: inconclusiveHint(def, judged) } : {}), ...(failure ? { failure } : {}),
  };
}

/** What runCampaign passes through to every run. */
export type RunExtras = Pick<StressOptions, 'trace' | 'stallMs' | 'onProgress' | 'overrides'>;

/** Run shard `shard` of campaign `c`: its units in order; with until_first_failure, stop after the first forbidden run. */
export async function runCampaign(c: StressCampaign, shard: Shard, extras: RunExtras = {}): Promise<CampaignOutcome> {
  const mine = shardUnits(campaignUnits(c), shard);
  const runs: UnitResult[] = [];
  const skipped: StressUnit[] = [];
  for (const [i, u] of mine.entries()) {
    if (c.until_first_failure && runs.some((r) => r.result.verdict === 'forbidden')) { skipped.push(u); continue; }
    const result = await runScenario(defOf(u.scenario), {
      ...extras, seconds: u.seconds ?? MAX_SCENARIO_SECONDS, iterations: u.iterations, seed: u.seed,
      inject: c.inject ?? undefined, build: c.build, noise: c.noise, tracePid: i + 1,
    });
    runs.push({ unit: u, result, ...(result.verdict === 'forbidden' ? { reproduce: reproduceLine(c, u) } : {}) });
  }
  // the scenarios this shard owns a run of: a shard owning none of a scenario says nothing about it
  const owned = [...new Set(mine.map((u) => u.scenario))];
  const scenarios = owned.map((n) => sumResults(defOf(n), runs.filter((r) => r.unit.scenario === n).map((r) => r.result)));
  return { runs, skipped, scenarios, verdict: overallVerdict(scenarios.map((s) => s.verdict)) };
}
