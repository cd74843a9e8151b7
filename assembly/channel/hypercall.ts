// HYPERVISOR_event_channel_op(cmd, arg): the guest ABI (spec §3). `arg` is a
// guest-physical address of the operation's struct. The whole struct is
// copied in first (a guest rewriting it meanwhile changes nothing) and, for
// operations with OUT fields, copied back whole — IN fields echoed as read —
// only when the operation returned 0 (spec §3.1, §16.3).

import { EFAULT, ENOSYS } from "../shared/errno";
import {
  EVTCHNOP_bind_interdomain, EVTCHNOP_bind_virq, EVTCHNOP_bind_pirq, EVTCHNOP_close,
  EVTCHNOP_send, EVTCHNOP_status, EVTCHNOP_alloc_unbound, EVTCHNOP_bind_ipi, EVTCHNOP_bind_vcpu,
  EVTCHNOP_unmask, EVTCHNOP_init_control, EVTCHNOP_expand_array, EVTCHNOP_set_priority,
  EVTCHNOP_reset, EVTCHNOP_reset_cont,
} from "../shared/evtchn-abi";
import { EVTCHN_FIFO_LINK_BITS } from "../shared/fifo-abi";
import { PAGE_SHIFT } from "../shared/layout";
import { guestBase, guestFrames } from "../domain/table";
import {
  evtchnAllocUnbound, evtchnBindInterdomain, evtchnBindVirq, evtchnBindIpi, evtchnBindPirq,
} from "./ops-bind";
import { evtchnClose } from "./ops-close";
import {
  evtchnSend, evtchnStatus, evtchnBindVcpu, evtchnUnmask, evtchnSetPriority,
  lastStatus, lastStatusVcpu, lastStatusU0, lastStatusU1, lastStatusUnionSet,
} from "./ops-misc";
import { initControl, expandArray } from "../fifo/control";
import { evtchnReset } from "./reset";

/** Struct size of `cmd`, or 0 for an unknown command. */
function argSize(cmd: u32): u32 {
  switch (cmd) {
    case EVTCHNOP_bind_interdomain: case EVTCHNOP_bind_virq: case EVTCHNOP_bind_pirq: return 12;
    case EVTCHNOP_close: case EVTCHNOP_send: case EVTCHNOP_unmask: return 4;
    case EVTCHNOP_status: case EVTCHNOP_init_control: return 24;
    case EVTCHNOP_reset: case EVTCHNOP_reset_cont: return 2;
    case EVTCHNOP_alloc_unbound: case EVTCHNOP_bind_ipi: case EVTCHNOP_bind_vcpu:
    case EVTCHNOP_expand_array: case EVTCHNOP_set_priority: return 8;
    default: return 0;
  }
}

/** Address of [gpa, gpa + size) in `dom`'s frames, or 0 if any byte is outside. */
function guestRange(dom: u32, gpa: u64, size: u32): usize {
  let limit = <u64>guestFrames(dom) << PAGE_SHIFT;
  if (gpa >= limit || <u64>size > limit - gpa) return 0;
  return guestBase(dom) + <usize>gpa;
}

export function eventChannelOp(dom: u32, vcpu: u32, cmd: u32, gpa: u64): i32 {
  let size = argSize(cmd);
  if (size == 0) return -ENOSYS;
  let a = guestRange(dom, gpa, size);
  if (a == 0) return -EFAULT;
  // copy in: up to six words, echoed on copy-back
  let w0: u32 = size >= 4 ? load<u32>(a) : <u32>load<u16>(a); // never read past the struct
  let w1: u32 = size > 4 ? load<u32>(a + 4) : 0;
  let w2: u32 = size > 8 ? load<u32>(a + 8) : 0;
  let w3: u32 = size > 12 ? load<u32>(a + 12) : 0;
  let w4: u32 = size > 16 ? load<u32>(a + 16) : 0;
  let w5: u32 = size > 20 ? load<u32>(a + 20) : 0;

  switch (cmd) {
    case EVTCHNOP_alloc_unbound: {
      let r = evtchnAllocUnbound(dom, w0 & 0xffff, w0 >> 16);
      if (r < 0) return r;
      store<u32>(a, w0); store<u32>(a + 4, <u32>r);
      return 0;
    }
    case EVTCHNOP_bind_interdomain: {
      let r = evtchnBindInterdomain(dom, w0 & 0xffff, w1);
      if (r < 0) return r;
      store<u32>(a, w0); store<u32>(a + 4, w1); store<u32>(a + 8, <u32>r);
      return 0;
    }
    case EVTCHNOP_bind_virq: {
      let r = evtchnBindVirq(dom, w0, w1);
      if (r < 0) return r;
      store<u32>(a, w0); store<u32>(a + 4, w1); store<u32>(a + 8, <u32>r);
      return 0;
    }
    case EVTCHNOP_bind_pirq: {
      let r = evtchnBindPirq(dom, w0, w1);
      if (r < 0) return r;
      store<u32>(a, w0); store<u32>(a + 4, w1); store<u32>(a + 8, <u32>r);
      return 0;
    }
    case EVTCHNOP_bind_ipi: {
      let r = evtchnBindIpi(dom, w0);
      if (r < 0) return r;
      store<u32>(a, w0); store<u32>(a + 4, <u32>r);
      return 0;
    }
    case EVTCHNOP_close: return evtchnClose(dom, w0, true);
    case EVTCHNOP_send: return evtchnSend(dom, w0);
    case EVTCHNOP_unmask: return evtchnUnmask(dom, w0);
    case EVTCHNOP_bind_vcpu: return evtchnBindVcpu(dom, w0, w1);
    case EVTCHNOP_set_priority: return evtchnSetPriority(dom, w0, w1);
    case EVTCHNOP_status: {
      let r = evtchnStatus(dom, w0 & 0xffff, w1);
      if (r < 0) return r;
      store<u32>(a, w0); store<u32>(a + 4, w1);
      store<u32>(a + 8, lastStatus()); store<u32>(a + 12, lastStatusVcpu());
      store<u32>(a + 16, w4); store<u32>(a + 20, w5); // union echoed, then the fields the state fills
      let set = lastStatusUnionSet();
      if (lastStatus() == 1 || lastStatus() == 2) store<u16>(a + 16, <u16>lastStatusU0());
      else if (set == 1) store<u32>(a + 16, lastStatusU0());
      if (set == 2) store<u32>(a + 20, lastStatusU1());
      return 0;
    }
    case EVTCHNOP_init_control: {
      let r = initControl(dom, (<u64>w1 << 32) | <u64>w0, w2, w3);
      if (r < 0) return r;
      store<u32>(a, w0); store<u32>(a + 4, w1); store<u32>(a + 8, w2); store<u32>(a + 12, w3);
      store<u32>(a + 16, (w4 & ~(<u32>0xff)) | <u32>EVTCHN_FIFO_LINK_BITS); store<u32>(a + 20, w5);
      return 0;
    }
    case EVTCHNOP_expand_array: return expandArray(dom, (<u64>w1 << 32) | <u64>w0);
    // -ERESTART: the guest re-issues the call as reset_cont with the same argument (spec §13.1)
    case EVTCHNOP_reset: return evtchnReset(dom, w0 & 0xffff, false);
    case EVTCHNOP_reset_cont: return evtchnReset(dom, w0 & 0xffff, true);
    default: return -ENOSYS;
  }
}
