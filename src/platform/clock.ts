// Timestamps comparable across the threads of one process (Node:
// process.hrtime, one monotonic clock per process; the browser bundle swaps
// in clock.browser.ts).

/** Nanoseconds on a clock every thread of this process shares. */
export function monotonicNs(): bigint {
  return process.hrtime.bigint();
}

/** The same clock as a number of nanoseconds (exact below 2^53 ns, 104 days of uptime; then to a few ns). */
export function monotonicNsNumber(): number {
  return Number(process.hrtime.bigint());
}
