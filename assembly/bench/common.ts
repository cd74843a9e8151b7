// Pieces every bench loop uses: recording an accounting violation in the
// bench page, and the brief spin on the upcall flag before blocking.

import { BH_ERRORS, BH_ERR_STREAM, BH_ERR_EXPECTED, BH_ERR_GOT } from "./layout";
import { loadUpcallPending } from "../upcall";
import { guestFifoNext } from "../guest/fifo-guest";
import { guestTwoLevelNext } from "../guest/twolevel-guest";

/** Bit 31 of a bench loop's guest argument: the guest runs 2-level; the rest is its 2-level state frame. */
export const BENCH_GUEST_2L: u32 = 0x80000000;

/** The next event of the current upcall for either ABI (`g`: the FIFO driver frame, or BENCH_GUEST_2L | 2-level frame). */
@inline export function guestNextAny(dom: u32, g: u32, vcpu: u32): u32 {
  return (g & BENCH_GUEST_2L) != 0 ? guestTwoLevelNext(dom, g & ~BENCH_GUEST_2L, vcpu) : guestFifoNext(dom, g, vcpu);
}

/** Record a violation: stream (~0: not a bench port), the port expected, what came (or a send's -errno). */
export function benchFail(page: usize, stream: u32, expected: u32, got: u32): void {
  store<u32>(page + BH_ERR_STREAM, stream);
  store<u32>(page + BH_ERR_EXPECTED, expected);
  store<u32>(page + BH_ERR_GOT, got);
  atomic.add<u32>(page + BH_ERRORS, 1); // after the details: a reader that sees the count sees them
}

/** Spin up to `spins` rounds until the upcall flag is set; true if it was. */
export function spinForFlag(dom: u32, vcpu: u32, spins: u32): bool {
  for (let i: u32 = 0; i < spins; i++) {
    if (loadUpcallPending(dom, vcpu) != 0) return true;
  }
  return false;
}

/** Spin up to `spins` rounds until the word at `addr` is non-zero (spin-rate calibration); rounds spun. */
export function spinOnWord(addr: usize, spins: u32): u32 {
  for (let i: u32 = 0; i < spins; i++) {
    if (atomic.load<u32>(addr) != 0) return i;
  }
  return spins;
}
