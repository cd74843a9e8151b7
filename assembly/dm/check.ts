// The mapcache's invariants DM1–DM3 as a debug check (docs/decisions/0002-device-model.md):
//  - chains: acyclic, at most DM_MAX_CHAIN long, a head first and overflow
//    entries after it, every mapped entry in the chain of its own bucket;
//  - a locked entry is mapped; index and size are unique among locked
//    entries (the 2017 fix);
//  - every reverse entry's key (index, size) finds, by QEMU's first-match
//    lookup, the entry its request was given; an entry's lock count equals
//    the reverse entries that were given it;
//  - free lists hold only free slots, and no slot is lost.
// Runs with the mapcache lock held. Returns 0 or the first MC_CHK_* code,
// and records the first violation ever seen in DM_CHECK_FAIL/DM_CHECK_INFO.

import {
  DM_NR_BUCKETS, DM_NR_ENTRIES, DM_NR_REVS, DM_MAX_CHAIN, DM_ENTRY_FREE, DM_REV_FREE, DM_REV_LOCKED,
  DM_CHECK_FAIL, DM_CHECK_INFO, ME_FLAGS, MEF_HEAD, MEF_IN_USE, MR_NEXT, MR_PADDR_INDEX, MR_SIZE, MR_ENTRY,
  MCS_CHECKS, MC_CHK_DUPLICATE_LOCKED, MC_CHK_REV_RESOLVES_ELSEWHERE, MC_CHK_LOCK_COUNT, MC_CHK_CHAIN,
  MC_CHK_WRONG_BUCKET, MC_CHK_LOCKED_UNMAPPED, MC_CHK_FREE_LIST, MC_CHK_REV_LIST,
} from "../shared/dm-layout";
import { stat, entryAddr, loadIndex, loadSize, loadEntryLock, loadNext, revAddr, bucketHead } from "./region";

function fail(dm: usize, code: i32, info: u32): i32 {
  if (atomic.cmpxchg<u32>(dm + DM_CHECK_FAIL, 0, <u32>code) == 0) atomic.store<u32>(dm + DM_CHECK_INFO, info);
  return code;
}

/** First entry with this key in its chain, as translate/invalidate find it. */
function resolve(dm: usize, index: u32, size: u32, limit: u32): u32 {
  let e = bucketHead(dm, index);
  for (let steps: u32 = 0; e != 0 && steps < limit; steps++) {
    if (loadSize(dm, e) == size && loadIndex(dm, e) == index) return e;
    e = loadNext(dm, e);
  }
  return 0;
}

export function checkLocked(dm: usize): i32 {
  stat(dm, MCS_CHECKS);
  let nb = load<u32>(dm + DM_NR_BUCKETS);
  let ne = load<u32>(dm + DM_NR_ENTRIES);
  let nr = load<u32>(dm + DM_NR_REVS);
  let maxChain = load<u32>(dm + DM_MAX_CHAIN);
  let linked: u32 = 0;
  let lockSum: u32 = 0;

  // structure first: a cyclic chain must not send the content checks round in circles
  for (let b: u32 = 0; b < nb; b++) {
    let head: u32 = 1 + b;
    let e = head;
    let length: u32 = 0;
    while (e != 0) {
      length++;
      if (length > maxChain || length > ne || e >= ne) return fail(dm, MC_CHK_CHAIN, head);
      let flags = load<u32>(entryAddr(dm, e) + ME_FLAGS);
      if (e == head) {
        if (flags != MEF_HEAD) return fail(dm, MC_CHK_CHAIN, e);
      } else {
        if (flags != MEF_IN_USE) return fail(dm, MC_CHK_CHAIN, e);
        linked++;
      }
      e = loadNext(dm, e);
    }
  }

  for (let b: u32 = 0; b < nb; b++) {
    for (let e: u32 = 1 + b; e != 0; e = loadNext(dm, e)) {
      let size = loadSize(dm, e);
      let index = loadIndex(dm, e);
      let lock = loadEntryLock(dm, e);
      if (size != 0 && index % nb != b) return fail(dm, MC_CHK_WRONG_BUCKET, e);
      if (lock == 0) continue;
      if (size == 0) return fail(dm, MC_CHK_LOCKED_UNMAPPED, e);
      lockSum += lock;
      // index and size unique among locked entries (the fix)
      for (let f = loadNext(dm, e); f != 0; f = loadNext(dm, f)) {
        if (loadEntryLock(dm, f) != 0 && loadSize(dm, f) == size && loadIndex(dm, f) == index) {
          return fail(dm, MC_CHK_DUPLICATE_LOCKED, f);
        }
      }
      // lock count = requests that were given this entry
      let given: u32 = 0;
      let r = load<u32>(dm + DM_REV_LOCKED);
      for (let steps: u32 = 0; r != 0 && steps < nr; steps++) {
        if (load<u32>(revAddr(dm, r) + MR_ENTRY) == e) given++;
        r = load<u32>(revAddr(dm, r) + MR_NEXT);
      }
      if (given != lock) return fail(dm, MC_CHK_LOCK_COUNT, e);
    }
  }

  // every locked request's key finds its own entry
  let revs: u32 = 0;
  let r = load<u32>(dm + DM_REV_LOCKED);
  while (r != 0) {
    revs++;
    if (revs >= nr || r >= nr) return fail(dm, MC_CHK_REV_LIST, r);
    let ra = revAddr(dm, r);
    let given = load<u32>(ra + MR_ENTRY);
    if (resolve(dm, load<u32>(ra + MR_PADDR_INDEX), load<u32>(ra + MR_SIZE), ne) != given) {
      return fail(dm, MC_CHK_REV_RESOLVES_ELSEWHERE, r);
    }
    r = load<u32>(ra + MR_NEXT);
  }
  if (revs != lockSum) return fail(dm, MC_CHK_LOCK_COUNT, 0);

  // free lists: only free slots, none lost
  let free: u32 = 0;
  let e = load<u32>(dm + DM_ENTRY_FREE);
  while (e != 0) {
    free++;
    if (free > ne || e <= nb || e >= ne || load<u32>(entryAddr(dm, e) + ME_FLAGS) != 0) return fail(dm, MC_CHK_FREE_LIST, e);
    e = loadNext(dm, e);
  }
  if (free + linked != ne - 1 - nb) return fail(dm, MC_CHK_FREE_LIST, 0);
  let rfree: u32 = 0;
  r = load<u32>(dm + DM_REV_FREE);
  while (r != 0) {
    rfree++;
    if (rfree >= nr || r >= nr) return fail(dm, MC_CHK_FREE_LIST, r);
    r = load<u32>(revAddr(dm, r) + MR_NEXT);
  }
  if (rfree + revs != nr - 1) return fail(dm, MC_CHK_FREE_LIST, 0);
  return 0;
}
