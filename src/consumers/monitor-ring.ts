// The vm_event-style monitor ring (one guest page) and the monitor
// consumer's shared state. The guest posts requests and sends on its end of
// a channel whose far end is the monitor inside the hypervisor; the monitor's
// callback answers every request in the ring and notifies the guest back.
//
// ring page (u32 words): ┌ magic ┬ req_prod ┬ req_cons ┬ rsp_prod ┬ … ┬ req[256] at 16 ┬ rsp[256] at 272 ┐
// state (Int32Array):    ┌ lock ┬ count ┬ … ┬ entries at 4: {dom, port, ringGfn, flags} × 16 ┬ counters at 70 ┐

export const RING_MAGIC = 0x314e4f4d; // "MON1"
export const RING_POISON = 0xdeadbeef;
export const R_MAGIC = 0;
export const R_REQ_PROD = 1;
export const R_REQ_CONS = 2;
export const R_RSP_PROD = 3;
export const R_REQS = 16;
export const R_RSPS = 272;
export const RING_SLOTS = 256;

export const M_LOCK = 0;
export const M_COUNT = 1;
export const M_ENTRIES = 4;
export const M_ENTRY_WORDS = 4;
export const M_MAX_ENTRIES = 16;
export const ME_LIVE = 1;       // entry flags: channel open
export const ME_CLOSED = 2;     //   close (with its drain) has returned
// the words of an entry (the channel table at M_ENTRIES, M_ENTRY_WORDS each)
export const ME_DOM = 0;
export const ME_PORT = 1;
export const ME_GFN = 2;        // the ring's gfn in the domain
export const ME_FLAGS = 3;

/** The base word of entry `i` of the channel table (add ME_*). */
export const entryBase = (i: number) => M_ENTRIES + i * M_ENTRY_WORDS;

/** The base word of the first entry for (dom, port) whose flags have a bit of `flags` (0: any flags); -1 if none. */
export function findEntry(s: Int32Array, dom: number, port: number, flags = 0): number {
  for (let i = 0, n = Atomics.load(s, M_COUNT); i < n; i++) {
    const b = entryBase(i);
    if (Atomics.load(s, b + ME_DOM) === dom && Atomics.load(s, b + ME_PORT) === port
      && (flags === 0 || (Atomics.load(s, b + ME_FLAGS) & flags) !== 0)) return b;
  }
  return -1;
}
export const M_CALLS = 70;        // callbacks run
export const M_ANSWERED = 71;     // requests answered
export const M_LATE_STARTS = 72;  // callbacks that started after their channel's close returned (must stay 0)
export const M_POISON_HITS = 73;  // callbacks that found their ring freed (must stay 0)
export const MONITOR_STATE_WORDS = 128; // the first 128 words of every consumer state share this shape (ConsumerHost)

/** The answer the monitor gives to a request. */
export const monitorAnswer = (req: number) => (req + 1) >>> 0;

/** A mutex on a state word: 0 free, 1 held, 2 held with sleepers. */
export function lockWord(a: Int32Array, i: number): void {
  for (let spins = 0; ; spins++) {
    if (Atomics.compareExchange(a, i, 0, 1) === 0) return;
    if (spins < 100) continue;
    if (Atomics.exchange(a, i, 2) === 0) return;
    Atomics.wait(a, i, 2, 10);
  }
}

export function unlockWord(a: Int32Array, i: number): void {
  if (Atomics.exchange(a, i, 0) === 2) Atomics.notify(a, i);
}
