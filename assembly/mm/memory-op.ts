// HYPERVISOR_memory_op (12): the reservation sub-ops over an extent list in
// guest memory, and the reservation queries (spec §2; Xen's
// xen/common/memory.c do_memory_op). Every domain is a translated (HVM)
// guest: increase_reservation charges pages without mapping them and writes
// no MFNs back; populate_physmap maps zeroed frames at the listed gfns;
// decrease_reservation removes them.
//
// The three reservation ops never return an errno: the result is the
// absolute number of extents done (the first index not done), and every early
// failure returns the incoming start extent (§2.3). Progress lives only in
// the command word (cmd >> MEMOP_EXTENT_SHIFT): a continuation rewrites
// argument 0 and nothing else (I40).

import { EINVAL, EFAULT, ESRCH, EPERM, ENOSYS, ERESTART } from "../shared/errno";
import { PAGE_SHIFT, G_TOTAL_PAGES, WASM_PAGE_SIZE, PAGE_SIZE } from "../shared/layout";
import {
  XENMEM_increase_reservation, XENMEM_decrease_reservation, XENMEM_populate_physmap,
  XENMEM_maximum_ram_page, XENMEM_current_reservation, XENMEM_maximum_reservation, XENMEM_maximum_gpfn,
  XENMEM_exchange, MEMOP_EXTENT_SHIFT, MEMOP_CMD_MASK, MEMOP_MAX_EXTENTS, MEMOP_MAX_ORDER, MAX_NUMNODES,
  XMR_EXTENT_START, XMR_NR_EXTENTS, XMR_EXTENT_ORDER, XMR_MEM_FLAGS, XMR_DOMID, XMR_SIZE,
  XMR32_EXTENT_START, XMR32_NR_EXTENTS, XMR32_EXTENT_ORDER, XMR32_MEM_FLAGS, XMR32_DOMID, XMR32_SIZE,
  XEN_PFN_BYTES, XEN_PFN_BYTES_32, XMD_DOMID, XMD_SIZE,
  XENMEMF_ADDRESS_BITS_MASK, XENMEMF_NODE_SHIFT, XENMEMF_NODE_MASK, XENMEMF_populate_on_demand,
  XENMEMF_exact_node_request, XENMEMF_vnode,
} from "../shared/memory-abi";
import { DF_CONTROL } from "../shared/layout";
import { guestFrames, loadGuestWidth, addrDomFlags, guestReg } from "../domain/table";
import { lookupDomainRef } from "../channel/alloc";
import { rcuUnlockDomain } from "../domain/refs";
import { mayActOn } from "../channel/ops-bind";
import {
  guestRange, allocDomPages, p2mAddPage, p2mRemovePage, loadTotPages, loadMaxPages,
} from "./p2m";
import { preemptCheck, createContinuation, progressShift } from "../hypercall/preempt";

// the reservation as read (memop_args), per thread
let mrList: u64 = 0;
let mrNr: u64 = 0;
let mrOrder: u32 = 0;
let mrFlags: u32 = 0;
let mrDomid: u32 = 0;

/** copy_from_guest of the caller's struct xen_memory_reservation (native or compat layout). */
function readReservation(caller: u32, gpa: u64): bool {
  if (loadGuestWidth(caller) == 32) {
    let a = guestRange(caller, gpa, XMR32_SIZE);
    if (a == 0) return false;
    mrList = <u64>load<u32>(a + XMR32_EXTENT_START);
    mrNr = <u64>load<u32>(a + XMR32_NR_EXTENTS);
    mrOrder = load<u32>(a + XMR32_EXTENT_ORDER);
    mrFlags = load<u32>(a + XMR32_MEM_FLAGS);
    mrDomid = <u32>load<u16>(a + XMR32_DOMID);
  } else {
    let a = guestRange(caller, gpa, XMR_SIZE);
    if (a == 0) return false;
    mrList = load<u64>(a + XMR_EXTENT_START);
    mrNr = load<u64>(a + XMR_NR_EXTENTS);
    mrOrder = load<u32>(a + XMR_EXTENT_ORDER);
    mrFlags = load<u32>(a + XMR_MEM_FLAGS);
    mrDomid = <u32>load<u16>(a + XMR_DOMID);
  }
  return true;
}

@inline function pfnBytes(caller: u32): u32 { return loadGuestWidth(caller) == 32 ? XEN_PFN_BYTES_32 : XEN_PFN_BYTES; }

/** guest_handle_subrange_okay: elements [first, last] lie in the caller's guest-physical space. */
function listRangeOkay(caller: u32, first: u64, last: u64): bool {
  let limit = <u64>guestFrames(caller) << PAGE_SHIFT;
  let sz = <u64>pfnBytes(caller);
  if (mrList >= limit) return false;
  let room = (limit - mrList) / sz; // elements that fit
  return first <= last && last < room;
}

// extent `i` as read by readExtent; false: the read faulted
let extentRead: bool = false;

/** __copy_from_guest_offset of extent `i` (sets extentRead; a frame without RAM faults). */
function readExtent(caller: u32, i: u64): u64 {
  let sz = pfnBytes(caller);
  let a = guestRange(caller, mrList + i * <u64>sz, sz);
  extentRead = a != 0;
  if (a == 0) return 0;
  return sz == 4 ? <u64>load<u32>(a) : load<u64>(a);
}

/** construct_memop_from_reservation's flag checks (no vNUMA in wasmxen: XENMEMF_vnode is ignored, as Xen does without vNUMA). */
function flagsValid(caller: u32): bool {
  let bits = mrFlags & XENMEMF_ADDRESS_BITS_MASK;
  // the host's address width: get_order_from_pages(max_page) + PAGE_SHIFT
  let hostPages = atomic.load<u32>(G_TOTAL_PAGES) * <u32>(WASM_PAGE_SIZE / PAGE_SIZE);
  let order: u32 = 0;
  while ((<u64>1 << order) < <u64>hostPages) order++;
  if (bits != 0 && bits < order + <u32>PAGE_SHIFT && bits <= <u32>PAGE_SHIFT) return false;
  if ((mrFlags & XENMEMF_vnode) != 0) return true;
  let nodeField = (mrFlags >> XENMEMF_NODE_SHIFT) & XENMEMF_NODE_MASK;
  if (nodeField == 0) return true; // NUMA_NO_NODE
  if ((atomic.load<u32>(addrDomFlags(caller)) & DF_CONTROL) != 0) return nodeField - 1 < <u32>MAX_NUMNODES;
  return (mrFlags & XENMEMF_exact_node_request) == 0;
}

/** XENMEM_{increase,decrease}_reservation and XENMEM_populate_physmap from `caller`; `cmd` with its progress bits. */
function reservationOp(caller: u32, op: u32, start: u64, gpa: u64): i64 {
  let s = <i64>start;
  if (!readReservation(caller, gpa)) return s;
  if (mrNr > <u64>MEMOP_MAX_EXTENTS) return s;  // progress could not be encoded
  if (start >= mrNr) return s;
  let t = lookupDomainRef(caller, mrDomid);
  if (t < 0) return s;
  let r = reservationOn(caller, op, start, <u32>t);
  rcuUnlockDomain(<u32>t);
  return r;
}

/** reservationOp on `d`, referenced by the caller (I27): its regions stay while the extents are done. */
function reservationOn(caller: u32, op: u32, start: u64, d: u32): i64 {
  let s = <i64>start;
  if (!flagsValid(caller)) return s;
  let pod = op == XENMEM_populate_physmap && (mrFlags & XENMEMF_populate_on_demand) != 0;
  if (!mayActOn(caller, d)) return s;           // xsm_memory_adjust_reservation (XSM_TARGET)

  // worker pre-checks: nothing done. compat_memory_op checks the whole list up front (spec §2.5).
  let firstChecked = loadGuestWidth(caller) == 32 ? <u64>0 : start;
  if (!(op == XENMEM_increase_reservation && mrList == 0) && !listRangeOkay(caller, firstChecked, mrNr - 1)) return s;
  if (mrOrder > <u32>MEMOP_MAX_ORDER) return s; // populate-on-demand's larger limit is moot: PoD is refused below
  let pages: u32 = <u32>1 << mrOrder;

  let i = start;
  let done: u32 = 0;
  while (i < mrNr) {
    if (op == XENMEM_increase_reservation) {
      if (!allocDomPages(d, pages)) break;
    } else if (op == XENMEM_decrease_reservation) {
      let g = readExtent(caller, i);
      if (!extentRead) break;
      let failed = false;
      // a partly removed extent stays partly removed and is not counted (Xen's decrease_reservation)
      for (let j: u32 = 0; j < pages; j++) {
        if (g + <u64>j < g || p2mRemovePage(d, g + <u64>j) != 0) { failed = true; break; }
      }
      if (failed) break;
    } else {
      let ug = readExtent(caller, i);
      if (!extentRead) break;
      if (pod) break;                           // no populate-on-demand pool (on oneself Xen refuses it too)
      if (ug >= <u64>guestFrames(d) || <u64>pages > <u64>guestFrames(d) - ug || ug == 0) break; // no frame can back it (gfn 0 is Xen's)
      if (!allocDomPages(d, pages)) break;
      for (let j: u32 = 0; j < pages; j++) p2mAddPage(d, ug + <u64>j);
    }
    i++;
    done++;
    if (i < mrNr && preemptCheck(caller, done)) {
      createContinuation(<u64>op | (i << MEMOP_EXTENT_SHIFT));
      return -ERESTART;
    }
  }
  return <i64>i;
}

/** XENMEM_current_reservation / maximum_reservation / maximum_gpfn on a struct xen_memory_domain. */
function domainQuery(caller: u32, op: u32, gpa: u64): i64 {
  let a = guestRange(caller, gpa, XMD_SIZE);
  if (a == 0) return -EFAULT;
  let t = lookupDomainRef(caller, <u32>load<u16>(a + XMD_DOMID));
  if (t < 0) return -ESRCH;
  let d = <u32>t;
  let r: i64;
  if (!mayActOn(caller, d)) r = -EPERM;        // xsm_memory_stat_reservation (XSM_TARGET)
  else if (op == XENMEM_current_reservation) r = <i64>loadTotPages(d);
  else if (op == XENMEM_maximum_reservation) r = <i64>loadMaxPages(d);
  else r = <i64>guestFrames(d) - 1;            // domain_get_maximum_gpfn: the highest gfn with a p2m slot
  rcuUnlockDomain(d);
  return r;
}

/**
 * do_memory_op(cmd, arg) from `caller`. Returns the result, or -ERESTART
 * after createContinuation. A compat caller's cmd is 32 bits wide.
 */
export function memoryOp(caller: u32, cmd: u64, gpa: u64): i64 {
  cmd = guestReg(caller, cmd); gpa = guestReg(caller, gpa);
  let op = <u32>(cmd & <u64>MEMOP_CMD_MASK);
  let start = cmd >> progressShift(MEMOP_EXTENT_SHIFT);
  switch (op) {
    case XENMEM_increase_reservation: case XENMEM_decrease_reservation: case XENMEM_populate_physmap:
      return reservationOp(caller, op, start, gpa);
    case XENMEM_maximum_ram_page:
      if (start != 0) return -EINVAL;
      return <i64>atomic.load<u32>(G_TOTAL_PAGES) * <i64>(WASM_PAGE_SIZE / PAGE_SIZE);
    case XENMEM_current_reservation: case XENMEM_maximum_reservation: case XENMEM_maximum_gpfn:
      if (start != 0) return -EINVAL;
      return domainQuery(caller, op, gpa);
    case XENMEM_exchange:
      if (start != 0) return -EINVAL;          // Xen's check comes before the exchange itself
      return -ENOSYS;                          // not implemented in wasmxen
    default:
      return -ENOSYS;                          // arch_memory_op → subarch_memory_op's default
  }
}

