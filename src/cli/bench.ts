// `wasmxen bench`: throughput, latency and scaling of the event-channel data
// plane against the alternatives a Node user has, measured in one run
// (bench/README.md). Exit status 1 if any run's accounting does not balance.
import { writeFileSync } from 'node:fs';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { runBench, benchShapes, DMA_WORKLOAD } from '../bench/bench.ts';
import { machineInfo } from '../bench/machine-info.ts';
import { parseShard, shardLabel, WHOLE, type Shard } from '../campaign/shard.ts';
import { buildInfo } from '../campaign/provenance.ts';
import type { BenchCampaign } from '../campaign/bench-plan.ts';
import { WORKLOADS } from '../bench/workloads/index.ts';
import { formatTable } from '../bench/table.ts';
import { renderHtml } from '../bench/html.ts';
import { IMPLS, type ImplName } from '../bench/workloads/types.ts';
import { boundedNumber, boundedInteger } from './options.ts';
import { checkWritable } from './output.ts';
import { benchMigrate, formatMigrateLine } from '../bench/migrate.ts';

/** Longest measured run: each run's event counters are 32-bit words, and the fastest workload delivers ~20 M events/s. */
export const BENCH_MAX_SECONDS = 60;
/** Most runs per cell: a median over more says nothing new, and 1000 × 60 s is already weeks for `all`. */
export const BENCH_MAX_RUNS = 1000;

function implList(v: string): ImplName[] {
  const names = v.split(',').map((x) => x.trim()).filter(Boolean);
  for (const n of names) {
    if (!(IMPLS as readonly string[]).includes(n)) throw new InvalidArgumentError(`no implementation '${n}' (have: ${IMPLS.join(', ')})`);
  }
  if (names.length === 0) throw new InvalidArgumentError('name at least one implementation');
  return names as ImplName[];
}

function shardArg(v: string): Shard {
  try { return parseShard(v); } catch (e) { throw new InvalidArgumentError((e as Error).message); }
}

/** Most cores a campaign plans its scaling shapes for (fan-in runs 1..cores senders). */
const BENCH_MAX_CORES = 256;

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('measure event throughput, latency and scaling against postMessage, comlink and a plain-JS '
      + 'implementation of the same protocol (exit status 1 if any event was lost or duplicated)')
    .addOption(new Option('--workload <name>', `one workload or all: ${WORKLOADS.map((w) => w.name).join(', ')}, ${DMA_WORKLOAD}; `
      + 'or migrate (save downtime and image throughput vs fs.copyFile of the same bytes; not part of all)')
      .choices(['all', ...WORKLOADS.map((w) => w.name), DMA_WORKLOAD, 'migrate']).default('all'))
    .option('--seconds <s>', 'length of each measured run', boundedNumber(BENCH_MAX_SECONDS, 'each run\'s event counters are 32-bit'), 1)
    .option('--runs <n>', 'measured runs per workload and implementation (after one warm-up run)', boundedInteger(BENCH_MAX_RUNS, 'the most a median needs'), 5)
    .option('--impl <names>', `comma-separated subset of ${IMPLS.join(', ')} (ratios need the baselines)`, implList, [...IMPLS])
    .option('--shard <i/n>', 'run shard i of n (1-based) of the (workload × implementation × run) campaign: every implementation of one '
      + 'shape\'s run stays in one shard, so ratios are computed inside one machine\'s run; needs --cores', shardArg)
    .option('--cores <n>', 'the core count the scaling workloads are planned for (fan-in: 1..n senders; default: this machine\'s)',
      boundedInteger(BENCH_MAX_CORES, 'fan-in senders'))
    .option('--json', 'print the report as JSON (no table, no progress bar)')
    .option('--html <file>', 'also write a self-contained HTML page with charts')
    .action(async (opts: { workload: string; seconds: number; runs: number; impl: ImplName[]; json?: boolean; html?: string; shard?: Shard; cores?: number }) => {
      if (opts.workload === 'migrate') {
        if (opts.html || opts.shard) throw new Error('--workload migrate has its own report: drop --html and --shard');
        const bar = !opts.json && process.stderr.isTTY === true ? new SingleBar({
          format: 'bench [{bar}] {value}/{total} runs  {label}', stream: process.stderr, hideCursor: true,
        }, Presets.shades_classic) : undefined;
        bar?.start(opts.runs, 0, { label: 'migrate' });
        let m;
        try {
          m = await benchMigrate(opts.runs, undefined, (done, total) => { bar?.setTotal(total); bar?.update(done, { label: 'migrate' }); });
        } finally {
          bar?.stop();
        }
        console.log(opts.json ? JSON.stringify({ migrate: m }, null, 2) : formatMigrateLine(m));
        return;
      }
      if (opts.html) checkWritable(opts.html, '--html');
      if (opts.shard && opts.shard.count > 1 && opts.cores === undefined) {
        throw new Error('a sharded bench needs --cores: every shard must plan the same fan-in shapes, whatever machine it runs on');
      }
      const cores = opts.cores ?? machineInfo().cores;
      const warmup = Math.min(0.5, opts.seconds);
      const campaign: BenchCampaign = {
        kind: 'bench', shapes: benchShapes([opts.workload], cores), impls: [...opts.impl], runs: opts.runs, seconds: opts.seconds,
        warmup_seconds: warmup, cores,
      };
      const tty = process.stderr.isTTY === true;
      const bar = !opts.json && tty ? new SingleBar({
        format: 'bench [{bar}] {value}/{total} runs  {label}', stream: process.stderr, hideCursor: true,
      }, Presets.shades_classic) : undefined;
      bar?.start(1, 0, { label: '' });
      // off a terminal (and not --json): one line per finished cell, so a long run is not silent
      let lastLabel = '';
      const report = await runBench({
        workloads: [opts.workload], seconds: opts.seconds, runs: opts.runs, impls: opts.impl, warmupSeconds: warmup, planCores: cores, shard: opts.shard ?? WHOLE,
        onRun: (done, total, label) => {
          bar?.setTotal(total);
          bar?.update(done, { label });
          if (!bar && !opts.json && label !== lastLabel) { process.stderr.write(`bench: ${done}/${total} runs, ${label}\n`); lastLabel = label; }
        },
      }).finally(() => bar?.stop());
      if (opts.html) writeFileSync(opts.html, renderHtml(report));
      const shard = opts.shard ?? WHOLE;
      console.log(opts.json ? JSON.stringify({ kind: 'bench', ...report, campaign, shard, wasmxen: buildInfo() }, null, 2) : formatTable(report));
      if (!opts.json && shard.count > 1) console.log(`shard ${shardLabel(shard)}: ${report.results.length} result(s); merge the shards' --json with \`wasmxen merge\``);
      if (opts.html) console.error(`wasmxen bench: wrote the HTML report to ${opts.html}`);
    });
}
