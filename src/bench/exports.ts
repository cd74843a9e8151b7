// The typed export list of assembly/bench/index.ts (the data plane's bench
// loops). Kept here, not in src/wasm/exports.ts: obtain it with benchExports.
import type { DataPlane } from '../wasm/data-plane.ts';
import { ConfigError } from '../errors.ts';

export interface BenchExports {
  /** Events sent (≤ max); mode is BENCH_MODE_* (assembly/bench/layout.ts); timeoutNs < 0: none. */
  benchSend(page: number, mode: number, dom: number, vcpu: number, arg: number, gpa: number,
    first: number, count: number, max: number, spins: number, timeoutNs: number): number;
  /** Events handled (≤ max); fewer means the vCPU went idle. */
  benchReceive(page: number, dom: number, gsGfn: number, vcpu: number, max: number, spins: number, timeoutNs: number,
    holdoff: number, holdoffSpins: number): number;
  benchPublishAll(page: number): void;
  /** The port answered on, 0 on timeout, or -errno of the send. */
  benchPing(dom: number, vcpu: number, arg: number, gpa: number, port: number, gsGfn: number, spins: number, timeoutNs: number): number;
  /** Rounds spun on the word at addr until non-zero (≤ spins): spin-rate calibration. */
  benchSpin(addr: number, spins: number): number;
  /** Events answered (≤ max). */
  benchEcho(page: number, dom: number, vcpu: number, arg: number, gpa: number, gsGfn: number,
    expect: number, reply: number, max: number, spins: number, timeoutNs: number): number;
}

export function benchExports(dp: DataPlane): BenchExports {
  const x = dp.x as unknown as Partial<BenchExports>;
  if (typeof x.benchSend !== 'function') {
    throw new ConfigError('this wasm build has no bench exports (assembly/bench): use the release build, or run `npm run build` in a clone');
  }
  return x as BenchExports;
}
