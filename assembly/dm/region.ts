// Accessors of the device-model region (assembly/shared/dm-layout.ts): the
// header, statistics, entries, reverse entries, the grant bitmap. `dm` is the
// region's address in this process's memory (computed by the shell from the
// device-model domain's gfn); nothing inside the region stores an address.
//
// Entry fields read outside the mapcache lock (by window accesses) are
// accessed with atomics on both sides; everything else is written only with
// the lock held (DM_LOCK), so plain accesses suffice there.

import {
  DM_LOCK, DM_GUEST_DOM, DM_NR_BUCKETS, DM_NR_ENTRIES, DM_NR_REVS, DM_MAX_CHAIN, DM_FLAGS,
  DM_GRANT_OFF, DM_GRANT_FRAMES, DM_FATAL, DM_FATAL_INFO, MC_ENTRIES_OFF, MC_ENTRY_BYTES, MC_REVS_OFF,
  MC_REV_BYTES, ME_PADDR_INDEX, ME_SIZE, ME_LOCK, ME_NEXT, ME_VALID, DM_MAGIC, DM_REGION_MAGIC,
} from "../shared/dm-layout";
import { guestFrames } from "../domain/table";
import { p2mReadable } from "../mm/p2m";

// ------------------------------------------------------------------ header
@inline export function addrLock(dm: usize): usize { return dm + <usize>DM_LOCK; }
@inline export function isInitialised(dm: usize): bool { return atomic.load<u32>(dm + DM_MAGIC) == <u32>DM_REGION_MAGIC; }
@inline export function loadGuestDom(dm: usize): u32 { return load<u32>(dm + DM_GUEST_DOM); }
@inline export function loadNrBuckets(dm: usize): u32 { return load<u32>(dm + DM_NR_BUCKETS); }
@inline export function loadNrEntries(dm: usize): u32 { return load<u32>(dm + DM_NR_ENTRIES); }
@inline export function loadNrRevs(dm: usize): u32 { return load<u32>(dm + DM_NR_REVS); }
@inline export function loadMaxChain(dm: usize): u32 { return load<u32>(dm + DM_MAX_CHAIN); }
@inline export function loadFlags(dm: usize): u32 { return atomic.load<u32>(dm + DM_FLAGS); }
/** Set `bits` in DM_FLAGS; returns the flags before. */
@inline export function orFlags(dm: usize, bits: u32): u32 { return atomic.or<u32>(dm + DM_FLAGS, bits); }
/** Clear `bits` in DM_FLAGS; returns the flags before. */
@inline export function clearFlags(dm: usize, bits: u32): u32 { return atomic.and<u32>(dm + DM_FLAGS, ~bits); }

/** Statistics are u32 counters updated after the event they count (declared benign race). */
@inline export function stat(dm: usize, off: i32): void { atomic.add<u32>(dm + <usize>off, 1); }
@inline export function statAdd(dm: usize, off: i32, n: u32): void { atomic.add<u32>(dm + <usize>off, n); }
@inline export function statSub(dm: usize, off: i32): void { atomic.sub<u32>(dm + <usize>off, 1); }
export function statMax(dm: usize, off: i32, v: u32): void {
  let cur = atomic.load<u32>(dm + <usize>off);
  while (v > cur) {
    let seen = atomic.cmpxchg<u32>(dm + <usize>off, cur, v);
    if (seen == cur) return;
    cur = seen; // bounded by the number of threads raising the maximum
  }
}

/** The first fatal error wins; later ones are dropped (the device model is already dead). */
export function recordFatal(dm: usize, code: u32, a: u32, b: u32, c: u32, d: u32, e: u32): void {
  if (atomic.cmpxchg<u32>(dm + DM_FATAL, 0, code) != 0) return;
  store<u32>(dm + DM_FATAL_INFO, a);
  store<u32>(dm + DM_FATAL_INFO + 4, b);
  store<u32>(dm + DM_FATAL_INFO + 8, c);
  store<u32>(dm + DM_FATAL_INFO + 12, d);
  store<u32>(dm + DM_FATAL_INFO + 16, e);
  atomic.store<u32>(dm + DM_FATAL_INFO + 20, 1); // info complete
}
@inline export function loadFatal(dm: usize): u32 { return atomic.load<u32>(dm + DM_FATAL); }

// ------------------------------------------------------------------ entries
@inline export function entryAddr(dm: usize, e: u32): usize {
  return dm + <usize>MC_ENTRIES_OFF + <usize>e * <usize>MC_ENTRY_BYTES;
}
@inline export function loadIndex(dm: usize, e: u32): u32 { return atomic.load<u32>(entryAddr(dm, e) + ME_PADDR_INDEX); }
@inline export function loadSize(dm: usize, e: u32): u32 { return atomic.load<u32>(entryAddr(dm, e) + ME_SIZE); }
@inline export function loadEntryLock(dm: usize, e: u32): u32 { return atomic.load<u32>(entryAddr(dm, e) + ME_LOCK); }
@inline export function loadNext(dm: usize, e: u32): u32 { return load<u32>(entryAddr(dm, e) + ME_NEXT); }
@inline export function storeNext(dm: usize, e: u32, next: u32): void { store<u32>(entryAddr(dm, e) + ME_NEXT, next); }
/** Head entry of the bucket that `index` hashes to (QEMU: &mc->entry[index % nr_buckets]). */
@inline export function bucketHead(dm: usize, index: u32): u32 { return 1 + index % loadNrBuckets(dm); }

/** True if pages [first, first + n) of entry `e`'s mapping are all valid (QEMU test_bits). */
export function testBits(dm: usize, e: u32, first: u32, n: u32): bool {
  let base = entryAddr(dm, e) + ME_VALID;
  let p = first;
  let end = first + n;
  while (p < end) {
    let word = load<u32>(base + (<usize>(p >>> 5) << 2));
    let bit = p & 31;
    let take = min<u32>(32 - bit, end - p);
    let mask: u32 = take == 32 ? 0xffffffff : (((<u32>1 << take) - 1) << bit);
    if ((word & mask) != mask) return false;
    p += take;
  }
  return true;
}

// ------------------------------------------------------------------ reverse entries
@inline export function revAddr(dm: usize, r: u32): usize {
  return dm + <usize>MC_REVS_OFF + <usize>r * <usize>MC_REV_BYTES;
}

// ------------------------------------------------------------------ grants (which guest frames the DM may map)
@inline export function grantBase(dm: usize): usize { return dm + <usize>load<u32>(dm + DM_GRANT_OFF); }
@inline export function grantFrames(dm: usize): u32 { return load<u32>(dm + DM_GRANT_FRAMES); }

/**
 * True if the device model may map guest frame `gfn`: it is the guest's RAM
 * (below its frame count, with a page behind it in the p2m: a frame the
 * guest gave back is not mappable, I44) and the shell has not marked it unowned.
 */
export function pageOwned(dm: usize, gfn: u32): bool {
  let dom = loadGuestDom(dm);
  if (gfn >= guestFrames(dom) || gfn >= grantFrames(dm)) return false;
  if (!p2mReadable(dom, <u64>gfn)) return false;
  let word = atomic.load<u32>(grantBase(dm) + (<usize>(gfn >>> 5) << 2));
  return (word & (<u32>1 << (gfn & 31))) != 0;
}

/** Mark `count` frames from `gfn` owned (granted) or not; returns -1 if the range leaves the bitmap. */
export function setGrant(dm: usize, gfn: u32, count: u32, owned: bool): i32 {
  let frames = grantFrames(dm);
  if (gfn > frames || count > frames - gfn) return -1;
  let base = grantBase(dm);
  for (let i: u32 = 0; i < count; i++) {
    let g = gfn + i;
    let a = base + (<usize>(g >>> 5) << 2);
    let bit = <u32>1 << (g & 31);
    if (owned) atomic.or<u32>(a, bit);
    else atomic.and<u32>(a, ~bit);
  }
  return 0;
}
