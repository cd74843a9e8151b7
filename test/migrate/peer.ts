// A second wasmxen process for migration tests: `wasmxen receive` on
// 127.0.0.1, started with its own arguments, its port read from its first
// line. A watchdog kills it (and fails the test with its output) if it
// outlives the test's bound.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

const bin = fileURLToPath(new URL('../../bin/wasmxen.mjs', import.meta.url));

export interface Peer {
  port: number;
  /** resolves when the process exits: its status and everything it wrote */
  exit: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

export async function startReceiver(args: string[], watchdogMs = 240_000): Promise<Peer> {
  const child = spawn(process.execPath, ['--no-liftoff', bin, 'receive', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const timer = setTimeout(() => child.kill('SIGKILL'), watchdogMs);
  const exit = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    child.on('exit', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
  const lines = createInterface({ input: child.stdout });
  const port = await new Promise<number>((resolve, reject) => {
    lines.on('line', (l) => {
      stdout += l + '\n';
      const m = /^listening (\d+)$/.exec(l);
      if (m) resolve(Number(m[1]));
    });
    void exit.then((r) => reject(new Error(`receiver exited (${r.code}) before listening: ${r.stderr}`)));
  });
  return { port, exit };
}
