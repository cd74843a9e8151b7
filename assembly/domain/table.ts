// Domain table and domain header accessors. A domid indexes the table
// directly; an entry with guest base 0 means "no such domain" (the global
// header occupies address 0, so no region can start there).

import {
  DOMTAB, DOMTAB_ENTRY, DT_GUEST_BASE, DT_GUEST_FRAMES, DT_PRIV_BASE, DT_PRIV_BYTES, MAX_DOMAINS, PAGE_SHIFT,
} from "../shared/layout";
import {
  D_DOMID, D_NR_VCPUS, D_MAX_EVTCHN_PORT, D_ABI, D_VALID_EVTCHNS, D_ACTIVE_EVTCHNS, D_XEN_EVTCHNS,
  D_NEXT_EVTCHN, D_EVENT_LOCK, D_FIFO_NUM_EVTCHNS, D_GUEST_WIDTH, D_FLAGS, D_CHANNEL_CAPACITY, D_FIFO_ARRAY,
} from "../shared/private-layout";

@inline function entry(dom: u32): usize {
  return <usize>DOMTAB + <usize>dom * <usize>DOMTAB_ENTRY;
}

/** True if `dom` names an existing domain (entries are written before use and cleared on destroy). */
export function domainExists(dom: u32): bool {
  return dom < <u32>MAX_DOMAINS && atomic.load<u32>(entry(dom) + DT_GUEST_BASE) != 0;
}

@inline export function guestBase(dom: u32): usize { return <usize>load<u32>(entry(dom) + DT_GUEST_BASE); }
@inline export function guestFrames(dom: u32): u32 { return load<u32>(entry(dom) + DT_GUEST_FRAMES); }
@inline export function privBase(dom: u32): usize { return <usize>load<u32>(entry(dom) + DT_PRIV_BASE); }
@inline export function privBytes(dom: u32): u32 { return load<u32>(entry(dom) + DT_PRIV_BYTES); }

export function setDomainEntry(dom: u32, gbase: u32, frames: u32, pbase: u32, pbytes: u32): void {
  let e = entry(dom);
  store<u32>(e + DT_GUEST_FRAMES, frames);
  store<u32>(e + DT_PRIV_BASE, pbase);
  store<u32>(e + DT_PRIV_BYTES, pbytes);
  atomic.store<u32>(e + DT_GUEST_BASE, gbase); // published last: domainExists() reads it
}

export function clearDomainEntry(dom: u32): void {
  atomic.store<u32>(entry(dom) + DT_GUEST_BASE, 0);
}

/** Guest-physical frame → address, or 0 if the frame is not the domain's RAM. */
export function gfnAddr(dom: u32, gfn: u64): usize {
  if (gfn >= <u64>guestFrames(dom)) return 0;
  return guestBase(dom) + (<usize>gfn << PAGE_SHIFT);
}

// -------------------------------------------------------------- header fields
@inline export function addrDomField(dom: u32, off: u32): usize { return privBase(dom) + <usize>off; }

@inline export function loadNrVcpus(dom: u32): u32 { return load<u32>(addrDomField(dom, D_NR_VCPUS)); }
@inline export function loadMaxEvtchnPort(dom: u32): u32 { return load<u32>(addrDomField(dom, D_MAX_EVTCHN_PORT)); }
@inline export function loadAbi(dom: u32): u32 { return atomic.load<u32>(addrDomField(dom, D_ABI)); }
@inline export function storeAbi(dom: u32, abi: u32): void { atomic.store<u32>(addrDomField(dom, D_ABI), abi); }
@inline export function loadValidEvtchns(dom: u32): u32 { return atomic.load<u32>(addrDomField(dom, D_VALID_EVTCHNS)); }
@inline export function storeValidEvtchns(dom: u32, n: u32): void { atomic.store<u32>(addrDomField(dom, D_VALID_EVTCHNS), n); }
@inline export function addrActiveEvtchns(dom: u32): usize { return addrDomField(dom, D_ACTIVE_EVTCHNS); }
@inline export function addrXenEvtchns(dom: u32): usize { return addrDomField(dom, D_XEN_EVTCHNS); }
@inline export function addrNextEvtchn(dom: u32): usize { return addrDomField(dom, D_NEXT_EVTCHN); }
@inline export function addrEventLock(dom: u32): usize { return addrDomField(dom, D_EVENT_LOCK); }
@inline export function loadFifoNumEvtchns(dom: u32): u32 { return atomic.load<u32>(addrDomField(dom, D_FIFO_NUM_EVTCHNS)); }
@inline export function storeFifoNumEvtchns(dom: u32, n: u32): void { atomic.store<u32>(addrDomField(dom, D_FIFO_NUM_EVTCHNS), n); }
@inline export function loadGuestWidth(dom: u32): u32 { return load<u32>(addrDomField(dom, D_GUEST_WIDTH)); }
/** A hypercall argument register as `caller` passed it: a 32-bit (compat) guest's registers are 32 bits, so the upper half is never seen. */
@inline export function guestReg(caller: u32, v: u64): u64 { return loadGuestWidth(caller) == 32 ? v & 0xffffffff : v; }
@inline export function addrDomFlags(dom: u32): usize { return addrDomField(dom, D_FLAGS); }
@inline export function loadChannelCapacity(dom: u32): u32 { return load<u32>(addrDomField(dom, D_CHANNEL_CAPACITY)); }
@inline export function addrFifoArraySlot(dom: u32, slot: u32): usize { return addrDomField(dom, D_FIFO_ARRAY) + (<usize>slot << 2); }

/** Header fields that never change after creation. */
export function initDomainHeader(dom: u32, nrVcpus: u32, maxPort: u32, width: u32, capacity: u32): void {
  store<u32>(addrDomField(dom, D_DOMID), dom);
  store<u32>(addrDomField(dom, D_NR_VCPUS), nrVcpus);
  store<u32>(addrDomField(dom, D_MAX_EVTCHN_PORT), maxPort);
  store<u32>(addrDomField(dom, D_GUEST_WIDTH), width);
  store<u32>(addrDomField(dom, D_CHANNEL_CAPACITY), capacity);
}
