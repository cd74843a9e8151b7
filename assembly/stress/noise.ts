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
// G_NOISE_SPINS likewise: low 16 bits the random length of a delay (spin
// iterations), high 16 bits a minimum added to every delay.

import { G_NOISE_RATE, G_NOISE_SPINS, G_NOISE_YIELD, G_NOISE_FUTEX, G_INJECT } from "../shared/layout";

// Named noise points (assembly/stress/points.ts: the trace, the docs and
// `wasmxen stress` use these numbers).
export {
  NP_LINK_BEFORE_CAS, NP_RAISE_AFTER_PENDING, NP_RAISE_AFTER_LINKED, NP_RAISE_BEFORE_READY,
  NP_GUEST_CLEAR_LINKED, NP_GUEST_UNMASK, NP_GUEST_HEAD, NP_RAISE_ABI, NP_RAISE_BEFORE_HEAD,
  NP_BLOCK_BEFORE_WAIT, NP_UPCALL_BEFORE_KICK, NP_UNMASK_BEFORE_RELINK, NP_RAISE_QUEUES_READ,
  NP_CLOSE_LOCKED,
} from "./points";

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
  // G_NOISE_SPINS: low 16 bits the random part of a delay, high 16 bits its minimum
  let spinWord = atomic.load<u32>(G_NOISE_SPINS);
  let spins = spinWord & 0xffff;
  let n: u32 = (spinWord >>> 16) + (spins == 0 ? 0 : (r >>> 16) % spins);
  for (let i: u32 = 0; i < n; i++) atomic.load<u32>(G_NOISE_RATE);
  let y = atomic.load<u32>(G_NOISE_YIELD);
  if (y != 0 && (nextRandom() & ((<u32>1 << y) - 1)) == 0) {
    atomic.wait<i32>(G_NOISE_FUTEX, 0, 20000); // ~20 µs: lets the OS run another thread here
  }
}

export {
  INJ_UNBOUNDED_SET_LINK, INJ_GUEST_CLEARS_TAIL_MASK, INJ_NO_BUSY, INJ_READY_BEFORE_HEAD,
  INJ_IGNORE_OLD_QUEUE, INJ_LOST_WAKEUP, INJ_XEN_UNMASK,
} from "./inject";

/** True if bug `bit` is re-injected (stress build only; always false elsewhere). */
@inline export function injected(bit: u32): bool {
  // @ts-ignore: WASMXEN_STRESS is defined per asconfig target (--use)
  if (WASMXEN_STRESS) return (atomic.load<u32>(G_INJECT) & bit) != 0;
  return false;
}
