// The guest's DMA command page (assembly/shared/dm-layout.ts): the word the
// guest's driver publishes its submission queue's producer index in, read by
// the device model and the toolstack. Seq-cst loads and stores: the
// descriptors a producer index covers are written before it.
import { CP_SQ_PROD } from '../../assembly/shared/dm-layout.ts';

/** The producer index of the command page at byte address `page` of `u32`'s memory. */
export function loadSqProd(u32: Uint32Array, page: number): number {
  return Atomics.load(u32, (page + CP_SQ_PROD) >>> 2);
}

/** Publish producer index `prod` (the guest's driver, or a test playing it). */
export function storeSqProd(u32: Uint32Array, page: number, prod: number): void {
  Atomics.store(u32, (page + CP_SQ_PROD) >>> 2, prod);
}
