// HYPERVISOR_dm_op (41): XEN_DMOP_modified_memory, the DMOP successor of
// HVMOP_modified_memory (spec §4; Xen's xen/common/dm.c and
// xen/arch/x86/hvm/dm.c). The continuation leaves the arguments unchanged:
// all progress is in the caller's buffer 0 — nr_extents (extents left,
// processed last first) and opaque (pages done in the current extent) — so it
// is guest-visible by construction (I40). Xen's only check of opaque is
// against the current extent's page count (opaque >= nr: -EINVAL); a caller
// must pass 0 on the first call.
//
// Other DMOPs below XEN_DMOP_NR_OPS are not implemented in wasmxen: they
// answer -EOPNOTSUPP like an op Xen does not know.

import { EFAULT, EINVAL, ENODATA, E2BIG, EOPNOTSUPP } from "../shared/errno";
import { DF_LOG_DIRTY } from "../shared/layout";
import {
  XEN_DMOP_modified_memory, XEN_DMOP_NR_OPS, XEN_DMOP_MAX_BUFS,
  DMOP_BUF_H, DMOP_BUF_SIZE, DMOP_BUF_BYTES, DMOP_BUF32_H, DMOP_BUF32_SIZE, DMOP_BUF32_BYTES,
  XDO_OP, XDO_PAD, XDO_U, XDO_HEADER_BYTES, DMMM_NR_EXTENTS, DMMM_OPAQUE, DMMM_SIZE,
  DMMME_NR, DMMME_PAD, DMMME_FIRST_PFN, DMMME_SIZE, DM_BATCH_PAGES,
} from "../shared/hvm-abi";
import { guestFrames, loadGuestWidth, addrDomFlags, guestReg } from "../domain/table";
import { guestRange, p2mType, isRamType, markDirty } from "../mm/p2m";
import { preemptBudget, createContinuation } from "../hypercall/preempt";
import { lockRemoteDmTarget, unlockDmTarget } from "./target";

// the two buffer descriptors as read, per thread
let bufH0: u64 = 0;
let bufSize0: u64 = 0;
let bufH1: u64 = 0;
let bufSize1: u64 = 0;

function readBufs(caller: u32, nrBufs: u32, gpa: u64): bool {
  let compat = loadGuestWidth(caller) == 32;
  let stride = compat ? DMOP_BUF32_BYTES : DMOP_BUF_BYTES;
  let a = guestRange(caller, gpa, nrBufs * stride);
  if (a == 0) return false;
  for (let i: u32 = 0; i < nrBufs; i++) {
    let b = a + <usize>(i * stride);
    let h = compat ? <u64>load<u32>(b + DMOP_BUF32_H) : load<u64>(b + DMOP_BUF_H);
    let s = compat ? <u64>load<u32>(b + DMOP_BUF32_SIZE) : load<u64>(b + DMOP_BUF_SIZE);
    if (i == 0) { bufH0 = h; bufSize0 = s; } else { bufH1 = h; bufSize1 = s; }
  }
  return true;
}

// this call's copy of the body (copy_from_guest), per thread
let mmRem: u32 = 0;     // nr_extents: extents left
let mmOpaque: u32 = 0;  // opaque: pages done in extent mmRem - 1

/**
 * modified_memory over the extents of buffer 1, advancing mmRem / mmOpaque.
 * Returns 0, -errno, or 1: preempted (the body must be written back).
 */
function modifiedMemory(caller: u32, d: u32): i32 {
  if ((atomic.load<u32>(addrDomFlags(d)) & DF_LOG_DIRTY) == 0) return 0;
  if (bufSize1 / <u64>DMMME_SIZE < <u64>mmRem) return -EINVAL;
  // Xen's batch is 256 pages; wasmxen's is the caller's budget, at most that
  let budget = preemptBudget(caller);
  let batchRem: u32 = budget < <u32>DM_BATCH_PAGES ? budget : <u32>DM_BATCH_PAGES;
  let maxGpfn = <u64>guestFrames(d) - 1;
  while (mmRem > 0) {
    let e = guestRange(caller, bufH1 + <u64>(mmRem - 1) * <u64>DMMME_SIZE, DMMME_SIZE);
    if (e == 0) return -EFAULT;
    let nr = load<u32>(e + DMMME_NR);
    let first = load<u64>(e + DMMME_FIRST_PFN);
    if (load<u32>(e + DMMME_PAD) != 0) return -EINVAL;
    let end = first + <u64>nr;
    if (end <= first || end > maxGpfn) return -EINVAL; // Xen's bound: an extent ending at the max gpfn passes
    if (mmOpaque >= nr) return -EINVAL;                // no progress point of this extent
    let pfn = first + <u64>mmOpaque;
    let n = nr - mmOpaque;
    if (n > batchRem) {
      n = batchRem;
      mmOpaque += n;
      end = pfn + <u64>n;
    } else {
      mmRem--;
      mmOpaque = 0;
    }
    batchRem -= n;
    for (; pfn < end; pfn++) if (isRamType(p2mType(d, pfn))) markDirty(d, pfn);
    if (batchRem == 0 && mmRem > 0) return 1;          // a full batch done and extents remain: yield
  }
  return 0;
}

/** do_dm_op(domid, nr_bufs, bufs) from `caller`: 0, -errno, or -ERESTART after createContinuation. */
export function dmOp(caller: u32, domid: u32, nrBufs: u32, bufsGpa: u64): i32 {
  bufsGpa = guestReg(caller, bufsGpa);
  if (nrBufs == 0) return -ENODATA;
  if (nrBufs > <u32>XEN_DMOP_MAX_BUFS) return -E2BIG;
  if (!readBufs(caller, nrBufs, bufsGpa)) return -EFAULT;
  let t = lockRemoteDmTarget(caller, domid);
  if (t < 0) return t;
  let r = dmOpOn(caller, domid, nrBufs, <u32>t);
  unlockDmTarget(<u32>t);
  return r;
}

/** dm_op on `d`, referenced by the caller (I27). */
function dmOpOn(caller: u32, domid: u32, nrBufs: u32, d: u32): i32 {
  if (bufSize0 < <u64>XDO_HEADER_BYTES) return -EFAULT;
  let h = guestRange(caller, bufH0, XDO_HEADER_BYTES);
  if (h == 0) return -EFAULT;
  let op = load<u32>(h + XDO_OP);
  let pad = load<u32>(h + XDO_PAD);
  if (op >= <u32>XEN_DMOP_NR_OPS) return -EOPNOTSUPP;
  if (op != <u32>XEN_DMOP_modified_memory) return -EOPNOTSUPP; // not implemented in wasmxen
  if (bufSize0 < <u64>(XDO_HEADER_BYTES + DMMM_SIZE)) return -EFAULT;
  let b = guestRange(caller, bufH0 + <u64>XDO_U, DMMM_SIZE);
  if (b == 0) return -EFAULT;
  mmRem = load<u32>(b + DMMM_NR_EXTENTS);
  mmOpaque = load<u32>(b + DMMM_OPAQUE);
  if (pad != 0) return -EINVAL;
  if (nrBufs != 2) return -EINVAL;
  let rc = modifiedMemory(caller, d);
  if (rc != 1) return rc; // success and errors write nothing back (Xen's const_op)
  let w = guestRange(caller, bufH0 + <u64>XDO_U, DMMM_SIZE);
  if (w == 0) return -EFAULT;
  store<u32>(w + DMMM_NR_EXTENTS, mmRem);
  store<u32>(w + DMMM_OPAQUE, mmOpaque);
  return createContinuation(<u64>domid); // arguments unchanged
}
