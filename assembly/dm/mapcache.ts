// The device model's mapcache (QEMU hw/xen/xen-mapcache.c), shared by every
// device-model worker thread; its lock is DM_LOCK in the region.
//
// Guest-physical memory is mapped in 1 MiB buckets. A request (gpa, size)
// needs the mapping of bucket index = gpa >> 20 with
//   cache size = roundup(gpa offset in bucket + size, 1 MiB)
// so a transfer crossing a bucket boundary needs a 2 MiB mapping, and so on.
// Entries are keyed by (index, size), chained per hash bucket
// (index % nr_buckets, heads preallocated and never freed), carry a lock
// count (one per locked request) and a per-page validity bitmap. Each locked
// request also gets a reverse entry {DM address handed out, index, size};
// translating a DM address back to a guest address and unmapping it go through
// that reverse entry and then look the entry up *by its key*, as QEMU does.
//
// The 2017 overlapping-DMA bug (QEMU 7fb394ad, and its 2025 follow-up
// "mapcache: Fix finding matching entry"): the old search stopped at the first
// unlocked entry of the chain and remapped it, even when a later entry had the
// exact mapping and was locked. Then two locked entries carry one key, the
// first one in the chain answers every lookup, and another request's reverse
// translation gives a wrong guest address ("Bad RAM offset") or its unmap drops
// a lock it does not own (a live mapping unmapped). The fix, kept here: every
// request searches the whole chain for an exact, valid match, and only then
// reuses the first free (unlocked or unmapped) entry or appends a new one.
// Invariant DM1 (debug check MC_CHK_DUPLICATE_LOCKED): index and size are
// unique among locked entries, so a reverse entry's key finds the entry its
// request was given (DM2, MC_CHK_REV_RESOLVES_ELSEWHERE). INJECT_MAPCACHE_FIRST_FREE (stress
// build, G_INJECT bit 0x100) restores the pre-fix search.
//
// Concurrency: map, translate, invalidate run with DM_LOCK held (a mutex in
// shared memory, sync/lock.ts). Window accesses (mcAccess) take no lock: they
// read an entry's size/index/lock/valid words, which, under the invariant,
// do not change while the caller holds a lock on the entry. Every access is
// bounded by the guest domain's frames, whatever those words say, so even a
// broken mapcache can not reach another domain's memory.

import {
  MC_BUCKET_SHIFT, MC_BUCKET_SIZE, MC_PAGE_SHIFT, MC_WINDOW_SHIFT, MC_WINDOW_BYTES, MC_WINDOW_PAGES,
  MC_MAX_ENTRIES, MC_MAX_REVS, MC_FIXED_BYTES, ME_PADDR_INDEX, ME_SIZE, ME_LOCK, ME_FLAGS, ME_REMAPS, ME_VALID,
  MEF_HEAD, MEF_IN_USE, MR_VADDR, MR_PADDR_INDEX, MR_SIZE, MR_NEXT, MR_ENTRY, MR_GPA, DM_MAGIC, DM_VERSION,
  DM_REGION_MAGIC, DM_REGION_VERSION, DM_GUEST_DOM, DM_NR_BUCKETS, DM_NR_ENTRIES, DM_NR_REVS, DM_MAX_CHAIN,
  DM_ENTRY_FREE, DM_REV_FREE, DM_REV_LOCKED, DM_FLAGS, DM_GRANT_OFF, DM_GRANT_FRAMES, DM_LAST_ENTRY,
  DMF_CHECKS, DMF_GUEST_REF, MCS_HITS, MCS_MISSES, MCS_REMAPS, MCS_LOCKED_MAPS, MCS_UNLOCKED_MAPS, MCS_FAULTS, MCS_NO_ENTRY,
  MCS_INVALIDATES, MCS_FREED, MCS_INVALIDATE_ALL, MCS_TRANSLATES, MCS_ENTRIES_LINKED, MCS_LOCKED_NOW,
  MCS_LONGEST_CHAIN, MCS_PEAK_LOCKED, INJECT_MAPCACHE_FIRST_FREE, MC_E_LOCK_UNDERFLOW, MC_E_NOT_IN_CACHE,
  MC_E_BAD_RAM_OFFSET, MC_E_UNMAPPED, MC_E_NOT_LOCKED, MCA_LOCKED, DM_P2M_SEEN,
} from "../shared/dm-layout";
import { loadP2mRemovals } from "../mm/p2m";
import { EINVAL, EFAULT, ENOMEM, ENOSPC, ENOENT } from "../shared/errno";
import { PAGE_SIZE, PAGE_SHIFT } from "../shared/layout";
import { mutexAcquire, mutexRelease } from "../sync/lock";
import { guestFrames, guestBase, domainExists } from "../domain/table";
import { injected } from "../stress/noise";
import {
  addrLock, isInitialised, loadGuestDom, loadNrEntries, loadNrRevs, loadMaxChain, loadFlags, stat, statSub,
  statMax, entryAddr, loadIndex, loadSize, loadEntryLock, loadNext, storeNext, bucketHead, testBits, revAddr,
  pageOwned,
} from "./region";
import { checkLocked } from "./check";
import { dmTakeGuestRef, dmGuestGone, dmHoldsGuest } from "./detach";

// this thread's last mcAccess error (a per-instance global: not shared state)
let lastError: i32 = 0;
@inline export function mcLastError(): i32 { return lastError; }

@inline function roundUp(n: u32, to: u32): u32 { return (n + to - 1) & ~(to - 1); }

/** QEMU's cache_size for a request: the bucket offset plus the size, rounded up to whole buckets. */
@inline export function cacheSizeOf(gpa: u32, size: u32): u32 {
  return size == 0 ? <u32>MC_BUCKET_SIZE : roundUp(size + (gpa & (<u32>MC_BUCKET_SIZE - 1)), <u32>MC_BUCKET_SIZE);
}

/** The DM address of offset `off` in entry `e`'s window (QEMU: vaddr_base + address_offset). */
@inline export function dmAddress(e: u32, off: u32): u32 { return (e << <u32>MC_WINDOW_SHIFT) | off; }

// ------------------------------------------------------------------ initialisation

/**
 * Lay out an empty mapcache in the region at `dm` (zeroing its fixed part):
 * `nrBuckets` heads (entries 1..nrBuckets), the other entry slots below
 * `nrEntries` as the overflow pool, `nrRevs` reverse-entry slots (slot 0
 * unused), every frame below `grantFrames` granted. Not concurrent with any
 * other operation on the region. Returns 0 or -EINVAL.
 */
export function mcInit(dm: usize, guestDom: u32, nrBuckets: u32, nrEntries: u32, nrRevs: u32, maxChain: u32,
  flags: u32, grantOff: u32, grantFramesN: u32): i32 {
  if (!domainExists(guestDom)) return -EINVAL;
  if (nrBuckets < 1 || nrEntries > <u32>MC_MAX_ENTRIES || nrBuckets + 1 >= nrEntries) return -EINVAL;
  if (nrRevs < 2 || nrRevs > <u32>MC_MAX_REVS || maxChain < 1) return -EINVAL;
  if (grantOff < <u32>MC_FIXED_BYTES || (grantOff & (<u32>PAGE_SIZE - 1)) != 0) return -EINVAL;
  if (!dmTakeGuestRef(dm, guestDom)) return -EINVAL; // held until mcRelease (I30)
  atomic.store<u32>(dm + DM_MAGIC, 0);
  memory.fill(dm, 0, <usize>MC_FIXED_BYTES);
  store<u32>(dm + DM_VERSION, DM_REGION_VERSION);
  store<u32>(dm + DM_GUEST_DOM, guestDom);
  store<u32>(dm + DM_NR_BUCKETS, nrBuckets);
  store<u32>(dm + DM_NR_ENTRIES, nrEntries);
  store<u32>(dm + DM_NR_REVS, nrRevs);
  store<u32>(dm + DM_MAX_CHAIN, maxChain);
  store<u32>(dm + DM_FLAGS, (flags & DMF_CHECKS) | DMF_GUEST_REF);
  store<u32>(dm + DM_GRANT_OFF, grantOff);
  store<u32>(dm + DM_GRANT_FRAMES, grantFramesN);
  for (let e: u32 = 1; e <= nrBuckets; e++) store<u32>(entryAddr(dm, e) + ME_FLAGS, MEF_HEAD);
  // overflow pool, lowest index first
  let free: u32 = 0;
  for (let e = nrEntries - 1; e > nrBuckets; e--) { storeNext(dm, e, free); free = e; }
  store<u32>(dm + DM_ENTRY_FREE, free);
  let rfree: u32 = 0;
  for (let r = nrRevs - 1; r >= 1; r--) { store<u32>(revAddr(dm, r) + MR_NEXT, rfree); rfree = r; }
  store<u32>(dm + DM_REV_FREE, rfree);
  // grant bitmap: every frame below grantFrames owned; the bits beyond stay clear
  let g = dm + <usize>grantOff;
  let full = grantFramesN >>> 5;
  memory.fill(g, 0xff, <usize>full << 2);
  let rest = grantFramesN & 31;
  let words = (grantFramesN + 31) >>> 5;
  if (rest != 0) store<u32>(g + (<usize>full << 2), (<u32>1 << rest) - 1);
  let bytes = roundUp(words << 2, <u32>PAGE_SIZE);
  if (bytes > words << 2) memory.fill(g + (<usize>words << 2), 0, <usize>(bytes - (words << 2)));
  atomic.store<u32>(dm + DM_MAGIC, DM_REGION_MAGIC); // published last
  return 0;
}

// ------------------------------------------------------------------ mapping

/** (Re)map entry `e` to buckets [index, index + size/1 MiB): record the key and each page's validity. */
function remapEntry(dm: usize, e: u32, index: u32, size: u32): void {
  let a = entryAddr(dm, e);
  let pages = size >>> <u32>MC_PAGE_SHIFT;
  let gfn0 = index << (<u32>MC_BUCKET_SHIFT - <u32>MC_PAGE_SHIFT);
  for (let w: u32 = 0; w < <u32>MC_WINDOW_PAGES / 32; w++) {
    let bits: u32 = 0;
    for (let b: u32 = 0; b < 32; b++) {
      let p = (w << 5) + b;
      if (p < pages && pageOwned(dm, gfn0 + p)) bits |= <u32>1 << b;
    }
    store<u32>(a + ME_VALID + (<usize>w << 2), bits);
  }
  atomic.store<u32>(a + ME_PADDR_INDEX, index);
  atomic.store<u32>(a + ME_SIZE, size);
  store<u32>(a + ME_REMAPS, load<u32>(a + ME_REMAPS) + 1);
}

@inline function matches(dm: usize, e: u32, index: u32, size: u32, first: u32, n: u32): bool {
  return loadSize(dm, e) == size && loadIndex(dm, e) == index && testBits(dm, e, first, n);
}

function allocEntry(dm: usize): u32 {
  let e = load<u32>(dm + DM_ENTRY_FREE);
  if (e == 0) return 0;
  store<u32>(dm + DM_ENTRY_FREE, loadNext(dm, e));
  storeNext(dm, e, 0);
  store<u32>(entryAddr(dm, e) + ME_FLAGS, MEF_IN_USE);
  return e;
}

function freeEntry(dm: usize, e: u32): void {
  let a = entryAddr(dm, e);
  atomic.store<u32>(a + ME_SIZE, 0); // unmapped first: a late window access fails (MC_E_UNMAPPED)
  atomic.store<u32>(a + ME_PADDR_INDEX, 0);
  store<u32>(a + ME_FLAGS, 0);
  storeNext(dm, e, load<u32>(dm + DM_ENTRY_FREE));
  store<u32>(dm + DM_ENTRY_FREE, e);
}

/**
 * Map `size` bytes of guest-physical memory at `gpa` (size 0: one page), with
 * a lock (the mapping stays until mcInvalidateEntry of the returned address)
 * or without (valid until the entry is next remapped: single-threaded use).
 * Returns the DM address (> 0) or -EINVAL (too large, region not set up),
 * -EFAULT (a page is not the guest's owned RAM: nothing is locked),
 * -ENOSPC (the bucket's chain is at its cap and every entry is locked),
 * -ENOMEM (no overflow entry or reverse entry left).
 */
export function mcMap(dm: usize, gpa: u32, size: u32, lock: bool): i32 {
  if (!isInitialised(dm) || size > <u32>MC_WINDOW_BYTES) return -EINVAL;
  let cacheSize = cacheSizeOf(gpa, size);
  if (cacheSize > <u32>MC_WINDOW_BYTES) return -EINVAL;
  mutexAcquire(addrLock(dm));
  syncWithP2mLocked(dm);
  // a dying guest's memory is mapped no more (I30): the request fails as a fault
  let r = dmGuestGone(dm) ? -EFAULT : mapLocked(dm, gpa, size, cacheSize, lock);
  if ((loadFlags(dm) & DMF_CHECKS) != 0) checkLocked(dm);
  mutexRelease(addrLock(dm));
  return r;
}

function mapLocked(dm: usize, gpa: u32, size: u32, cacheSize: u32, lock: bool): i32 {
  let index = gpa >>> <u32>MC_BUCKET_SHIFT;
  let offset = gpa & (<u32>MC_BUCKET_SIZE - 1);
  let testBytes = size == 0 ? <u32>PAGE_SIZE : roundUp(size + (gpa & (<u32>PAGE_SIZE - 1)), <u32>PAGE_SIZE);
  let first = offset >>> <u32>PAGE_SHIFT;
  let n = testBytes >>> <u32>PAGE_SHIFT;

  let e = bucketHead(dm, index);
  let prev: u32 = 0;
  let length: u32 = 0;
  if (injected(INJECT_MAPCACHE_FIRST_FREE)) {
    // Pre-fix search (QEMU before 7fb394ad): walk only past entries that are
    // locked, mapped and not an exact match; stop at the first unlocked one.
    while (e != 0 && loadEntryLock(dm, e) != 0 && loadSize(dm, e) != 0 && !matches(dm, e, index, cacheSize, first, n)) {
      prev = e;
      e = loadNext(dm, e);
      length++;
    }
  } else {
    // The fix: look at the whole chain for an exact, valid match first,
    // remembering the first free (unlocked or unmapped) entry on the way (DM1).
    let free: u32 = 0;
    while (e != 0) {
      length++;
      if (loadSize(dm, e) != 0 && matches(dm, e, index, cacheSize, first, n)) break;
      if (free == 0 && (loadEntryLock(dm, e) == 0 || loadSize(dm, e) == 0)) free = e;
      prev = e;
      e = loadNext(dm, e);
    }
    if (e == 0) e = free;
  }

  if (e == 0) {
    // every entry is locked (or, pre-fix, the walk passed them all): append
    if (length >= loadMaxChain(dm)) { stat(dm, MCS_NO_ENTRY); return -ENOSPC; }
    e = allocEntry(dm);
    if (e == 0) { stat(dm, MCS_NO_ENTRY); return -ENOMEM; }
    remapEntry(dm, e, index, cacheSize);
    storeNext(dm, prev, e); // prev is the tail: the chain always has its head
    stat(dm, MCS_MISSES);
    stat(dm, MCS_ENTRIES_LINKED);
    statMax(dm, MCS_LONGEST_CHAIN, length + 1);
  } else if (loadEntryLock(dm, e) == 0 && (loadSize(dm, e) == 0 || !matches(dm, e, index, cacheSize, first, n))) {
    if (loadSize(dm, e) != 0) stat(dm, MCS_REMAPS);
    remapEntry(dm, e, index, cacheSize);
    stat(dm, MCS_MISSES);
  } else {
    stat(dm, MCS_HITS);
  }
  store<u32>(dm + DM_LAST_ENTRY, e);

  if (!testBits(dm, e, first, n)) { stat(dm, MCS_FAULTS); return -EFAULT; } // before any lock (DM8)
  let vaddr = dmAddress(e, offset);
  if (lock) {
    let r = load<u32>(dm + DM_REV_FREE);
    if (r == 0) { stat(dm, MCS_NO_ENTRY); return -ENOMEM; }
    let ra = revAddr(dm, r);
    store<u32>(dm + DM_REV_FREE, load<u32>(ra + MR_NEXT));
    atomic.add<u32>(entryAddr(dm, e) + ME_LOCK, 1);
    store<u32>(ra + MR_VADDR, vaddr);
    store<u32>(ra + MR_PADDR_INDEX, index);
    store<u32>(ra + MR_SIZE, cacheSize);
    store<u32>(ra + MR_ENTRY, e);
    store<u32>(ra + MR_GPA, gpa);
    store<u32>(ra + MR_NEXT, load<u32>(dm + DM_REV_LOCKED));
    store<u32>(dm + DM_REV_LOCKED, r);
    stat(dm, MCS_LOCKED_MAPS);
    statMax(dm, MCS_PEAK_LOCKED, atomic.add<u32>(dm + <usize>MCS_LOCKED_NOW, 1) + 1);
  } else {
    stat(dm, MCS_UNLOCKED_MAPS);
  }
  return <i32>vaddr;
}

// ------------------------------------------------------------------ reverse lookups

/** The reverse entry handed out for `vaddr` (QEMU: the first locked_entries match), or 0. */
function findRev(dm: usize, vaddr: u32): u32 {
  let r = load<u32>(dm + DM_REV_LOCKED);
  let limit = loadNrRevs(dm);
  for (let steps: u32 = 0; r != 0 && steps < limit; steps++) {
    if (load<u32>(revAddr(dm, r) + MR_VADDR) == vaddr) return r;
    r = load<u32>(revAddr(dm, r) + MR_NEXT);
  }
  return 0;
}

/**
 * The first entry of the chain with this key, or 0: QEMU's lookup for
 * translate and invalidate. It trusts the key to be unique among locked
 * entries; that is exactly what the pre-fix search broke.
 */
export function findByKey(dm: usize, index: u32, size: u32): u32 {
  let e = bucketHead(dm, index);
  let limit = loadNrEntries(dm);
  for (let steps: u32 = 0; e != 0 && steps < limit; steps++) {
    if (loadSize(dm, e) == size && loadIndex(dm, e) == index) return e;
    e = loadNext(dm, e);
  }
  return 0;
}

/**
 * Translate a DM address handed out by a locked mcMap back to the guest
 * address (QEMU xen_ram_addr_from_mapcache): reverse entry → key → first
 * entry with that key → index << 20 + (vaddr − that entry's vaddr_base).
 * Returns the guest-physical address (≥ 0), -ENOENT (no locked request has
 * this address), -MC_E_NOT_IN_CACHE, or -MC_E_BAD_RAM_OFFSET (the arithmetic
 * left guest-physical space: QEMU's "Bad RAM offset").
 */
export function mcTranslate(dm: usize, vaddr: u32): i32 {
  if (!isInitialised(dm)) return -EINVAL;
  mutexAcquire(addrLock(dm));
  stat(dm, MCS_TRANSLATES);
  let result: i32;
  let r = findRev(dm, vaddr);
  if (r == 0) {
    result = -ENOENT;
  } else {
    let index = load<u32>(revAddr(dm, r) + MR_PADDR_INDEX);
    let size = load<u32>(revAddr(dm, r) + MR_SIZE);
    let e = findByKey(dm, index, size);
    if (e == 0) {
      result = -MC_E_NOT_IN_CACHE;
    } else {
      let raddr = (<i64>index << MC_BUCKET_SHIFT) + (<i64>vaddr - (<i64>e << MC_WINDOW_SHIFT));
      result = raddr < 0 || raddr >= <i64>0x80000000 ? -MC_E_BAD_RAM_OFFSET : <i32>raddr;
    }
  }
  mutexRelease(addrLock(dm));
  return result;
}

/**
 * Release the locked request that was handed `vaddr` (QEMU
 * xen_invalidate_map_cache_entry): drop its reverse entry, find the entry by
 * key, decrement its lock; an overflow entry whose lock reaches 0 is unmapped
 * and returned to the pool (heads stay mapped, as a cache). Returns 0,
 * -ENOENT (no such request), -MC_E_NOT_IN_CACHE, or -MC_E_LOCK_UNDERFLOW (the
 * entry found was not locked: another request's lock was already taken).
 */
export function mcInvalidateEntry(dm: usize, vaddr: u32): i32 {
  if (!isInitialised(dm)) return -EINVAL;
  mutexAcquire(addrLock(dm));
  let rc = invalidateLocked(dm, vaddr);
  if ((loadFlags(dm) & DMF_CHECKS) != 0) checkLocked(dm);
  mutexRelease(addrLock(dm));
  return rc;
}

// Predecessors are found by a second walk (chains are short and bounded).
function invalidateLocked(dm: usize, vaddr: u32): i32 {
  let r = findRev(dm, vaddr);
  if (r == 0) return -ENOENT;
  // unlink r from the locked list
  let head = load<u32>(dm + DM_REV_LOCKED);
  let ra = revAddr(dm, r);
  if (head == r) {
    store<u32>(dm + DM_REV_LOCKED, load<u32>(ra + MR_NEXT));
  } else {
    let p = head;
    while (load<u32>(revAddr(dm, p) + MR_NEXT) != r) p = load<u32>(revAddr(dm, p) + MR_NEXT);
    store<u32>(revAddr(dm, p) + MR_NEXT, load<u32>(ra + MR_NEXT));
  }
  let index = load<u32>(ra + MR_PADDR_INDEX);
  let size = load<u32>(ra + MR_SIZE);
  store<u32>(ra + MR_VADDR, 0);
  store<u32>(ra + MR_NEXT, load<u32>(dm + DM_REV_FREE));
  store<u32>(dm + DM_REV_FREE, r);
  statSub(dm, MCS_LOCKED_NOW);

  let e = findByKey(dm, index, size);
  if (e == 0) return -MC_E_NOT_IN_CACHE;
  let ea = entryAddr(dm, e);
  let lockCount = atomic.load<u32>(ea + ME_LOCK);
  if (lockCount == 0) return -MC_E_LOCK_UNDERFLOW; // another request's lock is gone already (DM3): never below 0
  atomic.store<u32>(ea + ME_LOCK, lockCount - 1);
  stat(dm, MCS_INVALIDATES);
  if (lockCount > 1 || (load<u32>(ea + ME_FLAGS) & MEF_HEAD) != 0) return 0;
  // last lock on an overflow entry: unlink, unmap, free
  let prev = bucketHead(dm, index);
  while (loadNext(dm, prev) != e) prev = loadNext(dm, prev);
  storeNext(dm, prev, loadNext(dm, e));
  freeEntry(dm, e);
  stat(dm, MCS_FREED);
  statSub(dm, MCS_ENTRIES_LINKED);
  return 0;
}

/**
 * Invalidate the whole cache (QEMU xen_invalidate_map_cache, e.g. after the
 * guest's memory map changed): every unlocked entry is unmapped — heads stay
 * as empty heads, overflow entries go back to the pool — and locked entries
 * are skipped (their requests are still using them). Returns the number of
 * mappings dropped.
 */
export function mcInvalidateAll(dm: usize): i32 {
  if (!isInitialised(dm)) return -EINVAL;
  mutexAcquire(addrLock(dm));
  let dropped = invalidateAllLocked(dm);
  mutexRelease(addrLock(dm));
  return dropped;
}

/**
 * Xen's invalidate request after the guest's p2m lost frames (QEMU handles
 * IOREQ_TYPE_INVALIDATE with xen_invalidate_map_cache): called with the lock
 * held before every mapping, it drops every unlocked mapping if the guest's
 * removal generation moved since the last time (I44). Mappings locked by
 * requests in flight stay, as in QEMU; their transfers re-check the p2m.
 */
function syncWithP2mLocked(dm: usize): void {
  let gen = loadP2mRemovals(loadGuestDom(dm));
  if (atomic.load<u32>(dm + DM_P2M_SEEN) == gen) return;
  atomic.store<u32>(dm + DM_P2M_SEEN, gen); // before the sweep: a removal after it bumps the generation again
  invalidateAllLocked(dm);
}

function invalidateAllLocked(dm: usize): i32 {
  stat(dm, MCS_INVALIDATE_ALL);
  let dropped: i32 = 0;
  let nb = load<u32>(dm + DM_NR_BUCKETS);
  for (let b: u32 = 0; b < nb; b++) {
    let prev: u32 = 1 + b;
    let head = entryAddr(dm, prev);
    if (atomic.load<u32>(head + ME_LOCK) == 0 && atomic.load<u32>(head + ME_SIZE) != 0) {
      atomic.store<u32>(head + ME_SIZE, 0);
      atomic.store<u32>(head + ME_PADDR_INDEX, 0);
      dropped++;
    }
    let e = loadNext(dm, prev);
    while (e != 0) {
      let next = loadNext(dm, e);
      if (loadEntryLock(dm, e) == 0) {
        storeNext(dm, prev, next);
        freeEntry(dm, e);
        stat(dm, MCS_FREED);
        statSub(dm, MCS_ENTRIES_LINKED);
        dropped++;
      } else {
        prev = e;
      }
      e = next;
    }
  }
  store<u32>(dm + DM_LAST_ENTRY, 0);
  if ((loadFlags(dm) & DMF_CHECKS) != 0) checkLocked(dm);
  return dropped;
}

// ------------------------------------------------------------------ window accesses

/**
 * The address, in this process's memory, of `len` bytes at DM address
 * `vaddr`: the guest's own frames (a window, no copy). Checks that the entry
 * holds a mapping (MC_E_UNMAPPED), that a locked access is locked
 * (MCA_LOCKED, MC_E_NOT_LOCKED), that the bytes lie inside the mapping and on
 * valid pages (EFAULT) and, whatever the entry says, inside the guest
 * domain's RAM (EFAULT). Returns 0 on error (mcLastError() says which).
 */
export function mcAccess(dm: usize, vaddr: u32, len: u32, flags: u32): usize {
  lastError = 0;
  if (!isInitialised(dm) || !dmHoldsGuest(dm)) { lastError = -EINVAL; return 0; } // released: the guest may be gone (I30)
  let e = vaddr >>> <u32>MC_WINDOW_SHIFT;
  let off = vaddr & (<u32>MC_WINDOW_BYTES - 1);
  if (e == 0 || e >= loadNrEntries(dm)) { lastError = -EINVAL; return 0; }
  let a = entryAddr(dm, e);
  let size = atomic.load<u32>(a + ME_SIZE);
  if (size == 0) { lastError = -MC_E_UNMAPPED; return 0; }
  if ((flags & MCA_LOCKED) != 0 && atomic.load<u32>(a + ME_LOCK) == 0) { lastError = -MC_E_NOT_LOCKED; return 0; }
  if (len == 0 || <u64>off + <u64>len > <u64>size) { lastError = -EFAULT; return 0; }
  let first = off >>> <u32>PAGE_SHIFT;
  let last = (off + len - 1) >>> <u32>PAGE_SHIFT;
  if (!testBits(dm, e, first, last - first + 1)) { lastError = -EFAULT; return 0; }
  let gpa = (<u64>atomic.load<u32>(a + ME_PADDR_INDEX) << MC_BUCKET_SHIFT) + <u64>off;
  let dom = loadGuestDom(dm);
  // whatever the entry says, never outside the guest's RAM (DM4)
  if (gpa + <u64>len > (<u64>guestFrames(dom) << PAGE_SHIFT)) { lastError = -EFAULT; return 0; }
  return guestBase(dom) + <usize>gpa;
}

/** True while entry `e` still holds the mapping (index, size) and is locked: a locked window is still its requester's. */
export function stillLocked(dm: usize, e: u32, index: u32, size: u32): bool {
  let a = entryAddr(dm, e);
  return atomic.load<u32>(a + ME_LOCK) != 0 && atomic.load<u32>(a + ME_SIZE) == size
    && atomic.load<u32>(a + ME_PADDR_INDEX) == index;
}

/** Run the invariant check now (takes the lock). 0 or the first MC_CHK_* violated. */
export function mcCheck(dm: usize): i32 {
  if (!isInitialised(dm)) return -EINVAL;
  mutexAcquire(addrLock(dm));
  let rc = checkLocked(dm);
  mutexRelease(addrLock(dm));
  return rc;
}
