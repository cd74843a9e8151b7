// The hypercall instruction: a vCPU enters the hypervisor with its hypercall
// register context (hypercall-abi.ts) at guest address `regsGpa`. The call
// either completes — the result is stored in the context's result slot — or
// is preempted: the handler created a continuation, the new argument 0 is
// written into the context's argument slot and the entry returns
// HCALL_PREEMPTED, meaning "the instruction did not retire: execute it again"
// (Xen's HVM_HCALL_preempted). The guest's stub then re-issues the call from
// the context, unchanged (I41). Nothing about the preempted call stays in the
// hypervisor (I40): the same context re-issued on any wasmxen instance that
// holds the same domain state resumes it.

import { EFAULT, ENOSYS, ERESTART } from "../shared/errno";
import {
  __HYPERVISOR_memory_op, __HYPERVISOR_event_channel_op, __HYPERVISOR_hvm_op, __HYPERVISOR_dm_op,
  HCALL_REGS_OP, HCALL_REGS_STATE, HCALL_REGS_ARGS, HCALL_REGS_ARG_BYTES, HCALL_REGS_RESULT, HCALL_REGS_SIZE,
  HCALL_COMPLETED, HCALL_PREEMPTED,
} from "../shared/hypercall-abi";
import { guestRange } from "../mm/p2m";
import { memoryOp } from "../mm/memory-op";
import { eventChannelOp } from "../channel/hypercall";
import { hvmOp } from "../hvm/hvm-op";
import { dmOp } from "../hvm/dm-op";
import { continuationArg0 } from "./preempt";

@inline function arg(regs: usize, k: u32): u64 {
  return load<u64>(regs + <usize>HCALL_REGS_ARGS + <usize>k * <usize>HCALL_REGS_ARG_BYTES);
}

/**
 * Execute the hypercall in vCPU `vcpu`'s register context. Returns
 * HCALL_COMPLETED or HCALL_PREEMPTED, or -EFAULT if the context itself is not
 * in the domain's RAM (a broken stub: no register file to read).
 */
export function hypercall(dom: u32, vcpu: u32, regsGpa: u64): i32 {
  let regs = guestRange(dom, regsGpa, HCALL_REGS_SIZE);
  if (regs == 0) return -EFAULT;
  let op = load<u32>(regs + HCALL_REGS_OP);
  let rc: i64;
  switch (op) {
    case __HYPERVISOR_memory_op: rc = memoryOp(dom, arg(regs, 0), arg(regs, 1)); break;
    case __HYPERVISOR_event_channel_op: rc = <i64>eventChannelOp(dom, vcpu, <u32>arg(regs, 0), arg(regs, 1)); break;
    case __HYPERVISOR_hvm_op: rc = hvmOp(dom, arg(regs, 0), arg(regs, 1)); break;
    case __HYPERVISOR_dm_op: rc = <i64>dmOp(dom, <u32>arg(regs, 0) & 0xffff, <u32>arg(regs, 1), arg(regs, 2)); break;
    default: rc = -ENOSYS;
  }
  if (rc == -ERESTART) {
    // hypercall_create_continuation: argument 0 rewritten, the others as they were
    store<u64>(regs + <usize>HCALL_REGS_ARGS, continuationArg0());
    store<u32>(regs + HCALL_REGS_STATE, HCALL_PREEMPTED); // the continuation travels with the context (I46)
    return HCALL_PREEMPTED;
  }
  store<i64>(regs + HCALL_REGS_RESULT, rc);
  store<u32>(regs + HCALL_REGS_STATE, HCALL_COMPLETED);
  return HCALL_COMPLETED;
}
