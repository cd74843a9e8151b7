// `wasmxen receive`: the second wasmxen process of a migration. Listens on
// 127.0.0.1, takes one migration (src/migrate/receiver.ts), prints its reply
// as JSON, and exits 1 with one line if the images were refused.
import { type Command, InvalidArgumentError } from 'commander';
import { createInterface } from 'node:readline';
import { receive } from '../migrate/receiver.ts';
import { runLiveTarget, type SourceFinal } from '../migrate/live-target.ts';
import { injectionByName, INJECTIONS } from '../stress/inject.ts';
import { VerdictError } from './exit.ts';
import { buildForLayout } from '../wasm/private-layout.ts';

function intArg(min: number, max: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected a whole number ${min}..${max}, got '${v}'`);
    return n;
  };
}

export function registerReceive(program: Command): void {
  program
    .command('receive')
    .description('receive migrated domains on 127.0.0.1 (prints "listening PORT" first), restore them, finish their continuations, print the result as JSON')
    .option('--port <n>', 'TCP port on 127.0.0.1 (0: any free one)', intArg(0, 65535), 0)
    .option('--key <key>', 'HMAC key the images must be authenticated with')
    .option('--preempt-every <n>', 'this hypervisor\'s preemption budget (may differ from the sender\'s)', intArg(1, 0xffffffff))
    .option('--layout <version>', 'this hypervisor\'s private-region layout version, 1 or 2 (may differ from the sender\'s)', intArg(1, 0xffff))
    .option('--count <n>', 'migrations to serve, one after another, each into a fresh machine', intArg(1, 100000), 1)
    .option('--gap-frames <n>', 'frames of another domain placed before the restored ones', intArg(2, 262144), 13)
    .option('--max-vcpus <n>', 'the most vCPUs this host gives a domain', intArg(0, 32))
    .option('--inject <bug>', `re-inject a bug (stress build): ${INJECTIONS.map((i) => i.name).join(', ')}`)
    .option('--live', 'the target of `run --migrate-at`: run the default scenario\'s moved frontend with a fresh backend domain 2 until '
      + '"finish COUNTS" arrives on stdin, then print what this host counted as JSON')
    .option('--abi <abi>', 'with --live: the ABI of the fresh backend', 'fifo')
    .option('--timer-hz <n>', 'with --live: this host\'s timer VIRQ rate', intArg(1, 1000), 100)
    .action(async (opts: { port: number; count: number; key?: string; preemptEvery?: number; layout?: number; gapFrames: number; maxVcpus?: number; inject?: string; live?: boolean; abi: string; timerHz: number }) => {
      buildForLayout(opts.layout, opts.inject !== undefined); // a layout that was not built: refused before listening
      if (opts.live) {
        if (opts.abi !== 'fifo' && opts.abi !== '2l') throw new Error(`--abi must be fifo or 2l, not '${opts.abi}'`);
        if (opts.inject || opts.count !== 1) throw new Error('--live serves one migration of the default scenario: drop --inject and --count');
        const finish = new Promise<SourceFinal | undefined>((resolve) => {
          const lines = createInterface({ input: process.stdin });
          lines.on('line', (l) => { if (l.startsWith('finish ')) resolve((JSON.parse(l.slice(7)) as SourceFinal | null) ?? undefined); });
          lines.on('close', () => resolve(undefined));
        });
        const r = await runLiveTarget({ port: opts.port, abi: opts.abi, timerHz: opts.timerHz, key: opts.key, maxVcpus: opts.maxVcpus, preemptEvery: opts.preemptEvery, layoutVersion: opts.layout },
          (port) => console.log(`listening ${port}`), finish);
        console.log(JSON.stringify(r));
        if (!r.ok) throw new VerdictError(`migration refused: ${r.error}`);
        return;
      }
      let inject: number | undefined;
      if (opts.inject) {
        const inj = injectionByName(opts.inject);
        if (!inj) throw new Error(`unknown bug '${opts.inject}': use one of ${INJECTIONS.map((i) => i.name).join(', ')}`);
        inject = inj.bit;
      }
      let refused = 0;
      let first: string | undefined;
      await receive(opts.port, opts.count, {
        key: opts.key, preemptEvery: opts.preemptEvery, layoutVersion: opts.layout, gapFrames: opts.gapFrames, maxVcpus: opts.maxVcpus, inject,
      }, (port) => console.log(`listening ${port}`), (r) => {
        console.log(JSON.stringify(r));
        if (!r.ok) { refused++; first ??= r.error; }
      });
      if (refused) throw new VerdictError(`migration refused: ${first}${refused > 1 ? ` (and ${refused - 1} more of ${opts.count})` : ''}`);
    });
}
