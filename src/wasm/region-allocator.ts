// The region allocator of one shared memory (initial == maximum, so its size
// never changes): hands out page-aligned blocks above the global header for
// domains created at run time and takes back the blocks of destroyed ones,
// coalescing neighbours, so a later domain — with the same domid or another —
// can use the space. First fit, lowest address first. Addresses live only in
// the TypeScript shell and the domain table (I2): a block is handed to
// domainCreate and recorded nowhere in shared state.
import { ConfigError } from '../errors.ts';
import { PAGE_SIZE, GLOBAL_BYTES } from '../../assembly/shared/layout.ts';

interface Block { base: number; bytes: number }

export class RegionAllocator {
  /** free blocks, sorted by base, never adjacent (coalesced) */
  private readonly free: Block[] = [];
  private readonly used = new Map<number, number>(); // base → bytes

  /** Manage [GLOBAL_BYTES, totalBytes); `taken` blocks are in use already (the planned domains). */
  constructor(readonly totalBytes: number, taken: readonly Block[]) {
    let cursor = GLOBAL_BYTES;
    for (const b of [...taken].sort((a, c) => a.base - c.base)) {
      if (b.base < cursor || b.base % PAGE_SIZE !== 0) throw new RangeError(`region at ${b.base} overlaps or is not page-aligned`);
      if (b.base > cursor) this.free.push({ base: cursor, bytes: b.base - cursor });
      this.used.set(b.base, b.bytes);
      cursor = b.base + b.bytes;
    }
    if (totalBytes > cursor) this.free.push({ base: cursor, bytes: totalBytes - cursor });
  }

  /** A page-aligned block of `bytes` (a multiple of 4 KiB); ConfigError naming `what` if none is large enough. */
  alloc(bytes: number, what: string): number {
    if (!Number.isInteger(bytes) || bytes <= 0 || bytes % PAGE_SIZE !== 0) throw new RangeError(`region size ${bytes} is not a positive multiple of ${PAGE_SIZE}`);
    const i = this.free.findIndex((b) => b.bytes >= bytes);
    if (i < 0) {
      throw new ConfigError(`${what} needs ${bytes / 1024} KiB but the largest free block of the shared memory is ` +
        `${this.largestFree() / 1024} KiB (${this.freeBytes() / 1024} KiB free in all): give the hypervisor more spare memory (spareKiB) or destroy a domain first`);
    }
    const b = this.free[i];
    const base = b.base;
    if (b.bytes === bytes) this.free.splice(i, 1);
    else { b.base += bytes; b.bytes -= bytes; }
    this.used.set(base, bytes);
    return base;
  }

  /** Give back the block at `base`; neighbours merge. */
  release(base: number): void {
    const bytes = this.used.get(base);
    if (bytes === undefined) throw new RangeError(`no region allocated at ${base}`);
    this.used.delete(base);
    let i = this.free.findIndex((b) => b.base > base);
    if (i < 0) i = this.free.length;
    this.free.splice(i, 0, { base, bytes });
    const next = this.free[i + 1];
    if (next && base + bytes === next.base) { this.free[i].bytes += next.bytes; this.free.splice(i + 1, 1); }
    const prev = this.free[i - 1];
    if (prev && prev.base + prev.bytes === base) { prev.bytes += this.free[i].bytes; this.free.splice(i, 1); }
  }

  freeBytes(): number { return this.free.reduce((n, b) => n + b.bytes, 0); }
  usedBytes(): number { let n = 0; for (const b of this.used.values()) n += b; return n; }
  largestFree(): number { return this.free.reduce((n, b) => Math.max(n, b.bytes), 0); }
  /** Blocks in use now. */
  get regions(): number { return this.used.size; }
}
