// `wasmxen bench`: throughput, latency and scaling of the event-channel data
// plane against the alternatives a Node user has, measured in one run
// (bench/README.md). Exit status 1 if any run's accounting does not balance.
import { writeFileSync } from 'node:fs';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { positiveNumber } from './run.ts';
import { runBench } from '../bench/bench.ts';
import { WORKLOADS } from '../bench/workloads/index.ts';
import { formatTable } from '../bench/table.ts';
import { renderHtml } from '../bench/html.ts';
import { IMPLS, type ImplName } from '../bench/workloads/types.ts';
import { benchDma, formatDmaLine, type DmaBenchResult } from '../bench/dma.ts';
import { benchMigrate, formatMigrateLine } from '../bench/migrate.ts';

function positiveInteger(v: string): number {
  const n = positiveNumber(v);
  if (!Number.isInteger(n)) throw new InvalidArgumentError(`expected a whole number, got '${v}'`);
  return n;
}

function implList(v: string): ImplName[] {
  const names = v.split(',').map((x) => x.trim()).filter(Boolean);
  for (const n of names) {
    if (!(IMPLS as readonly string[]).includes(n)) throw new InvalidArgumentError(`no implementation '${n}' (have: ${IMPLS.join(', ')})`);
  }
  if (names.length === 0) throw new InvalidArgumentError('name at least one implementation');
  return names as ImplName[];
}

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('measure event throughput, latency and scaling against postMessage, comlink and a plain-JS '
      + 'implementation of the same protocol (exit status 1 if any event was lost or duplicated)')
    .addOption(new Option('--workload <name>', `one workload or all: ${WORKLOADS.map((w) => w.name).join(', ')}, dma; or migrate (save downtime and image throughput vs fs.copyFile, not part of all)`)
      .choices(['all', ...WORKLOADS.map((w) => w.name), 'dma', 'migrate']).default('all'))
    .option('--seconds <s>', 'length of each measured run', positiveNumber, 1)
    .option('--runs <n>', 'measured runs per workload and implementation (after one warm-up run)', positiveInteger, 5)
    .option('--impl <names>', `comma-separated subset of ${IMPLS.join(', ')} (ratios need the baselines)`, implList, [...IMPLS])
    .option('--json', 'print the report as JSON (no table, no progress bar)')
    .option('--html <file>', 'also write a self-contained HTML page with charts')
    .action(async (opts: { workload: string; seconds: number; runs: number; impl: ImplName[]; json?: boolean; html?: string }) => {
      const bar = opts.json ? undefined : new SingleBar({
        format: 'bench [{bar}] {value}/{total} runs  {label}', stream: process.stderr, hideCursor: true,
      }, Presets.shades_classic);
      bar?.start(1, 0, { label: '' });
      if (opts.workload === 'migrate') {
        let m;
        try {
          m = await benchMigrate(opts.runs, undefined, (done, total) => { bar?.setTotal(total); bar?.update(done, { label: 'migrate' }); });
        } finally {
          bar?.stop();
        }
        console.log(opts.json ? JSON.stringify({ migrate: m }, null, 2) : formatMigrateLine(m));
        return;
      }
      let report;
      let dma: DmaBenchResult | undefined;
      try {
        // the device model's workload runs on wasmxen alone (no baseline implements a mapcache)
        if (opts.workload === 'dma' || opts.workload === 'all') {
          dma = await benchDma(opts.seconds, opts.runs, (done, total) => { bar?.setTotal(total); bar?.update(done, { label: 'dma' }); });
        }
        if (opts.workload !== 'dma') {
          report = await runBench({
            workloads: [opts.workload], seconds: opts.seconds, runs: opts.runs, impls: opts.impl,
            onRun: (done, total, label) => { bar?.setTotal(total); bar?.update(done, { label }); },
          });
        }
      } finally {
        bar?.stop();
      }
      if (!report) {
        console.log(opts.json ? JSON.stringify({ dma }, null, 2) : formatDmaLine(dma!));
        return;
      }
      if (opts.html) writeFileSync(opts.html, renderHtml(report));
      const full = dma ? { ...report, dma } : report;
      console.log(opts.json ? JSON.stringify(full, null, 2) : formatTable(report) + (dma ? `\n${formatDmaLine(dma)}` : ''));
    });
}
