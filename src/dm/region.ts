// A thread's handle on a device-model region: the exports bound to the
// region's address, and decoded views (statistics, fatal error, invariant
// failures, a dump of the bucket chains). Reads are Atomics loads; shared
// state is written only through exports (I1).
import type { DataPlane } from '../wasm/data-plane.ts';
import { dmExports, type DmExports } from './exports.ts';
import type { DeviceModelPlan } from './plan.ts';
import { ConfigError } from '../errors.ts';
import { errnoName } from '../errors.ts';
import { PAGE_SIZE } from '../../assembly/shared/layout.ts';
import {
  DM_MAGIC, DM_REGION_MAGIC, DM_FATAL, DM_FATAL_INFO, DM_CHECK_FAIL, DM_CHECK_INFO, DM_NR_BUCKETS, DM_NR_ENTRIES,
  DM_REV_LOCKED, DMA_DISK_OFF, DMA_DISK_SECTORS, DMA_NR_WORKERS, DMA_PORT, DMA_READY, MCS_HITS, MCS_MISSES,
  MCS_REMAPS, MCS_LOCKED_MAPS, MCS_UNLOCKED_MAPS, MCS_FAULTS, MCS_NO_ENTRY, MCS_INVALIDATES, MCS_FREED,
  MCS_INVALIDATE_ALL, MCS_TRANSLATES, MCS_ENTRIES_LINKED, MCS_LOCKED_NOW, MCS_LONGEST_CHAIN, MCS_CHECKS, MCS_PEAK_LOCKED,
  DMAS_COMMANDS, DMAS_READS, DMAS_WRITES, DMAS_SECTORS, DMAS_ERRORS, DMAS_BAD_TAGS, DMAS_RING_OVERRUNS, DMAS_STATUS,
  DM_WORKERS_OFF, DM_WORKER_BYTES, DW_COMMANDS, ME_PADDR_INDEX, ME_SIZE, ME_LOCK, ME_NEXT, MR_VADDR, MR_PADDR_INDEX,
  MR_SIZE, MR_NEXT, MR_ENTRY, MR_GPA, DM_FATAL_BAD_RAM_OFFSET, DM_FATAL_LIVE_UNMAPPED, DM_FATAL_LOCK_UNDERFLOW,
  DM_FATAL_NOT_IN_CACHE, DM_FATAL_CONFIG, MC_CHK_DUPLICATE_LOCKED, MC_CHK_REV_RESOLVES_ELSEWHERE, MC_CHK_LOCK_COUNT,
  MC_CHK_CHAIN, MC_CHK_WRONG_BUCKET, MC_CHK_LOCKED_UNMAPPED, MC_CHK_FREE_LIST, MC_CHK_REV_LIST, MC_E_LOCK_UNDERFLOW,
  MC_E_NOT_IN_CACHE, MC_E_BAD_RAM_OFFSET, MC_E_UNMAPPED, MC_E_NOT_LOCKED, MC_WINDOW_SHIFT, MC_BUCKET_SHIFT,
  DMA_ST_OK, DMA_ST_BAD_OP, DMA_ST_BAD_LEN, DMA_ST_BAD_LBA, DMA_ST_BAD_ADDR, DMA_ST_BUSY,
} from '../../assembly/shared/dm-layout.ts';

/** The mapcache's counters. */
export interface MapCacheStats {
  /** requests served by an entry already mapped */
  hits: number;
  /** requests that installed a mapping (a new entry or a remapped one) */
  misses: number;
  /** misses that evicted another mapping */
  remaps: number;
  lockedMaps: number;
  unlockedMaps: number;
  /** requests refused because a page is not the guest's owned RAM */
  faults: number;
  /** requests refused for want of an entry (chain cap, pool) */
  noEntry: number;
  invalidates: number;
  freed: number;
  invalidateAll: number;
  translates: number;
  /** overflow entries linked now */
  entriesLinked: number;
  /** locked requests outstanding now */
  lockedNow: number;
  /** most locked requests outstanding at once */
  peakLocked: number;
  longestChain: number;
  checks: number;
}

/** The DMA engine's counters. */
export interface DmaEngineStats {
  commands: number;
  reads: number;
  writes: number;
  /** bytes moved by successful commands */
  bytes: number;
  errors: number;
  badTags: number;
  ringOverruns: number;
  byStatus: Record<DmaStatusName, number>;
  /** commands executed per worker */
  perWorker: number[];
}

/** The status a DMA command completes with. */
export type DmaStatusName = 'ok' | 'bad-op' | 'bad-len' | 'bad-lba' | 'bad-addr' | 'busy' | 'other';
export const DMA_STATUS_NAMES: Record<number, DmaStatusName> = {
  [DMA_ST_OK]: 'ok', [DMA_ST_BAD_OP]: 'bad-op', [DMA_ST_BAD_LEN]: 'bad-len', [DMA_ST_BAD_LBA]: 'bad-lba',
  [DMA_ST_BAD_ADDR]: 'bad-addr', [DMA_ST_BUSY]: 'busy',
};

/** Why the device model died (where QEMU would abort). */
export type DmFatalKind = 'bad-ram-offset' | 'live-unmapped' | 'lock-underflow' | 'not-in-cache' | 'config';
const FATAL_KINDS: Record<number, DmFatalKind> = {
  [DM_FATAL_BAD_RAM_OFFSET]: 'bad-ram-offset', [DM_FATAL_LIVE_UNMAPPED]: 'live-unmapped',
  [DM_FATAL_LOCK_UNDERFLOW]: 'lock-underflow', [DM_FATAL_NOT_IN_CACHE]: 'not-in-cache', [DM_FATAL_CONFIG]: 'config',
};

/** Why the device model exited (QEMU would have aborted), decoded from DM_FATAL. */
export interface DmFatal {
  kind: DmFatalKind;
  tag: number;
  gpa: number;
  vaddr: number;
  message: string;
}

/** A mapcache invariant check. */
export type McCheckName = 'duplicate-locked' | 'rev-resolves-elsewhere' | 'lock-count' | 'chain' | 'wrong-bucket'
  | 'locked-unmapped' | 'free-list' | 'rev-list';
export const MC_CHECK_NAMES: Record<number, McCheckName> = {
  [MC_CHK_DUPLICATE_LOCKED]: 'duplicate-locked', [MC_CHK_REV_RESOLVES_ELSEWHERE]: 'rev-resolves-elsewhere',
  [MC_CHK_LOCK_COUNT]: 'lock-count', [MC_CHK_CHAIN]: 'chain', [MC_CHK_WRONG_BUCKET]: 'wrong-bucket',
  [MC_CHK_LOCKED_UNMAPPED]: 'locked-unmapped', [MC_CHK_FREE_LIST]: 'free-list', [MC_CHK_REV_LIST]: 'rev-list',
};

/** A readable name for a mapcache/DMA error code (negative -errno or -MC_E_*). */
export function dmErrorName(code: number): string {
  const names: Record<number, string> = {
    [MC_E_LOCK_UNDERFLOW]: 'lock underflow', [MC_E_NOT_IN_CACHE]: 'not in the mapcache',
    [MC_E_BAD_RAM_OFFSET]: 'bad RAM offset', [MC_E_UNMAPPED]: 'window unmapped', [MC_E_NOT_LOCKED]: 'window not locked',
  };
  return names[-code] ?? `-${errnoName(-code)}`;
}

const hex = (n: number) => `0x${(n >>> 0).toString(16)}`;

export interface RegionPlacement {
  /** the device-model domain: the region lives in its frames */
  dmDom: number;
  /** first gfn of the region in that domain (page-aligned by construction) */
  regionGfn: number;
  /** the guest whose memory the device model maps */
  guestDom: number;
  plan: DeviceModelPlan;
}

/** The device model's region in shared memory: mapcache, DMA slots, counters and checks. */
export class DmRegion {
  readonly x: DmExports;

  constructor(readonly dp: DataPlane, readonly addr: number) {
    this.x = dmExports(dp);
  }

  /** The region of an already initialised device model (another thread attaching). */
  static attach(dp: DataPlane, addr: number): DmRegion {
    const r = new DmRegion(dp, addr);
    if (r.load(DM_MAGIC) !== DM_REGION_MAGIC) throw new ConfigError(`no device-model region at ${hex(addr)}`);
    return r;
  }

  /** Where the region of `p` lies in this memory; throws ConfigError if the domain's frames can not hold it. */
  static locate(dp: DataPlane, p: Omit<RegionPlacement, 'guestDom'>): number {
    const pages = Math.ceil(p.plan.bytes / PAGE_SIZE);
    const first = dp.x.addrGfn(p.dmDom, p.regionGfn) >>> 0;
    const last = dp.x.addrGfn(p.dmDom, p.regionGfn + pages - 1) >>> 0;
    if (first === 0 || last === 0 || last - first !== (pages - 1) * PAGE_SIZE) {
      throw new ConfigError(`device model: domain ${p.dmDom} has no ${pages} frames from gfn ${p.regionGfn} ` +
        `for the device-model region (${Math.ceil(p.plan.bytes / 1024)} KiB): give it ramKiB += plan.ramKiB`);
    }
    return first;
  }

  /** Lay out a fresh mapcache (every guest frame granted) in the device-model domain's frames. */
  static create(dp: DataPlane, p: RegionPlacement): DmRegion {
    const addr = DmRegion.locate(dp, p);
    const r = new DmRegion(dp, addr);
    const { plan } = p;
    const rc = r.x.mcInit(addr, p.guestDom, plan.buckets, plan.entries, plan.revs, plan.maxChain, plan.flags,
      plan.grantOff, plan.guestFrames);
    if (rc !== 0) throw new ConfigError(`device model: mcInit failed (${dmErrorName(rc)}); is domain ${p.guestDom} created?`);
    return r;
  }

  /** Configure the DMA engine: the guest's command page and the disk image of the plan. */
  initDma(plan: DeviceModelPlan, ringGfn: number, workers: number, zeroDisk = true): void {
    const rc = this.x.dmaInit(this.addr, ringGfn, plan.diskOff, plan.diskSectors, workers, zeroDisk ? 1 : 0);
    if (rc !== 0) throw new ConfigError(`device model: dmaInit(ring gfn ${ringGfn}, ${workers} workers) failed (${dmErrorName(rc)})`);
  }

  load(off: number): number {
    return Atomics.load(this.dp.u32, (this.addr + off) >>> 2);
  }

  /** Mark `count` guest frames from `gfn` as owned by the guest (mappable) or not. */
  grant(gfn: number, count: number, owned: boolean): void {
    if (this.x.mcGrant(this.addr, gfn, count, owned ? 1 : 0) !== 0) {
      throw new ConfigError(`device model: frames ${gfn}..${gfn + count - 1} (an unowned range) are outside the guest's RAM: give ranges inside it`);
    }
  }

  get nrWorkers(): number { return this.load(DMA_NR_WORKERS); }
  get port(): number { return this.load(DMA_PORT); }
  get ready(): boolean { return this.load(DMA_READY) !== 0; }

  /** The disk image (a view on shared memory). */
  disk(): Uint8Array {
    const off = this.load(DMA_DISK_OFF);
    return new Uint8Array(this.dp.memory.buffer, this.addr + off, this.load(DMA_DISK_SECTORS) * 512);
  }

  mapcacheStats(): MapCacheStats {
    const l = (o: number) => this.load(o);
    return {
      hits: l(MCS_HITS), misses: l(MCS_MISSES), remaps: l(MCS_REMAPS), lockedMaps: l(MCS_LOCKED_MAPS),
      unlockedMaps: l(MCS_UNLOCKED_MAPS), faults: l(MCS_FAULTS), noEntry: l(MCS_NO_ENTRY),
      invalidates: l(MCS_INVALIDATES), freed: l(MCS_FREED), invalidateAll: l(MCS_INVALIDATE_ALL),
      translates: l(MCS_TRANSLATES), entriesLinked: l(MCS_ENTRIES_LINKED), lockedNow: l(MCS_LOCKED_NOW), peakLocked: l(MCS_PEAK_LOCKED),
      longestChain: l(MCS_LONGEST_CHAIN), checks: l(MCS_CHECKS),
    };
  }

  dmaStats(): DmaEngineStats {
    const l = (o: number) => this.load(o);
    const byStatus = { ok: 0, 'bad-op': 0, 'bad-len': 0, 'bad-lba': 0, 'bad-addr': 0, busy: 0, other: 0 } as Record<DmaStatusName, number>;
    for (let s = 0; s < 8; s++) byStatus[DMA_STATUS_NAMES[s] ?? 'other'] += l(DMAS_STATUS + 4 * s);
    const perWorker: number[] = [];
    for (let w = 0; w < this.nrWorkers; w++) perWorker.push(l(DM_WORKERS_OFF + w * DM_WORKER_BYTES + DW_COMMANDS));
    return {
      commands: l(DMAS_COMMANDS), reads: l(DMAS_READS), writes: l(DMAS_WRITES), bytes: l(DMAS_SECTORS) * 512,
      errors: l(DMAS_ERRORS), badTags: l(DMAS_BAD_TAGS), ringOverruns: l(DMAS_RING_OVERRUNS), byStatus, perWorker,
    };
  }

  /** The fatal error that stopped the device model, if any. */
  fatal(): DmFatal | undefined {
    const code = this.load(DM_FATAL);
    if (code === 0) return undefined;
    const info = (i: number) => this.load(DM_FATAL_INFO + 4 * i);
    const [tag, gpa, vaddr, detail, extra] = [0, 1, 2, 3, 4].map(info);
    const kind = FATAL_KINDS[code] ?? 'config';
    const at = `command tag ${tag} (guest address ${hex(gpa)}, DM address ${hex(vaddr)})`;
    const message = {
      'bad-ram-offset': `Bad RAM offset: ${at}: reverse translation gave ${(detail | 0) < 0 ? dmErrorName(detail | 0) : hex(detail)} ` +
        `via entry ${extra}, not the address the request mapped`,
      'live-unmapped': extra === 1
        ? `live mapping unmapped: ${at}: its entry was unlocked or remapped while the transfer used it`
        : `live mapping unmapped: ${at}: window access failed (${dmErrorName(-detail)})`,
      'lock-underflow': `unmap of a mapping not locked: ${at}: the entry its key finds (entry ${extra}) has lock count 0`,
      'not-in-cache': `unmap: ${at}: no mapcache entry with the request's index and size (${dmErrorName(-detail)})`,
      config: `the command page of the guest is not guest RAM (tag ${tag})`,
    }[kind];
    return { kind, tag, gpa, vaddr, message };
  }

  /** The first invariant violation the debug checks saw, if any. */
  checkFailure(): { check: McCheckName; index: number } | undefined {
    const code = this.load(DM_CHECK_FAIL);
    if (code === 0) return undefined;
    return { check: MC_CHECK_NAMES[code] ?? 'chain', index: this.load(DM_CHECK_INFO) };
  }

  /** Run the invariant check now: undefined if every invariant holds. */
  check(): McCheckName | undefined {
    const rc = this.x.mcCheck(this.addr);
    return rc === 0 ? undefined : MC_CHECK_NAMES[rc] ?? 'chain';
  }

  /** Entry `e` as the mapcache holds it (racy read: for tests and dumps). */
  entry(e: number): { index: number; size: number; lock: number; next: number } {
    const a = this.x.addrMcEntry(this.addr, e) >>> 0;
    const l = (o: number) => Atomics.load(this.dp.u32, (a + o) >>> 2);
    return { index: l(ME_PADDR_INDEX), size: l(ME_SIZE), lock: l(ME_LOCK), next: l(ME_NEXT) };
  }

  /** Entries of bucket `b`'s chain, head first (racy read). */
  chain(b: number): number[] {
    const out: number[] = [];
    const n = this.load(DM_NR_ENTRIES);
    for (let e = 1 + b; e !== 0 && out.length < n; e = this.entry(e).next) out.push(e);
    return out;
  }

  /** The locked requests (reverse entries), newest first (racy read). */
  lockedRequests(): { vaddr: number; index: number; size: number; entry: number; gpa: number }[] {
    const out = [];
    for (let r = this.load(DM_REV_LOCKED), n = 0; r !== 0 && n < 256; n++) {
      const a = this.x.addrMcRev(this.addr, r) >>> 0;
      const l = (o: number) => Atomics.load(this.dp.u32, (a + o) >>> 2);
      out.push({ vaddr: l(MR_VADDR), index: l(MR_PADDR_INDEX), size: l(MR_SIZE), entry: l(MR_ENTRY), gpa: l(MR_GPA) });
      r = l(MR_NEXT);
    }
    return out;
  }

  /** Every non-empty chain and the locked requests, for failure messages. */
  dump(): string {
    const lines: string[] = [];
    const nb = this.load(DM_NR_BUCKETS);
    for (let b = 0; b < nb; b++) {
      const c = this.chain(b);
      if (c.length === 1 && this.entry(c[0]).size === 0) continue;
      lines.push(`  bucket ${b}: ` + c.map((e) => {
        const x = this.entry(e);
        return x.size === 0 ? `[${e} unmapped]` : `[${e} idx ${x.index} ${x.size >>> MC_BUCKET_SHIFT}M lock ${x.lock}]`;
      }).join(' → '));
    }
    for (const r of this.lockedRequests()) {
      lines.push(`  locked: DM ${hex(r.vaddr)} (entry ${r.vaddr >>> MC_WINDOW_SHIFT}) gpa ${hex(r.gpa)} key (${r.index}, ${r.size >>> MC_BUCKET_SHIFT}M) given entry ${r.entry}`);
    }
    const f = this.fatal();
    if (f) lines.push(`  fatal: ${f.message}`);
    const c = this.checkFailure();
    if (c) lines.push(`  invariant violated: ${c.check} (index ${c.index})`);
    return ['mapcache:', ...lines].join('\n');
  }
}
