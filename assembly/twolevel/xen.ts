// 2-level ABI, hypervisor side (spec §8): the pending and mask bitmaps in
// shared_info and the per-vCPU selector. Bitmaps are flat little-endian bit
// arrays, accessed with 32-bit atomics on aligned words: bit p lives in the
// u32 at byte 4*(p >> 5), bit p & 31. The x86-64 selector (u64) is two u32
// halves (spec §12.1). Guests must use the same 32-bit primitive (issue 4's
// guest side does).

import {
  SHARED_INFO_GFN, PAGE_SHIFT, SI_EVTCHN_PENDING, SI_EVTCHN_MASK_64, SI_EVTCHN_MASK_32,
  VI_PENDING_SEL_64, VI_PENDING_SEL_32,
} from "../shared/layout";
import { guestBase, loadGuestWidth } from "../domain/table";
import { addrVcpuInfo } from "../domain/vcpu";
import { markEventsPending } from "../upcall";
import { checkPollers } from "../channel/pollers";

@inline function sharedInfo(dom: u32): usize {
  return guestBase(dom) + (<usize>SHARED_INFO_GFN << PAGE_SHIFT);
}

/** Ports the 2-level ABI can name for this guest: W × W (4096 or 1024). */
@inline export function twoLevelLimit(dom: u32): u32 {
  let w = loadGuestWidth(dom);
  return w * w;
}

@inline function bitWord(base: usize, bit: u32): usize { return base + (<usize>(bit >> 5) << 2); }
@inline function bitMask(bit: u32): u32 { return <u32>1 << (bit & 31); }

@inline function pendingBase(dom: u32): usize { return sharedInfo(dom) + SI_EVTCHN_PENDING; }
@inline function maskBase(dom: u32): usize {
  return sharedInfo(dom) + (loadGuestWidth(dom) == 32 ? SI_EVTCHN_MASK_32 : SI_EVTCHN_MASK_64);
}
@inline function selectorBase(dom: u32, vcpu: u32): usize {
  return addrVcpuInfo(dom, vcpu) + (loadGuestWidth(dom) == 32 ? VI_PENDING_SEL_32 : VI_PENDING_SEL_64);
}

/** Atomically set `bit` at `base`; true if it was already set. */
@inline function testAndSet(base: usize, bit: u32): bool {
  let m = bitMask(bit);
  return (atomic.or<u32>(bitWord(base, bit), m) & m) != 0;
}
@inline function testAndClear(base: usize, bit: u32): bool {
  let m = bitMask(bit);
  return (atomic.and<u32>(bitWord(base, bit), ~m) & m) != 0;
}
@inline function testBit(base: usize, bit: u32): bool {
  return (atomic.load<u32>(bitWord(base, bit)) & bitMask(bit)) != 0;
}

/**
 * spec §8.1: pending bit → (mask test) → selector bit → upcall. Returns 1 if
 * the pending bit went 0 → 1 (the caller checks pollers), else 0.
 */
export function twoLevelSetPending(dom: u32, vcpu: u32, port: u32): u32 {
  if (port >= twoLevelLimit(dom)) return 0;
  if (testAndSet(pendingBase(dom), port)) return 0;
  if (!testBit(maskBase(dom), port)) {
    let sel = port / loadGuestWidth(dom);
    if (!testAndSet(selectorBase(dom, vcpu), sel)) markEventsPending(dom, vcpu);
  }
  checkPollers(dom, port);
  return 1;
}

export function twoLevelClearPending(dom: u32, port: u32): void {
  if (port < twoLevelLimit(dom)) testAndClear(pendingBase(dom), port);
}

/** spec §8.3: an upcall only if this call cleared a set mask bit of a pending port. */
export function twoLevelUnmask(dom: u32, vcpu: u32, port: u32): void {
  if (port >= twoLevelLimit(dom)) return;
  if (testAndClear(maskBase(dom), port) && testBit(pendingBase(dom), port)) {
    let sel = port / loadGuestWidth(dom);
    if (!testAndSet(selectorBase(dom, vcpu), sel)) markEventsPending(dom, vcpu);
  }
}

export function twoLevelIsPending(dom: u32, port: u32): bool {
  return port < twoLevelLimit(dom) && testBit(pendingBase(dom), port);
}

export function twoLevelIsMasked(dom: u32, port: u32): bool {
  return port >= twoLevelLimit(dom) || testBit(maskBase(dom), port);
}
