// Hypercall numbers and the vCPU's hypercall register context (spec §1).
// Constants only, in the syntax both compilers accept: the AssemblyScript
// hypercall layer and the TypeScript guest stubs read the same numbers.
// The numbers are Xen's ABI and frozen (test/shared/frozen-constants.test.ts).

export const __HYPERVISOR_memory_op = 12;
export const __HYPERVISOR_sched_op = 29;
export const __HYPERVISOR_event_channel_op = 32;
export const __HYPERVISOR_hvm_op = 34;
export const __HYPERVISOR_dm_op = 41;

// The hypercall register context of one vCPU: wasmxen's model of the argument
// registers (rax and rdi, rsi, rdx, r10, r8 of a 64-bit caller; rbx, rcx, rdx,
// rsi, rdi of a compat caller). It lives in guest memory, at an address the
// guest's hypercall stub names on every call, because a register belongs to
// the vCPU and travels with it: a continuation rewrites the argument slots
// here (Xen's hypercall_create_continuation) and the stub re-issues the call
// from them, so progress is never kept in hypervisor-private memory (I40).
//
//   0 ┌ op   u32  hypercall number (rax on entry)
//   4 ├ state u32 HCALL_COMPLETED / HCALL_PREEMPTED: how the last entry left it
//                 (x86's instruction pointer after / at the hypercall instruction)
//   8 ├ args 5 × u64 (argument registers 0..4)
//  48 ├ result i64 (rax on completion; untouched when preempted)
//  56 └
export const HCALL_REGS_OP = 0;
/**
 * Written by the entry on every return: HCALL_PREEMPTED means a continuation
 * is in flight in this context (the vCPU must execute the call again), so a
 * saved vCPU carries it like a rewound instruction pointer (I46); a stub
 * loading a fresh call writes HCALL_COMPLETED.
 */
export const HCALL_REGS_STATE = 4;
export const HCALL_REGS_ARGS = 8;
export const HCALL_REGS_ARG_BYTES = 8;
export const HCALL_REGS_NR_ARGS = 5;
export const HCALL_REGS_RESULT = 48;
export const HCALL_REGS_SIZE = 56;

// What the hypercall entry returns (Xen's HVM_HCALL_completed / _preempted):
// completed, the result is in the context; preempted, the arguments were
// rewritten and the stub must re-issue the very same call (I41).
export const HCALL_COMPLETED = 0;
export const HCALL_PREEMPTED = 1;

/** Default preemption budget: a continuation after this many items of one invocation (64-bit callers). */
export const PREEMPT_EVERY_DEFAULT = 64;
