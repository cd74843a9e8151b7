// check_pollers (spec §6.6): wake the vCPUs polling a port whose PENDING
// just went 0 → 1. Pairs with schedPollPrepare (I20).

import { D_POLL_MASK, V_POLL } from "../shared/private-layout";
import { addrDomField } from "../domain/table";
import { addrVcpu } from "../domain/vcpu";
import { kickVcpu } from "../upcall";

@inline export function addrPollEvtchn(dom: u32, vcpu: u32): usize { return addrVcpu(dom, vcpu) + V_POLL; }

export function checkPollers(dom: u32, port: u32): void {
  let mask = addrDomField(dom, D_POLL_MASK);
  let bits = atomic.load<u32>(mask);
  while (bits != 0) {
    let v = <u32>ctz(bits);
    bits &= bits - 1;
    let pe = atomic.load<i32>(addrPollEvtchn(dom, v));
    let bit: u32 = <u32>1 << v;
    if ((pe <= 0 || <u32>pe == port) && (atomic.and<u32>(mask, ~bit) & bit) != 0) {
      atomic.store<i32>(addrPollEvtchn(dom, v), 0);
      kickVcpu(dom, v);
    }
  }
}
