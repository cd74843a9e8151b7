// Guest-side helpers of the storage controller's driver: bulk work on the
// guest's own buffers (pattern fill, checksum, verification against the
// guest's record of what each disk sector should hold). They touch only the
// guest domain's frames and refuse any range outside them.

import { PAGE_SHIFT } from "../shared/layout";
import { guestFrames, guestBase, domainExists } from "../domain/table";
import { checksum, fillPattern, sectorMatches } from "./checksum";

/** Address of [gpa, gpa + len) in `dom`'s RAM, or 0 if any byte lies outside it. */
function guestRange(dom: u32, gpa: u64, len: u64): usize {
  if (!domainExists(dom) || len == 0) return 0;
  if (gpa + len > (<u64>guestFrames(dom) << PAGE_SHIFT)) return 0;
  return guestBase(dom) + <usize>gpa;
}

/**
 * Fill the buffer at `gpa` (len bytes, a multiple of 512) with the pattern of
 * sectors lba.. at `version`; returns its checksum. Returns 0 and does
 * nothing if the range is not the guest's RAM (callers pass their own buffers).
 */
export function dmaGuestFill(dom: u32, gpa: u32, len: u32, lba: u32, version: u32): u32 {
  let a = guestRange(dom, <u64>gpa, <u64>len);
  if (a == 0) return 0;
  fillPattern(a, len >>> 9, lba, version);
  return checksum(a, len);
}

/** Checksum of the guest's bytes [gpa, gpa + len); 0 if outside its RAM. */
export function dmaGuestChecksum(dom: u32, gpa: u32, len: u32): u32 {
  let a = guestRange(dom, <u64>gpa, <u64>len);
  return a == 0 ? 0 : checksum(a, len);
}

/**
 * Compare the buffer at `gpa` with what sectors lba.. should hold according
 * to the guest's version table (u32 per sector at `shadowGpa`). Returns the
 * number of sectors that differ, or -1 if a range is not the guest's RAM.
 */
export function dmaGuestVerify(dom: u32, gpa: u32, len: u32, lba: u32, shadowGpa: u32): i32 {
  let sectors = len >>> 9;
  let a = guestRange(dom, <u64>gpa, <u64>len);
  let s = guestRange(dom, <u64>shadowGpa + (<u64>lba << 2), <u64>sectors << 2);
  if (a == 0 || s == 0) return -1;
  let bad: i32 = 0;
  for (let k: u32 = 0; k < sectors; k++) {
    if (!sectorMatches(a + (<usize>k << 9), lba + k, load<u32>(s + (<usize>k << 2)))) bad++;
  }
  return bad;
}

/** Record that sectors lba..lba+n now hold `version` (the guest's version table). */
export function dmaGuestSetVersions(dom: u32, shadowGpa: u32, lba: u32, n: u32, version: u32): i32 {
  let s = guestRange(dom, <u64>shadowGpa + (<u64>lba << 2), <u64>n << 2);
  if (s == 0) return -1;
  for (let k: u32 = 0; k < n; k++) store<u32>(s + (<usize>k << 2), version);
  return 0;
}
