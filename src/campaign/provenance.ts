// What a shard result records about where it came from: the wasmxen version
// and build, and the machine. `wasmxen merge` refuses shards of different
// versions or builds (their counts would not be of the same code); machines
// may differ — that is the point of a campaign — and are reported per shard.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../paths.ts';
import { gitCommit, machineInfo, type MachineInfo } from '../bench/machine-info.ts';

/** The code a result was produced by. */
export interface BuildInfo {
  /** package.json version */
  version: string;
  /**
   * sha256 (first 16 hex digits) over the shipped artefacts that decide the results: the release and
   * stress wasm modules and the CLI bundle, each hashed with its name. Two checkouts of one commit built
   * with the same toolchain agree; a rebuilt data plane or CLI does not.
   */
  build: string;
  /** the git commit, 'unknown' in an installed package (informational: the build hash decides) */
  commit: string;
}

/** Files the build hash covers, relative to the package root. */
export const BUILD_FILES = ['build/wasmxen.wasm', 'build/wasmxen.stress.wasm', 'dist/cli.js', 'dist/vcpu.worker.js', 'dist/bench.worker.js', 'dist/litmus.worker.js', 'dist/dm.worker.js'] as const;

let cached: BuildInfo | undefined;

export function buildInfo(): BuildInfo {
  if (cached) return cached;
  const root = projectRoot();
  const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
  const h = createHash('sha256');
  for (const f of BUILD_FILES) {
    const p = join(root, f);
    h.update(`${f}\0`);
    h.update(existsSync(p) ? readFileSync(p) : Buffer.from('(missing)'));
    h.update('\0');
  }
  return (cached = { version, build: h.digest('hex').slice(0, 16), commit: gitCommit(root) });
}

/** The provenance block every shard's `--json` carries. */
export function provenance(): { wasmxen: BuildInfo; machine: MachineInfo } {
  return { wasmxen: buildInfo(), machine: machineInfo() };
}
