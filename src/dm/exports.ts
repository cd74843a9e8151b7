// The typed export list of the device-model data plane (assembly/dm/index.ts).
// A DataPlane's exports include these; cast with `dmExports(dp)`.
// `dm` is the device-model region's address (src/dm/plan.ts). u32 results
// arrive as signed i32; addresses and DM addresses stay below 2^31 here.
import type { DataPlane } from '../wasm/data-plane.ts';

/** The device model's wasm exports (assembly/dm), as the shell calls them. */
export interface DmExports {
  mcInit(dm: number, guestDom: number, nrBuckets: number, nrEntries: number, nrRevs: number, maxChain: number,
    flags: number, grantOff: number, grantFrames: number): number;
  mcGrant(dm: number, gfn: number, count: number, owned: number): number;
  mcPageOwned(dm: number, gfn: number): number;
  /** DM address (> 0) or -errno / -MC_E_* */
  mcMap(dm: number, gpa: number, size: number, lock: number): number;
  /** guest-physical address (≥ 0) or -ENOENT / -MC_E_NOT_IN_CACHE / -MC_E_BAD_RAM_OFFSET */
  mcTranslate(dm: number, vaddr: number): number;
  mcInvalidateEntry(dm: number, vaddr: number): number;
  mcInvalidateAll(dm: number): number;
  /** address of the window bytes in the memory, 0 on error (mcLastError) */
  mcAccess(dm: number, vaddr: number, len: number, flags: number): number;
  mcLastError(): number;
  mcCheck(dm: number): number;
  /** the guest is dying: no new mapping or command; 0 or -EINVAL */
  mcGuestGone(dm: number): number;
  /** let go of the dying guest: 0, -ERESTART (DMA in flight: re-invoke) or -EINVAL (mcGuestGone first) */
  mcRelease(dm: number): number;
  addrMcEntry(dm: number, e: number): number;
  addrMcRev(dm: number, r: number): number;

  dmaInit(dm: number, ringGfn: number, diskOff: number, sectors: number, workers: number, zero: number): number;
  dmaSetReady(dm: number, port: number): void;
  dmaPending(dm: number): number;
  dmaClaim(dm: number): number;
  /** stop claiming from the guest's ring (I52); returns the in-flight tag bitmap at that moment */
  dmaQuiesce(dm: number): number;
  /** 1 once quiesced with nothing claimed or started left */
  dmaDrained(dm: number): number;
  dmaUnquiesce(dm: number): void;
  /** take up a saved ring position before the doorbell is bound: 0 or -EINVAL */
  dmaRestoreConsumer(dm: number, cons: number): number;
  /** 1 started (finish later), 0 completed at once with an error status, or -DM_FATAL_* */
  dmaStart(dm: number, tag: number, worker: number): number;
  /** DMA_ST_OK or -DM_FATAL_* */
  dmaFinish(dm: number, tag: number, worker: number): number;
  /** DMA_ST_* (≥ 0) or -DM_FATAL_* */
  dmaExecute(dm: number, tag: number, worker: number): number;
  dmaMapStep(dm: number, gpa: number, len: number): number;
  dmaCopyStep(dm: number, vaddr: number, gpa: number, len: number, op: number, lba: number, tag: number): number;
  dmaUnmapStep(dm: number, vaddr: number, gpa: number, len: number, tag: number): number;
  dmaLastChecksum(): number;
  dmaWorkerIdle(dm: number, worker: number, idle: number): void;
  dmaWakeIdle(dm: number, self: number): number;
  dmaSetWorkerPort(dm: number, worker: number, port: number): void;
  dmaWorkerPort(dm: number, worker: number): number;

  dmaGuestFill(dom: number, gpa: number, len: number, lba: number, version: number): number;
  dmaGuestChecksum(dom: number, gpa: number, len: number): number;
  dmaGuestVerify(dom: number, gpa: number, len: number, lba: number, shadowGpa: number): number;
  dmaGuestSetVersions(dom: number, shadowGpa: number, lba: number, n: number, version: number): number;
  dmChecksum(addr: number, len: number): number;
}

/** The device-model exports of a thread's data plane. */
export function dmExports(dp: DataPlane): DmExports {
  return dp.x as unknown as DmExports;
}
