// What the results were measured on: recorded with every report.
import { readFileSync, existsSync, statSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import os from 'node:os';
import { projectRoot } from '../paths.ts';

/**
 * The machine a bench report was measured on: cores, CPU, memory, Node/V8, wasm flags, commit, load.
 * A browser's report (src/platform/machine.browser.ts) names its engine in `browser`; what a page
 * cannot read is 'unknown', null or empty there.
 */
export interface MachineInfo {
  cores: number;
  cpu_model: string;
  /** null: not readable (a browser) */
  memory_gib: number | null;
  platform: string;
  arch: string;
  os_release: string;
  node: string;
  v8: string;
  /** V8 flags the process runs the data plane with (Node 20: Liftoff off, see design §4) */
  wasm_flags: string;
  commit: string;
  date: string;
  /** 1-minute load average when the run started: other work on the machine skews every number; null: not readable (a browser) */
  load_average: number | null;
  /** a browser's report: the engine and its version, e.g. "Chromium (headless) 156.0.7632.0"; absent from Node's */
  browser?: string;
  /** a browser's report: navigator.userAgent */
  user_agent?: string;
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

/** The engine the figures were measured on, for headings: "Node 22.3.0 (V8 12.4, --no-liftoff)" or the browser and its version. */
export function engineLabel(m: Pick<MachineInfo, 'node' | 'v8' | 'wasm_flags' | 'browser'>): string {
  return m.browser ?? `Node ${m.node} (V8 ${m.v8}${m.wasm_flags ? `, ${m.wasm_flags}` : ''})`;
}

/** "16 GiB", or "memory unknown" where it could not be read. */
export function memoryLabel(m: Pick<MachineInfo, 'memory_gib'>): string {
  return m.memory_gib === null ? 'memory unknown' : `${m.memory_gib} GiB`;
}

/** "load average 0.5 at start", or that it could not be read. */
export function loadLabel(m: Pick<MachineInfo, 'load_average'>): string {
  return m.load_average === null ? 'load average not readable' : `load average ${m.load_average} at start`;
}
