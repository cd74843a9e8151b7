// Waiting on a shared word from a test's main thread without blocking its
// event loop (Atomics.waitAsync), with a watchdog that fails naming the word.

/** Wait until word i satisfies `reached`, or fail with `what` (the watchdog). */
export async function waitUntil(s: Int32Array, i: number, reached: (v: number) => boolean, what: string, want: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (let v = Atomics.load(s, i); !reached(v); v = Atomics.load(s, i)) {
    if (Date.now() > deadline) throw new Error(`watchdog: ${what} (word ${i} = ${v}, want ${want})`);
    const w = Atomics.waitAsync(s, i, v, 100);
    if (w.async) await w.value;
  }
}

/** Wait until word i reaches `value` (counters only grow; a 0 `value` waits for 0), or fail with `what` (the watchdog). */
export function waitWord(s: Int32Array, i: number, value: number, what: string, ms = 20_000): Promise<void> {
  return waitUntil(s, i, (v) => (value === 0 ? v === 0 : v >= value), what, String(value), ms);
}

/** Wait until every bit of `bits` is set in word i (a mask, such as D_PARKED), or fail with `what`. */
export function waitBits(s: Int32Array, i: number, bits: number, what: string, ms = 20_000): Promise<void> {
  return waitUntil(s, i, (v) => ((v >>> 0) & bits) === bits, what, `bits 0x${bits.toString(16)}`, ms);
}
