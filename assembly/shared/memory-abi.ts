// __HYPERVISOR_memory_op (12): the reservation sub-ops, their command-word
// encoding and struct xen_memory_reservation (spec §2; Xen's
// xen/include/public/memory.h). The command word keeps the sub-op in its low
// bits and the continuation's start extent above them; MEMOP_EXTENT_SHIFT and
// MEMOP_CMD_MASK are frozen ABI (Xen commit 4ef6b5f1: a guest suspended in a
// continuation resumes on a hypervisor that must decode it the same way).

export const XENMEM_increase_reservation = 0;
export const XENMEM_decrease_reservation = 1;
export const XENMEM_maximum_ram_page = 2;
export const XENMEM_current_reservation = 3;
export const XENMEM_maximum_reservation = 4;
export const XENMEM_populate_physmap = 6;
export const XENMEM_exchange = 11;
export const XENMEM_maximum_gpfn = 14;

export const MEMOP_EXTENT_SHIFT = 6;
export const MEMOP_CMD_MASK = 0x3f;   // (1 << MEMOP_EXTENT_SHIFT) - 1
/** UINT_MAX >> MEMOP_EXTENT_SHIFT: the largest nr_extents whose progress fits the command word. */
export const MEMOP_MAX_EXTENTS = 0x03ffffff;

// struct xen_memory_reservation, x86-64 layout (32 bytes)
export const XMR_EXTENT_START = 0;    // XEN_GUEST_HANDLE(xen_pfn_t), u64 guest address (0 = NULL)
export const XMR_NR_EXTENTS = 8;      // xen_ulong_t
export const XMR_EXTENT_ORDER = 16;   // u32
export const XMR_MEM_FLAGS = 20;      // u32 XENMEMF_*
export const XMR_DOMID = 24;          // domid_t
export const XMR_SIZE = 32;
// the same struct for a compat (32-bit) caller (20 bytes)
export const XMR32_EXTENT_START = 0;  // u32 guest address
export const XMR32_NR_EXTENTS = 4;    // u32
export const XMR32_EXTENT_ORDER = 8;
export const XMR32_MEM_FLAGS = 12;
export const XMR32_DOMID = 16;
export const XMR32_SIZE = 20;
/** xen_pfn_t: an extent-list element. */
export const XEN_PFN_BYTES = 8;
export const XEN_PFN_BYTES_32 = 4;

// struct xen_memory_domain { domid_t domid; } (current/maximum_reservation, maximum_gpfn)
export const XMD_DOMID = 0;
export const XMD_SIZE = 2;

// mem_flags
export const XENMEMF_ADDRESS_BITS_MASK = 0xff;
export const XENMEMF_NODE_SHIFT = 8;            // XENMEMF_node(n) = (n + 1) << 8
export const XENMEMF_NODE_MASK = 0xff;
export const XENMEMF_populate_on_demand = 0x10000;
export const XENMEMF_exact_node_request = 0x20000;
export const XENMEMF_vnode = 0x40000;

/** x86 PAGETABLE_ORDER: the largest extent_order a domU may ask for (memop-max-order default). */
export const MEMOP_MAX_ORDER = 9;
/** Xen's MAX_NUMNODES on x86 (CONFIG_NR_NUMA_NODES default): a privileged caller's node must be below it. */
export const MAX_NUMNODES = 64;
