// `wasmxen merge FILE...`: shard results (of `wasmxen stress --json` or
// `wasmxen bench --json`) read, checked as one complete campaign of one
// build (merge-input.ts), and merged by kind.
import { readShardFile, checkShardSet } from './merge-input.ts';
import { mergeStress, type MergedStress } from './merge-stress.ts';
import { mergeBench, type MergedBench } from './merge-bench.ts';

export type Merged = MergedStress | MergedBench;

/** Merge the shard result files at `paths`; throws MergeError (one line) on anything that cannot be merged honestly. */
export function mergeFiles(paths: string[]): Merged {
  const files = paths.map((p) => readShardFile(p));
  checkShardSet(files);
  return files[0].kind === 'stress' ? mergeStress(files) : mergeBench(files);
}
