// A vCPU's memory hypercalls through the struct ABI of
// assembly/shared/memory-abi.ts and hvm-abi.ts: memory_op's reservation
// sub-ops (extent list in guest memory), Xen 4.5's HVMOP_modified_memory /
// set_mem_type and XEN_DMOP_modified_memory. Each is issued through the
// vCPU's register context and re-issued while the hypervisor continues it
// (hypercall-stub.ts, I41). The structs go to the vCPU's scratch area; the
// caller owns extent lists and DMOP buffers (guest addresses it chose).
import type { HypercallStub, HypercallOutcome } from './hypercall-stub.ts';
import {
  __HYPERVISOR_memory_op, __HYPERVISOR_hvm_op, __HYPERVISOR_dm_op,
} from '../../assembly/shared/hypercall-abi.ts';
import {
  XMR_EXTENT_START, XMR_NR_EXTENTS, XMR_EXTENT_ORDER, XMR_MEM_FLAGS, XMR_DOMID, XMR_SIZE,
  XMR32_EXTENT_START, XMR32_NR_EXTENTS, XMR32_EXTENT_ORDER, XMR32_MEM_FLAGS, XMR32_DOMID, XMR32_SIZE,
  XMD_DOMID, XEN_PFN_BYTES, XEN_PFN_BYTES_32,
} from '../../assembly/shared/memory-abi.ts';
import {
  HVMOP_modified_memory, HVMOP_set_mem_type, HVMOP_get_mem_type, HMM_DOMID, HMM_NR, HMM_FIRST_PFN,
  HSMT_DOMID, HSMT_HVMMEM_TYPE, HSMT_NR, HSMT_FIRST_PFN, HGMT_DOMID, HGMT_MEM_TYPE, HGMT_PFN,
  DMOP_BUF_H, DMOP_BUF_SIZE, DMOP_BUF_BYTES, DMOP_BUF32_H, DMOP_BUF32_SIZE, DMOP_BUF32_BYTES,
  XDO_OP, XDO_PAD, XDO_U, DMMM_NR_EXTENTS, DMMM_OPAQUE, DMMM_SIZE, DMMME_NR, DMMME_PAD, DMMME_FIRST_PFN, DMMME_SIZE,
  XEN_DMOP_modified_memory,
} from '../../assembly/shared/hvm-abi.ts';
import { DOMID_SELF } from '../../assembly/shared/evtchn-abi.ts';

export interface Reservation {
  /** guest address of the xen_pfn_t list (0 = NULL, allowed for increase only) */
  extentStart: number;
  nrExtents: number;
  extentOrder?: number;
  memFlags?: number;
  domid?: number;
}

export interface DmExtent { firstPfn: number; nr: number; pad?: number }

/** dmModifiedMemory's layout of the caller's buffer frame: descriptors at 0, buffer 0 (header + body), the extent array. */
export const DM_BUF0_OFF = 64;
export const DM_BUF1_OFF = 128;

/** (nr_extents, opaque) of buffer 0's modified_memory body in the caller's buffer frame. */
export function dmModifiedMemoryProgress(buf: DataView): [number, number] {
  return [buf.getUint32(DM_BUF0_OFF + XDO_U + DMMM_NR_EXTENTS, true), buf.getUint32(DM_BUF0_OFF + XDO_U + DMMM_OPAQUE, true)];
}

export class MemoryHypercalls {
  constructor(
    readonly stub: HypercallStub,
    /** the vCPU's struct area (guest view) and its guest address */
    readonly args: DataView, readonly argsGpa: number,
    /** the caller's width: 32 uses the compat layouts */
    readonly width: 64 | 32,
  ) {}

  /** Bytes of one xen_pfn_t for this caller. */
  get pfnBytes(): number { return this.width === 32 ? XEN_PFN_BYTES_32 : XEN_PFN_BYTES; }

  /** Write extent list element `i` at guest view `list` (the caller's own frame). */
  setExtent(list: DataView, i: number, gfn: number): void {
    if (this.width === 32) list.setUint32(i * XEN_PFN_BYTES_32, gfn, true);
    else list.setBigUint64(i * XEN_PFN_BYTES, BigInt(gfn), true);
  }

  /** XENMEM_{increase,decrease}_reservation / populate_physmap (`cmd` may carry progress bits): extents done. */
  reservation(cmd: number, r: Reservation): HypercallOutcome {
    this.writeReservation(r);
    return this.stub.call(__HYPERVISOR_memory_op, [cmd, this.argsGpa]);
  }

  /** Write struct xen_memory_reservation (this caller's layout) to the struct area, without a call. */
  writeReservation(r: Reservation): void {
    const v = this.args;
    if (this.width === 32) {
      v.setUint32(XMR32_EXTENT_START, r.extentStart, true);
      v.setUint32(XMR32_NR_EXTENTS, r.nrExtents, true);
      v.setUint32(XMR32_EXTENT_ORDER, r.extentOrder ?? 0, true);
      v.setUint32(XMR32_MEM_FLAGS, r.memFlags ?? 0, true);
      v.setUint16(XMR32_DOMID, r.domid ?? DOMID_SELF, true);
      for (let o = XMR32_DOMID + 2; o < XMR32_SIZE; o++) v.setUint8(o, 0);
    } else {
      v.setBigUint64(XMR_EXTENT_START, BigInt(r.extentStart), true);
      v.setBigUint64(XMR_NR_EXTENTS, BigInt(r.nrExtents), true);
      v.setUint32(XMR_EXTENT_ORDER, r.extentOrder ?? 0, true);
      v.setUint32(XMR_MEM_FLAGS, r.memFlags ?? 0, true);
      v.setUint16(XMR_DOMID, r.domid ?? DOMID_SELF, true);
      for (let o = XMR_DOMID + 2; o < XMR_SIZE; o++) v.setUint8(o, 0);
    }
  }

  /** XENMEM_current_reservation / maximum_reservation / maximum_gpfn (`cmd` may carry stray bits). */
  domainQuery(cmd: number, domid = DOMID_SELF): number {
    this.args.setUint16(XMD_DOMID, domid, true);
    return this.stub.call(__HYPERVISOR_memory_op, [cmd, this.argsGpa]).result;
  }

  /** memory_op with a raw command word and argument (for sub-ops without a struct here). */
  memoryOp(cmd: number | bigint, arg: number = this.argsGpa): HypercallOutcome {
    return this.stub.call(__HYPERVISOR_memory_op, [cmd, arg]);
  }

  /** Xen 4.5 HVMOP_modified_memory on `domid` (`op` may carry progress bits). */
  hvmModifiedMemory(domid: number, firstPfn: number, nr: number, op: number | bigint = HVMOP_modified_memory): HypercallOutcome {
    this.writeModifiedMemory(domid, firstPfn, nr);
    return this.stub.call(__HYPERVISOR_hvm_op, [op, this.argsGpa]);
  }

  /** Write struct xen_hvm_modified_memory to the struct area, without a call. */
  writeModifiedMemory(domid: number, firstPfn: number, nr: number): void {
    const v = this.args;
    v.setUint16(HMM_DOMID, domid, true); v.setUint16(HMM_DOMID + 2, 0, true);
    v.setUint32(HMM_NR, nr, true); v.setBigUint64(HMM_FIRST_PFN, BigInt(firstPfn), true);
  }

  /** Xen 4.5 HVMOP_set_mem_type (HVMMEM_*) on `domid`. */
  hvmSetMemType(domid: number, type: number, firstPfn: number, nr: number, op: number | bigint = HVMOP_set_mem_type): HypercallOutcome {
    this.writeSetMemType(domid, type, firstPfn, nr);
    return this.stub.call(__HYPERVISOR_hvm_op, [op, this.argsGpa]);
  }

  /** Write struct xen_hvm_set_mem_type to the struct area, without a call. */
  writeSetMemType(domid: number, type: number, firstPfn: number, nr: number): void {
    const v = this.args;
    v.setUint16(HSMT_DOMID, domid, true); v.setUint16(HSMT_HVMMEM_TYPE, type, true);
    v.setUint32(HSMT_NR, nr, true); v.setBigUint64(HSMT_FIRST_PFN, BigInt(firstPfn), true);
  }

  /** HVMOP_get_mem_type: the HVMMEM_* type of `pfn`, or -errno. */
  hvmGetMemType(domid: number, pfn: number): number {
    const v = this.args;
    v.setUint16(HGMT_DOMID, domid, true);
    v.setBigUint64(HGMT_PFN, BigInt(pfn), true);
    const rc = this.stub.call(__HYPERVISOR_hvm_op, [HVMOP_get_mem_type, this.argsGpa]).result;
    return rc < 0 ? rc : v.getUint16(HGMT_MEM_TYPE, true);
  }

  /** hvm_op with a raw op word (for the stray-bit table). */
  hvmOp(op: number | bigint, arg: number = this.argsGpa): HypercallOutcome {
    return this.stub.call(__HYPERVISOR_hvm_op, [op, arg]);
  }

  /**
   * XEN_DMOP_modified_memory on `domid` over `extents`, with the buffers laid
   * out in the caller's frame `buf` (guest view) at guest address `bufGpa`:
   * descriptors at 0, buffer 0 (header + body) at 64, the extent array at 128.
   * `opaque` is the body's opaque field on the first call (Xen requires 0).
   */
  dmModifiedMemory(domid: number, buf: DataView, bufGpa: number, extents: readonly DmExtent[], opaque = 0): HypercallOutcome & { nrExtents: number; opaque: number } {
    this.writeDmModifiedMemory(buf, bufGpa, extents, opaque);
    const out = this.stub.call(__HYPERVISOR_dm_op, [domid, 2, bufGpa]);
    const [nrExtents, left] = dmModifiedMemoryProgress(buf);
    return { ...out, nrExtents, opaque: left };
  }

  /** The two buffers of XEN_DMOP_modified_memory (see dmModifiedMemory), without a call: dm_op's arguments are then (domid, 2, bufGpa). */
  writeDmModifiedMemory(buf: DataView, bufGpa: number, extents: readonly DmExtent[], opaque = 0): void {
    const b0 = DM_BUF0_OFF, b1 = DM_BUF1_OFF;
    const desc = (i: number, off: number, size: number) => {
      if (this.width === 32) {
        buf.setUint32(i * DMOP_BUF32_BYTES + DMOP_BUF32_H, bufGpa + off, true);
        buf.setUint32(i * DMOP_BUF32_BYTES + DMOP_BUF32_SIZE, size, true);
      } else {
        buf.setBigUint64(i * DMOP_BUF_BYTES + DMOP_BUF_H, BigInt(bufGpa + off), true);
        buf.setBigUint64(i * DMOP_BUF_BYTES + DMOP_BUF_SIZE, BigInt(size), true);
      }
    };
    desc(0, b0, XDO_U + DMMM_SIZE);
    desc(1, b1, extents.length * DMMME_SIZE);
    buf.setUint32(b0 + XDO_OP, XEN_DMOP_modified_memory, true);
    buf.setUint32(b0 + XDO_PAD, 0, true);
    buf.setUint32(b0 + XDO_U + DMMM_NR_EXTENTS, extents.length, true);
    buf.setUint32(b0 + XDO_U + DMMM_OPAQUE, opaque, true);
    extents.forEach((e, i) => {
      buf.setUint32(b1 + i * DMMME_SIZE + DMMME_NR, e.nr, true);
      buf.setUint32(b1 + i * DMMME_SIZE + DMMME_PAD, e.pad ?? 0, true);
      buf.setBigUint64(b1 + i * DMMME_SIZE + DMMME_FIRST_PFN, BigInt(e.firstPfn), true);
    });
  }

  /** dm_op with raw arguments (for the error table). */
  dmOp(domid: number, nrBufs: number, bufsGpa: number): HypercallOutcome {
    return this.stub.call(__HYPERVISOR_dm_op, [domid, nrBufs, bufsGpa]);
  }
}
