// Scheduling noise for the stress build: seeded delays and yields at named
// points of the data plane, to widen race windows on real threads. Compiled
// out entirely unless built with WASMXEN_STRESS=1 (asconfig target "stress"):
// the branch on the constant folds away, so release pays nothing.
//
// Configuration is global (G_NOISE_* words, set from the shell); the PRNG
// state is per thread (a module global: every instance has its own).
// G_NOISE_RATE holds the probability (rate/65536) in its low 16 bits and, in
// its high 16 bits, an optional mask of the points 1..15 that may delay
// (0 = all points): `wasmxen stress` focuses noise on a scenario's window.

import { G_NOISE_RATE, G_NOISE_SPINS, G_NOISE_YIELD, G_NOISE_FUTEX, G_INJECT } from "../shared/layout";

// Named noise points (the trace and the docs use these numbers).
export const NP_LINK_BEFORE_CAS: u32 = 1;     // setLink: between reading the tail word and the cmpxchg
export const NP_RAISE_AFTER_PENDING: u32 = 2; // set_pending: after PENDING, before the MASKED test
export const NP_RAISE_AFTER_LINKED: u32 = 3;  // set_pending: after LINKED, before LINK/HEAD
export const NP_RAISE_BEFORE_READY: u32 = 4;  // set_pending: after HEAD/tail, before READY
export const NP_GUEST_CLEAR_LINKED: u32 = 5;  // guest: between reading a word and clearing LINKED
export const NP_GUEST_UNMASK: u32 = 6;        // guest: unmask fast path, before its cmpxchg
export const NP_GUEST_HEAD: u32 = 7;          // guest: after reading HEAD, before consuming
export const NP_RAISE_ABI: u32 = 8;           // any raise: after choosing the ABI, before its hook runs
export const NP_RAISE_BEFORE_HEAD: u32 = 9;   // set_pending with INJ_READY_BEFORE_HEAD: READY set, HEAD not yet stored
export const NP_BLOCK_BEFORE_WAIT: u32 = 10;  // vcpuBlock: blocked = 1 and kick read, before the flag check (I3)
export const NP_UPCALL_BEFORE_KICK: u32 = 11; // markEventsPending: flag set, before the kick (I3)

let state: u32 = 0x2545f491;

export function noiseSeed(seed: u32): void {
  state = seed != 0 ? seed : 0x2545f491;
}

@inline function nextRandom(): u32 {
  let s = state;
  s ^= s << 13;
  s ^= s >> 17;
  s ^= s << 5;
  state = s;
  return s;
}

/** A possible delay at noise point `point` (stress build only). */
@inline export function noise(point: u32): void {
  // @ts-ignore: WASMXEN_STRESS is defined per asconfig target (--use)
  if (WASMXEN_STRESS) noiseSlow(point);
}

function noiseSlow(point: u32): void {
  let word = atomic.load<u32>(G_NOISE_RATE);
  if (word == 0) return;
  let points = word >>> 16;
  if (points != 0 && point < 16 && (points & (<u32>1 << point)) == 0) return;
  let r = nextRandom() ^ (point * 0x9e3779b1);
  if ((r & 0xffff) >= (word & 0xffff)) return;
  let spins = atomic.load<u32>(G_NOISE_SPINS);
  let n: u32 = spins == 0 ? 0 : (r >>> 16) % spins;
  for (let i: u32 = 0; i < n; i++) atomic.load<u32>(G_NOISE_RATE);
  let y = atomic.load<u32>(G_NOISE_YIELD);
  if (y != 0 && (nextRandom() & ((<u32>1 << y) - 1)) == 0) {
    atomic.wait<i32>(G_NOISE_FUTEX, 0, 20000); // ~20 µs: lets the OS run another thread here
  }
}

export {
  INJ_UNBOUNDED_SET_LINK, INJ_GUEST_CLEARS_TAIL_MASK, INJ_NO_BUSY, INJ_READY_BEFORE_HEAD,
  INJ_IGNORE_OLD_QUEUE, INJ_LOST_WAKEUP,
} from "./inject";

/** True if bug `bit` is re-injected (stress build only; always false elsewhere). */
@inline export function injected(bit: u32): bool {
  // @ts-ignore: WASMXEN_STRESS is defined per asconfig target (--use)
  if (WASMXEN_STRESS) return (atomic.load<u32>(G_INJECT) & bit) != 0;
  return false;
}
