// Words shared by the dma scenario's toolstack (main thread) and its guest
// module (src/guests/dma-guest.ts): the "xenstore" handshake and live
// counters. Int32 words, then a BigInt64 byte counter.
export const S_GUEST_PORT = 0;   // the guest's unbound port for the device model (0 = not yet offered)
export const S_DM_READY = 1;     // 1 once the device model bound it
export const S_QUIESCE = 2;      // 1: stop issuing, let in-flight commands complete
export const S_GUEST_DONE = 3;   // 1 once the guest has nothing in flight and stopped
export const S_COMPLETED = 4;    // commands completed so far
export const S_FAILURES = 5;     // checksum, pattern, status and spurious-completion failures so far
const INT_WORDS = 16;
export const DMA_SHARED_BYTES = INT_WORDS * 4 + 8;

export interface DmaSharedViews {
  i32: Int32Array;
  /** [0]: bytes moved by successful commands */
  bytes: BigInt64Array;
}

export function dmaSharedViews(sab: SharedArrayBuffer): DmaSharedViews {
  return { i32: new Int32Array(sab, 0, INT_WORDS), bytes: new BigInt64Array(sab, INT_WORDS * 4, 1) };
}

/**
 * Main-thread side of the handshake: resolve once word `index` is non-zero
 * (the guest stores, then notifies: src/guests/dma-guest.ts), `abort()`
 * holds, or `deadline` (Date.now() ms) passes. Returns whether the word was
 * set. Waits with Atomics.waitAsync in slices of at most `sliceMs`, so that
 * `abort` (e.g. a device-model worker died) is noticed without a notify.
 */
export async function waitForSharedWord(s: DmaSharedViews, index: number, deadline: number,
  abort: () => boolean = () => false, sliceMs = 20): Promise<boolean> {
  for (;;) {
    if (Atomics.load(s.i32, index) !== 0) return true;
    const left = deadline - Date.now();
    if (abort() || left <= 0) return false;
    const w = Atomics.waitAsync(s.i32, index, 0, Math.min(sliceMs, left));
    if (w.async) await w.value;
  }
}
