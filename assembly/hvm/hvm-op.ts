// HYPERVISOR_hvm_op (34), Xen 4.5's device-model operations that continue:
// HVMOP_modified_memory and HVMOP_set_mem_type, plus HVMOP_get_mem_type to
// read back what set_mem_type did (spec §3; RELEASE-4.5.0 hvm.c do_hvm_op).
// For ops 7 and 8 the sub-op is op & HVMOP_op_mask and the progress is
// op & ~HVMOP_op_mask, unshifted — a multiple of 256, so these loops can
// yield only after every 256th page (I40). For every other sub-op the mask is
// all ones: stray upper bits make an unknown op, -ENOSYS.

import { EFAULT, EINVAL, ESRCH, EPERM, ENOSYS, ERESTART, EBUSY } from "../shared/errno";
import { P2M_INVALID, P2M_RAM_RW, P2M_RAM_RO, P2M_MMIO_DM, DF_LOG_DIRTY } from "../shared/layout";
import { DOMID_SELF } from "../shared/evtchn-abi";
import {
  HVMOP_modified_memory, HVMOP_set_mem_type, HVMOP_get_mem_type, HVMOP_op_mask,
  HMM_DOMID, HMM_NR, HMM_FIRST_PFN, HMM_SIZE, HSMT_DOMID, HSMT_HVMMEM_TYPE, HSMT_NR, HSMT_FIRST_PFN, HSMT_SIZE,
  HGMT_DOMID, HGMT_MEM_TYPE, HGMT_PFN, HGMT_SIZE,
  HVMMEM_ram_rw, HVMMEM_ram_ro, HVMMEM_mmio_dm, HVMMEM_NR_TYPES,
} from "../shared/hvm-abi";
import { guestFrames, loadGuestWidth, addrDomFlags, guestReg } from "../domain/table";
import { rcuLockDomain, rcuUnlockDomain } from "../domain/refs";
import { mayActOn } from "../channel/ops-bind";
import { guestRange, p2mType, p2mChangeType, isRamType, markDirty } from "../mm/p2m";
import { preemptCheck, createContinuation } from "../hypercall/preempt";
import { lockRemoteDmTarget, unlockDmTarget } from "./target";

@inline function logDirty(d: u32): bool { return (atomic.load<u32>(addrDomFlags(d)) & DF_LOG_DIRTY) != 0; }

/** Steps 5 of §3.3/§3.4: the range check against the progress and the domain's highest gfn. */
@inline function rangeBad(d: u32, first: u64, nr: u64, startIter: u64): bool {
  let last = first + nr - 1;
  return nr < startIter || last < first || last > <u64>guestFrames(d) - 1;
}

/** Yield after page `startIter` (already advanced) if more remain, at a 256 boundary, with the budget used. */
@inline function mustYield(caller: u32, nr: u64, startIter: u64, done: u32): bool {
  return nr > startIter && (startIter & <u64>HVMOP_op_mask) == 0 && preemptCheck(caller, done);
}

function modifiedMemory(caller: u32, op: u64, startIter: u64, gpa: u64): i64 {
  let a = guestRange(caller, gpa, HMM_SIZE);
  if (a == 0) return -EFAULT;
  let t = lockRemoteDmTarget(caller, <u32>load<u16>(a + HMM_DOMID));
  if (t < 0) return <i64>t;
  let r = modifiedMemoryOn(caller, op, startIter, a, <u32>t);
  unlockDmTarget(<u32>t);
  return r;
}

/** modifiedMemory on `d`, referenced by the caller (I27). */
function modifiedMemoryOn(caller: u32, op: u64, startIter: u64, a: usize, d: u32): i64 {
  let nr = <u64>load<u32>(a + HMM_NR);
  let first = load<u64>(a + HMM_FIRST_PFN);
  if (rangeBad(d, first, nr, startIter)) return -EINVAL;
  if (!logDirty(d)) return 0;
  let done: u32 = 0;
  while (nr > startIter) {
    let pfn = first + startIter;
    if (isRamType(p2mType(d, pfn))) markDirty(d, pfn); // get_page_from_gfn: only frames with a page
    startIter++;
    done++;
    if (mustYield(caller, nr, startIter, done)) return createContinuation(op | startIter);
  }
  return 0;
}

function hvmmemToP2m(t: u32): u32 {
  return t == HVMMEM_ram_rw ? P2M_RAM_RW : t == HVMMEM_ram_ro ? P2M_RAM_RO : P2M_MMIO_DM;
}

function setMemType(caller: u32, op: u64, startIter: u64, gpa: u64): i64 {
  let a = guestRange(caller, gpa, HSMT_SIZE);
  if (a == 0) return -EFAULT;
  let t = lockRemoteDmTarget(caller, <u32>load<u16>(a + HSMT_DOMID));
  if (t < 0) return <i64>t;
  let r = setMemTypeOn(caller, op, startIter, a, <u32>t);
  unlockDmTarget(<u32>t);
  return r;
}

/** setMemType on `d`, referenced by the caller (I27). */
function setMemTypeOn(caller: u32, op: u64, startIter: u64, a: usize, d: u32): i64 {
  let type = <u32>load<u16>(a + HSMT_HVMMEM_TYPE);
  let nr = <u64>load<u32>(a + HSMT_NR);
  let first = load<u64>(a + HSMT_FIRST_PFN);
  if (rangeBad(d, first, nr, startIter)) return -EINVAL;
  if (type >= <u32>HVMMEM_NR_TYPES) return -EINVAL;
  let to = hvmmemToP2m(type);
  let done: u32 = 0;
  while (nr > startIter) {
    let pfn = first + startIter;
    let cur = p2mType(d, pfn);
    // RAM may change type; a hole may become device-model memory. Xen 4.5
    // returns 0 here if an earlier page of this invocation changed (its rc
    // quirk, spec §3.4); wasmxen returns -EINVAL always.
    if (!isRamType(cur) && (cur != P2M_INVALID || type != HVMMEM_mmio_dm)) return -EINVAL;
    if (!p2mChangeType(d, pfn, cur, to)) return -EBUSY; // p2m_change_type_one: the entry changed under us
    startIter++;
    done++;
    if (mustYield(caller, nr, startIter, done)) return createContinuation(op | startIter);
  }
  return 0;
}

function getMemType(caller: u32, gpa: u64): i64 {
  let a = guestRange(caller, gpa, HGMT_SIZE);
  if (a == 0) return -EFAULT;
  let domid = <u32>load<u16>(a + HGMT_DOMID);
  let d = domid == <u32>DOMID_SELF ? caller : domid; // rcu_lock_domain_by_any_id
  if (!rcuLockDomain(d)) return -ESRCH;
  if (!mayActOn(caller, d)) { rcuUnlockDomain(d); return -EPERM; } // xsm_hvm_param (XSM_TARGET)
  let t = p2mType(d, load<u64>(a + HGMT_PFN));
  rcuUnlockDomain(d);
  let m: u32 = t == P2M_RAM_RO ? HVMMEM_ram_ro : isRamType(t) ? HVMMEM_ram_rw : HVMMEM_mmio_dm;
  store<u16>(a + HGMT_MEM_TYPE, <u16>m);
  return 0;
}

/** do_hvm_op(op, arg) from `caller`: the result, or -ERESTART after createContinuation. */
export function hvmOp(caller: u32, op: u64, gpa: u64): i64 {
  op = guestReg(caller, op); gpa = guestReg(caller, gpa);
  let low = op & <u64>HVMOP_op_mask;
  let continues = low == <u64>HVMOP_modified_memory || low == <u64>HVMOP_set_mem_type;
  let startIter = continues ? op & ~(<u64>HVMOP_op_mask) : 0;
  let sub = continues ? low : op;
  if (sub == <u64>HVMOP_modified_memory) return modifiedMemory(caller, sub, startIter, gpa);
  if (sub == <u64>HVMOP_set_mem_type) return setMemType(caller, sub, startIter, gpa);
  if (sub == <u64>HVMOP_get_mem_type) return getMemType(caller, gpa);
  return -ENOSYS; // unknown (stray bits included) or not implemented in wasmxen
}
