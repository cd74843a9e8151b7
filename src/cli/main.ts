// The wasmxen command line. Errors end in one readable line and a non-zero exit.
import { Command, InvalidArgumentError } from 'commander';
import { runFifoDataPlane, formatDataPlaneReport } from '../scenarios/fifo-data-plane.ts';

function positiveNumber(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`expected a positive number, got '${v}'`);
  return n;
}

const program = new Command()
  .name('wasmxen')
  .description('An emulator of Xen event channels on WebAssembly shared memory, with real vCPU threads');

program
  .command('run')
  .description('run the default scenario and print a report (exit status 1 if any event was lost or duplicated)')
  .option('--seconds <s>', 'how long the senders run', positiveNumber, 3)
  .option('--json', 'print the report as JSON')
  .action(async (opts: { seconds: number; json?: boolean }) => {
    const report = await runFifoDataPlane(opts.seconds);
    console.log(opts.json ? JSON.stringify(report) : formatDataPlaneReport(report));
    if (report.lost !== 0 || report.duplicated !== 0) process.exitCode = 1;
  });

program.parseAsync(process.argv).catch((e: unknown) => {
  console.error(`wasmxen: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  process.exit(1);
});
