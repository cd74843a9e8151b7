// The wasmxen domain image: modelled on Xen's migration stream v2
// (spec/continuations-and-migration.md §7; docs/migration.md). An image
// header (24 bytes, big-endian, Xen's layout with wasmxen's id), a domain
// header (16 bytes, little-endian), then typed records — a 16-byte record
// header, the body, zero padding to 8 bytes — ending in END (I45).
//
// Every record's `checksum` is the CRC-32C (crc-32's crc32c) of the image
// from its first byte through this record's padding, with every record's
// checksum field left out: so a record vouches for itself and for everything
// before it, a flipped, dropped or reordered byte anywhere is refused at the
// first record after it, and nothing in the headers goes unchecked.
//
// Constants here are the image ABI: a field never moves; new content is a
// new record type; a changed layout is a new type or a version bump (§7.8).
import crc32c from 'crc-32/crc32c.js';

/** Image header: marker (8 bytes of 0xff), id, version, options, reserved. */
export const IHDR_BYTES = 24;
export const IHDR_MARKER = 0;
export const IHDR_ID = 8;
export const IHDR_VERSION = 12;
export const IHDR_OPTIONS = 16;
export const IHDR_RESERVED = 18; // 6 bytes, zero
/** "WXMG": a wasmxen domain image (Xen's is "XENF"; the record header differs, see docs/migration.md). */
export const IMAGE_ID = 0x57584d47;
/** The format version this wasmxen writes; it reads IMAGE_VERSION_MIN..IMAGE_VERSION. */
export const IMAGE_VERSION = 1;
export const IMAGE_VERSION_MIN = 1;
/** options bit 0: 1 = big-endian records (refused, as libxenguest does). */
export const IHDR_OPT_BIG_ENDIAN = 1;

/** Domain header: type, page_shift, reserved, writer major, writer minor. */
export const DHDR_BYTES = 16;
export const DHDR_TYPE = 0;
export const DHDR_PAGE_SHIFT = 4;
export const DHDR_RESERVED = 6;
export const DHDR_MAJOR = 8;
export const DHDR_MINOR = 12;
/** Xen's DHDR_TYPE_X86_HVM: every wasmxen domain is translated (docs/decisions/0004). */
export const DHDR_TYPE_HVM = 2;
export const IMAGE_PAGE_SHIFT = 12;
/** The writer's version in the domain header (wasmxen's image writer 0.1). */
export const WRITER_MAJOR = 0;
export const WRITER_MINOR = 1;

/** Record header: type, length (unpadded body), checksum, reserved. */
export const RH_BYTES = 16;
export const RH_TYPE = 0;
export const RH_LENGTH = 4;
export const RH_CHECKSUM = 8;
export const RH_RESERVED = 12;
export const REC_ALIGN = 8;
/** libxenguest's REC_LENGTH_MAX. */
export const REC_LENGTH_MAX = 128 * 1024 * 1024;

/** Bit 31 set: an optional record a restorer may skip; clear: mandatory, refused if unknown. */
export const REC_TYPE_OPTIONAL = 0x80000000;
export const REC_TYPE_END = 0x00;
export const REC_TYPE_PAGE_DATA = 0x01;
export const REC_TYPE_SHARED_INFO = 0x07;
export const REC_TYPE_STATIC_DATA_END = 0x10;
/** wasmxen's mandatory records (Xen reserves 0x13..0x7fffffff for future mandatory ones). */
export const REC_TYPE_DOMAIN_CONFIG = 0x100;
export const REC_TYPE_VCPU_CONTEXT = 0x101;
export const REC_TYPE_TOOLSTACK_PORTS = 0x102;
export const REC_TYPE_P2M_TYPES = 0x103;
export const REC_TYPE_AUTH = 0x104;
/** The log-dirty bitmap: u32 words, bit g of word g >> 5 = gfn g (present when any bit is set). */
export const REC_TYPE_DIRTY_BITMAP = 0x105;
/**
 * The device model's own state (libxl's EMULATOR_CONTEXT, which carries
 * QEMU's saved devices): written after the DMA engine was quiesced (I52).
 */
export const REC_TYPE_EMULATOR_CONTEXT = 0x106;
/** Optional: what the saving hypervisor was (informative, skipped by a restorer that does not know it). */
export const REC_TYPE_SAVE_INFO = 0x80000100;

export const RECORD_NAMES: Record<number, string> = {
  [REC_TYPE_END]: 'END', [REC_TYPE_PAGE_DATA]: 'PAGE_DATA', [REC_TYPE_SHARED_INFO]: 'SHARED_INFO',
  [REC_TYPE_STATIC_DATA_END]: 'STATIC_DATA_END', [REC_TYPE_DOMAIN_CONFIG]: 'DOMAIN_CONFIG',
  [REC_TYPE_VCPU_CONTEXT]: 'VCPU_CONTEXT', [REC_TYPE_TOOLSTACK_PORTS]: 'TOOLSTACK_PORTS',
  [REC_TYPE_P2M_TYPES]: 'P2M_TYPES', [REC_TYPE_AUTH]: 'AUTH', [REC_TYPE_DIRTY_BITMAP]: 'DIRTY_BITMAP', [REC_TYPE_SAVE_INFO]: 'SAVE_INFO',
  [REC_TYPE_EMULATOR_CONTEXT]: 'EMULATOR_CONTEXT',
};

export function recordName(type: number): string {
  return RECORD_NAMES[type] ?? `0x${(type >>> 0).toString(16)}`;
}

// PAGE_DATA (Xen §7.5): count u32, reserved u32, pfn[count] u64 (bits 0–51 gfn,
// 60–63 type), then one page per entry whose type carries data.
export const PD_COUNT = 0;
export const PD_PFNS = 8;
export const PD_PFN_MASK = (1n << 52n) - 1n;
export const PD_TYPE_SHIFT = 60n;
/** XEN_DOMCTL_PFINFO_NOTAB: a RAM page, data follows. */
export const PD_TYPE_NOTAB = 0x0;
/** XEN_DOMCTL_PFINFO_XTAB: no page behind the gfn (a hole: ballooned out), no data. */
export const PD_TYPE_XTAB = 0xf;
/** gfns per PAGE_DATA record the saver writes (libxc's MAX_BATCH_SIZE is 1024). */
export const PD_BATCH = 1024;

// DOMAIN_CONFIG: the domain as the target must create it.
export const DC_VCPUS = 0;
export const DC_GUEST_WIDTH = 4;
export const DC_MAX_EVTCHN_PORT = 8;
export const DC_FRAMES = 12;
export const DC_MAX_PAGES = 16;
export const DC_TOT_PAGES = 20;
export const DC_ABI = 24;          // the event-channel ABI at save (0 2-level, 1 FIFO): informative
export const DC_FLAGS = 28;
/** DC_FLAGS bit 0: log-dirty mode was on (the device model's modified-memory calls mark the bitmap). */
export const DCF_LOG_DIRTY = 1;
export const DC_BYTES = 32;

// VCPU_CONTEXT: vcpu_id u32, flags u32, the register context's gpa u64, the context itself.
export const VC_VCPU = 0;
export const VC_FLAGS = 4;
export const VC_REGS_GPA = 8;
export const VC_REGS = 16;
/** flags bit 0: a hypercall was preempted in this context (a continuation is in flight). */
export const VC_F_CONTINUATION = 1;

// TOOLSTACK_PORTS: count u32, reserved u32, then count × {port u32, remote dom u32, kind u32, reserved u32}.
// The remote dom is the domain that binds the channel's other end, or
// DOMID_SELF for a Xen-internal consumer's channel (the restored domain binds
// it itself, whatever id it gets on the target; I56).
export const TP_COUNT = 0;
export const TP_ENTRIES = 8;
export const TP_ENTRY_BYTES = 16;
/** A toolstack port's kind: the console ring's channel. */
export const TP_KIND_CONSOLE = 1;
/** A toolstack port's kind: the xenstore ring's channel. */
export const TP_KIND_STORE = 2;
/** A toolstack port's kind: any other toolstack channel (e.g. the monitor ring). */
export const TP_KIND_OTHER = 3;

// P2M_TYPES: count u32, reserved u32, then count × {gfn u32, type u32}: every gfn whose
// p2m type is neither plain RAM nor a hole (RAM_RO, MMIO_DM), applied after PAGE_DATA.
export const PT_COUNT = 0;
export const PT_ENTRIES = 8;
export const PT_ENTRY_BYTES = 8;

// AUTH: HMAC-SHA256 over every image byte before this record's header; it is
// the last record before END, so nothing before it can change undetected.
export const AUTH_ALGORITHM = 'sha256';
export const AUTH_TAG_BYTES = 32;

// EMULATOR_CONTEXT: libxl's emulator record header (emulator id u32, index u32),
// then the emulator's own state: its format version u32, the controller's
// command page gfn u32, the DM-private consumer index of the guest's
// submission ring u32, the disk's sectors u32, reserved u64 (zero), then the
// disk image (sectors × 512 bytes). Not held: the mapcache (rebuilt on the
// target) and the in-flight set (empty: the engine was quiesced, I52).
export const EC_EMULATOR_ID = 0;
export const EC_INDEX = 4;
export const EC_VERSION = 8;
export const EC_RING_GFN = 12;
export const EC_SQ_CONS = 16;
export const EC_DISK_SECTORS = 20;
export const EC_RESERVED = 24;
export const EC_DISK = 32;
/** The one emulator wasmxen has: the DMA storage controller of src/dm (libxl numbers QEMU traditional 1, upstream 2). */
export const EMULATOR_ID_WASMXEN_DMA = 0x100;
/** The controller state's format version this wasmxen writes and reads. */
export const EMULATOR_CONTEXT_VERSION = 1;

// SAVE_INFO (optional): preempt budget u32, private layout version u32.
export const SI_PREEMPT_EVERY = 0;
export const SI_LAYOUT_VERSION = 4;
export const SI_BYTES = 8;

export function padded(length: number): number {
  return Math.ceil(length / REC_ALIGN) * REC_ALIGN;
}

/** CRC-32C continued from `seed` (0 to start), as an unsigned 32-bit value. */
export function crcUpdate(seed: number, bytes: Uint8Array): number {
  return crc32c.buf(bytes, seed | 0) >>> 0;
}
