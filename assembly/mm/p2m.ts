// The guest physical memory map (p2m) of a domain: one P2M_* type byte per
// gfn in the domain's private region, and Xen's tot_pages / max_pages. The
// guest frames themselves are a fixed region (gfn g is always at the same
// address); the p2m says whether there is RAM behind g. Hypercalls on
// several vCPU threads race on these words, so every change is one atomic
// RMW on the type byte (I43): a frame is populated or removed exactly once,
// and tot_pages moves only with a successful transition or a successful
// allocation.

import {
  PAGE_SHIFT, P2M_INVALID, P2M_RAM_RW, P2M_RAM_RO, P2M_MMIO_DM, P2M_XEN, SHARED_INFO_GFN,
} from "../shared/layout";
import {
  D_TOT_PAGES, D_MAX_PAGES, D_P2M_TABLE, D_DIRTY_BITMAP, D_P2M_REMOVALS, D_CHANNELS, CHANNEL_BYTES,
} from "../shared/private-layout";
import { ENOENT, EINVAL } from "../shared/errno";
import { addrDomField, guestBase, guestFrames, loadChannelCapacity } from "../domain/table";

@inline function tableAddr(dom: u32): usize { return addrDomField(dom, load<u32>(addrDomField(dom, D_P2M_TABLE))); }
@inline function dirtyAddr(dom: u32): usize { return addrDomField(dom, load<u32>(addrDomField(dom, D_DIRTY_BITMAP))); }
@inline export function addrTotPages(dom: u32): usize { return addrDomField(dom, D_TOT_PAGES); }
@inline export function addrMaxPages(dom: u32): usize { return addrDomField(dom, D_MAX_PAGES); }
@inline export function loadTotPages(dom: u32): u32 { return atomic.load<u32>(addrTotPages(dom)); }
@inline export function loadMaxPages(dom: u32): u32 { return atomic.load<u32>(addrMaxPages(dom)); }

/** Bytes of the p2m table for `frames` frames (src/wasm/memory-map.ts sizes the region alike). */
@inline export function p2mTableBytes(frames: u32): u32 { return (frames + 3) & ~(<u32>3); }

/**
 * Creation: every frame RAM except gfn 0 (shared_info, Xen's page), all
 * counted in tot_pages; max_pages = tot_pages until the toolstack sets it.
 * Runs before the domain is published, on a zeroed region.
 */
export function p2mInit(dom: u32, frames: u32): void {
  let off = <u32>D_CHANNELS + loadChannelCapacity(dom) * <u32>CHANNEL_BYTES;
  store<u32>(addrDomField(dom, D_P2M_TABLE), off);
  store<u32>(addrDomField(dom, D_DIRTY_BITMAP), off + p2mTableBytes(frames));
  let t = tableAddr(dom);
  memory.fill(t, <u8>P2M_RAM_RW, <usize>frames);
  store<u8>(t + <usize>SHARED_INFO_GFN, <u8>P2M_XEN);
  store<u32>(addrTotPages(dom), frames - 1);
  store<u32>(addrMaxPages(dom), frames - 1);
}

/** The type of `gfn` (P2M_INVALID beyond the domain's frames). */
export function p2mType(dom: u32, gfn: u64): u32 {
  if (gfn >= <u64>guestFrames(dom)) return P2M_INVALID;
  return <u32>atomic.load<u8>(tableAddr(dom) + <usize>gfn);
}

@inline export function isRamType(t: u32): bool { return t == P2M_RAM_RW || t == P2M_RAM_RO; }

/** True if the hypervisor may read guest memory at `gfn` (RAM or a Xen page). */
@inline export function p2mReadable(dom: u32, gfn: u64): bool {
  let t = p2mType(dom, gfn);
  return isRamType(t) || t == P2M_XEN;
}

/**
 * Address of [gpa, gpa + size) in `dom`'s memory, or 0 if any byte is
 * outside its frames or on a frame without RAM: Xen's copy_from_guest /
 * copy_to_guest failing with -EFAULT on an unpopulated gfn.
 */
export function guestRange(dom: u32, gpa: u64, size: u32): usize {
  let limit = <u64>guestFrames(dom) << PAGE_SHIFT;
  if (gpa >= limit || <u64>size > limit - gpa) return 0;
  if (size != 0) {
    let last = (gpa + <u64>size - 1) >> PAGE_SHIFT;
    for (let g = gpa >> PAGE_SHIFT; g <= last; g++) if (!p2mReadable(dom, g)) return 0;
  }
  return guestBase(dom) + <usize>gpa;
}

/** Charge `n` pages to the domain (Xen's domain_adjust_tot_pages under max_pages); false if over the limit. */
export function allocDomPages(dom: u32, n: u32): bool {
  let a = addrTotPages(dom);
  // bounded by the number of concurrent allocators: each failed cmpxchg means another one succeeded
  let tot = atomic.load<u32>(a);
  while (<u64>tot + <u64>n <= <u64>loadMaxPages(dom)) {
    let seen = atomic.cmpxchg<u32>(a, tot, tot + n);
    if (seen == tot) return true;
    tot = seen;
  }
  return false;
}

export function freeDomPages(dom: u32, n: u32): void { atomic.sub<u32>(addrTotPages(dom), n); }

/**
 * guest_physmap_add_page for one frame, after its page was charged: the
 * frame reads as zeros, then becomes RAM. A frame that was RAM already is
 * replaced (the old page stays charged, as in Xen, where it is no longer
 * mapped but still the domain's). -EINVAL for a gfn that can not hold RAM.
 */
export function p2mAddPage(dom: u32, gfn: u64): i32 {
  if (gfn >= <u64>guestFrames(dom) || gfn == <u64>SHARED_INFO_GFN) return -EINVAL;
  let e = tableAddr(dom) + <usize>gfn;
  let t = <u32>atomic.load<u8>(e);
  if (t == P2M_XEN) return -EINVAL;
  // zero before publishing: a reader that sees RAM sees the zeroed page (I43)
  memory.fill(guestBase(dom) + (<usize>gfn << PAGE_SHIFT), 0, 1 << PAGE_SHIFT);
  atomic.store<u8>(e, <u8>P2M_RAM_RW);
  return 0;
}

/**
 * guest_remove_page: the frame is RAM no more and its page is uncharged.
 * -ENOENT if it was not RAM (already removed, a hole, device-model memory
 * or Xen's page). One cmpxchg decides between concurrent removers.
 */
export function p2mRemovePage(dom: u32, gfn: u64): i32 {
  if (gfn >= <u64>guestFrames(dom)) return -ENOENT;
  let e = tableAddr(dom) + <usize>gfn;
  let t = <u32>atomic.load<u8>(e);
  if (!isRamType(t)) return -ENOENT;
  if (<u32>atomic.cmpxchg<u8>(e, <u8>t, <u8>P2M_INVALID) != t) return -ENOENT; // another remover or a type change won
  freeDomPages(dom, 1);
  // after the entry changed: a device model that sees the new generation maps against the new p2m (I44)
  atomic.add<u32>(addrDomField(dom, D_P2M_REMOVALS), 1);
  return 0;
}

/** The p2m's removal generation (the device model's cue to invalidate its mapcache, I44). */
export function loadP2mRemovals(dom: u32): u32 { return atomic.load<u32>(addrDomField(dom, D_P2M_REMOVALS)); }

/** True if every frame of [gpa, gpa + len) has a page behind it (RAM or a Xen page; len > 0). */
export function rangeMapped(dom: u32, gpa: u64, len: u32): bool {
  let last = (gpa + <u64>len - 1) >> PAGE_SHIFT;
  for (let g = gpa >> PAGE_SHIFT; g <= last; g++) if (!p2mReadable(dom, g)) return false;
  return true;
}

/** p2m_change_type_one: `from` → `to` if the entry still is `from`; false otherwise. */
export function p2mChangeType(dom: u32, gfn: u64, from: u32, to: u32): bool {
  if (gfn >= <u64>guestFrames(dom)) return false;
  return <u32>atomic.cmpxchg<u8>(tableAddr(dom) + <usize>gfn, <u8>from, <u8>to) == from;
}

// ------------------------------------------------------------- log-dirty
/** paging_mark_dirty. */
export function markDirty(dom: u32, gfn: u64): void {
  atomic.or<u32>(dirtyAddr(dom) + (<usize>(gfn >> 5) << 2), <u32>1 << <u32>(gfn & 31));
}
/** Word `i` of the dirty bitmap (bits for gfns 32i..32i+31); with `clear`, read and clear it in one RMW. */
export function dirtyWord(dom: u32, i: u32, clear: bool): u32 {
  if (<u64>i << 5 >= <u64>guestFrames(dom)) return 0;
  let a = dirtyAddr(dom) + (<usize>i << 2);
  return clear ? atomic.xchg<u32>(a, 0) : atomic.load<u32>(a);
}

// ------------------------------------------------------------- restore
/**
 * The restorer's p2m write (libxenguest populating a new domain from an
 * image's PAGE_DATA): gfn 1..frames-1 becomes `type` (a hole, RAM, read-only
 * RAM or device-model memory), tot_pages follows RAM in and out, and a frame
 * that is not RAM is zeroed. Only for a domain no vCPU runs yet (created for
 * the restore, unpaused after it): no atomic transition is needed against
 * other writers. -EINVAL for gfn 0 (Xen's page), a gfn beyond the domain, or
 * a type the restorer may not set.
 */
export function p2mRestoreType(dom: u32, gfn: u32, type: u32): i32 {
  if (gfn == SHARED_INFO_GFN || gfn >= guestFrames(dom)) return -EINVAL;
  if (type != P2M_INVALID && type != P2M_RAM_RW && type != P2M_RAM_RO && type != P2M_MMIO_DM) return -EINVAL;
  let e = tableAddr(dom) + <usize>gfn;
  let was = <u32>atomic.load<u8>(e);
  if (!isRamType(type)) memory.fill(guestBase(dom) + (<usize>gfn << PAGE_SHIFT), 0, 1 << PAGE_SHIFT);
  if (isRamType(was) && !isRamType(type)) freeDomPages(dom, 1);
  if (!isRamType(was) && isRamType(type)) atomic.add<u32>(addrTotPages(dom), 1);
  atomic.store<u8>(e, <u8>type);
  return 0;
}

/** The restorer's reservation counter: tot_pages as saved (pages charged but not mapped included). */
export function restoreTotPages(dom: u32, pages: u32): void { atomic.store<u32>(addrTotPages(dom), pages); }

/** The restorer's log-dirty bitmap: word `i` as saved, or-ed in (bits beyond the frames ignored). */
export function restoreDirtyWord(dom: u32, i: u32, word: u32): void {
  if (<u64>i << 5 >= <u64>guestFrames(dom)) return;
  atomic.or<u32>(dirtyAddr(dom) + (<usize>i << 2), word);
}
