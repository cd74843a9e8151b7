// What the results were measured on: recorded with every report.
import { readFileSync, existsSync, statSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import os from 'node:os';
import { projectRoot } from '../paths.ts';

/** The machine a bench report was measured on: cores, CPU, memory, Node/V8, wasm flags, commit, load. */
export interface MachineInfo {
  cores: number;
  cpu_model: string;
  memory_gib: number;
  platform: string;
  arch: string;
  os_release: string;
  node: string;
  v8: string;
  /** V8 flags the process runs the data plane with (Node 20: Liftoff off, see design §4) */
  wasm_flags: string;
  commit: string;
  date: string;
  /** 1-minute load average when the run started: other work on the machine skews every number */
  load_average: number;
}

function readMaybe(p: string): string | undefined {
  try { return readFileSync(p, 'utf8').trim(); } catch { return undefined; }
}

/** The checked-out commit, read from .git without running git; 'unknown' outside a work tree. */
export function gitCommit(root = projectRoot()): string {
  let gitDir = join(root, '.git');
  if (!existsSync(gitDir)) return 'unknown';
  if (statSync(gitDir).isFile()) {
    const m = /^gitdir:\s*(.+)$/m.exec(readMaybe(gitDir) ?? '');
    if (!m) return 'unknown';
    gitDir = resolve(root, m[1]);
  }
  const head = readMaybe(join(gitDir, 'HEAD'));
  if (!head) return 'unknown';
  const ref = /^ref:\s*(.+)$/.exec(head);
  if (!ref) return head;
  // a linked work tree keeps refs in the common dir
  const common = readMaybe(join(gitDir, 'commondir'));
  const dirs = [gitDir, ...(common ? [resolve(gitDir, common)] : [])];
  for (const d of dirs) {
    const sha = readMaybe(join(d, ref[1]));
    if (sha) return sha;
    const packed = readMaybe(join(d, 'packed-refs'));
    const line = packed?.split('\n').find((l) => l.endsWith(` ${ref[1]}`));
    if (line) return line.split(' ')[0];
  }
  return `unknown (${ref[1]} in ${dirname(gitDir)})`;
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  const major = Number(process.versions.node.split('.')[0]);
  return {
    cores: os.availableParallelism?.() ?? cpus.length,
    cpu_model: cpus[0]?.model ?? 'unknown',
    memory_gib: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    platform: process.platform,
    arch: process.arch,
    os_release: os.release(),
    node: process.versions.node,
    v8: process.versions.v8,
    wasm_flags: major < 22 ? '--no-liftoff' : '',
    commit: gitCommit(),
    date: new Date().toISOString(),
    load_average: Math.round(os.loadavg()[0] * 100) / 100,
  };
}
