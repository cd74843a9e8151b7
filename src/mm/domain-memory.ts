// The toolstack's view of a domain's memory (library API): the p2m's
// reservation counters, the reservation limit (XEN_DOMCTL_max_mem), and
// log-dirty mode with the dirty bitmap the device model's modified-memory
// calls fill (XEN_DOMCTL_SHADOW_OP_ENABLE_LOGDIRTY / PEEK / CLEAN). Reads
// go through the data plane's exports; the bitmap words are read one RMW at
// a time, so a CLEAN loses no bit set concurrently (I43).
import type { DataPlane } from '../wasm/data-plane.ts';
import { P2M_INVALID, P2M_RAM_RW, P2M_RAM_RO, P2M_MMIO_DM, P2M_XEN } from '../../assembly/shared/layout.ts';
import { ConfigError, InvalidArgumentError } from '../errors.ts';

export type P2mType = 'invalid' | 'ram_rw' | 'ram_ro' | 'mmio_dm' | 'xen';
const TYPE_NAMES: Record<number, P2mType> = {
  [P2M_INVALID]: 'invalid', [P2M_RAM_RW]: 'ram_rw', [P2M_RAM_RO]: 'ram_ro', [P2M_MMIO_DM]: 'mmio_dm', [P2M_XEN]: 'xen',
};

export class DomainMemory {
  constructor(private readonly dp: DataPlane, readonly domid: number, readonly frames: number) {}

  /** Pages allocated to the domain (Xen's tot_pages; shared_info is Xen's and not counted). */
  totPages(): number { return this.dp.x.domainTotPages(this.domid) >>> 0; }
  /** The reservation limit (max_pages). */
  maxPages(): number { return this.dp.x.domainMaxPages(this.domid) >>> 0; }
  /** XEN_DOMCTL_max_mem: set the limit; pages already allocated above it stay. */
  setMaxPages(pages: number): void {
    if (!Number.isInteger(pages) || pages < 0 || pages > 0xffffffff) throw new ConfigError(`domain ${this.domid}: maxPages ${pages} is not a page count 0..2^32-1`);
    this.dp.x.domainSetMaxPages(this.domid, pages);
  }
  /** The p2m type of `gfn` ('invalid' = not populated). */
  p2mType(gfn: number): P2mType {
    if (!Number.isInteger(gfn) || gfn < 0 || gfn >= this.frames) throw new InvalidArgumentError('p2mType', 'gfn', gfn, this.domid, `an integer in 0..${this.frames - 1}`);
    return TYPE_NAMES[this.dp.x.p2mTypeOf(this.domid, gfn)] ?? 'invalid';
  }
  /** True if `gfn` has RAM behind it. */
  isPopulated(gfn: number): boolean {
    const t = this.p2mType(gfn);
    return t === 'ram_rw' || t === 'ram_ro';
  }
  /** Log-dirty mode on or off: HVMOP/DMOP modified_memory mark frames only while it is on. */
  setLogDirty(on: boolean): void { this.dp.x.domainSetLogDirty(this.domid, on ? 1 : 0); }
  /** The dirty bitmap (bit g of word g >> 5 = gfn g modified); with `clear`, each word is read and cleared atomically. */
  dirtyBitmap(opts: { clear?: boolean } = {}): Uint32Array {
    const words = new Uint32Array(Math.ceil(this.frames / 32));
    for (let i = 0; i < words.length; i++) words[i] = this.dp.x.dirtyBitmapWord(this.domid, i, opts.clear ? 1 : 0) >>> 0;
    return words;
  }
  /** The dirty gfns in ascending order (see dirtyBitmap). */
  dirtyPages(opts: { clear?: boolean } = {}): number[] {
    const out: number[] = [];
    this.dirtyBitmap(opts).forEach((w, i) => { for (let b = 0; b < 32; b++) if ((w >>> b) & 1) out.push(i * 32 + b); });
    return out;
  }
}
