// The device model's interfaces to a guest's memory (spec §3, §4): Xen 4.5's
// HVMOP_modified_memory / HVMOP_set_mem_type (hypercall 34) and the DMOP form
// of modified-memory (hypercall 41), with their structs. HVMOP_op_mask and the
// placement of progress are frozen ABI (Xen commit 4ef6b5f1).

// ------------------------------------------------------------- hvm_op (4.5)
export const HVMOP_set_param = 0;
export const HVMOP_get_param = 1;
export const HVMOP_set_pci_intx_level = 2;
export const HVMOP_set_isa_irq_level = 3;
export const HVMOP_set_pci_link_route = 4;
export const HVMOP_flush_tlbs = 5;
export const HVMOP_track_dirty_vram = 6;
export const HVMOP_modified_memory = 7;
export const HVMOP_set_mem_type = 8;
export const HVMOP_pagetable_dying = 9;
export const HVMOP_get_time = 10;
export const HVMOP_xentrace = 11;
export const HVMOP_set_mem_access = 12;
export const HVMOP_get_mem_access = 13;
export const HVMOP_inject_trap = 14;
export const HVMOP_get_mem_type = 15;
/** Sub-op bits of the two continuable ops; progress is op & ~HVMOP_op_mask, unshifted (a multiple of 256). */
export const HVMOP_op_mask = 0xff;

// struct xen_hvm_modified_memory (16 bytes, same for compat callers)
export const HMM_DOMID = 0;           // domid_t
export const HMM_NR = 4;              // u32 pages
export const HMM_FIRST_PFN = 8;       // u64
export const HMM_SIZE = 16;
// struct xen_hvm_set_mem_type (16 bytes)
export const HSMT_DOMID = 0;          // domid_t
export const HSMT_HVMMEM_TYPE = 2;    // u16
export const HSMT_NR = 4;             // u32
export const HSMT_FIRST_PFN = 8;      // u64
export const HSMT_SIZE = 16;
export const HVMMEM_ram_rw = 0;
export const HVMMEM_ram_ro = 1;
export const HVMMEM_mmio_dm = 2;
export const HVMMEM_NR_TYPES = 3;

// ------------------------------------------------------------------ dm_op
// dm_op(domid_t domid, unsigned int nr_bufs, xen_dm_op_buf_t bufs[])
export const XEN_DMOP_modified_memory = 11;
export const XEN_DMOP_set_mem_type = 12;
export const XEN_DMOP_nr_vcpus = 20;
/** Size of Xen's DMOP table: an op at or above it is -EOPNOTSUPP. */
export const XEN_DMOP_NR_OPS = 21;
export const XEN_DMOP_MAX_BUFS = 2;
// xen_dm_op_buf_t, x86-64 (16 bytes) and compat (8 bytes)
export const DMOP_BUF_H = 0;          // u64 guest address
export const DMOP_BUF_SIZE = 8;       // xen_ulong_t
export const DMOP_BUF_BYTES = 16;
export const DMOP_BUF32_H = 0;
export const DMOP_BUF32_SIZE = 4;
export const DMOP_BUF32_BYTES = 8;
// struct xen_dm_op header in buf 0
export const XDO_OP = 0;              // u32
export const XDO_PAD = 4;             // u32, must be 0
export const XDO_U = 8;               // the op's body
export const XDO_HEADER_BYTES = 8;
// struct xen_dm_op_modified_memory, at XDO_U
export const DMMM_NR_EXTENTS = 0;     // u32 IN: extents in buf 1; OUT on continuation: extents left
export const DMMM_OPAQUE = 4;         // u32 IN: 0 on the first call; OUT: pages done in the current extent
export const DMMM_SIZE = 8;
// struct xen_dm_op_modified_memory_extent (array in buf 1)
export const DMMME_NR = 0;            // u32 pages
export const DMMME_PAD = 4;           // u32, must be 0
export const DMMME_FIRST_PFN = 8;     // u64
export const DMMME_SIZE = 16;
/** Pages one DMOP/HVMOP batch handles before its preemption check (Xen's 256). */
export const DM_BATCH_PAGES = 256;
// struct xen_hvm_get_mem_type (16 bytes)
export const HGMT_DOMID = 0;          // domid_t IN
export const HGMT_MEM_TYPE = 2;       // u16 OUT HVMMEM_*
export const HGMT_PFN = 8;            // u64 IN
export const HGMT_SIZE = 16;
