// `npm run test:loaded`: the race, stress and CLI tests with two CPU-burning
// processes beside them, as on a shared 2-core machine with other work
// running. The burners are this script's own children, ended by pid when the
// tests end (or this script is interrupted). Extra arguments go to vitest
// (e.g. a reporter). Exit status: vitest's.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/** The suites whose verdicts must hold under load. */
export const LOADED_SUITES = ['test/litmus', 'test/stress', 'test/cli', 'test/dm/cli.test.ts', 'test/dm/dma-race.test.ts'];
const BURNERS = 2;

const burners = Array.from({ length: BURNERS }, () =>
  spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
const stopBurners = () => { for (const b of burners) if (b.exitCode === null && b.signalCode === null) b.kill('SIGKILL'); };
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { stopBurners(); process.exit(130); });
process.on('exit', stopBurners);

console.error(`test:loaded: ${BURNERS} CPU burners (pids ${burners.map((b) => b.pid).join(', ')}) beside vitest run ${LOADED_SUITES.join(' ')}`);
const vitest = spawn(process.execPath, [join(root, 'node_modules/vitest/vitest.mjs'), 'run', ...LOADED_SUITES, ...process.argv.slice(2)], {
  cwd: root, stdio: 'inherit', env: { ...process.env, WASMXEN_LOADED: '1' },
});
vitest.on('exit', (code, signal) => {
  stopBurners();
  process.exit(code ?? (signal ? 1 : 0));
});
