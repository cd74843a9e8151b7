// Deterministic shards of a campaign (`--shard i/n`): the campaign is a
// sorted list of units, and shard i (1-based, like a CI matrix) takes the
// units whose 0-based position p has p mod n = i − 1. The assignment depends
// on the campaign's description alone — never on the machine, the clock or
// which shard ran first — so n shards run anywhere cover every unit exactly
// once, and `wasmxen merge` can recompute which units each shard owed.

/** Shard `index` of `count` (1 ≤ index ≤ count). */
export interface Shard {
  index: number;
  count: number;
}

/** Most shards of one campaign: a matrix or an Indexed Job wider than this is a typo. */
export const MAX_SHARDS = 10_000;

/** The whole campaign as one shard (an unsharded run). */
export const WHOLE: Shard = { index: 1, count: 1 };

/** Parses `i/n` (commander's argument parser throws what this throws, as one line). */
export function parseShard(v: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(v);
  if (!m) throw new RangeError(`expected a shard i/n (e.g. 1/4), got '${v}'`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || count > MAX_SHARDS) throw new RangeError(`shard count must be 1..${MAX_SHARDS}, got '${v}'`);
  if (index < 1 || index > count) throw new RangeError(`shard index must be 1..${count} (shards count from 1), got '${v}'`);
  return { index, count };
}

export const shardLabel = (s: Shard) => `${s.index}/${s.count}`;

/** Whether position `p` (0-based) of the campaign's sorted unit list belongs to shard `s`. */
export function owns(s: Shard, p: number): boolean {
  return p % s.count === s.index - 1;
}

/** The units of `units` (already in the campaign's canonical order) that shard `s` owns. */
export function shardUnits<T>(units: readonly T[], s: Shard): T[] {
  return units.filter((_, p) => owns(s, p));
}
