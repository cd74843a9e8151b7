// The memory map of one wasmxen hypervisor: the single definition, compiled by
// AssemblyScript (assembly/) and imported by TypeScript (src/). Constants only,
// written in the syntax both compilers accept; address arithmetic lives in the
// accessors of assembly/ and is exported to TypeScript from there (I1).
//
// One shared WebAssembly.Memory, initial == maximum, laid out by the TS shell:
//
//   0 ┌──────────────────────────────────────────────┐
//     │ global header (GLOBAL_BYTES)                 │ magic, canary scratch,
//     │   domain table: MAX_DOMAINS × DOMTAB_ENTRY   │ domid → region bases
//     ├──────────────────────────────────────────────┤ GLOBAL_BYTES
//     │ domain A guest frames  (frames × 4 KiB)      │ guest-visible, gfn 0..n-1
//     │   gfn 0 = shared_info (SHARED_INFO_GFN)      │
//     ├──────────────────────────────────────────────┤
//     │ domain A hypervisor-private region           │ header, FIFO array table,
//     │                                              │ vCPU records, channel table
//     ├──────────────────────────────────────────────┤
//     │ domain B guest frames …                      │
//     └──────────────────────────────────────────────┘
//
// Every region starts on a 4 KiB boundary. Shared state never stores an
// absolute address (I2): the guest names memory by gfn, the private region
// names ports, vCPU ids and gfns. Only the domain table, which is the
// hypervisor's translation of a domid into region bases, holds addresses; a
// domain restored elsewhere gets a new table entry and nothing else changes.

export const PAGE_SIZE = 4096;
export const PAGE_SHIFT = 12;
export const WASM_PAGE_SIZE = 65536;

// ---------------------------------------------------------------- global header
export const GLOBAL_MAGIC = 0x4e455857; // "WXEN" little-endian

export const G_MAGIC = 0;            // u32
export const G_VERSION = 4;          // u32 LAYOUT_VERSION of the module that laid the memory out (private-layout.ts, I54)
export const G_TOTAL_PAGES = 8;      // u32, wasm pages of the memory
export const G_CANARY = 64;          // 64 bytes of scratch for the wait canary
export const G_SCRATCH = 128;        // 128 bytes the TS shell may use for argument structs in tests
// stress build only (WASMXEN_STRESS=1): scheduling noise and bug injection
export const G_NOISE_RATE = 256;     // u32: a noise point delays with probability rate/65536
export const G_NOISE_SPINS = 260;    // u32: longest delay, in spin iterations
export const G_NOISE_YIELD = 264;    // u32: one delay in 2^n also sleeps briefly (0 = never)
export const G_INJECT = 268;         // u32: bitmask of re-injected bugs (src/stress)
export const G_NOISE_FUTEX = 272;    // i32: never notified; timed waits on it yield the thread
// Xen-internal consumers (spec §11): NR_XEN_CONSUMERS slots, each the id of a
// registered consumer (0 = empty); a channel stores slot + 1 in its flags.
export const G_XEN_CONSUMERS = 320;  // 7 × u32
export const NR_XEN_CONSUMERS = 7;
export const G_CONSUMER_NODRAIN = 348; // u32 bit s: the consumer in slot s opted out of the close drain
// Continuations (assembly/hypercall/preempt.ts): a preemptible hypercall of a
// 64-bit caller creates a continuation after this many items of one invocation
// (0 = PREEMPT_EVERY_DEFAULT); a 32-bit caller's after every item (I41).
export const G_PREEMPT_EVERY = 400;  // u32, written once by the shell before any vCPU runs
// The guest kernel's spin budget (assembly/sched/spin.ts, I51): the host's
// cores, and the vCPU threads running guest code now (registered, not asleep
// in guestVcpuBlock). Heuristics only: they steer spinning, never delivery.
export const G_HOST_CORES = 404;     // u32, 0 = unknown (always spin)
export const G_VCPUS_RUNNING = 408;  // i32

export const MAX_DOMAINS = 256;      // domids 0..255 are supported
export const DOMTAB = 1024;          // the domain table
export const DOMTAB_ENTRY = 16;      // bytes per entry
export const DT_GUEST_BASE = 0;      // u32 byte address of gfn 0; 0 = no such domain
export const DT_GUEST_FRAMES = 4;    // u32 number of guest frames
export const DT_PRIV_BASE = 8;       // u32 byte address of the private region
export const DT_PRIV_BYTES = 12;     // u32 size of the private region

// Domain references (Xen's get_domain / rcu_lock_domain_by_id), one u32 per
// domid, after the table: in the global header, so a count outlives the
// regions of the domain it pins. A domain's regions are reused only once its
// entry is unpublished and its count has drained to 0 (I27).
export const G_DOMREFS = 5120;       // MAX_DOMAINS × u32

export const GLOBAL_BYTES = 8192;    // DOMTAB + 256 × 16 = 5120, + 256 × 4 refs = 6144, rounded to pages

// ------------------------------------------------------------ guest frames (ABI)
// shared_info lives at a fixed gfn; the guest owns every other frame.
export const SHARED_INFO_GFN = 0;
export const XEN_LEGACY_MAX_VCPUS = 32;
export const VCPU_INFO_SIZE = 64;    // x86, both widths (spec §2.1)
export const VI_UPCALL_PENDING = 0;  // u8, set by Xen, cleared by the guest
export const VI_UPCALL_MASK = 1;     // u8
export const VI_PENDING_SEL_64 = 8;  // x86-64 selector (u64)
export const VI_PENDING_SEL_32 = 4;  // x86-32 selector (u32)
// 2-level bitmaps inside shared_info (spec §2.2)
export const SI_EVTCHN_PENDING = 0x800;
export const SI_EVTCHN_MASK_64 = 0xa00;
export const SI_EVTCHN_MASK_32 = 0x880;

// ---------------------------------------------------- domain private region
// Where each word of the private region lives (D_*, V_*, Q_*, C_* and the
// record sizes) depends on the build's layout version and is defined in
// assembly/shared/private-layout.ts, which only AssemblyScript compiles; the
// TypeScript shell reads those offsets from the loaded module (I54). What
// follows here is the same in every layout version: the values stored in the
// private words, and counts.
export const LINK_TRIES_BUCKETS = 8; // D_STAT_LINK_TRIES histogram buckets

export const DF_DYING = 1;
export const DF_PAUSED = 2;
export const DF_CONTROL = 4;         // the control (and hardware) domain: may act on others, handles global VIRQs
export const DF_LOG_DIRTY = 0x100;   // log-dirty mode: modified_memory marks frames in the dirty bitmap
export const DF_DEAD = 8;            // evtchn_destroy completed (Xen's DOMDYING_dead): only the release is left

export const ABI_2L = 0;
export const ABI_FIFO = 1;

export const EVTCHN_FIFO_MAX_ARRAY_PAGES = 128; // D_FIFO_ARRAY slots

export const CB_NONE = 0;
export const CB_READY = 1;

export const CF_FIFO_PENDING = 1;    // sticky "raised without an array page" (spec §9.3), never cleared
export const CF_REPLAY_CLAIM = 0x10; // a raise without an array page not yet re-raised: taken by exactly one of
                                     // expand_array's replay and the raiser itself (I24)
export const CF_CONSUMER_SHIFT = 1;  // 3-bit xen_consumer index
export const CF_CONSUMER_MASK = 0xe;

export const LASTQ_VCPU_SHIFT = 8;
export const LASTQ_PRIO_MASK = 0xff;

export const EVTCHNS_PER_BUCKET = 64;

// After the channel table: the p2m table, one byte per guest frame, rounded
// up to 4 bytes; then the log-dirty bitmap, one bit per guest frame in u32
// words (offsets in D_P2M_TABLE / D_DIRTY_BITMAP, set at creation; sizes in
// src/wasm/memory-map.ts, the only other place that adds them up).
// p2m entry types (wasmxen's encoding of Xen's p2m_type_t subset):
export const P2M_INVALID = 0;        // a hole: not populated (no RAM behind the gfn)
export const P2M_RAM_RW = 1;         // populated RAM
export const P2M_RAM_RO = 2;         // populated RAM the device model made read-only (HVMMEM_ram_ro)
export const P2M_MMIO_DM = 3;        // emulated by the device model (HVMMEM_mmio_dm), no RAM
export const P2M_XEN = 4;            // a Xen page mapped into the guest (shared_info): readable, not RAM

// ------------------------------------------------ guest-private driver state
// Kept in one guest frame chosen by the guest (not ABI; our Linux-like driver's
// own memory, spec §10): the array pages it registered and, per vCPU, its
// private queue cursors.
// ┌ nr_pages ┬ pad ┬ page gfns[128] ┬ … ┬ per vCPU (GS_VCPU_BYTES each) at GS_VCPUS ┐
export const GS_NR_PAGES = 0;        // u32, stored after the gfn it covers
export const GS_LOCK = 4;            // i32 the guest driver's own lock (array growth)
export const GS_PAGES = 8;           // 128 × u32 gfn
export const GS_VCPUS = 1024;
export const GS_VCPU_BYTES = 96;

// 2-level guest-private state (our Linux-like driver, spec §10.5): one
// GS2_VCPU_BYTES block per vCPU in consecutive guest frames.
// ┌ cursor word ┬ cursor bit ┬ taken selector lo ┬ hi ┬ … ┬ cpu mask (4096 bits) ┐
export const GS2_VCPU_BYTES = 1024;
export const GS2_CURSOR_WORD = 0;    // u32 selector bit (word index) the scan resumes at
export const GS2_CURSOR_BIT = 4;     // u32 bit within that word
export const GS2_SEL_LO = 8;         // u32 selector bits taken from vcpu_info, not yet scanned
export const GS2_SEL_HI = 12;        // u32 (x86-64 only)
export const GS2_CPU_MASK = 512;     // 512 bytes: bit p = port p is routed to this vCPU
export const GSV_CB_GFN = 0;         // u32
export const GSV_CB_OFFSET = 4;      // u32
export const GSV_READY = 8;          // u32 ready bits taken but not yet drained
export const GSV_HEADS = 16;         // 16 × u32 private head cursors (0 = at end)
