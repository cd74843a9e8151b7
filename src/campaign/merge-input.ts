// `wasmxen merge` input: shard result files read and checked before any
// count is added. Every refusal is one line naming the files or shards at
// fault: a malformed file, results of different versions or builds, of
// different campaigns, overlapping shards, missing shards. A bench campaign
// may be run once per runtime — Node, and each browser that ran it in the
// `wasmxen serve` page (machine.browser names it) — so that figures of one
// machine's Node and browser stand side by side: the shards of each runtime
// must then be complete and non-overlapping on their own.
import { readFileSync } from 'node:fs';
import { WasmxenError } from '../errors.ts';
import type { BuildInfo } from './provenance.ts';
import { shardLabel, MAX_SHARDS, type Shard } from './shard.ts';

/** Shard results that cannot be merged honestly. */
export class MergeError extends WasmxenError {
  override name = 'MergeError';
  override readonly code: string = 'WASMXEN_MERGE';
}

/** One shard's file, parsed, with the fields every kind shares checked. */
export interface ShardFile<T = Record<string, unknown>> {
  file: string;
  kind: 'stress' | 'bench';
  shard: Shard;
  wasmxen: BuildInfo;
  campaign: unknown;
  json: T;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown, min = 0): v is number => Number.isSafeInteger(v) && (v as number) >= min;

export function malformed(file: string, why: string): MergeError {
  return new MergeError(`${file}: malformed shard result: ${why}`);
}

/** Reads and checks one file (`name` is how messages call it). */
export function readShardFile(path: string, name = path): ShardFile {
  let text: string;
  try { text = readFileSync(path, 'utf8'); } catch (e) {
    throw new MergeError(`${name}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let j: unknown;
  try { j = JSON.parse(text); } catch {
    throw malformed(name, 'not JSON (was it written by `wasmxen stress --json` or `wasmxen bench --json`?)');
  }
  if (!isObj(j)) throw malformed(name, 'not a JSON object');
  if (j.kind !== 'stress' && j.kind !== 'bench') throw malformed(name, 'no "kind" of "stress" or "bench" (written by an older wasmxen, or not by wasmxen)');
  const s = j.shard;
  if (!isObj(s) || !isInt(s.count, 1) || s.count > MAX_SHARDS || !isInt(s.index, 1) || s.index > s.count) throw malformed(name, 'no valid "shard" {index, count}');
  const w = j.wasmxen;
  if (!isObj(w) || typeof w.version !== 'string' || typeof w.build !== 'string') throw malformed(name, 'no "wasmxen" {version, build}');
  if (!isObj(j.campaign)) throw malformed(name, 'no "campaign"');
  if (!isObj(j.machine)) throw malformed(name, 'no "machine"');
  return {
    file: name, kind: j.kind, shard: { index: s.index, count: s.count }, wasmxen: w as unknown as BuildInfo, campaign: j.campaign, json: j,
  };
}

/** Canonical JSON (sorted keys): two campaigns are the same campaign iff these agree. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (isObj(v)) return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
  return JSON.stringify(v);
}

/** The top-level keys in which two campaigns differ. */
function differing(a: unknown, b: unknown): string[] {
  if (!isObj(a) || !isObj(b)) return ['campaign'];
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => canonical(a[k]) !== canonical(b[k])).sort();
}

/** The runtime a result was measured on: the browser that ran the page (machine.browser), or 'Node'. */
export function runtimeOf(f: ShardFile): string {
  const m = f.json.machine as { browser?: unknown };
  return typeof m.browser === 'string' && m.browser !== '' ? m.browser : 'Node';
}

/**
 * Checks that the files are results of one campaign of one build — one kind, one version and build,
 * one campaign — and, for each runtime (runtimeOf; stress results are all Node's), its complete,
 * non-overlapping shards: one shard count, every index once.
 */
export function checkShardSet(files: ShardFile[]): void {
  if (files.length === 0) throw new MergeError('no shard results to merge: name the files (e.g. wasmxen merge shards/*.json)');
  const [first] = files;
  for (const f of files) {
    if (f.kind !== first.kind) throw new MergeError(`cannot merge ${first.kind} and ${f.kind} results: ${first.file} is ${first.kind}, ${f.file} is ${f.kind}`);
    if (f.kind === 'stress' && runtimeOf(f) !== 'Node') throw malformed(f.file, `a stress result measured in ${runtimeOf(f)}: only bench results come from a browser`);
    if (f.wasmxen.version !== first.wasmxen.version || f.wasmxen.build !== first.wasmxen.build) {
      throw new MergeError(`shards of different versions or builds: ${first.file} is wasmxen ${first.wasmxen.version} build ${first.wasmxen.build}, `
        + `${f.file} is wasmxen ${f.wasmxen.version} build ${f.wasmxen.build}; rerun every shard with one build`);
    }
    if (canonical(f.campaign) !== canonical(first.campaign)) {
      throw new MergeError(`shards of different campaigns: ${first.file} and ${f.file} differ in ${differing(first.campaign, f.campaign).join(', ')}`);
    }
  }
  const runtimes = [...new Set(files.map(runtimeOf))];
  for (const rt of runtimes) checkSplit(files.filter((f) => runtimeOf(f) === rt), runtimes.length > 1 ? ` of ${rt}` : '');
}

/** One runtime's files: one split, every shard once. `of` names the runtime in messages when there are several. */
function checkSplit(files: ShardFile[], of: string): void {
  const [first] = files;
  for (const f of files) {
    if (f.shard.count !== first.shard.count) {
      throw new MergeError(`shards${of} of different splits: ${first.file} is shard ${shardLabel(first.shard)}, ${f.file} is shard ${shardLabel(f.shard)}`);
    }
  }
  const byIndex = new Map<number, ShardFile>();
  for (const f of files) {
    const seen = byIndex.get(f.shard.index);
    if (seen) throw new MergeError(`overlapping shards${of}: shard ${shardLabel(f.shard)} is in both ${seen.file} and ${f.file}`);
    byIndex.set(f.shard.index, f);
  }
  const missing: string[] = [];
  for (let i = 1; i <= first.shard.count; i++) if (!byIndex.has(i)) missing.push(`${i}/${first.shard.count}`);
  if (missing.length) {
    const shown = missing.length > 20 ? [...missing.slice(0, 20), `… (${missing.length} in all)`] : missing;
    throw new MergeError(`missing shard${missing.length === 1 ? '' : 's'}${of}: ${shown.join(', ')} (have ${files.length} of ${first.shard.count})`);
  }
}
