// Widening of 32-bit shared counters: threads count in Int32 words that wrap
// (Atomics on Int32Array are what every party can afford per event); the main
// thread samples each word and accumulates the unsigned difference since its
// last sample. Exact as long as a word advances by less than 2^32 between two
// samples — the callers sample at least once a second, and no counter here
// moves 4·10^9 times a second.
export class WideCounter {
  private last: number;
  private total = 0;

  constructor(private readonly read: () => number) {
    this.last = read() >>> 0;
  }

  /** Take a sample; returns the widened total since construction (exact integer up to 2^53). */
  sample(): number {
    const cur = this.read() >>> 0;
    this.total += (cur - this.last) >>> 0;
    this.last = cur;
    return this.total;
  }
}

/** Seconds between two samples that every caller keeps below. */
export const WIDE_SAMPLE_MAX_S = 1;
