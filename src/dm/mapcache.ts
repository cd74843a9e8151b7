// The mapcache as a library object: map guest memory into the device
// model's address space, read and write through the window, translate and
// unmap. For a Node service acting as a backend on its own thread; the
// device-model workers call the same wasm functions directly.
import { WasmxenError } from '../errors.ts';
import { DmRegion, dmErrorName, type MapCacheStats, type McCheckName } from './region.ts';
import { MCA_LOCKED } from '../../assembly/shared/dm-layout.ts';

/**
 * A mapcache operation failed: `.op` names it, `.rc` is what the mapcache
 * returned (a negative Xen errno such as -EFAULT, or one of its own -MC_E_*
 * faults), `.reason` that value in words.
 */
export class MapCacheError extends WasmxenError {
  override name = 'MapCacheError';
  override readonly code = 'WASMXEN_MAPCACHE';
  /** the value in words, e.g. '-EFAULT (bad address)' or 'window not locked' */
  readonly reason: string;
  constructor(readonly op: string, readonly rc: number) {
    const reason = dmErrorName(rc);
    super(`${op} failed: ${reason}`);
    this.reason = reason;
  }
}

/** A mapcache mapping: guest range → DM address. */
export interface Mapping {
  /** the DM address: an offset in the device model's address space (entry << 22 | offset) */
  readonly vaddr: number;
  readonly gpa: number;
  readonly size: number;
  readonly locked: boolean;
}

/** QEMU's mapcache over guest memory (with the 2017 overlapping-DMA fix), driven from the shell. */
export class MapCache {
  constructor(readonly region: DmRegion) {}

  private get x() { return this.region.x; }
  private get dm() { return this.region.addr; }

  /**
   * Map `size` bytes of guest memory at `gpa`. Locked (the default): valid
   * until unmap(); unlocked: valid until the entry is next remapped, so only
   * for a single thread's immediate use (QEMU's uncached accesses).
   */
  map(gpa: number, size: number, opts: { lock?: boolean } = {}): Mapping {
    const lock = opts.lock ?? true;
    const v = this.x.mcMap(this.dm, gpa >>> 0, size >>> 0, lock ? 1 : 0);
    if (v < 0) throw new MapCacheError(`map(gpa 0x${(gpa >>> 0).toString(16)}, ${size} bytes)`, v);
    return { vaddr: v, gpa, size, locked: lock };
  }

  /** The guest-physical address a locked mapping's DM address stands for (QEMU xen_ram_addr_from_mapcache). */
  translate(m: Mapping | number): number {
    const vaddr = typeof m === 'number' ? m : m.vaddr;
    const r = this.x.mcTranslate(this.dm, vaddr);
    if (r < 0) throw new MapCacheError(`translate(DM address 0x${vaddr.toString(16)})`, r);
    return r;
  }

  /** Release a locked mapping (QEMU xen_invalidate_map_cache_entry). */
  unmap(m: Mapping | number): void {
    const vaddr = typeof m === 'number' ? m : m.vaddr;
    const rc = this.x.mcInvalidateEntry(this.dm, vaddr);
    if (rc !== 0) throw new MapCacheError(`unmap(DM address 0x${vaddr.toString(16)})`, rc);
  }

  /** Drop every unlocked mapping; returns how many. Locked mappings stay. */
  invalidateAll(): number {
    return this.x.mcInvalidateAll(this.dm);
  }

  /**
   * A view of `len` bytes at `offset` in the mapping: the guest's memory
   * itself, no copy. Checked against the mapping, page validity and the
   * guest's RAM; throws MapCacheError otherwise.
   */
  view(m: Mapping, offset = 0, len = m.size - offset): Uint8Array {
    const a = this.x.mcAccess(this.dm, m.vaddr + offset, len, m.locked ? MCA_LOCKED : 0) >>> 0;
    if (a === 0) throw new MapCacheError(`access(${len} bytes at +${offset})`, this.x.mcLastError());
    return new Uint8Array(this.region.dp.memory.buffer, a, len);
  }

  /** Copy bytes out of guest memory through the window. */
  read(m: Mapping, offset = 0, len = m.size - offset): Uint8Array {
    return this.view(m, offset, len).slice();
  }

  /** Copy bytes into guest memory through the window. */
  write(m: Mapping, data: Uint8Array, offset = 0): void {
    this.view(m, offset, data.length).set(data);
  }

  stats(): MapCacheStats {
    return this.region.mapcacheStats();
  }

  /** Run the invariant check: undefined if every invariant holds. */
  check(): McCheckName | undefined {
    return this.region.check();
  }
}
