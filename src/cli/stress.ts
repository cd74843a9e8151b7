// `wasmxen stress`: the race harness (src/stress/). Runs named scenarios on
// worker threads over the stress build, prints a per-scenario outcome
// histogram and a verdict (src/stress/verdict.ts). Exit status: 0 clean,
// 1 forbidden (a forbidden outcome or a watchdog hit, with the seed and a
// command that reproduces it), 2 inconclusive (no iteration, or the race
// never happened). Sharded campaigns (--shard, --seeds, budgets):
// src/campaign/, README "Campaigns".
import { writeFileSync } from 'node:fs';
import { randomInt } from 'node:crypto';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { SingleBar } from 'cli-progress';
import { boundedNumber, boundedInteger, TIMER_MAX_MS } from './options.ts';
import { SCENARIOS } from '../stress/scenarios.ts';
import { INJECTIONS } from '../stress/inject.ts';
import { EXIT_INCONCLUSIVE } from './exit.ts';
import { resolveScenarios, MAX_SCENARIO_SECONDS, type StressProgress } from '../stress/runner.ts';
import { EXIT_STATUS } from '../stress/verdict.ts';
import { parseShard, shardLabel, shardUnits, WHOLE, type Shard } from '../campaign/shard.ts';
import { runCampaign, campaignUnits, MAX_SEED, MAX_UNITS, type StressCampaign } from '../campaign/stress-campaign.ts';
import { stressShardJson } from '../campaign/stress-json.ts';
import { provenance } from '../campaign/provenance.ts';
import { checkWritable } from './output.ts';
import { formatList, formatReport } from '../stress/report.ts';

function seedArg(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new InvalidArgumentError(`expected a seed 0..4294967295, got '${v}'`);
  return n;
}

const short = (v: number) => (v >= 1e6 ? `${(v / 1e6).toFixed(1)}M` : v >= 1e4 ? `${Math.round(v / 1e3)}k` : String(v));

/** Most iterations of one run: the iteration counter is a 32-bit control word. */
const MAX_ITERATIONS = 0xffffffff;

function shardArg(v: string): Shard {
  try { return parseShard(v); } catch (e) { throw new InvalidArgumentError((e as Error).message); }
}

interface StressCliOptions {
  scenario?: string;
  seconds?: number;
  iterations?: number;
  totalSeconds?: number;
  totalIterations?: number;
  seed?: number;
  seeds: number;
  shard?: Shard;
  untilFirstFailure?: boolean;
  inject?: string;
  json?: boolean;
  trace?: string;
  list?: boolean;
  noise: boolean;
  build: 'stress' | 'release';
  stallMs: number;
}

/** The campaign the options describe; throws one line on a budget or seed range that does not fit. */
function campaignOf(opts: StressCliOptions, names: string[]): StressCampaign {
  const perRun = opts.seconds !== undefined || opts.iterations !== undefined;
  const total = opts.totalSeconds !== undefined || opts.totalIterations !== undefined;
  if (perRun && total) throw new Error('give either a per-run budget (--seconds, --iterations) or a total one (--total-seconds, --total-iterations), not both');
  if (opts.totalSeconds !== undefined && opts.totalIterations !== undefined) throw new Error('give one total budget: --total-seconds or --total-iterations');
  if (opts.shard && opts.shard.count > 1 && opts.seed === undefined) {
    throw new Error('a sharded campaign needs --seed: every shard must draw the same seeds');
  }
  const budget = total
    ? (opts.totalSeconds !== undefined ? { total_seconds: opts.totalSeconds } : { total_iterations: opts.totalIterations })
    : {
      // --iterations alone: the run stops at its iteration count, MAX_SCENARIO_SECONDS bounds it
      ...(opts.seconds !== undefined || opts.iterations === undefined ? { seconds: opts.seconds ?? 2 } : {}),
      ...(opts.iterations !== undefined ? { iterations: opts.iterations } : {}),
    };
  const seed0 = opts.seed ?? randomInt(0, MAX_SEED - opts.seeds + 2);
  const c: StressCampaign = {
    scenarios: [...names].sort(), seed0, seeds: opts.seeds, budget, inject: opts.inject ?? null, build: opts.build,
    noise: opts.noise, until_first_failure: opts.untilFirstFailure === true,
  };
  campaignUnits(c); // validates the split
  return c;
}

export function registerStress(program: Command): void {
  program
    .command('stress')
    .description('race harness: run scenarios on real threads, classify every iteration\'s outcome; verdict and exit status: '
      + '0 clean (iterations ran and the race happened), 1 forbidden (a forbidden outcome or a watchdog hit, with the seed '
      + 'and a command that reproduces it), 2 inconclusive (no iteration, or the race never happened)')
    .addOption(new Option('--scenario <name>', 'one scenario, or all (default: all; with --inject, the scenario that catches the bug)')
      .choices(['all', ...SCENARIOS.map((s) => s.name)]))
    .option('--seconds <s>', 'how long each run (scenario × seed) goes, from its first iteration; it stops early at its first forbidden outcome (default: 2)',
      boundedNumber(MAX_SCENARIO_SECONDS, 'the iteration counters are 32-bit: a longer campaign is several runs'))
    .option('--iterations <n>', `stop each run once this many iterations ran (with no --seconds, a run is bounded by ${MAX_SCENARIO_SECONDS} s)`,
      boundedInteger(MAX_ITERATIONS, 'the iteration counter is 32-bit'))
    .option('--seed <n>', 'seed of the scheduling noise and the parties\' random delays; the first of --seeds (default: random)', seedArg)
    .option('--seeds <n>', 'a campaign: every scenario runs once with each seed of seed … seed+n−1', boundedInteger(MAX_UNITS, 'runs listed in the JSON'), 1)
    .option('--total-seconds <s>', 'a campaign\'s time budget, split evenly over all its runs (scenarios × seeds, across all shards)',
      boundedNumber(MAX_SCENARIO_SECONDS * MAX_UNITS, 'runs × the longest run'))
    .option('--total-iterations <n>', 'a campaign\'s iteration budget, split exactly over all its runs (across all shards)', boundedInteger(Number.MAX_SAFE_INTEGER, 'exact integers'))
    .option('--shard <i/n>', 'run shard i of n (1-based): the runs at positions p ≡ i−1 (mod n) of the sorted (scenario, seed) list; needs --seed', shardArg)
    .option('--until-first-failure', 'stop this shard\'s campaign at its first forbidden run (the runs left are listed as skipped)')
    .addOption(new Option('--inject <bug>', 're-inject a known bug into the stress build, to see the harness catch it')
      .choices(INJECTIONS.map((i) => i.name)))
    .option('--json', 'print the result as JSON (no progress bar, no histogram)')
    .option('--trace <file>', 'write a Chrome trace-event JSON (Perfetto, chrome://tracing) of the iterations around a failure')
    .option('--list', 'list the scenarios and the injectable bugs')
    .option('--no-noise', 'turn the stress build\'s scheduling noise off')
    .addOption(new Option('--build <build>', 'stress: noise and injection compiled in; release: the product as shipped (no noise)')
      .choices(['stress', 'release']).default('stress'))
    .option('--stall-ms <ms>', 'watchdog: a party without progress for this long is stuck', boundedNumber(TIMER_MAX_MS / 2, 'Node\'s timers'), 3000)
    .action(async (opts: StressCliOptions) => {
      if (opts.list) { console.log(formatList()); return; }
      if (opts.inject && opts.build === 'release') throw new Error('--inject needs the stress build (drop --build release)');
      if (opts.trace) checkWritable(opts.trace, '--trace');
      const defs = resolveScenarios(opts.scenario, opts.inject);
      const shard = opts.shard ?? WHOLE;
      const campaign = campaignOf(opts, defs.map((d) => d.name));
      const seed = campaign.seed0;
      const units = campaignUnits(campaign);
      const perRun = units[0]?.seconds;
      const live = !opts.json && process.stderr.isTTY;
      const bar = live ? new SingleBar({
        format: ' {scenario} [{bar}] {elapsed}/{total_s} s | {iterations} it | {rate}/s | {outcomes}',
        stream: process.stderr, hideCursor: true, barsize: 24, clearOnComplete: true,
      }) : undefined;
      if (!opts.json) {
        const budget = campaign.budget.total_iterations !== undefined ? `${campaign.budget.total_iterations} iterations in all`
          : [perRun !== undefined ? `${Number(perRun.toPrecision(6))} s` : '', units[0]?.iterations !== undefined && campaign.budget.iterations !== undefined ? `${campaign.budget.iterations} iterations` : '']
            .filter(Boolean).join(', at most ');
        const seeds = campaign.seeds === 1 ? `seed ${seed}` : `seeds ${seed}…${seed + campaign.seeds - 1}`;
        console.log(`wasmxen stress: ${defs.length} scenario${defs.length === 1 ? '' : 's'} × ${budget}, ${seeds}, `
          + `${opts.build} build${opts.build === 'stress' ? (opts.noise ? ' with scheduling noise' : ', noise off') : ''}, `
          + `${opts.inject ? `injected bug: ${opts.inject}` : 'no injected bug'}`
          + `${shard.count > 1 ? `; shard ${shardLabel(shard)}: ${shardUnits(units, shard).length} of the campaign's ${units.length} runs` : ''}\n`);
      }
      let current = '';
      const onProgress = (p: StressProgress) => {
        if (!bar) return;
        const def = defs.find((d) => d.name === p.scenario)!;
        const sum = (k: string) => def.outcomes.reduce((s, o, i) => s + (o.kind === k ? p.outcomes[i] ?? 0 : 0), 0);
        const payload = {
          scenario: p.scenario.padEnd(15), elapsed: p.elapsed.toFixed(1), total_s: p.seconds, iterations: short(p.iterations),
          rate: short(Math.round(p.iterations / Math.max(p.elapsed, 1e-3))),
          outcomes: `acceptable ${short(sum('acceptable'))} interesting ${short(sum('interesting'))} forbidden ${p.forbidden}`,
        };
        if (current !== p.scenario) {
          if (current) bar.stop();
          current = p.scenario;
          bar.start(Math.round(p.seconds * 10), 0, payload);
        }
        bar.update(Math.min(Math.round(p.elapsed * 10), Math.round(p.seconds * 10)), payload);
      };
      let outcome;
      try {
        outcome = await runCampaign(campaign, shard, { trace: opts.trace !== undefined, stallMs: opts.stallMs, onProgress: live ? onProgress : undefined });
      } finally {
        bar?.stop();
      }
      const results = outcome.runs.map((r) => r.result);
      if (opts.trace) {
        const failed = results.filter((s) => s.failure);
        const chosen = failed.length ? failed : results;
        writeFileSync(opts.trace, JSON.stringify({
          traceEvents: chosen.flatMap((s) => s.trace?.traceEvents ?? []),
          displayTimeUnit: 'ns',
          metadata: { tool: 'wasmxen stress', seed, inject: campaign.inject, scenarios: chosen.map((s) => s.trace?.metadata) },
        }));
      }
      const json = stressShardJson(campaign, shard, outcome, provenance());
      if (opts.json) {
        console.log(JSON.stringify({ ...json, ...(opts.trace ? { trace_file: opts.trace } : {}) }));
      } else {
        console.log(formatReport({ scenarios: outcome.scenarios, inject: campaign.inject, detected: json.detected, verdict: outcome.verdict, seed }, defs));
        for (const f of json.forbidden_outcomes) console.log(`  ${f.kind === 'watchdog' ? 'WATCHDOG' : 'FORBIDDEN'} ${f.scenario} seed ${f.seed}: reproduce: ${f.reproduce}`);
        if (outcome.skipped.length) console.log(`  --until-first-failure: ${outcome.skipped.length} run(s) of this shard skipped`);
      }
      if (opts.trace && !opts.json) console.log(`wasmxen stress: wrote the trace to ${opts.trace} (open in https://ui.perfetto.dev or chrome://tracing)`);
      if (json.forbidden_outcomes.length) {
        const [first, ...more] = json.forbidden_outcomes;
        console.error(`wasmxen stress: ${first.kind === 'watchdog' ? 'watchdog hit' : 'forbidden outcome'} in ${first.scenario} (seed ${first.seed}); `
          + `reproduce: ${first.reproduce}${more.length ? ` (and ${more.length} more forbidden run(s): see the report)` : ''}`);
      } else if (outcome.verdict === 'inconclusive') {
        const names = outcome.scenarios.filter((s) => s.verdict === 'inconclusive').map((s) => s.name);
        console.error(`wasmxen stress: inconclusive: ${names.length ? names.join(', ') : `shard ${shardLabel(shard)} owns no run`} — `
          + `${outcome.scenarios.find((s) => s.hint)?.hint ?? 'add seeds or use fewer shards'}`);
      }
      process.exitCode = EXIT_STATUS[outcome.verdict];
      // an injection run exists to show the bug caught: not caught is no verdict on the race ("clean" would say the bug is not there)
      if (campaign.inject && !json.detected && outcome.verdict === 'clean') {
        console.error(`wasmxen stress: inconclusive: the injected bug '${campaign.inject}' was not caught within the budget — run longer (--seconds, --iterations)`);
        process.exitCode = EXIT_INCONCLUSIVE;
      }
    });
}
