// 2-level ABI, Xen side (spec §8.1–§8.4): pending bitmap P and mask bitmap M
// in shared_info, selector S in each vcpu_info. Little-endian words make all
// three flat bit arrays, so they are addressed bytewise (spec §2.2, §12.1).
import {
  SI_EVTCHN_PENDING, SI_EVTCHN_MASK_64, SI_EVTCHN_MASK_32, VCPU_INFO_SIZE, VI_PENDING_SEL_64,
  VI_PENDING_SEL_32,
} from '../../assembly/shared/layout.ts';
import type { ModelDomain } from './model-domain.ts';
import { RAISE_NEWLY_PENDING } from './model-fifo.ts';

function maskBase(d: ModelDomain): number {
  return d.guestWidth === 64 ? SI_EVTCHN_MASK_64 : SI_EVTCHN_MASK_32;
}

function testBit(bytes: Uint8Array, base: number, bit: number): boolean {
  return ((bytes[base + (bit >>> 3)] >>> (bit & 7)) & 1) !== 0;
}

/** Sets the bit; returns its old value. */
function testAndSetBit(bytes: Uint8Array, base: number, bit: number): boolean {
  const i = base + (bit >>> 3);
  const m = 1 << (bit & 7);
  const old = bytes[i];
  bytes[i] = old | m;
  return (old & m) !== 0;
}

/** Clears the bit; returns its old value. */
function testAndClearBit(bytes: Uint8Array, base: number, bit: number): boolean {
  const i = base + (bit >>> 3);
  const m = 1 << (bit & 7);
  const old = bytes[i];
  bytes[i] = old & ~m;
  return (old & m) !== 0;
}

function selectorBase(d: ModelDomain, vcpu: number): number {
  return vcpu * VCPU_INFO_SIZE + (d.guestWidth === 64 ? VI_PENDING_SEL_64 : VI_PENDING_SEL_32);
}

/** Set S bit port/W; an upcall is requested only when it went 0 → 1. */
function raiseSelector(d: ModelDomain, vcpu: number, port: number): void {
  const si = d.mem.sharedInfo;
  if (!testAndSetBit(si, selectorBase(d, vcpu), Math.floor(port / d.guestWidth))) d.mem.markEventsPending(vcpu);
}

/** set_pending (spec §8.1). Returns RAISE_NEWLY_PENDING if P went 0 → 1. */
export function twoLevelSetPending(d: ModelDomain, vcpu: number, port: number): number {
  if (port >= d.guestWidth * d.guestWidth) return 0; // beyond the bitmaps (defensive, spec §8.4)
  const si = d.mem.sharedInfo;
  if (testAndSetBit(si, SI_EVTCHN_PENDING, port)) return 0; // already pending: no upcall, no poller check
  if (!testBit(si, maskBase(d), port)) raiseSelector(d, vcpu, port);
  return RAISE_NEWLY_PENDING;
}

/** clear_pending (spec §8.2). */
export function twoLevelClearPending(d: ModelDomain, port: number): void {
  if (port >= d.guestWidth * d.guestWidth) return;
  testAndClearBit(d.mem.sharedInfo, SI_EVTCHN_PENDING, port);
}

/** unmask (spec §8.3): an upcall only if this call cleared a set mask bit of a pending port. */
export function twoLevelUnmask(d: ModelDomain, port: number): void {
  if (port >= d.guestWidth * d.guestWidth) return;
  const si = d.mem.sharedInfo;
  const vcpu = d.channels[port].notifyVcpu;
  if (testAndClearBit(si, maskBase(d), port) && testBit(si, SI_EVTCHN_PENDING, port)) {
    raiseSelector(d, vcpu, port);
  }
}

/** is_pending / is_masked (spec §8.4), with Xen's defensive bounds. */
export function twoLevelIsPending(d: ModelDomain, port: number): boolean {
  return port < d.guestWidth * d.guestWidth && testBit(d.mem.sharedInfo, SI_EVTCHN_PENDING, port);
}

export function twoLevelIsMasked(d: ModelDomain, port: number): boolean {
  return port >= d.guestWidth * d.guestWidth || testBit(d.mem.sharedInfo, maskBase(d), port);
}
