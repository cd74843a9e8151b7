// The hypervisor-private memory map of one domain: the per-domain header, the
// per-vCPU records, the FIFO queue records and the channel records. The single
// definition, compiled by AssemblyScript only: every build chooses one layout
// version at compile time (asconfig.json `use` WASMXEN_LAYOUT=1 or 2), and the
// module exports the chosen offsets as immutable globals (the table of
// assembly/index.ts) that the TypeScript shell reads once per machine
// (src/wasm/private-layout.ts, I54). TypeScript never imports this file.
//
// Nothing here is guest-visible and nothing here is in a saved image (I55):
// shared_info, vcpu_info, the FIFO control block and event words, and the
// guest-private driver state keep one layout (assembly/shared/layout.ts and
// the *-abi.ts files) in every build. The encodings stored in these words
// (DF_*, CF_*, CB_*, ABI_*, LASTQ_*, P2M_*) are the same in every version too;
// a version changes where a word lives and how large a record is.
//
// Version 1: the original map.
// Version 2: a "newer hypervisor" that spreads the hot shared words over cache
// lines — the per-domain header grows to 512 bytes with the raise path's lock
// alone on the first line, the per-vCPU record grows to 384 bytes with the
// wake-up futex words on a line of their own, each channel record takes a
// whole 64-byte line, and a queue record stores its lock before its tail.
//
// Every value is a compile-time constant (folded by asc: no start function,
// no data section; the wasm gate of scripts/check-wasm.mjs checks both).

import { EVTCHN_FIFO_MAX_ARRAY_PAGES, XEN_LEGACY_MAX_VCPUS } from "./layout";

// @ts-ignore: WASMXEN_LAYOUT is defined per asconfig target (--use)
const L2 = WASMXEN_LAYOUT == 2;

/** The layout version this build writes to G_VERSION and records in SAVE_INFO. */
export const LAYOUT_VERSION = L2 ? 2 : 1;

// ---------------------------------------------------- domain private region
// ┌ header (DOM_HEADER_BYTES) ┬ FIFO array gfns (128 × u32) ┬ vCPU records ┬ channels ┐
export const DOM_HEADER_BYTES = L2 ? 512 : 256;
export const D_DOMID = L2 ? 64 : 0;              // u32
export const D_NR_VCPUS = L2 ? 68 : 4;           // u32, 1..XEN_LEGACY_MAX_VCPUS
export const D_MAX_EVTCHN_PORT = L2 ? 72 : 8;    // u32, highest port the domain may use
export const D_ABI = L2 ? 76 : 12;               // u32 ABI_2L / ABI_FIFO; stored after FIFO state is built (I9)
export const D_VALID_EVTCHNS = L2 ? 80 : 16;     // u32, multiple of 64, only grows (XSA-338/340) — except in evtchn_destroy
                                                      // of a dying domain, which keeps its progress here as Xen does (I29)
export const D_FIFO_NUM_EVTCHNS = L2 ? 84 : 36;  // u32, = pages × 1024, stored after the page gfn (I8)
export const D_GUEST_WIDTH = L2 ? 88 : 40;       // u32 64 or 32: the 2-level word width
export const D_CHANNEL_CAPACITY = L2 ? 92 : 48;  // u32 ports with storage reserved (multiple of 64)
export const D_FLAGS = L2 ? 128 : 44;            // u32 DF_* bits
export const D_PARKED = L2 ? 132 : 56;           // u32 bit v: vCPU v is parked for a pause (I28); D_FLAGS is the futex parked vCPUs sleep on
export const D_POLL_MASK = L2 ? 136 : 52;        // u32 bit v: vCPU v is blocked in SCHEDOP_poll (spec §6.6)
export const D_EVENT_LOCK = L2 ? 140 : 32;       // i32 rwlock word
export const D_ACTIVE_EVTCHNS = L2 ? 144 : 20;   // u32
export const D_XEN_EVTCHNS = L2 ? 148 : 24;      // u32
export const D_NEXT_EVTCHN = L2 ? 152 : 28;      // u32, reset progress (0 = none)
// guest physical memory (assembly/mm/p2m.ts): Xen's d->tot_pages and d->max_pages,
// and where the populated and log-dirty bitmaps sit in this region
export const D_TOT_PAGES = L2 ? 192 : 160;       // u32 pages allocated to the domain (atomic; gfn 0 is Xen's, not counted)
export const D_MAX_PAGES = L2 ? 196 : 164;       // u32 the reservation limit
export const D_P2M_TABLE = L2 ? 200 : 168;       // u32 region offset of the p2m table (one P2M_* byte per gfn)
export const D_DIRTY_BITMAP = L2 ? 204 : 172;    // u32 region offset of the log-dirty bitmap (bit g = gfn g modified)
export const D_P2M_REMOVALS = L2 ? 208 : 176;    // u32 generation: +1 per frame removed from the p2m; the device model
                                                      // invalidates its mapcache when it changed (Xen's invalidate ioreq, I44)
export const D_ABI_LOCK = L2 ? 0 : 192;          // i32 rwlock word: raises (read) vs the ABI switch (write) (I19);
                                                      // a cache line of its own: every raise writes it
// statistics, hypervisor-private counters (u32, atomic add). The release build
// (WASMXEN_STATS=0) skips the two per-raise ones — raises, and setLink calls
// that needed at most one cmpxchg — which cost every sender a locked write on
// this shared line; rare events (retries, give-ups, drops, upcalls, kicks) are
// always counted.
export const D_STAT_LINK_TRIES = L2 ? 256 : 64;       // u32 × LINK_TRIES_BUCKETS: histogram of setLink cmpxchg attempts (index = attempts, 7 = more)
export const D_STAT_LINK_GAVE_UP = L2 ? 288 : 96;     // u32: setLink bound reached, event lost (spec §9.6)
export const D_STAT_LOCK_GAVE_UP = L2 ? 292 : 100;    // u32: queue-lock loop gave up after 3 tries (spec §9.5)
export const D_STAT_NO_CONTROL_BLOCK = L2 ? 296 : 104;// u32: raise dropped, vCPU has no control block
export const D_STAT_UPCALLS = L2 ? 300 : 108;         // u32: markEventsPending that set the flag 0→1
export const D_STAT_KICKS = L2 ? 304 : 112;           // u32: wake-ups sent to a blocked vCPU
export const D_STAT_RELINK_SKIPPED = L2 ? 308 : 120;  // u32: EVTCHNOP_unmask saw PENDING, the guest took it before the relink (I26)
export const D_STAT_RAISES = L2 ? 320 : 116;          // u32: FIFO raises that reached the word (version 2: a line of its own)

export const D_FIFO_ARRAY = DOM_HEADER_BYTES;    // EVTCHN_FIFO_MAX_ARRAY_PAGES × u32 gfn
export const D_VCPUS = D_FIFO_ARRAY + 4 * EVTCHN_FIFO_MAX_ARRAY_PAGES; // version 1: 768, version 2: 1024

// vCPU record
// version 1: ┌ cb state/gfn/offset ┬ kick, blocked, poll, virq lock, notified ┬ 16 queues ┬ virq_to_evtchn[24] ┐
// version 2: ┌ kick, blocked, notified, poll │ cb state/gfn/offset, virq lock │ 16 queues │ virq_to_evtchn[24] ┐
export const VCPU_BYTES = L2 ? 384 : 256;
export const V_KICK = L2 ? 0 : 12;               // i32 futex word: bumped on every wake-up
export const V_BLOCKED = L2 ? 4 : 16;            // i32 1 while the vCPU is (about to be) asleep
export const V_NOTIFIED = L2 ? 8 : 28;           // i32 the kick value of the last kick that notified a blocked vCPU (I3's lost wake-up check)
export const V_POLL = L2 ? 12 : 20;              // i32 reserved for SCHEDOP_poll
export const V_CB_STATE = L2 ? 64 : 0;           // u32 CB_NONE / CB_READY; stored after gfn and offset (I7)
export const V_CB_GFN = L2 ? 68 : 4;             // u32
export const V_CB_OFFSET = L2 ? 72 : 8;          // u32
export const V_VIRQ_LOCK = L2 ? 76 : 24;         // i32 rwlock word: virq_to_evtchn[] (spec §12)
export const V_QUEUES = L2 ? 128 : 32;           // EVTCHN_FIFO_MAX_QUEUES (16) × QUEUE_BYTES
export const QUEUE_BYTES = 8;
export const Q_TAIL = L2 ? 4 : 0;                // u32 port, 0 = empty/unknown; written under Q_LOCK only
export const Q_LOCK = L2 ? 0 : 4;                // i32 lock word
export const V_VIRQ_TO_EVTCHN = L2 ? 256 : 160;  // NR_VIRQS (24) × u32

// channel table: right after the largest possible set of vCPU records, so its
// offset is the same for every domain
export const D_CHANNELS = D_VCPUS + XEN_LEGACY_MAX_VCPUS * VCPU_BYTES; // version 1: 8960, version 2: 13312

// channel record, one per port with storage
// version 1: ┌ lock ┬ state ┬ notify ┬ priority ┬ lastq ┬ remote dom ┬ remote port/virq ┬ flags ┬ inflight ┐ (48 bytes)
// version 2: ┌ state ┬ lock ┬ flags ┬ notify ┬ priority ┬ lastq ┬ remote dom ┬ remote port/virq ┬ inflight ┐ (64 bytes)
export const CHANNEL_BYTES = L2 ? 64 : 48;
export const C_LOCK = L2 ? 4 : 0;                // i32 rwlock word
export const C_STATE = L2 ? 0 : 4;               // u32 ECS_*
export const C_FLAGS = L2 ? 8 : 28;              // u32 CF_* bits
export const C_NOTIFY_VCPU = L2 ? 12 : 8;        // u32
export const C_PRIORITY = L2 ? 16 : 12;          // u32 0..15
export const C_FIFO_LASTQ = L2 ? 20 : 16;        // u32 prio | vcpu << 8, read and written as one unit
export const C_REMOTE_DOM = L2 ? 24 : 20;        // u32
export const C_REMOTE_PORT = L2 ? 28 : 24;       // u32 (interdomain peer port, or VIRQ number)
export const C_INFLIGHT = 32;                    // (both layouts) i32 Xen-consumer callbacks in flight on this (Xen-owned) channel; bit 31: a closer waits (I23)
