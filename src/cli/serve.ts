// `wasmxen serve`: serve the browser demo on a loopback address (see src/serve/server.ts).
import { type Command } from 'commander';
import { demoServer, listen } from '../serve/server.ts';
import { boundedInteger } from './options.ts';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve the browser demo (vCPUs on Web Workers, live view) on 127.0.0.1 with the COOP/COEP headers shared memory needs; '
      + 'open /?run=default&seconds=S, /?run=stress&scenario=NAME&inject=BUG or /?run=bench&workload=NAME&seconds=S&runs=N to start a run without a click')
    .option('--port <n>', 'TCP port (0: any free port)', (v) => (v === '0' ? 0 : boundedInteger(65535, 'the highest TCP port')(v)), 8017)
    .option('--host <addr>', 'loopback address to listen on (127.0.0.1, ::1 or localhost)', '127.0.0.1')
    .action(async (opts: { port: number; host: string }) => {
      if (!LOOPBACK.has(opts.host)) throw new Error(`--host ${opts.host}: the demo serves loopback addresses only (127.0.0.1, ::1, localhost)`);
      const server = demoServer();
      let url: string;
      try {
        url = await listen(server, opts.host, opts.port);
      } catch (e) {
        throw new Error(`cannot listen on ${opts.host}:${opts.port}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
      }
      console.log(`wasmxen demo at ${url} (try ${url}?run=default&seconds=5); Ctrl-C stops it`);
      const stop = () => { server.close(); server.closeAllConnections(); };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
