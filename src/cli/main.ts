// The wasmxen command line. Each command registers itself from its own file.
// Errors end in one readable line and a non-zero exit.
import { Command } from 'commander';
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
  .configureOutput({ outputError: (s, write) => write(s.split('\n')[0] + '\n') });

registerRun(program);
registerStress(program);
registerBench(program);
registerMerge(program);
registerImage(program);
registerReceive(program);
registerServe(program);

program.parseAsync(process.argv).catch((e: unknown) => {
  console.error(`wasmxen: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  process.exit(1);
});
