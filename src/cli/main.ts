// The wasmxen command line. Each command registers itself from its own file.
// Errors end in one readable line and a non-zero exit (the statuses: ./exit.ts).
import { Command, CommanderError } from 'commander';
import { EXIT_ERROR, EXIT_VERDICT_BAD, VerdictError } from './exit.ts';
import { BenchCorrectnessError } from '../bench/runner.ts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../paths.ts';

const version = (JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { version: string }).version;
import { registerRun } from './run.ts';
import { registerStress } from './stress.ts';
import { registerBench } from './bench.ts';
import { registerMerge } from './merge.ts';
import { registerImage } from './image.ts';
import { registerReceive } from './receive.ts';
import { registerServe } from './serve.ts';

const program = new Command()
  .name('wasmxen')
  .description('An emulator of Xen event channels on WebAssembly shared memory, with real vCPU threads')
  .configureOutput({ outputError: (s, write) => write(s.split('\n')[0] + '\n') })
  .version(version, '-V, --version', 'print the wasmxen version')
  .exitOverride();

registerRun(program);
registerStress(program);
registerBench(program);
registerMerge(program);
registerImage(program);
registerReceive(program);
registerServe(program);

program.parseAsync(process.argv).catch((e: unknown) => {
  // commander has printed its own line (a refused option, or --help/--version with status 0)
  if (e instanceof CommanderError) process.exit(e.exitCode === 0 ? 0 : EXIT_ERROR);
  console.error(`wasmxen: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  process.exit(e instanceof VerdictError || e instanceof BenchCorrectnessError ? EXIT_VERDICT_BAD : EXIT_ERROR);
});
