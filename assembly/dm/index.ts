// Device-model data plane exports (re-exported by assembly/index.ts): the
// mapcache, the DMA engine of the emulated storage controller, and the guest
// driver's bulk helpers. Thin wrappers, integers in and out; `dm` is the
// device-model region's address (src/dm/plan.ts), a DM address is a positive
// i32 (entry << 22 | offset), errors are negative (-errno or -MC_E_*).
// Typed on the TypeScript side by DmExports (src/dm/exports.ts).

import {
  mcInit as init, mcMap as map, mcTranslate as translate, mcInvalidateEntry as invalidateEntry,
  mcInvalidateAll as invalidateAll, mcAccess as access, mcLastError as lastError, mcCheck as check,
} from "./mapcache";
import { setGrant, pageOwned, entryAddr, revAddr } from "./region";
import {
  dmaInit as dInit, dmaSetReady as dReady, dmaPending as dPending, dmaClaim as dClaim, dmaExecute as dExecute,
  dmaWorkerIdle as dIdle, dmaWakeIdle as dWake, dmaSetWorkerPort as dSetPort, dmaWorkerPort as dPort,
  copyStep, unmapStep, dmaLastChecksum as lastChecksum, dmaStart as dStart, dmaFinish as dFinish,
  dmaQuiesce as dQuiesce, dmaDrained as dDrained, dmaUnquiesce as dUnquiesce, dmaRestoreConsumer as dRestoreCons,
} from "./dma";
import {
  dmaGuestFill as gFill, dmaGuestChecksum as gChecksum, dmaGuestVerify as gVerify,
  dmaGuestSetVersions as gSetVersions,
} from "./guest";
import { checksum } from "./checksum";
import { mcGuestGone as guestGone, mcRelease as release } from "./detach";

// ------------------------------------------------------------------ mapcache
export function mcInit(dm: usize, guestDom: u32, nrBuckets: u32, nrEntries: u32, nrRevs: u32, maxChain: u32,
  flags: u32, grantOff: u32, grantFrames: u32): i32 {
  return init(dm, guestDom, nrBuckets, nrEntries, nrRevs, maxChain, flags, grantOff, grantFrames);
}
/** Mark guest frames owned (granted to the device model) or not; -1 if outside the bitmap. */
export function mcGrant(dm: usize, gfn: u32, count: u32, owned: bool): i32 { return setGrant(dm, gfn, count, owned); }
export function mcPageOwned(dm: usize, gfn: u32): bool { return pageOwned(dm, gfn); }
export function mcMap(dm: usize, gpa: u32, size: u32, lock: bool): i32 { return map(dm, gpa, size, lock); }
export function mcTranslate(dm: usize, vaddr: u32): i32 { return translate(dm, vaddr); }
export function mcInvalidateEntry(dm: usize, vaddr: u32): i32 { return invalidateEntry(dm, vaddr); }
export function mcInvalidateAll(dm: usize): i32 { return invalidateAll(dm); }
/** Address of a window range (0 on error, then mcLastError()). */
export function mcAccess(dm: usize, vaddr: u32, len: u32, flags: u32): usize { return access(dm, vaddr, len, flags); }
export function mcLastError(): i32 { return lastError(); }
export function mcCheck(dm: usize): i32 { return check(dm); }
/** The guest is dying: no new mapping or command (0 or -EINVAL); then mcRelease until 0 (-ERESTART: DMA in flight). */
export function mcGuestGone(dm: usize): i32 { return guestGone(dm); }
export function mcRelease(dm: usize): i32 { return release(dm); }
export function addrMcEntry(dm: usize, e: u32): usize { return entryAddr(dm, e); }
export function addrMcRev(dm: usize, r: u32): usize { return revAddr(dm, r); }

// ------------------------------------------------------------------ DMA engine (device side)
export function dmaInit(dm: usize, ringGfn: u32, diskOff: u32, sectors: u32, workers: u32, zero: bool): i32 {
  return dInit(dm, ringGfn, diskOff, sectors, workers, zero);
}
export function dmaSetReady(dm: usize, port: u32): void { dReady(dm, port); }
export function dmaPending(dm: usize): u32 { return dPending(dm); }
export function dmaClaim(dm: usize): i32 { return dClaim(dm); }
// quiescing for a save, and taking up a saved ring position (I52)
export function dmaQuiesce(dm: usize): u32 { return dQuiesce(dm); }
export function dmaDrained(dm: usize): bool { return dDrained(dm); }
export function dmaUnquiesce(dm: usize): void { dUnquiesce(dm); }
export function dmaRestoreConsumer(dm: usize, cons: u32): i32 { return dRestoreCons(dm, cons); }
/** Start a claimed command (validate, map locked): 1 started, 0 completed at once with an error status, or -DM_FATAL_*. */
export function dmaStart(dm: usize, tag: u32, worker: u32): i32 { return dStart(dm, tag, worker); }
/** Finish a started command (copy, check, unmap, complete): DMA_ST_OK or -DM_FATAL_*. */
export function dmaFinish(dm: usize, tag: u32, worker: u32): i32 { return dFinish(dm, tag, worker); }
/** Start and finish at once. */
export function dmaExecute(dm: usize, tag: u32, worker: u32): i32 { return dExecute(dm, tag, worker); }
// one transfer's steps (dmaExecute = map, copy, unmap), for step-by-step schedules
/** Map a transfer locked: the DM address, or -errno (-EFAULT: not the guest's owned RAM). */
export function dmaMapStep(dm: usize, gpa: u32, len: u32): i32 { return map(dm, gpa, len, true); }
/** Copy through the window (op DMA_OP_READ/WRITE at sector lba): 0 or -DM_FATAL_*; checksum in dmaLastChecksum(). */
export function dmaCopyStep(dm: usize, vaddr: u32, gpa: u32, len: u32, op: u32, lba: u32, tag: u32): i32 {
  return copyStep(dm, vaddr, gpa, len, op, lba, tag);
}
/** Still ours? translate back == gpa? invalidate: 0 or -DM_FATAL_*. */
export function dmaUnmapStep(dm: usize, vaddr: u32, gpa: u32, len: u32, tag: u32): i32 {
  return unmapStep(dm, vaddr, gpa, len, tag);
}
export function dmaLastChecksum(): u32 { return lastChecksum(); }
export function dmaWorkerIdle(dm: usize, worker: u32, idle: bool): void { dIdle(dm, worker, idle); }
export function dmaWakeIdle(dm: usize, self: u32): i32 { return dWake(dm, self); }
export function dmaSetWorkerPort(dm: usize, worker: u32, port: u32): void { dSetPort(dm, worker, port); }
export function dmaWorkerPort(dm: usize, worker: u32): u32 { return dPort(dm, worker); }

// ------------------------------------------------------------------ guest driver helpers
export function dmaGuestFill(dom: u32, gpa: u32, len: u32, lba: u32, version: u32): u32 { return gFill(dom, gpa, len, lba, version); }
export function dmaGuestChecksum(dom: u32, gpa: u32, len: u32): u32 { return gChecksum(dom, gpa, len); }
export function dmaGuestVerify(dom: u32, gpa: u32, len: u32, lba: u32, shadowGpa: u32): i32 { return gVerify(dom, gpa, len, lba, shadowGpa); }
export function dmaGuestSetVersions(dom: u32, shadowGpa: u32, lba: u32, n: u32, version: u32): i32 { return gSetVersions(dom, shadowGpa, lba, n, version); }
/** The shared checksum over any bytes of the memory (tests, the device model's own buffers). */
export function dmChecksum(addr: usize, len: u32): u32 { return checksum(addr, len); }
