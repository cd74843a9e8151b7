// Timestamps comparable across a page and its Web Workers. Each worker has its
// own performance.timeOrigin, so a stamp is timeOrigin + now(), both in ms:
// the sum is on the wall-clock-anchored timeline every context shares.
// Resolution: Chromium coarsens performance.now() to 5 µs in a
// cross-origin-isolated page (100 µs otherwise); latencies below that are 0.

/** Nanoseconds on a clock the page and its workers share. */
export function monotonicNs(): bigint {
  return BigInt(Math.round(performance.timeOrigin * 1e3)) * 1000n + BigInt(Math.round(performance.now() * 1e6));
}
