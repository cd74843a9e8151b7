// `wasmxen run`: run a scenario and print its report.
import { writeFile } from 'node:fs/promises';
import { type Command, Option } from 'commander';
import { SingleBar } from 'cli-progress';
import { runFifoDataPlane, formatDataPlaneReport, DATA_PLANE_MAX_SECONDS } from '../scenarios/fifo-data-plane.ts';
import { runDefaultScenario, MAX_RUN_SECONDS, type RunProgress } from '../scenarios/default.ts';
import { formatRunReport } from '../scenarios/run-report.ts';
import { runDmaScenario, formatDmaReport } from '../scenarios/dma.ts';
import { runMigratingScenario } from '../scenarios/migrating.ts';
import { buildForLayout } from '../wasm/private-layout.ts';
import { boundedNumber, boundedInteger } from './options.ts';
import { fifo1to1Rate } from '../bench/reference-rate.ts';
import { EXIT_VERDICT_BAD } from './exit.ts';

/** A progress bar on stderr when it is a terminal (and no --json): time, phase and events. */
function runBar(enabled: boolean) {
  if (!enabled) return undefined;
  const bar = new SingleBar({
    format: ' run [{bar}] {elapsed}/{total_s} s | {phase} | {events} events',
    stream: process.stderr, hideCursor: true, barsize: 24, clearOnComplete: true,
  });
  let started = false;
  const started_at = performance.now();
  return {
    update(seconds: number, p?: Partial<RunProgress>) {
      const elapsed = p?.elapsed ?? (performance.now() - started_at) / 1000;
      const payload = {
        elapsed: elapsed.toFixed(1), total_s: seconds, phase: p?.phase ?? (elapsed < seconds ? 'running' : 'draining'),
        events: p?.delivered !== undefined ? Math.round(p.delivered).toLocaleString('en-US') : '-',
      };
      if (!started) { bar.start(Math.max(1, Math.round(seconds * 10)), 0, payload); started = true; }
      bar.update(Math.min(Math.round(elapsed * 10), Math.round(seconds * 10)), payload);
    },
    stop() { if (started) bar.stop(); },
  };
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run a scenario and print a report (exit status 1 if any event was lost or duplicated)')
    .addOption(new Option('--scenario <name>', 'default: 2 domains × 2 vCPUs, ping-pong, fan-in, IPIs, timer; '
      + 'fifo-data-plane: raw FIFO raises from sender threads; '
      + 'dma: overlapping DMA through the device model\'s mapcache (exit 1 on a checksum failure or a dead device model)')
      .choices(['default', 'fifo-data-plane', 'dma']).default('default'))
    .option('--seconds <s>', 'how long the senders run (the run then waits for the guests to boot and every event in flight)',
      boundedNumber(MAX_RUN_SECONDS, 'thirty days'), 3)
    .addOption(new Option('--abi <abi>', 'event-channel ABI of the guests (fifo: reached through init_control at boot)')
      .choices(['fifo', '2l']).default('fifo'))
    .option('--json', 'print the report as JSON')
    .option('--save-at <s>', 'default scenario: at S seconds, write domain 1\'s image (paused only for the copy) to --save-to',
      boundedNumber(MAX_RUN_SECONDS, 'thirty days'))
    .option('--save-to <file>', 'where --save-at writes the image (check it with `wasmxen image check`)')
    .option('--migrate-at <s>', 'default scenario: at S seconds, migrate domain 1 (the frontend) to a second wasmxen process over 127.0.0.1, '
      + 'where a fresh backend takes over (exit 1 if it failed, e.g. the target refused the image; the source then resumed it)', boundedNumber(MAX_RUN_SECONDS, 'thirty days'))
    .option('--migrate-max-vcpus <n>', 'with --migrate-at: the target host gives a domain at most N vCPUs (1 makes it refuse domain 1\'s two)',
      boundedInteger(32, 'Xen\'s legacy vCPU limit'))
    .option('--migrate-layout <version>', 'with --migrate-at: the target host\'s private-region layout version, 1 or 2 (2: a "newer" hypervisor)',
      boundedInteger(0xffff, 'a layout version'))
    .action(async (opts: { scenario: string; seconds: number; json?: boolean; abi: '2l' | 'fifo'; saveAt?: number; saveTo?: string; migrateAt?: number; migrateMaxVcpus?: number; migrateLayout?: number }) => {
      if (opts.migrateAt !== undefined && opts.scenario !== 'default') throw new Error('--migrate-at migrates domain 1 of the default scenario: drop --scenario');
      if (opts.migrateAt !== undefined && opts.saveAt !== undefined) throw new Error('--migrate-at and --save-at do not go together: give one');
      if (opts.migrateAt !== undefined && opts.migrateAt >= opts.seconds) throw new Error(`--migrate-at ${opts.migrateAt} must be before the end of the run (--seconds ${opts.seconds})`);
      if (opts.migrateMaxVcpus !== undefined && opts.migrateAt === undefined) throw new Error('--migrate-max-vcpus configures the target of --migrate-at: give --migrate-at too');
      if (opts.migrateLayout !== undefined && opts.migrateAt === undefined) throw new Error('--migrate-layout configures the target of --migrate-at: give --migrate-at too');
      if (opts.migrateLayout !== undefined) buildForLayout(opts.migrateLayout); // a layout that was not built: refused before the run
      if ((opts.saveAt === undefined) !== (opts.saveTo === undefined)) throw new Error('--save-at and --save-to go together: give both');
      if (opts.saveAt !== undefined && opts.scenario !== 'default') throw new Error('--save-at saves domain 1 of the default scenario: drop --scenario');
      if (opts.saveAt !== undefined && opts.saveAt >= opts.seconds) throw new Error(`--save-at ${opts.saveAt} must be before the end of the run (--seconds ${opts.seconds})`);
      if (opts.scenario === 'fifo-data-plane' && opts.abi !== 'fifo') {
        throw new Error('the fifo-data-plane scenario exercises the FIFO ABI only: drop --abi 2l');
      }
      if (opts.scenario === 'fifo-data-plane' && opts.seconds > DATA_PLANE_MAX_SECONDS) {
        throw new Error(`the fifo-data-plane scenario runs at most ${DATA_PLANE_MAX_SECONDS} s (its event counters are 32-bit): lower --seconds`);
      }
      const bar = runBar(!opts.json && process.stderr.isTTY === true);
      // scenarios without their own progress report move the bar by the clock
      const ticker = bar && opts.scenario !== 'default' ? setInterval(() => bar.update(opts.seconds), 100) : undefined;
      try {
        if (opts.scenario === 'dma') {
          const r = await runDmaScenario({ seconds: opts.seconds, abi: opts.abi });
          bar?.stop();
          console.log(opts.json ? JSON.stringify(r) : formatDmaReport(r));
          if (!r.ok) {
            console.error('wasmxen: the DMA run failed: see the report (checksums, a dead device model or commands never completed)');
            process.exitCode = EXIT_VERDICT_BAD;
          }
          return;
        }
        const onProgress = bar && ((p: Omit<RunProgress, 'latency'>) => bar.update(opts.seconds, p));
        const report = opts.scenario === 'fifo-data-plane'
          ? await runFifoDataPlane(opts.seconds)
          : opts.migrateAt !== undefined
            ? await runMigratingScenario({ seconds: opts.seconds, at: opts.migrateAt, abi: opts.abi, targetMaxVcpus: opts.migrateMaxVcpus, targetLayout: opts.migrateLayout, onProgress })
            : await runDefaultScenario({ seconds: opts.seconds, abi: opts.abi, save: opts.saveAt !== undefined && opts.saveTo ? { at: opts.saveAt, file: opts.saveTo, write: (chunks) => writeFile(opts.saveTo!, chunks) } : undefined, onProgress: bar && ((p) => bar.update(opts.seconds, p)) });
        bar?.stop();
        // the data plane's own rate beside the guests' (a short measurement after the scenario)
        if ('flows' in report) report.data_plane = { workload: 'fifo-1to1', events_per_s: await fifo1to1Rate() };
        const text = 'flows' in report ? formatRunReport(report) : formatDataPlaneReport(report);
        console.log(opts.json ? JSON.stringify(report) : text);
        if ('migration' in report && report.migration && !report.migration.ok) {
          console.error(`wasmxen: migration of domain 1 failed: ${report.migration.error} (the source resumed it)`);
          process.exitCode = EXIT_VERDICT_BAD;
        } else if (report.lost !== 0 || report.duplicated !== 0) {
          console.error(`wasmxen: ${report.lost} event(s) lost, ${report.duplicated} duplicated`);
          process.exitCode = EXIT_VERDICT_BAD;
        }
      } finally {
        if (ticker) clearInterval(ticker);
        bar?.stop();
      }
    });
}
