// Waiting on a shared word from a test's main thread without blocking its
// event loop (Atomics.waitAsync), with a watchdog that fails naming the word.

/** Wait until word i reaches `value` (counters only grow; a 0 `value` waits for 0), or fail with `what` (the watchdog). */
export async function waitWord(s: Int32Array, i: number, value: number, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  const reached = (v: number) => (value === 0 ? v === 0 : v >= value);
  for (let v = Atomics.load(s, i); !reached(v); v = Atomics.load(s, i)) {
    if (Date.now() > deadline) throw new Error(`watchdog: ${what} (word ${i} = ${v}, want ${value})`);
    const w = Atomics.waitAsync(s, i, v, 100);
    if (w.async) await w.value;
  }
}
