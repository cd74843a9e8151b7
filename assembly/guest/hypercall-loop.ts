// The guest kernel's hypercall stub, wasm side: execute the call in the
// vCPU's register context and re-issue it, unchanged, while the hypervisor
// continues it (I41). Terminates: every invocation of a preemptible call does
// at least one item (hypercall/preempt.ts). A guest that wants to take events
// between re-issues uses the TypeScript stub (src/guest/hypercall-stub.ts).

import { HCALL_COMPLETED, HCALL_PREEMPTED } from "../shared/hypercall-abi";
import { hypercall } from "../hypercall/entry";

/** Continuations taken (≥ 0; the result is in the context), or the entry's -errno (no register context). */
export function guestHypercallLoop(dom: u32, vcpu: u32, regsGpa: u64): i32 {
  let conts: i32 = 0;
  let r = hypercall(dom, vcpu, regsGpa);
  while (r == HCALL_PREEMPTED) {
    conts++;
    r = hypercall(dom, vcpu, regsGpa);
  }
  return r == HCALL_COMPLETED ? conts : r;
}
