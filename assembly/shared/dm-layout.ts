// The device model's memory map and the emulated storage controller's ABI:
// the single definition, compiled by AssemblyScript (assembly/dm/) and
// imported by TypeScript (src/dm/). Constants only (docs/decisions/0002).
//
// The device-model region lives in the device-model domain's own guest
// frames (as QEMU's mapcache lives in dom0's process memory), starting at a
// page-aligned gfn chosen by the shell (src/dm/plan.ts). Everything inside is
// reached by region-relative offsets; shared state holds entry/rev indices,
// bucket indices, gfns and offsets, never an address (I2).
//
//  region  0 ┌──────────────────────────────────────────┐
//            │ header (DM_*): magic, mapcache lock,     │
//            │ config, free lists, fatal + check words  │
//        256 │ statistics (MCS_*, DMAS_*), u32 counters │
//        512 │ DM workers: 32 × {idle, IPI port, count} │
//       1024 │ started commands: 32 × {op, gpa, len,    │
//            │   lba, DM address} (DM-private)          │
//       4096 ├──────────────────────────────────────────┤ MC_ENTRIES_OFF
//            │ mapcache entries: 512 × 160 B            │ index 0 unused (DM address 0 is
//            │   1..nrBuckets = bucket heads            │ never valid); heads are never
//            │   the rest = overflow pool (free list)   │ freed, as QEMU's entry[] array
//      86016 ├──────────────────────────────────────────┤ MC_REVS_OFF
//            │ reverse entries: 256 × 32 B              │ one per locked request
//      94208 ├──────────────────────────────────────────┤ MC_FIXED_BYTES
//            │ grant bitmap: 1 bit per guest frame      │ DM_GRANT_OFF (header), 4 KiB-rounded
//            ├──────────────────────────────────────────┤
//            │ disk image: sectors × 512 B              │ DMA_DISK_OFF (header)
//            └──────────────────────────────────────────┘
//
// A device-model address ("DM address", QEMU's vaddr) is an offset in the
// device model's own address space, not a pointer:
//   entry index << MC_WINDOW_SHIFT | offset in the entry's mapping
// Each entry owns a fixed 4 MiB window; the offset is measured from the
// start of the entry's first bucket (paddr_index << MC_BUCKET_SHIFT), as
// QEMU's vaddr_base + address_offset. Entry indices stay below 512, so a DM
// address is below 2^31 and travels as a positive i32 (negative = -errno).

export const DM_REGION_MAGIC = 0x4d44584d; // "MXDM" little-endian
export const DM_REGION_VERSION = 1;

// ---------------------------------------------------------------- mapcache geometry
export const MC_BUCKET_SHIFT = 20;       // 1 MiB buckets (QEMU x86-64 MCACHE_BUCKET_SHIFT)
export const MC_BUCKET_SIZE = 1048576;
export const MC_PAGE_SHIFT = 12;
export const MC_PAGES_PER_BUCKET = 256;
export const MC_WINDOW_SHIFT = 22;       // 4 MiB of DM address space per entry
export const MC_WINDOW_BYTES = 4194304;  // largest mapping: bucket offset + size ≤ 4 MiB
export const MC_WINDOW_PAGES = 1024;     // bits in an entry's validity bitmap
export const MC_MAX_ENTRIES = 512;       // entry slots including the unused index 0
export const MC_MAX_REVS = 256;          // reverse entries: locked requests at once
export const MC_DEFAULT_MAX_CHAIN = 64;  // longest bucket chain (the bucket cap)

// mapcache entry (QEMU MapCacheEntry), MC_ENTRY_BYTES each
// ┌ paddr_index ┬ size ┬ lock ┬ next ┬ flags ┬ remaps ┬ pad ┬ valid bitmap (1024 bits) ┐
export const MC_ENTRIES_OFF = 4096;
export const MC_ENTRY_BYTES = 160;
export const ME_PADDR_INDEX = 0;         // u32 bucket index of the mapping's first bucket
export const ME_SIZE = 4;                // u32 bytes mapped (multiple of 1 MiB); 0 = unmapped (vaddr_base NULL)
export const ME_LOCK = 8;                // u32 locked requests using this entry
export const ME_NEXT = 12;               // u32 next entry in the bucket chain, 0 = end
export const ME_FLAGS = 16;              // u32 MEF_*
export const ME_REMAPS = 20;             // u32 times this entry was (re)mapped (diagnostics)
export const ME_VALID = 32;              // 1024 bits: page p of the mapping is the guest's RAM
export const MEF_HEAD = 1;               // a bucket head (never freed)
export const MEF_IN_USE = 2;             // an overflow entry linked into a chain

// reverse entry (QEMU MapCacheRev), MC_REV_BYTES each
export const MC_REVS_OFF = 86016;        // MC_ENTRIES_OFF + MC_MAX_ENTRIES * MC_ENTRY_BYTES
export const MC_REV_BYTES = 32;
export const MR_VADDR = 0;               // u32 DM address handed out (vaddr_req)
export const MR_PADDR_INDEX = 4;         // u32 key of the locked entry: bucket index …
export const MR_SIZE = 8;                // u32 … and size (the lookup key, as in QEMU)
export const MR_NEXT = 12;               // u32 next rev in the locked list / free list, 0 = end
export const MR_ENTRY = 16;              // u32 entry the request was given (debug checks only, never used to resolve)
export const MR_GPA = 20;                // u32 guest-physical address requested (debug checks only)
export const MC_FIXED_BYTES = 94208;     // MC_REVS_OFF + MC_MAX_REVS * MC_REV_BYTES, page-aligned

// ---------------------------------------------------------------- region header
export const DM_MAGIC = 0;               // u32 DM_REGION_MAGIC once initialised
export const DM_VERSION = 4;             // u32
export const DM_LOCK = 8;                // i32 mapcache mutex (sync/lock.ts), QEMU's mapcache_lock
export const DM_GUEST_DOM = 12;          // u32 domain whose memory the device model maps
export const DM_NR_BUCKETS = 16;         // u32 hash buckets: address_index % nr_buckets
export const DM_NR_ENTRIES = 20;         // u32 entry slots in use (≤ MC_MAX_ENTRIES), index 0 unused
export const DM_NR_REVS = 24;            // u32 reverse-entry slots (≤ MC_MAX_REVS)
export const DM_MAX_CHAIN = 28;          // u32 longest chain a bucket may grow to
export const DM_ENTRY_FREE = 32;         // u32 free overflow entries (list through ME_NEXT)
export const DM_REV_FREE = 36;           // u32 free reverse entries (list through MR_NEXT); slot 0 unused
export const DM_REV_LOCKED = 40;         // u32 locked list head (QEMU locked_entries), newest first
export const DM_FLAGS = 44;              // u32 DMF_*
export const DM_GRANT_OFF = 48;          // u32 region offset of the grant bitmap
export const DM_GRANT_FRAMES = 52;       // u32 guest frames covered by the bitmap
export const DM_FATAL = 56;              // u32 first fatal error (DM_FATAL_*), 0 = the device model runs
export const DM_FATAL_INFO = 60;         // 6 × u32 details of the fatal error (see DmaFatal in src/dm)
export const DM_CHECK_FAIL = 84;         // u32 first invariant violation (MC_CHK_*), 0 = none seen
export const DM_CHECK_INFO = 88;         // u32 entry or rev index of that violation
export const DM_LAST_ENTRY = 92;         // u32 last entry returned (QEMU last_entry; diagnostics)
// DMA engine configuration and DM-private state
export const DMA_RING_GFN = 96;          // u32 guest frame of the controller's command page
export const DMA_DISK_OFF = 100;         // u32 region offset of the disk image
export const DMA_DISK_SECTORS = 104;     // u32
export const DMA_SQ_CONS = 108;          // u32 DM-private submission consumer index (never the guest's copy)
export const DMA_INFLIGHT = 112;         // u32 bitmap of tags a worker is executing
export const DMA_PORT = 116;             // u32 the device model's end of the doorbell channel
export const DMA_NR_WORKERS = 120;       // u32 device-model worker threads
export const DMA_READY = 124;            // u32 1 once the doorbell is bound (workers serve)
export const DM_P2M_SEEN = 128;          // u32 the guest's p2m removal generation the mapcache was last invalidated for (I44)
export const DMA_QUIESCED = 132;         // u32 1: claim nothing more from the guest's ring (a save quiesces, I52)
export const DMA_CLAIMING = 136;         // u32 workers inside dmaClaim now (the quiescer's half of the Dekker pair, I52)
export const DM_HEADER_BYTES = 256;

export const DMF_CHECKS = 1;             // run the invariant check after every mapcache operation
export const DMF_GUEST_REF = 2;          // the region holds a reference on its guest domain (taken by mcInit)
export const DMF_GUEST_GONE = 4;         // the guest is dying: no new mapping or command; dropped by mcRelease

// ---------------------------------------------------------------- statistics (u32, atomic add; benign race)
export const MCS_HITS = 256;             // requests served by a mapped entry, no remap
export const MCS_MISSES = 260;           // requests that installed a mapping (new or remapped entry)
export const MCS_REMAPS = 264;           // … of which evicted another mapping (entry was mapped)
export const MCS_LOCKED_MAPS = 268;      // successful locked requests
export const MCS_UNLOCKED_MAPS = 272;    // successful unlocked requests
export const MCS_FAULTS = 276;           // requests refused: a page is not the guest's RAM (EFAULT)
export const MCS_NO_ENTRY = 280;         // requests refused: chain at its cap or pool empty
export const MCS_INVALIDATES = 284;      // invalidate-entry calls that found their request
export const MCS_FREED = 288;            // overflow entries unlinked and returned to the pool
export const MCS_INVALIDATE_ALL = 292;   // invalidate-all calls
export const MCS_TRANSLATES = 296;       // reverse translations
export const MCS_ENTRIES_LINKED = 300;   // overflow entries linked now (gauge)
export const MCS_LOCKED_NOW = 304;       // locked requests outstanding (gauge)
export const MCS_LONGEST_CHAIN = 308;    // longest chain seen
export const MCS_CHECKS = 312;           // invariant checks run
export const MCS_PEAK_LOCKED = 316;      // most locked requests outstanding at once
// DMA engine counters
export const DMAS_COMMANDS = 320;        // commands completed (any status)
export const DMAS_READS = 324;           // successful reads (disk → guest)
export const DMAS_WRITES = 328;          // successful writes (guest → disk)
export const DMAS_SECTORS = 332;         // sectors moved by successful commands
export const DMAS_ERRORS = 336;          // commands completed with an error status
export const DMAS_BAD_TAGS = 340;        // submissions naming a tag > 31 or one in flight (dropped)
export const DMAS_RING_OVERRUNS = 344;   // guest producer index ran more than 32 ahead
export const DMAS_STATUS = 352;          // 8 × u32: completions by status code

// ---------------------------------------------------------------- DM workers
export const DM_WORKERS_OFF = 512;
export const DM_WORKER_BYTES = 16;
export const DM_MAX_WORKERS = 32;
export const DW_IDLE = 0;                // i32 1 while the worker is (about to be) asleep
export const DW_IPI_PORT = 4;            // u32 IPI port bound to the worker's vCPU (wake-ups)
export const DW_COMMANDS = 8;            // u32 commands this worker executed

// per-tag state of a started command (DM-private: the descriptor as read once, and its mapping)
export const DM_SLOTS_OFF = 1024;        // DM_WORKERS_OFF + DM_MAX_WORKERS * DM_WORKER_BYTES
export const DM_SLOT_BYTES = 32;
export const SL_OP = 0;                  // u32 DMA_OP_*
export const SL_GPA = 4;                 // u32
export const SL_LEN = 8;                 // u32
export const SL_LBA = 12;                // u32
export const SL_VADDR = 16;              // u32 DM address of its locked mapping

// ---------------------------------------------------------------- fatal errors (the device model exits)
export const DM_FATAL_BAD_RAM_OFFSET = 1; // reverse translation gave another guest address (QEMU: "Bad RAM offset", abort)
export const DM_FATAL_LIVE_UNMAPPED = 2;  // a locked request's window was unlocked or remapped under it
export const DM_FATAL_LOCK_UNDERFLOW = 3; // invalidate found its entry with lock count 0
export const DM_FATAL_NOT_IN_CACHE = 4;   // invalidate/translate found no entry for a locked request
export const DM_FATAL_CONFIG = 5;         // the command page is not guest RAM

// ---------------------------------------------------------------- invariant violations (mcCheck)
export const MC_CHK_DUPLICATE_LOCKED = 1; // two locked entries with the same index and size
export const MC_CHK_REV_RESOLVES_ELSEWHERE = 2; // a rev's key finds another entry than the one it was given
export const MC_CHK_LOCK_COUNT = 3;       // an entry's lock count ≠ reverse entries resolving to it
export const MC_CHK_CHAIN = 4;            // a chain is cyclic, too long, or holds a free / foreign entry
export const MC_CHK_WRONG_BUCKET = 5;     // an entry sits in the chain of another bucket
export const MC_CHK_LOCKED_UNMAPPED = 6;  // a locked entry has no mapping
export const MC_CHK_FREE_LIST = 7;        // the entry or rev free list is corrupt or loses slots
export const MC_CHK_REV_LIST = 8;         // the locked list is cyclic or longer than its pool

// injected bugs (stress build only; G_INJECT bits, src/stress names them)
export const INJECT_MAPCACHE_FIRST_FREE = 256; // 0x100: pre-2017 chain search (reuse the first unlocked entry)

// ---------------------------------------------------------------- storage controller ABI (guest-visible)
// One guest frame, the "command page" (AHCI port registers + command list,
// reduced): the guest fills descriptor[tag], writes tag into the submission
// ring, bumps SQ_PROD and sends the doorbell event; a worker executes the
// command, writes status and its checksum into the descriptor, ORs bit tag
// into CQ_DONE (AHCI's Set Device Bits FIS) and sends the completion event.
// ┌ SQ_PROD ┬ CQ_DONE ┬ … ┬ SQ ring: 32 × u32 tags ┬ descriptors: 32 × 64 B ┐
export const DMA_SLOTS = 32;             // command slots / tags (AHCI NCQ: 32)
export const CP_SQ_PROD = 0;             // u32 guest: submissions so far (free-running)
export const CP_CQ_DONE = 4;             // u32 DM ORs 1 << tag; the guest takes it with an exchange
export const CP_SQ_RING = 64;            // 32 × u32 tag, entry i at (prod % 32)
export const CP_DESC = 192;              // 32 × DESC_BYTES, indexed by tag
export const DESC_BYTES = 64;
export const DD_OP = 0;                  // u32 DMA_OP_*
export const DD_TAG = 4;                 // u32 must equal the slot (checked)
export const DD_GPA_LO = 8;              // u32 guest-physical address of the buffer
export const DD_GPA_HI = 12;             // u32
export const DD_LEN = 16;                // u32 bytes, multiple of 512, 1..DMA_MAX_BYTES
export const DD_LBA = 20;                // u32 first sector
export const DD_CSUM = 24;               // u32 guest: checksum of its buffer (writes)
export const DD_STATUS = 28;             // u32 DM: DMA_ST_*; the guest sets DMA_ST_PENDING before issuing
export const DD_DM_CSUM = 32;            // u32 DM: checksum of the bytes it moved, as they landed
export const DD_SEQ = 36;                // u32 guest's own sequence number (the DM ignores it)

export const DMA_OP_READ = 1;            // disk → guest memory
export const DMA_OP_WRITE = 2;           // guest memory → disk
export const DMA_SECTOR = 512;
export const DMA_MAX_BYTES = 2097152;    // 2 MiB per command (a mapping of at most 3 buckets)

export const DMA_ST_OK = 0;
export const DMA_ST_BAD_OP = 1;          // unknown opcode or descriptor tag ≠ slot
export const DMA_ST_BAD_LEN = 2;         // 0, not a multiple of 512, or > DMA_MAX_BYTES
export const DMA_ST_BAD_LBA = 3;         // beyond the disk
export const DMA_ST_BAD_ADDR = 4;        // a page is outside the guest or not granted: nothing was accessed
export const DMA_ST_BUSY = 5;            // no mapcache entry free (chain cap or pool): retry
export const DMA_ST_PENDING = 255;       // set by the guest before issuing
export const DMA_STATUS_KINDS = 8;

// device-model error codes beyond Xen's errno set (returned negated, like -errno)
export const MC_E_LOCK_UNDERFLOW = 1001; // invalidate: the entry found has lock count 0
export const MC_E_NOT_IN_CACHE = 1002;   // translate/invalidate: no entry with the request's index and size
export const MC_E_BAD_RAM_OFFSET = 1003; // translate: the result is not a guest-physical address at all
export const MC_E_UNMAPPED = 1004;       // access: the window's entry holds no mapping
export const MC_E_NOT_LOCKED = 1005;     // access: a locked access through an entry nobody has locked
export const MCA_LOCKED = 1;             // mcAccess flag: the caller holds a lock on this window
