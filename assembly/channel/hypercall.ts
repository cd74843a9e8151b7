// HYPERVISOR_event_channel_op(cmd, arg): the guest ABI (spec §3). `arg` is a
// guest-physical address of the operation's struct (evtchn-structs.ts). The
// whole struct is copied in first (a guest rewriting it meanwhile changes
// nothing) and, for operations with OUT fields, copied back whole — IN
// fields echoed as read — only when the operation returned 0 (spec §3.1,
// §16.3). A struct on a frame without RAM is -EFAULT (copy_from_guest).

import { EFAULT, ENOSYS } from "../shared/errno";
import {
  EVTCHNOP_bind_interdomain, EVTCHNOP_bind_virq, EVTCHNOP_bind_pirq, EVTCHNOP_close,
  EVTCHNOP_send, EVTCHNOP_status, EVTCHNOP_alloc_unbound, EVTCHNOP_bind_ipi, EVTCHNOP_bind_vcpu,
  EVTCHNOP_unmask, EVTCHNOP_init_control, EVTCHNOP_expand_array, EVTCHNOP_set_priority,
  EVTCHNOP_reset, EVTCHNOP_reset_cont,
} from "../shared/evtchn-abi";
import {
  EAU_DOM, EAU_REMOTE_DOM, EAU_PORT, EAU_SIZE, EBI_REMOTE_DOM, EBI_REMOTE_PORT, EBI_LOCAL_PORT, EBI_SIZE,
  EBV_VIRQ, EBV_VCPU, EBV_PORT, EBV_SIZE, EBP_PIRQ, EBP_FLAGS, EBP_PORT, EBP_SIZE,
  EBIPI_VCPU, EBIPI_PORT, EBIPI_SIZE, EPORT_PORT, EPORT_SIZE,
  ES_DOM, ES_PORT, ES_STATUS, ES_VCPU, ES_U, ES_U_INTERDOMAIN_PORT, ES_SIZE,
  EBVCPU_PORT, EBVCPU_VCPU, EBVCPU_SIZE, ESP_PORT, ESP_PRIORITY, ESP_SIZE, ER_DOM, ER_SIZE,
  EIC_CONTROL_GFN, EIC_OFFSET, EIC_VCPU, EIC_LINK_BITS, EIC_PAD, EIC_SIZE, EEA_ARRAY_GFN, EEA_SIZE,
  EVTCHNSTAT_unbound, EVTCHNSTAT_interdomain, EVTCHNOP_CMD_MASK,
} from "../shared/evtchn-structs";
import { EVTCHN_FIFO_LINK_BITS } from "../shared/fifo-abi";
import { guestRange } from "../mm/p2m";
import { guestReg } from "../domain/table";
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

/** Struct size of sub-op `cmd`, or 0 for an unknown command. */
function argSize(cmd: u32): u32 {
  switch (cmd) {
    case EVTCHNOP_bind_interdomain: return EBI_SIZE;
    case EVTCHNOP_bind_virq: return EBV_SIZE;
    case EVTCHNOP_bind_pirq: return EBP_SIZE;
    case EVTCHNOP_close: case EVTCHNOP_send: case EVTCHNOP_unmask: return EPORT_SIZE;
    case EVTCHNOP_status: return ES_SIZE;
    case EVTCHNOP_init_control: return EIC_SIZE;
    case EVTCHNOP_reset: case EVTCHNOP_reset_cont: return ER_SIZE;
    case EVTCHNOP_alloc_unbound: return EAU_SIZE;
    case EVTCHNOP_bind_ipi: return EBIPI_SIZE;
    case EVTCHNOP_bind_vcpu: return EBVCPU_SIZE;
    case EVTCHNOP_expand_array: return EEA_SIZE;
    case EVTCHNOP_set_priority: return ESP_SIZE;
    default: return 0;
  }
}

@inline function u16At(a: usize, off: u32): u32 { return <u32>load<u16>(a + <usize>off); }
@inline function u32At(a: usize, off: u32): u32 { return load<u32>(a + <usize>off); }

/**
 * `cmd` is the whole command word: bits above EVTCHNOP_CMD_MASK are progress
 * of a reset_cont (I42) and make every other command unknown (-ENOSYS, as Xen
 * answers a command it does not know). Returns 0, -errno, or -ERESTART after
 * createContinuation.
 */
export function eventChannelOp(dom: u32, vcpu: u32, cmd: u32, gpa: u64): i32 {
  gpa = guestReg(dom, gpa);
  let sub = cmd & <u32>EVTCHNOP_CMD_MASK;
  if (sub != cmd && sub != <u32>EVTCHNOP_reset_cont) return -ENOSYS;
  let size = argSize(sub);
  if (size == 0) return -ENOSYS;
  let a = guestRange(dom, gpa, size);
  if (a == 0) return -EFAULT;

  switch (sub) {
    case EVTCHNOP_alloc_unbound: {
      let d = u16At(a, EAU_DOM), rd = u16At(a, EAU_REMOTE_DOM);
      let r = evtchnAllocUnbound(dom, d, rd);
      if (r < 0) return r;
      store<u16>(a + EAU_DOM, <u16>d); store<u16>(a + EAU_REMOTE_DOM, <u16>rd); store<u32>(a + EAU_PORT, <u32>r);
      return 0;
    }
    case EVTCHNOP_bind_interdomain: {
      let w0 = u32At(a, EBI_REMOTE_DOM), rp = u32At(a, EBI_REMOTE_PORT);
      let r = evtchnBindInterdomain(dom, w0 & 0xffff, rp);
      if (r < 0) return r;
      store<u32>(a + EBI_REMOTE_DOM, w0); store<u32>(a + EBI_REMOTE_PORT, rp); store<u32>(a + EBI_LOCAL_PORT, <u32>r);
      return 0;
    }
    case EVTCHNOP_bind_virq: {
      let virq = u32At(a, EBV_VIRQ), v = u32At(a, EBV_VCPU);
      let r = evtchnBindVirq(dom, virq, v);
      if (r < 0) return r;
      store<u32>(a + EBV_VIRQ, virq); store<u32>(a + EBV_VCPU, v); store<u32>(a + EBV_PORT, <u32>r);
      return 0;
    }
    case EVTCHNOP_bind_pirq: {
      let pirq = u32At(a, EBP_PIRQ), flags = u32At(a, EBP_FLAGS);
      let r = evtchnBindPirq(dom, pirq, flags);
      if (r < 0) return r;
      store<u32>(a + EBP_PIRQ, pirq); store<u32>(a + EBP_FLAGS, flags); store<u32>(a + EBP_PORT, <u32>r);
      return 0;
    }
    case EVTCHNOP_bind_ipi: {
      let v = u32At(a, EBIPI_VCPU);
      let r = evtchnBindIpi(dom, v);
      if (r < 0) return r;
      store<u32>(a + EBIPI_VCPU, v); store<u32>(a + EBIPI_PORT, <u32>r);
      return 0;
    }
    case EVTCHNOP_close: return evtchnClose(dom, u32At(a, EPORT_PORT), true);
    case EVTCHNOP_send: return evtchnSend(dom, u32At(a, EPORT_PORT));
    case EVTCHNOP_unmask: return evtchnUnmask(dom, u32At(a, EPORT_PORT));
    case EVTCHNOP_bind_vcpu: return evtchnBindVcpu(dom, u32At(a, EBVCPU_PORT), u32At(a, EBVCPU_VCPU));
    case EVTCHNOP_set_priority: return evtchnSetPriority(dom, u32At(a, ESP_PORT), u32At(a, ESP_PRIORITY));
    case EVTCHNOP_status: {
      let w0 = u32At(a, ES_DOM), port = u32At(a, ES_PORT);
      let u0 = u32At(a, ES_U), u1 = u32At(a, ES_U_INTERDOMAIN_PORT);
      let r = evtchnStatus(dom, w0 & 0xffff, port);
      if (r < 0) return r;
      store<u32>(a + ES_DOM, w0); store<u32>(a + ES_PORT, port);
      store<u32>(a + ES_STATUS, lastStatus()); store<u32>(a + ES_VCPU, lastStatusVcpu());
      store<u32>(a + ES_U, u0); store<u32>(a + ES_U_INTERDOMAIN_PORT, u1); // union echoed, then the fields the state fills
      let set = lastStatusUnionSet();
      let st = lastStatus();
      if (st == <u32>EVTCHNSTAT_unbound || st == <u32>EVTCHNSTAT_interdomain) store<u16>(a + ES_U, <u16>lastStatusU0());
      else if (set == 1) store<u32>(a + ES_U, lastStatusU0());
      if (set == 2) store<u32>(a + ES_U_INTERDOMAIN_PORT, lastStatusU1());
      return 0;
    }
    case EVTCHNOP_init_control: {
      let gfn = load<u64>(a + EIC_CONTROL_GFN), off = u32At(a, EIC_OFFSET), v = u32At(a, EIC_VCPU);
      let lb = u32At(a, EIC_LINK_BITS), pad = u32At(a, EIC_PAD);
      let r = initControl(dom, gfn, off, v);
      if (r < 0) return r;
      store<u64>(a + EIC_CONTROL_GFN, gfn); store<u32>(a + EIC_OFFSET, off); store<u32>(a + EIC_VCPU, v);
      store<u32>(a + EIC_LINK_BITS, (lb & ~(<u32>0xff)) | <u32>EVTCHN_FIFO_LINK_BITS); store<u32>(a + EIC_PAD, pad);
      return 0;
    }
    case EVTCHNOP_expand_array: return expandArray(dom, load<u64>(a + EEA_ARRAY_GFN));
    // both: -ERESTART with a continuation whose command word carries the position (I42)
    case EVTCHNOP_reset: case EVTCHNOP_reset_cont: return evtchnReset(dom, u16At(a, ER_DOM), cmd);
    default: return -ENOSYS;
  }
}
