// The guest side of the 2-level ABI, as Linux's events_2l.c does it (spec
// §10.5, §10.6), on the guest's own memory: shared_info's pending and mask
// bitmaps, its vcpu_info selector, and per-vCPU private state (GS2_* in
// layout.ts): the resume cursor, selector bits taken but not yet scanned, and
// the mask of ports routed to this vCPU. Bitmaps and the selector are touched
// with the same 32-bit atomics the hypervisor uses on those bytes (spec §12.1).

import {
  SHARED_INFO_GFN, PAGE_SHIFT, PAGE_SIZE, SI_EVTCHN_PENDING, SI_EVTCHN_MASK_64, SI_EVTCHN_MASK_32,
  VI_PENDING_SEL_64, VI_PENDING_SEL_32, GS2_VCPU_BYTES, GS2_CURSOR_WORD, GS2_CURSOR_BIT, GS2_SEL_LO,
  GS2_SEL_HI, GS2_CPU_MASK, XEN_LEGACY_MAX_VCPUS,
} from "../shared/layout";
import { EINVAL, EFAULT } from "../shared/errno";
import { gfnAddr, guestFrames, loadGuestWidth, loadNrVcpus } from "../domain/table";
import { addrVcpuInfo } from "../domain/vcpu";

/** Frames of 2-level driver state for `vcpus` vCPUs. */
export function twoLevelStateFrames(vcpus: u32): u32 {
  return (vcpus * <u32>GS2_VCPU_BYTES + <u32>PAGE_SIZE - 1) >> PAGE_SHIFT;
}

/** Address of `vcpu`'s state block, or 0 if the frames are not all guest RAM. */
function stateOf(dom: u32, gs2Gfn: u32, vcpu: u32): usize {
  let n = loadNrVcpus(dom);
  if (vcpu >= n || <u64>gs2Gfn + <u64>twoLevelStateFrames(n) > <u64>guestFrames(dom)) return 0;
  return gfnAddr(dom, <u64>gs2Gfn) + <usize>vcpu * <usize>GS2_VCPU_BYTES;
}

@inline function sharedInfo(dom: u32): usize { return gfnAddr(dom, <u64>SHARED_INFO_GFN); }
@inline function maskBase(dom: u32): usize {
  return sharedInfo(dom) + (loadGuestWidth(dom) == 32 ? SI_EVTCHN_MASK_32 : SI_EVTCHN_MASK_64);
}
@inline function selector(dom: u32, vcpu: u32): usize {
  return addrVcpuInfo(dom, vcpu) + (loadGuestWidth(dom) == 32 ? VI_PENDING_SEL_32 : VI_PENDING_SEL_64);
}
@inline function word(base: usize, bit: u32): usize { return base + (<usize>(bit >> 5) << 2); }
@inline function maskBit(bit: u32): u32 { return <u32>1 << (bit & 31); }

/** Zero the state of every vCPU, route every port to vCPU 0 and mask every port (as Linux at boot). */
export function guestTwoLevelSetup(dom: u32, gs2Gfn: u32): i32 {
  let n = loadNrVcpus(dom);
  let base = stateOf(dom, gs2Gfn, 0);
  if (base == 0 || n > <u32>XEN_LEGACY_MAX_VCPUS) return -EFAULT;
  memory.fill(base, 0, <usize>n * <usize>GS2_VCPU_BYTES);
  memory.fill(base + GS2_CPU_MASK, 0xff, 512);
  // mask every port, as Linux does at boot (shared_info starts all clear: spec §4.4)
  let w = loadGuestWidth(dom);
  let words = (w * w) >> 5;
  for (let i: u32 = 0; i < words; i++) atomic.store<u32>(maskBase(dom) + (<usize>i << 2), 0xffffffff);
  return 0;
}

/** Route `port` to `vcpu` in the guest's own bookkeeping (Linux's per-CPU event mask). */
export function guestTwoLevelRoute(dom: u32, gs2Gfn: u32, port: u32, vcpu: u32): i32 {
  let w = loadGuestWidth(dom);
  if (port >= w * w) return -EINVAL;
  let n = loadNrVcpus(dom);
  if (vcpu >= n || stateOf(dom, gs2Gfn, 0) == 0) return -EINVAL;
  for (let v: u32 = 0; v < n; v++) {
    let m = word(stateOf(dom, gs2Gfn, v) + GS2_CPU_MASK, port);
    if (v == vcpu) atomic.or<u32>(m, maskBit(port));
    else atomic.and<u32>(m, ~maskBit(port));
  }
  return 0;
}

/**
 * The scan of one upcall, resumable (spec §10.5): returns the next port to
 * dispatch on `vcpu`, its pending bit already cleared (the edge ack before the
 * handler), or 0 when the selector has nothing left. Take the selector with an
 * exchange (after the caller cleared evtchn_upcall_pending); scan words from
 * the saved cursor, wrapping; a word first entered mid-way is scanned again in
 * full before its selector bit is dropped, so no port starves (I21).
 */
export function guestTwoLevelNext(dom: u32, gs2Gfn: u32, vcpu: u32): u32 {
  let st = stateOf(dom, gs2Gfn, vcpu);
  if (st == 0) return 0;
  let w = loadGuestWidth(dom);
  let halves: u32 = w == 64 ? 2 : 1; // u32 words per selector bit
  let pending = sharedInfo(dom) + SI_EVTCHN_PENDING;
  let masks = maskBase(dom);
  let cpuMask = st + GS2_CPU_MASK;
  let sel = selector(dom, vcpu);
  let lo = load<u32>(st + GS2_SEL_LO);
  let hi = load<u32>(st + GS2_SEL_HI);
  let cw = load<u32>(st + GS2_CURSOR_WORD) % w;
  let cb = load<u32>(st + GS2_CURSOR_BIT) % w;
  // each pass drops a selector bit, resets the cursor of a half-scanned word, or returns
  for (let guard: u32 = 0; guard < 4 * w + 4; guard++) {
    if (lo == 0 && hi == 0) {
      lo = atomic.xchg<u32>(sel, 0);
      if (halves == 2) hi = atomic.xchg<u32>(sel + 4, 0);
      if (lo == 0 && hi == 0) break;
    }
    // the next selected word at or after the cursor, cyclically
    let i = cw;
    while (((i < 32 ? lo >> i : hi >> (i - 32)) & 1) == 0) { i = (i + 1) % w; cb = 0; }
    cw = i;
    // ports of word i from bit cb: halves × 32 bits of pending & ~mask & routed-here
    for (let b = cb; b < w; b++) {
      let port = i * w + b;
      let bits = atomic.load<u32>(word(pending, port)) & ~atomic.load<u32>(word(masks, port))
        & atomic.load<u32>(word(cpuMask, port));
      bits &= ~((maskBit(port)) - 1); // from bit b of this u32 upward
      if (bits == 0) { b = (b | 31); continue; } // next u32 half
      let found = (port & ~(<u32>31)) + <u32>ctz(bits);
      let nb = found - i * w + 1;
      // ack before the handler; another vCPU's scan may have taken it first (I22)
      let took = (atomic.and<u32>(word(pending, found), ~maskBit(found)) & maskBit(found)) != 0;
      if (!took) { b = found - i * w; continue; }
      store<u32>(st + GS2_SEL_LO, lo); store<u32>(st + GS2_SEL_HI, hi);
      store<u32>(st + GS2_CURSOR_WORD, nb < w ? i : (i + 1) % w);
      store<u32>(st + GS2_CURSOR_BIT, nb < w ? nb : 0);
      return found;
    }
    if (cb == 0) { // scanned in full: nothing left here for this selector bit
      if (i < 32) lo &= ~(<u32>1 << i); else hi &= ~(<u32>1 << (i - 32));
    }
    cw = (i + 1) % w;
    cb = 0;
  }
  store<u32>(st + GS2_SEL_LO, lo); store<u32>(st + GS2_SEL_HI, hi);
  store<u32>(st + GS2_CURSOR_WORD, cw); store<u32>(st + GS2_CURSOR_BIT, cb);
  return 0;
}

/** Guest mask: set the mask bit. */
export function guestTwoLevelMask(dom: u32, port: u32): i32 {
  let w = loadGuestWidth(dom);
  if (port == 0 || port >= w * w) return -EINVAL;
  atomic.or<u32>(word(maskBase(dom), port), maskBit(port));
  return 0;
}

/**
 * Guest unmask as an HVM Linux does it (spec §10.6): a port routed to another
 * vCPU, or one that is pending after clearing its mask bit (which is then set
 * again), needs EVTCHNOP_unmask: returns 1. Returns 0 when done locally.
 */
export function guestTwoLevelUnmask(dom: u32, gs2Gfn: u32, vcpu: u32, port: u32): i32 {
  let w = loadGuestWidth(dom);
  if (port == 0 || port >= w * w) return -EINVAL;
  let st = stateOf(dom, gs2Gfn, vcpu);
  if (st == 0) return -EINVAL;
  if ((atomic.load<u32>(word(st + GS2_CPU_MASK, port)) & maskBit(port)) == 0) return 1;
  let m = word(maskBase(dom), port);
  atomic.and<u32>(m, ~maskBit(port));
  if ((atomic.load<u32>(word(sharedInfo(dom) + SI_EVTCHN_PENDING, port)) & maskBit(port)) != 0) {
    atomic.or<u32>(m, maskBit(port)); // the hypercall raises an upcall only if it clears the bit (§8.3)
    return 1;
  }
  return 0;
}
