// `wasmxen stress`: the race harness (src/stress/). Runs named scenarios on
// worker threads over the stress build, prints a per-scenario outcome
// histogram and a verdict (src/stress/verdict.ts). Exit status: 0 clean,
// 1 forbidden (a forbidden outcome or a watchdog hit, with the seed and a
// command that reproduces it), 2 inconclusive (no iteration, or the race
// never happened).
import { writeFileSync } from 'node:fs';
import { randomInt } from 'node:crypto';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { SingleBar } from 'cli-progress';
import { boundedNumber, TIMER_MAX_MS } from './options.ts';
import { SCENARIOS } from '../stress/scenarios.ts';
import { INJECTIONS } from '../stress/inject.ts';
import { resolveScenarios, runStress, MAX_SCENARIO_SECONDS, type StressProgress } from '../stress/runner.ts';
import { EXIT_STATUS } from '../stress/verdict.ts';
import { checkWritable } from './output.ts';
import { formatList, formatReport } from '../stress/report.ts';

function seedArg(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new InvalidArgumentError(`expected a seed 0..4294967295, got '${v}'`);
  return n;
}

const short = (v: number) => (v >= 1e6 ? `${(v / 1e6).toFixed(1)}M` : v >= 1e4 ? `${Math.round(v / 1e3)}k` : String(v));

interface StressCliOptions {
  scenario?: string;
  seconds: number;
  seed?: number;
  inject?: string;
  json?: boolean;
  trace?: string;
  list?: boolean;
  noise: boolean;
  build: 'stress' | 'release';
  stallMs: number;
}

export function registerStress(program: Command): void {
  program
    .command('stress')
    .description('race harness: run scenarios on real threads, classify every iteration\'s outcome; verdict and exit status: '
      + '0 clean (iterations ran and the race happened), 1 forbidden (a forbidden outcome or a watchdog hit, with the seed '
      + 'and a command that reproduces it), 2 inconclusive (no iteration, or the race never happened)')
    .addOption(new Option('--scenario <name>', 'one scenario, or all (default: all; with --inject, the scenario that catches the bug)')
      .choices(['all', ...SCENARIOS.map((s) => s.name)]))
    .option('--seconds <s>', 'how long each scenario runs, from its first iteration (it stops early at its first forbidden outcome)',
      boundedNumber(MAX_SCENARIO_SECONDS, 'the iteration counters are 32-bit: a longer campaign is several runs'), 2)
    .option('--seed <n>', 'seed of the scheduling noise and the parties\' random delays (default: random)', seedArg)
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
      const seed = opts.seed ?? randomInt(0, 0xffffffff);
      const defs = resolveScenarios(opts.scenario, opts.inject);
      const live = !opts.json && process.stderr.isTTY;
      const bar = live ? new SingleBar({
        format: ' {scenario} [{bar}] {elapsed}/{total_s} s | {iterations} it | {rate}/s | {outcomes}',
        stream: process.stderr, hideCursor: true, barsize: 24, clearOnComplete: true,
      }) : undefined;
      if (!opts.json) {
        console.log(`wasmxen stress: ${defs.length} scenario${defs.length === 1 ? '' : 's'} × ${opts.seconds} s, seed ${seed}, `
          + `${opts.build} build${opts.build === 'stress' ? (opts.noise ? ' with scheduling noise' : ', noise off') : ''}, `
          + `${opts.inject ? `injected bug: ${opts.inject}` : 'no injected bug'}\n`);
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
      let report;
      try {
        report = await runStress(defs, {
          seconds: opts.seconds, seed, inject: opts.inject, trace: opts.trace !== undefined, build: opts.build,
          noise: opts.noise, stallMs: opts.stallMs, onProgress: live ? onProgress : undefined,
        });
      } finally {
        bar?.stop();
      }
      if (opts.trace) {
        const failed = report.scenarios.filter((s) => s.failure);
        const chosen = failed.length ? failed : report.scenarios;
        writeFileSync(opts.trace, JSON.stringify({
          traceEvents: chosen.flatMap((s) => s.trace?.traceEvents ?? []),
          displayTimeUnit: 'ns',
          metadata: { tool: 'wasmxen stress', seed, inject: report.inject, scenarios: chosen.map((s) => s.trace?.metadata) },
        }));
      }
      if (opts.json) {
        console.log(JSON.stringify({
          verdict: report.verdict,
          scenarios: report.scenarios.map((s) => ({
            name: s.name, verdict: s.verdict, ...(s.hint ? { hint: s.hint } : {}),
            iterations: s.iterations, outcomes: s.outcomes, forbidden: s.forbidden, watchdog: s.watchdog,
            seconds: Number(s.seconds.toFixed(3)), rate: Math.round(s.rate),
            ...(s.failure ? { failure: { kind: s.failure.kind, outcome: s.failure.outcome, detail: s.failure.detail.split('\n')[0], iteration: s.failure.iteration, at_seconds: Number(s.failure.atSeconds.toFixed(3)) } } : {}),
          })),
          inject: report.inject,
          detected: report.detected,
          seed,
          build: opts.build,
          noise: opts.build === 'stress' && opts.noise,
          seconds_requested: opts.seconds,
          ...(opts.trace ? { trace_file: opts.trace } : {}),
        }));
      } else {
        console.log(formatReport(report, defs));
      }
      if (opts.trace && !opts.json) console.log(`wasmxen stress: wrote the trace to ${opts.trace} (open in https://ui.perfetto.dev or chrome://tracing)`);
      if (report.detected) {
        const first = report.scenarios.find((s) => s.forbidden > 0 || s.watchdog > 0)!;
        const cmd = `wasmxen stress --scenario ${first.name} --seed ${seed}${report.inject ? ` --inject ${report.inject}` : ''}`
          + ` --seconds ${opts.seconds}${opts.noise ? '' : ' --no-noise'}${opts.build !== 'stress' ? ` --build ${opts.build}` : ''}`;
        console.error(`wasmxen stress: ${first.failure?.kind === 'watchdog' ? 'watchdog hit' : 'forbidden outcome'} in ${first.name} (seed ${seed}); reproduce: ${cmd}`);
      } else if (report.verdict === 'inconclusive') {
        const names = report.scenarios.filter((s) => s.verdict === 'inconclusive').map((s) => s.name);
        console.error(`wasmxen stress: inconclusive: ${names.join(', ')} — ${report.scenarios.find((s) => s.hint)?.hint ?? 'no scenario ran'}`);
      }
      process.exitCode = EXIT_STATUS[report.verdict];
    });
}
