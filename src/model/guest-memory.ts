// A domain's guest frames as the reference model keeps them: gfns
// 0..frames-1 are RAM, gfn 0 is shared_info (SHARED_INFO_GFN). Pages are
// created zero-filled on first touch, so an untouched frame reads as zeros,
// as the wasm implementation's zeroed guest region does.
import { PAGE_SIZE, SHARED_INFO_GFN, VCPU_INFO_SIZE, VI_UPCALL_PENDING } from '../../assembly/shared/layout.ts';
import { InternalError } from '../errors.ts';

export const WORDS_PER_PAGE = PAGE_SIZE / 4;

export class GuestMemory {
  private readonly pages = new Map<number, Uint32Array>();
  /** shared_info as bytes: 2-level bitmaps, selectors and upcall flags are byte-addressed (spec §2.2, §12.1). */
  readonly sharedInfo: Uint8Array;

  constructor(readonly frames: number) {
    this.sharedInfo = new Uint8Array(this.page(SHARED_INFO_GFN).buffer);
  }

  /** True if `gfn` names a RAM frame of this domain (any other value, including a non-integer, does not). */
  isRam(gfn: number): boolean {
    return Number.isInteger(gfn) && gfn >= 0 && gfn < this.frames;
  }

  /** The page of `gfn` as 1024 little-endian u32 words; the caller checked isRam. */
  page(gfn: number): Uint32Array {
    let p = this.pages.get(gfn);
    if (p === undefined) {
      if (!this.isRam(gfn)) throw new InternalError(`model: page(${gfn}) of a guest with ${this.frames} frames, its caller did not check isRam`);
      p = new Uint32Array(WORDS_PER_PAGE);
      this.pages.set(gfn, p);
    }
    return p;
  }

  /** A copy of `length` bytes at (gfn, offset), for observation. */
  bytes(gfn: number, offset: number, length: number): Uint8Array {
    return new Uint8Array(this.page(gfn).buffer).slice(offset, offset + length);
  }

  /** vcpu_info.evtchn_upcall_pending of `vcpu` (bit 0 of byte 0, spec §2.1). */
  upcallPending(vcpu: number): 0 | 1 {
    return (this.sharedInfo[vcpu * VCPU_INFO_SIZE + VI_UPCALL_PENDING] & 1) as 0 | 1;
  }

  /** markEventsPending (spec §14): set the flag; true if it went 0 → 1 (an upcall is requested). */
  markEventsPending(vcpu: number): boolean {
    const i = vcpu * VCPU_INFO_SIZE + VI_UPCALL_PENDING;
    const old = this.sharedInfo[i];
    this.sharedInfo[i] = old | 1;
    return (old & 1) === 0;
  }

  /** Guest side: clear the flag before scanning (spec §10.1). */
  clearUpcallPending(vcpu: number): void {
    this.sharedInfo[vcpu * VCPU_INFO_SIZE + VI_UPCALL_PENDING] = 0;
  }
}
