// xorshift32: a deterministic stream per seed, cheap enough for inner loops
// of race parties and workload generators (not for anything secret).
export function rng(seed: number): () => number {
  let s = (seed >>> 0) || 0x9e3779b9;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s;
  };
}
