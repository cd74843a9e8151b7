// The continuation mechanism (spec §1): when to yield, and how a yielding
// hypercall hands its rewritten first argument to the entry point.
//
// A preemptible loop calls `preemptCheck(caller, done)` after finishing an
// item; `done` counts the items of this invocation (≥ 1: every invocation
// makes progress, as Xen never yields before its first item). It yields when
// the invocation has done the caller's budget: G_PREEMPT_EVERY items for a
// 64-bit caller, one for a 32-bit caller (the worst case a 32-bit HVM guest
// meets in practice on Xen, forced here so every continuation point is
// exercised; spec §2.5). Xen yields only when work is pending
// (hypercall_preempt_check); the budget is wasmxen's stand-in (§1.2: timing
// is not ABI). The loop then calls `createContinuation(arg0)`: the new value
// of argument register 0 is kept in this thread's instance (a per-call
// out-parameter, like the status fields of ops-misc.ts) and the entry point
// writes it to the vCPU's register context (I40, I41).

import { G_PREEMPT_EVERY } from "../shared/layout";
import { ERESTART } from "../shared/errno";
import { PREEMPT_EVERY_DEFAULT } from "../shared/hypercall-abi";
import { loadGuestWidth } from "../domain/table";
import { injected } from "../stress/noise";
import { INJ_CONTINUATION_MASK_CHANGE } from "../stress/inject";

let contArg0: u64 = 0;

/** Items one invocation by `caller` may do before it yields. */
export function preemptBudget(caller: u32): u32 {
  if (loadGuestWidth(caller) == 32) return 1;
  let n = atomic.load<u32>(G_PREEMPT_EVERY);
  return n == 0 ? <u32>PREEMPT_EVERY_DEFAULT : n;
}

/** True when an invocation that has done `done` items must yield now. */
@inline export function preemptCheck(caller: u32, done: u32): bool {
  return done >= preemptBudget(caller);
}

/** hypercall_create_continuation: argument 0 becomes `arg0`; returns the internal -ERESTART. */
export function createContinuation(arg0: u64): i32 {
  contArg0 = arg0;
  return -ERESTART;
}

/** Argument 0 of the continuation the last -ERESTART on this thread created. */
export function continuationArg0(): u64 { return contArg0; }

/**
 * The shift a continuation's progress is decoded with: `shift`, the frozen
 * encoding — or, with the continuation-mask-change injection, one more (a
 * hypervisor whose mask changed since the continuation was made).
 */
@inline export function progressShift(shift: u32): u32 {
  return injected(INJ_CONTINUATION_MASK_CHANGE) ? shift + 1 : shift;
}
