// `wasmxen run`: run a scenario and print its report.
import { type Command, InvalidArgumentError, Option } from 'commander';
import { runFifoDataPlane, formatDataPlaneReport } from '../scenarios/fifo-data-plane.ts';
import { runDefaultScenario, formatRunReport } from '../scenarios/default.ts';
import { runDmaScenario, formatDmaReport } from '../scenarios/dma.ts';

export function positiveNumber(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`expected a positive number, got '${v}'`);
  return n;
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run a scenario and print a report (exit status 1 if any event was lost or duplicated)')
    .addOption(new Option('--scenario <name>', 'default: 2 domains × 2 vCPUs, ping-pong, fan-in, IPIs, timer; '
      + 'fifo-data-plane: raw FIFO raises from sender threads; '
      + 'dma: overlapping DMA through the device model\'s mapcache (exit 1 on a checksum failure or a dead device model)')
      .choices(['default', 'fifo-data-plane', 'dma']).default('default'))
    .option('--seconds <s>', 'how long the senders run', positiveNumber, 3)
    .addOption(new Option('--abi <abi>', 'event-channel ABI of the guests (fifo: reached through init_control at boot)')
      .choices(['fifo', '2l']).default('fifo'))
    .option('--json', 'print the report as JSON')
    .option('--save-at <s>', 'default scenario: at S seconds, write domain 1\'s image (paused only for the copy) to --save-to', positiveNumber)
    .option('--save-to <file>', 'where --save-at writes the image (check it with `wasmxen image check`)')
    .action(async (opts: { scenario: string; seconds: number; json?: boolean; abi: '2l' | 'fifo'; saveAt?: number; saveTo?: string }) => {
      if ((opts.saveAt === undefined) !== (opts.saveTo === undefined)) throw new Error('--save-at and --save-to go together: give both');
      if (opts.saveAt !== undefined && opts.scenario !== 'default') throw new Error('--save-at saves domain 1 of the default scenario: drop --scenario');
      if (opts.saveAt !== undefined && opts.saveAt >= opts.seconds) throw new Error(`--save-at ${opts.saveAt} must be before the end of the run (--seconds ${opts.seconds})`);
      if (opts.scenario === 'dma') {
        const r = await runDmaScenario({ seconds: opts.seconds, abi: opts.abi });
        console.log(opts.json ? JSON.stringify(r) : formatDmaReport(r));
        if (!r.ok) process.exitCode = 1;
        return;
      }
      if (opts.scenario === 'fifo-data-plane' && opts.abi !== 'fifo') {
        throw new Error('the fifo-data-plane scenario exercises the FIFO ABI only: drop --abi 2l');
      }
      const report = opts.scenario === 'fifo-data-plane'
        ? await runFifoDataPlane(opts.seconds)
        : await runDefaultScenario({ seconds: opts.seconds, abi: opts.abi, saveAt: opts.saveAt, saveTo: opts.saveTo });
      const text = 'flows' in report ? formatRunReport(report) : formatDataPlaneReport(report);
      console.log(opts.json ? JSON.stringify(report) : text);
      if (report.lost !== 0 || report.duplicated !== 0) process.exitCode = 1;
    });
}
