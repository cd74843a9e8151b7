// The `wasmxen stress --json` report of a campaign shard: the single-run
// schema (verdict, per-scenario histograms summed over the shard's runs,
// inject, seed …) plus what `wasmxen merge` needs — the campaign, the shard,
// every run with its seed and counts, the forbidden outcomes with the
// command that reproduces each, the wasmxen version and build, the machine.
import type { ScenarioResult } from '../stress/runner.ts';
import type { Verdict } from '../stress/verdict.ts';
import type { MachineInfo } from '../bench/machine-info.ts';
import type { BuildInfo } from './provenance.ts';
import type { Shard } from './shard.ts';
import type { CampaignOutcome, StressCampaign, StressUnit } from './stress-campaign.ts';

/** A failure as the JSON carries it: first line of the detail only. */
export interface FailureJson {
  kind: 'forbidden' | 'watchdog' | 'error';
  outcome: string;
  detail: string;
  iteration?: number;
  at_seconds: number;
}

/** One run (scenario × seed) of a shard. */
export interface RunJson {
  scenario: string;
  seed: number;
  position: number;
  verdict: Verdict;
  iterations: number;
  outcomes: Record<string, number>;
  forbidden: number;
  watchdog: number;
  seconds: number;
  failure?: FailureJson;
  reproduce?: string;
}

/** A forbidden outcome or watchdog hit of the campaign, with the line that reruns it on one machine. */
export interface ForbiddenJson {
  scenario: string;
  seed: number;
  kind: FailureJson['kind'];
  outcome: string;
  detail: string;
  reproduce: string;
  /** the shard that found it, i/n */
  shard: string;
}

export interface StressShardJson {
  kind: 'stress';
  verdict: Verdict;
  scenarios: Record<string, unknown>[];
  inject: string | null;
  detected: boolean;
  /** the campaign's first seed (the only one of a one-seed run) */
  seed: number;
  build: string;
  noise: boolean;
  seconds_requested: number | null;
  iterations_requested: number | null;
  campaign: StressCampaign;
  shard: Shard;
  /** the seeds this shard ran, ascending */
  seeds: number[];
  runs: RunJson[];
  /** runs this shard owned but did not start (--until-first-failure after a forbidden run) */
  skipped: { scenario: string; seed: number; position: number }[];
  forbidden_outcomes: ForbiddenJson[];
  wasmxen: BuildInfo;
  machine: MachineInfo;
  trace_file?: string;
}

const r3 = (x: number) => Number(x.toFixed(3));

export function failureJson(f: NonNullable<ScenarioResult['failure']>): FailureJson {
  return { kind: f.kind, outcome: f.outcome, detail: f.detail.split('\n')[0], iteration: f.iteration, at_seconds: r3(f.atSeconds) };
}

/** A scenario's summed result as the single-run schema has it. */
export function scenarioJson(s: ScenarioResult): Record<string, unknown> {
  return {
    name: s.name, verdict: s.verdict, ...(s.hint ? { hint: s.hint } : {}),
    iterations: s.iterations, outcomes: s.outcomes, forbidden: s.forbidden, watchdog: s.watchdog,
    seconds: r3(s.seconds), rate: Math.round(s.rate),
    ...(s.failure ? { failure: failureJson(s.failure) } : {}),
  };
}

const unitRef = (u: StressUnit) => ({ scenario: u.scenario, seed: u.seed, position: u.position });

export function stressShardJson(c: StressCampaign, shard: Shard, o: CampaignOutcome, prov: { wasmxen: BuildInfo; machine: MachineInfo }): StressShardJson {
  const label = `${shard.index}/${shard.count}`;
  const runs: RunJson[] = o.runs.map(({ unit, result, reproduce }) => ({
    ...unitRef(unit), verdict: result.verdict, iterations: result.iterations, outcomes: result.outcomes,
    forbidden: result.forbidden, watchdog: result.watchdog, seconds: r3(result.seconds),
    ...(result.failure ? { failure: failureJson(result.failure) } : {}), ...(reproduce ? { reproduce } : {}),
  }));
  return {
    kind: 'stress',
    verdict: o.verdict,
    scenarios: o.scenarios.map(scenarioJson),
    inject: c.inject,
    detected: o.scenarios.some((s) => s.forbidden > 0 || s.watchdog > 0),
    seed: c.seed0,
    build: c.build,
    noise: c.build === 'stress' && c.noise,
    seconds_requested: c.budget.seconds ?? null,
    iterations_requested: c.budget.iterations ?? null,
    campaign: c,
    shard,
    seeds: [...new Set([...o.runs.map((r) => r.unit.seed), ...o.skipped.map((u) => u.seed)])].sort((a, b) => a - b),
    runs,
    skipped: o.skipped.map(unitRef),
    forbidden_outcomes: runs.filter((r) => r.reproduce).map((r) => ({
      scenario: r.scenario, seed: r.seed, kind: r.failure?.kind ?? 'forbidden', outcome: r.failure?.outcome ?? 'forbidden',
      detail: r.failure?.detail ?? '', reproduce: r.reproduce!, shard: label,
    })),
    ...prov,
  };
}
