// Timestamps comparable across a page and its Web Workers. Each worker has its
// own performance.timeOrigin, so a stamp is timeOrigin + now(), both in ms:
// the sum is on the wall-clock-anchored timeline every context shares.
// Resolution: Chromium coarsens performance.now() to 5 µs in a
// cross-origin-isolated page (100 µs otherwise); latencies below that are 0.

/** Nanoseconds on a clock the page and its workers share. */
export function monotonicNs(): bigint {
  return BigInt(Math.round(performance.timeOrigin * 1e3)) * 1000n + BigInt(Math.round(performance.now() * 1e6));
}

/**
 * The same timeline as a number of nanoseconds, counted from 2026-01-01 so that a double keeps it to a
 * few ns for years (from the Unix epoch it would step by 256 ns); far finer than the clock's 5 µs.
 */
const EPOCH_MS = Date.UTC(2026, 0, 1);
export function monotonicNsNumber(): number {
  return (performance.timeOrigin - EPOCH_MS + performance.now()) * 1e6;
}
