// The DMA engine of the emulated storage controller, device side: 32 command
// slots (AHCI NCQ tags) in a command page of the guest's memory, executed
// concurrently by several device-model worker threads through the mapcache.
//
// Command page (dm-layout.ts, CP_*/DD_*): the guest fills descriptor[tag],
// stores tag in the submission ring, bumps SQ_PROD (seq-cst, after the
// descriptor and ring stores) and sends the doorbell event. A worker claims a
// submission by CAS on the DM-private consumer index (DMA_SQ_CONS: never the
// guest's copy) and starts it (dmaStart): reads every descriptor field once
// (the guest may rewrite it meanwhile; each field is trusted only as read,
// and kept in the DM-private slot record), validates, and maps the buffer
// locked. Later — the emulated disk completes requests out of order, so
// many mappings are locked at once, as with QEMU's asynchronous I/O — it
// finishes it (dmaFinish):
//   window access → copy + checksum → still locked?
//   → reverse translation == requested address? → invalidate (unlock)
// and completes: checksum and status into the descriptor, tag out of the
// in-flight set, bit tag ORed into CQ_DONE (after the status: the guest reads
// the status only after taking the bit). The caller then sends the
// completion event.
//
// A transfer that names memory the guest does not own completes with
// DMA_ST_BAD_ADDR and touches nothing. A broken mapcache (the injected bug)
// shows as a wrong reverse translation or a window unlocked under a request;
// QEMU aborts there ("Bad RAM offset"), and so does this device model: the
// first fatal error is recorded in DM_FATAL, the command is not completed, and
// every worker stops serving.

import {
  DMA_RING_GFN, DMA_DISK_OFF, DMA_DISK_SECTORS, DMA_SQ_CONS, DMA_INFLIGHT, DMA_PORT, DMA_NR_WORKERS, DMA_READY,
  DMA_QUIESCED, DMA_CLAIMING,
  DM_GRANT_OFF, DM_GRANT_FRAMES, CP_SQ_PROD, CP_CQ_DONE, CP_SQ_RING, CP_DESC, DESC_BYTES, DD_OP, DD_TAG, DD_GPA_LO,
  DD_GPA_HI, DD_LEN, DD_LBA, DD_STATUS, DD_DM_CSUM, DMA_SLOTS, DMA_OP_READ, DMA_OP_WRITE, DMA_MAX_BYTES, DMA_SECTOR,
  DMA_ST_OK, DMA_ST_BAD_OP, DMA_ST_BAD_LEN, DMA_ST_BAD_LBA, DMA_ST_BAD_ADDR, DMA_ST_BUSY, DMA_STATUS_KINDS,
  DMAS_COMMANDS, DMAS_READS, DMAS_WRITES, DMAS_SECTORS, DMAS_ERRORS, DMAS_BAD_TAGS, DMAS_RING_OVERRUNS, DMAS_STATUS,
  DM_WORKERS_OFF, DM_WORKER_BYTES, DM_MAX_WORKERS, DW_IDLE, DW_IPI_PORT, DW_COMMANDS, DM_FATAL_BAD_RAM_OFFSET,
  DM_FATAL_LIVE_UNMAPPED, DM_FATAL_LOCK_UNDERFLOW, DM_FATAL_NOT_IN_CACHE, DM_FATAL_CONFIG, MC_E_LOCK_UNDERFLOW,
  MC_WINDOW_SHIFT, MC_BUCKET_SHIFT, MCA_LOCKED, DM_SLOTS_OFF, DM_SLOT_BYTES, SL_OP, SL_GPA, SL_LEN, SL_LBA, SL_VADDR,
} from "../shared/dm-layout";
import { EINVAL, EFAULT } from "../shared/errno";
import { PAGE_SIZE } from "../shared/layout";
import { gfnAddr } from "../domain/table";
import { noise } from "../stress/noise";
import { isInitialised, loadGuestDom, stat, statAdd, recordFatal, loadFatal } from "./region";
import { mcMap, mcTranslate, mcInvalidateEntry, mcAccess, mcLastError, stillLocked, cacheSizeOf } from "./mapcache";
import { checksum } from "./checksum";
import { rangeMapped } from "../mm/p2m";
import { dmHoldsGuest, dmGuestGone } from "./detach";

// noise points of the stress build (assembly/stress/noise.ts numbers 1..7 are the FIFO's)
const NP_DM_AFTER_MAP: u32 = 0x101;     // a locked mapping exists, nothing copied yet
const NP_DM_AFTER_COPY: u32 = 0x102;    // data moved, translation not yet checked
const NP_DM_BEFORE_UNMAP: u32 = 0x103;  // translated, lock still held
const NP_DM_AFTER_CLAIM: u32 = 0x104;   // a tag claimed, descriptor not yet read

@inline function workerAddr(dm: usize, w: u32): usize {
  return dm + <usize>DM_WORKERS_OFF + <usize>w * <usize>DM_WORKER_BYTES;
}

/** The command page in this process's memory, or 0 if its gfn is not the guest's RAM or the region let go of its guest (I30). */
@inline function commandPage(dm: usize): usize {
  if (!dmHoldsGuest(dm)) return 0;
  return gfnAddr(loadGuestDom(dm), <u64>load<u32>(dm + DMA_RING_GFN));
}

/**
 * Configure the engine on an initialised mapcache region: the guest's command
 * page, the disk image (`diskOff` in the region, after the grant bitmap,
 * `sectors` × 512 B, zeroed if `zero`), the number of workers. Returns 0 or -EINVAL.
 */
export function dmaInit(dm: usize, ringGfn: u32, diskOff: u32, sectors: u32, workers: u32, zero: bool): i32 {
  if (!isInitialised(dm)) return -EINVAL;
  if (workers < 1 || workers > <u32>DM_MAX_WORKERS || sectors == 0) return -EINVAL;
  let grantEnd = <u64>load<u32>(dm + DM_GRANT_OFF) + ((<u64>load<u32>(dm + DM_GRANT_FRAMES) + 7) >> 3);
  if (<u64>diskOff < grantEnd || (diskOff & (<u32>PAGE_SIZE - 1)) != 0) return -EINVAL;
  if (gfnAddr(loadGuestDom(dm), <u64>ringGfn) == 0) return -EFAULT;
  store<u32>(dm + DMA_RING_GFN, ringGfn);
  store<u32>(dm + DMA_DISK_OFF, diskOff);
  store<u32>(dm + DMA_DISK_SECTORS, sectors);
  store<u32>(dm + DMA_NR_WORKERS, workers);
  atomic.store<u32>(dm + DMA_SQ_CONS, 0);
  atomic.store<u32>(dm + DMA_INFLIGHT, 0);
  atomic.store<u32>(dm + DMA_READY, 0);
  atomic.store<u32>(dm + DMA_QUIESCED, 0);
  atomic.store<u32>(dm + DMA_CLAIMING, 0);
  memory.fill(workerAddr(dm, 0), 0, <usize>DM_MAX_WORKERS * <usize>DM_WORKER_BYTES);
  if (zero) memory.fill(dm + <usize>diskOff, 0, <usize>sectors << 9);
  return 0;
}

/** The doorbell is bound: record the device model's port and let the workers serve. */
export function dmaSetReady(dm: usize, port: u32): void {
  store<u32>(dm + DMA_PORT, port);
  atomic.store<u32>(dm + DMA_READY, 1);
}

/** Submissions not yet claimed (at most 32: a producer index further ahead is a guest error); 0 while quiesced or not yet ready. */
export function dmaPending(dm: usize): u32 {
  let page = commandPage(dm);
  if (page == 0 || atomic.load<u32>(dm + DMA_QUIESCED) != 0 || atomic.load<u32>(dm + DMA_READY) == 0) return 0;
  let avail = atomic.load<u32>(page + CP_SQ_PROD) - atomic.load<u32>(dm + DMA_SQ_CONS);
  return min<u32>(avail, <u32>DMA_SLOTS);
}

/**
 * Claim the next submission: returns its tag, or -1 if none is waiting.
 * Submissions naming a tag > 31 or a tag still being executed are dropped
 * (counted in DMAS_BAD_TAGS; the guest gets no completion for them).
 */
export function dmaClaim(dm: usize): i32 {
  // I52: announce the claim, then look at the flag; dmaQuiesce stores the
  // flag, then looks at the count (both seq-cst): either this claim sees the
  // flag, or the quiescer sees the claim and waits for its tag to complete
  atomic.add<u32>(dm + DMA_CLAIMING, 1);
  // nothing is taken before the doorbell is bound (a restored engine's ring may hold requests already)
  let tag = atomic.load<u32>(dm + DMA_QUIESCED) != 0 || atomic.load<u32>(dm + DMA_READY) == 0 ? -1 : claimOne(dm);
  atomic.sub<u32>(dm + DMA_CLAIMING, 1);
  return tag;
}

function claimOne(dm: usize): i32 {
  let page = commandPage(dm);
  if (page == 0 || loadFatal(dm) != 0 || dmGuestGone(dm)) return -1;
  // each failed CAS means another worker claimed one: bounded by the ring size
  for (let tries = 0; tries < 2 * DMA_SLOTS; tries++) {
    let cons = atomic.load<u32>(dm + DMA_SQ_CONS);
    let prod = atomic.load<u32>(page + CP_SQ_PROD);
    let avail = prod - cons;
    if (avail == 0) return -1;
    if (avail > <u32>DMA_SLOTS) {
      // the guest ran its producer index ahead of any possible ring content:
      // resynchronise on its last 32 submissions
      if (atomic.cmpxchg<u32>(dm + DMA_SQ_CONS, cons, prod - <u32>DMA_SLOTS) == cons) stat(dm, DMAS_RING_OVERRUNS);
      continue;
    }
    let tag = atomic.load<u32>(page + CP_SQ_RING + (<usize>(cons & (<u32>DMA_SLOTS - 1)) << 2));
    if (atomic.cmpxchg<u32>(dm + DMA_SQ_CONS, cons, cons + 1) != cons) continue;
    if (tag >= <u32>DMA_SLOTS) { stat(dm, DMAS_BAD_TAGS); continue; }
    let bit = <u32>1 << tag;
    if ((atomic.or<u32>(dm + DMA_INFLIGHT, bit) & bit) != 0) { stat(dm, DMAS_BAD_TAGS); continue; }
    // the guest died meanwhile: give the tag back unstarted (pairs with mcRelease, I30)
    if (dmGuestGone(dm)) { atomic.and<u32>(dm + DMA_INFLIGHT, ~bit); return -1; }
    return <i32>tag;
  }
  return -1;
}

/**
 * Quiesce the engine for a save (I52): from now on no worker claims a
 * submission — the guest's unclaimed requests stay in its ring, in its
 * memory — while every command already claimed runs to completion. Returns
 * the tags in flight when the flag was set (the evidence that a quiesce had
 * work to wait for). Poll dmaDrained for the end; dmaUnquiesce undoes it.
 */
export function dmaQuiesce(dm: usize): u32 {
  atomic.store<u32>(dm + DMA_QUIESCED, 1);
  return atomic.load<u32>(dm + DMA_INFLIGHT);
}

/** Quiesced and nothing claimed or started is left: every started command completed, none half-done (I52). */
export function dmaDrained(dm: usize): bool {
  return atomic.load<u32>(dm + DMA_QUIESCED) != 0 && atomic.load<u32>(dm + DMA_CLAIMING) == 0
    && atomic.load<u32>(dm + DMA_INFLIGHT) == 0;
}

/** Take submissions from the guest's ring again (a save that did not move the guest). */
export function dmaUnquiesce(dm: usize): void {
  atomic.store<u32>(dm + DMA_QUIESCED, 0);
}

/**
 * A device model restored from a saved context (EMULATOR_CONTEXT) takes up
 * the guest's ring where the saved one stopped: set the DM-private consumer
 * index before the doorbell is bound. 0, or -EINVAL once the engine serves.
 */
export function dmaRestoreConsumer(dm: usize, cons: u32): i32 {
  if (!isInitialised(dm) || atomic.load<u32>(dm + DMA_READY) != 0) return -EINVAL;
  atomic.store<u32>(dm + DMA_SQ_CONS, cons);
  return 0;
}

@inline function slotAddr(dm: usize, tag: u32): usize {
  return dm + <usize>DM_SLOTS_OFF + <usize>tag * <usize>DM_SLOT_BYTES;
}

/**
 * Start the claimed command `tag`: read its descriptor once, validate it and
 * map its buffer locked, as QEMU's DMA helpers do when a request is submitted.
 * The mapping stays locked until dmaFinish — for as long as the "disk" takes —
 * so many requests hold mappings at once and their lifetimes overlap. Returns
 * 1 (started: call dmaFinish later), 0 (completed at once with an error status:
 * send the completion event) or -DM_FATAL_*.
 */
export function dmaStart(dm: usize, tag: u32, worker: u32): i32 {
  if (tag >= <u32>DMA_SLOTS) return -EINVAL;
  let page = commandPage(dm);
  if (page == 0) { recordFatal(dm, DM_FATAL_CONFIG, tag, 0, 0, 0, 0); return -DM_FATAL_CONFIG; }
  noise(NP_DM_AFTER_CLAIM);
  let d = page + CP_DESC + <usize>tag * <usize>DESC_BYTES;
  // one fetch per field: later guest writes to the descriptor change nothing (DM5)
  let op = load<u32>(d + DD_OP);
  let dtag = load<u32>(d + DD_TAG);
  let gpa = load<u32>(d + DD_GPA_LO);
  let gpaHi = load<u32>(d + DD_GPA_HI);
  let len = load<u32>(d + DD_LEN);
  let lba = load<u32>(d + DD_LBA);
  let sectors = load<u32>(dm + DMA_DISK_SECTORS);
  let status: u32 = DMA_ST_OK;
  // every check before the mapping: a refused command touches nothing (DM8)
  if ((op != <u32>DMA_OP_READ && op != <u32>DMA_OP_WRITE) || dtag != tag) {
    status = DMA_ST_BAD_OP;
  } else if (len == 0 || (len & (<u32>DMA_SECTOR - 1)) != 0 || len > <u32>DMA_MAX_BYTES) {
    status = DMA_ST_BAD_LEN;
  } else if (lba >= sectors || (len >>> 9) > sectors - lba) {
    status = DMA_ST_BAD_LBA;
  } else if (gpaHi != 0 || <u64>gpa + <u64>len > <u64>0xffffffff) {
    status = DMA_ST_BAD_ADDR;
  } else {
    let v = mcMap(dm, gpa, len, true);
    if (v >= 0 && !rangeMapped(loadGuestDom(dm), <u64>gpa, len)) {
      // a hit on a mapping another request holds locked since before the guest gave a frame back (I44)
      unmapStep(dm, <u32>v, gpa, len, tag);
      status = DMA_ST_BAD_ADDR;
    } else if (v < 0) {
      status = v == -EFAULT || v == -EINVAL ? DMA_ST_BAD_ADDR : DMA_ST_BUSY;
    } else {
      let sl = slotAddr(dm, tag);
      store<u32>(sl + SL_OP, op);
      store<u32>(sl + SL_GPA, gpa);
      store<u32>(sl + SL_LEN, len);
      store<u32>(sl + SL_LBA, lba);
      store<u32>(sl + SL_VADDR, <u32>v);
      noise(NP_DM_AFTER_MAP);
      return 1;
    }
  }
  complete(dm, page, tag, status, 0, worker);
  return 0;
}

/**
 * Finish a started command: move its data through its window, check the
 * window is still its own, translate back, unmap, complete. Returns the
 * status given to the guest (DMA_ST_OK) or -DM_FATAL_* (not completed).
 */
export function dmaFinish(dm: usize, tag: u32, worker: u32): i32 {
  if (tag >= <u32>DMA_SLOTS) return -EINVAL;
  let page = commandPage(dm);
  if (page == 0) { recordFatal(dm, DM_FATAL_CONFIG, tag, 0, 0, 0, 0); return -DM_FATAL_CONFIG; }
  let sl = slotAddr(dm, tag);
  let op = load<u32>(sl + SL_OP);
  let gpa = load<u32>(sl + SL_GPA);
  let len = load<u32>(sl + SL_LEN);
  let vaddr = load<u32>(sl + SL_VADDR);
  if (!rangeMapped(loadGuestDom(dm), <u64>gpa, len)) {
    // the guest gave a frame of the buffer back while the request was in flight: no transfer (I44).
    // Declared benign race: a removal after this check lands in the guest's own frame only.
    let u = unmapStep(dm, vaddr, gpa, len, tag);
    if (u < 0) return u;
    complete(dm, page, tag, DMA_ST_BAD_ADDR, 0, worker);
    return <i32>DMA_ST_BAD_ADDR;
  }
  let rc = copyStep(dm, vaddr, gpa, len, op, load<u32>(sl + SL_LBA), tag);
  if (rc == 0) rc = unmapStep(dm, vaddr, gpa, len, tag);
  if (rc < 0) return rc;
  statAdd(dm, op == <u32>DMA_OP_WRITE ? DMAS_WRITES : DMAS_READS, 1);
  statAdd(dm, DMAS_SECTORS, len >>> 9);
  complete(dm, page, tag, DMA_ST_OK, lastSum, worker);
  return <i32>DMA_ST_OK;
}

/** Start and finish at once: the status given to the guest (≥ 0) or -DM_FATAL_*. */
export function dmaExecute(dm: usize, tag: u32, worker: u32): i32 {
  let r = dmaStart(dm, tag, worker);
  if (r != 1) return r < 0 ? r : <i32>atomic.load<u32>(commandPage(dm) + CP_DESC + <usize>tag * <usize>DESC_BYTES + DD_STATUS);
  return dmaFinish(dm, tag, worker);
}

// Complete: descriptor first, then the tag leaves the in-flight set, then the
// guest-visible done bit (the guest reads the descriptor after taking it) (DM6).
function complete(dm: usize, page: usize, tag: u32, status: u32, sum: u32, worker: u32): void {
  let d = page + CP_DESC + <usize>tag * <usize>DESC_BYTES;
  store<u32>(d + DD_DM_CSUM, sum);
  atomic.store<u32>(d + DD_STATUS, status);
  atomic.and<u32>(dm + DMA_INFLIGHT, ~(<u32>1 << tag));
  atomic.or<u32>(page + CP_CQ_DONE, <u32>1 << tag);
  stat(dm, DMAS_COMMANDS);
  if (status != DMA_ST_OK) stat(dm, DMAS_ERRORS);
  stat(dm, DMAS_STATUS + <i32>(min<u32>(status, <u32>DMA_STATUS_KINDS - 1) << 2));
  if (worker < <u32>DM_MAX_WORKERS) atomic.add<u32>(workerAddr(dm, worker) + DW_COMMANDS, 1);
}

// ------------------------------------------------------------------ the steps of one transfer
// dmaExecute runs them in sequence; the deterministic seed test
// (test/dm/seed-abc.test.ts) interleaves the steps of several requests.

// checksum of the last copyStep on this thread (per-instance global, not shared state)
let lastSum: u32 = 0;
@inline export function dmaLastChecksum(): u32 { return lastSum; }

/**
 * Move the data of a mapped request through its window: `op` DMA_OP_WRITE
 * copies guest → disk, DMA_OP_READ disk → guest, and the checksum of the bytes
 * as they landed is kept for dmaLastChecksum(). A window that is no longer
 * mapped or locked is fatal (the request's mapping was taken away). Returns 0
 * or -DM_FATAL_LIVE_UNMAPPED.
 */
export function copyStep(dm: usize, vaddr: u32, gpa: u32, len: u32, op: u32, lba: u32, tag: u32): i32 {
  let sectors = load<u32>(dm + DMA_DISK_SECTORS);
  if (lba >= sectors || (len >>> 9) > sectors - lba) return -EINVAL;
  let win = mcAccess(dm, vaddr, len, MCA_LOCKED);
  if (win == 0) {
    recordFatal(dm, DM_FATAL_LIVE_UNMAPPED, tag, gpa, vaddr, <u32>(-mcLastError()), 0);
    return -DM_FATAL_LIVE_UNMAPPED;
  }
  let disk = dm + <usize>load<u32>(dm + DMA_DISK_OFF) + (<usize>lba << 9);
  if (op == <u32>DMA_OP_WRITE) {
    memory.copy(disk, win, <usize>len);
    lastSum = checksum(disk, len);
  } else {
    memory.copy(win, disk, <usize>len);
    lastSum = checksum(win, len);
  }
  noise(NP_DM_AFTER_COPY);
  return 0;
}

/**
 * Finish a request as QEMU's unmap does: check the window is still this
 * request's (locked, same mapping), translate the DM address back and
 * compare with the guest address it was mapped for, then invalidate (unlock)
 * it. Each failure is fatal. Returns 0 or -DM_FATAL_*.
 */
export function unmapStep(dm: usize, vaddr: u32, gpa: u32, len: u32, tag: u32): i32 {
  let e = vaddr >>> <u32>MC_WINDOW_SHIFT;
  if (!stillLocked(dm, e, gpa >>> <u32>MC_BUCKET_SHIFT, cacheSizeOf(gpa, len))) {
    // the window was unlocked or remapped while this request used it
    recordFatal(dm, DM_FATAL_LIVE_UNMAPPED, tag, gpa, vaddr, 0, 1);
    return -DM_FATAL_LIVE_UNMAPPED;
  }
  let back = mcTranslate(dm, vaddr);
  if (back != <i32>gpa) {
    recordFatal(dm, DM_FATAL_BAD_RAM_OFFSET, tag, gpa, vaddr, <u32>back, e);
    return -DM_FATAL_BAD_RAM_OFFSET;
  }
  noise(NP_DM_BEFORE_UNMAP);
  let u = mcInvalidateEntry(dm, vaddr);
  if (u != 0) {
    let code = u == -MC_E_LOCK_UNDERFLOW ? DM_FATAL_LOCK_UNDERFLOW : DM_FATAL_NOT_IN_CACHE;
    recordFatal(dm, code, tag, gpa, vaddr, <u32>(-u), e);
    return -code;
  }
  return 0;
}

// ------------------------------------------------------------------ worker wake-ups
// A worker marks itself idle, re-checks dmaPending, and only then sleeps; a
// worker that claims a command while more are pending wakes one idle peer
// (CAS idle 1 → 0, then an IPI). Both sides are seq-cst: either the sleeper
// sees the submission or the waker sees the sleeper idle (DM7).

export function dmaWorkerIdle(dm: usize, w: u32, idle: bool): void {
  if (w < <u32>DM_MAX_WORKERS) atomic.store<i32>(workerAddr(dm, w) + DW_IDLE, idle ? 1 : 0);
}

/** Take one idle worker other than `self` (round robin from self + 1): its index, or -1. */
export function dmaWakeIdle(dm: usize, self: u32): i32 {
  let n = load<u32>(dm + DMA_NR_WORKERS);
  for (let i: u32 = 1; i < n; i++) {
    let w = (self + i) % n;
    if (atomic.cmpxchg<i32>(workerAddr(dm, w) + DW_IDLE, 1, 0) == 1) return <i32>w;
  }
  return -1;
}

export function dmaSetWorkerPort(dm: usize, w: u32, port: u32): void {
  if (w < <u32>DM_MAX_WORKERS) atomic.store<u32>(workerAddr(dm, w) + DW_IPI_PORT, port);
}

export function dmaWorkerPort(dm: usize, w: u32): u32 {
  return w < <u32>DM_MAX_WORKERS ? atomic.load<u32>(workerAddr(dm, w) + DW_IPI_PORT) : 0;
}
