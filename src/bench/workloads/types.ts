// The workload registry's vocabulary: a workload is a named shape of event
// flow, measured on each implementation that can express it.
import type { CellSpec } from '../runner.ts';

/** An implementation a workload runs on: wasmxen itself or a baseline. */
export type ImplName = 'wasmxen' | 'js-reference' | 'postmessage' | 'comlink';

/** Every implementation, the product first; the others are the baselines every result is compared with. */
export const IMPLS: readonly ImplName[] = ['wasmxen', 'js-reference', 'postmessage', 'comlink'];
/** The baselines every wasmxen result is compared with. */
export const BASELINES: readonly ImplName[] = ['postmessage', 'comlink', 'js-reference'];

/** One shape of a workload (e.g. the number of senders). */
export interface Variant {
  /** e.g. { senders: 2 } for fan-in; {} for single-shape workloads */
  params: Record<string, number>;
}

/** A bench workload: one traffic shape, measured on each implementation that can express it. */
export interface Workload {
  name: string;
  /** one line for --help and the report */
  summary: string;
  /** what is timed as latency */
  latency: 'one-way (sampled)' | 'round trip' | 'raise to handler' | 'not measured';
  variants(cores: number): Variant[];
  /** build the cell; throws ConfigError if the shape does not fit */
  cell(impl: ImplName, v: Variant): CellSpec;
  /** the implementations that can express it (default: all) */
  impls?: readonly ImplName[];
  /**
   * false: its wasmxen parties sleep when idle (guest kernels block once
   * their spin budget is spent, I51), so cores busy below the threads is no
   * sign of another process: such results are never flagged contended (null)
   */
  spins?: boolean;
  /**
   * The shape of another workload (or another variant of this one) that its
   * wasmxen result is held to: it runs in the same run whenever this one does,
   * and the ratio is reported (BenchResult.vs_reference).
   */
  reference?: (v: Variant) => { workload: string; params: Record<string, number> } | undefined;
}
