// Plans the one shared WebAssembly.Memory of a hypervisor (layout in
// assembly/shared/layout.ts): the global header, then per domain its guest
// frames and its hypervisor-private region, each 4 KiB-aligned. The size of a
// private region depends on the data plane's private-layout version, so a plan
// is made for one layout (the loaded module's table, I54). Fails early, with a
// message naming the offending value, when a configuration can not fit.
import {
  GLOBAL_BYTES, PAGE_SIZE, WASM_PAGE_SIZE, MAX_DOMAINS, XEN_LEGACY_MAX_VCPUS,
  EVTCHNS_PER_BUCKET, GLOBAL_MAGIC, G_MAGIC, G_VERSION, G_TOTAL_PAGES,
} from '../../assembly/shared/layout.ts';
import { EVTCHN_FIFO_NR_CHANNELS } from '../../assembly/shared/fifo-abi.ts';
import { ConfigError } from '../errors.ts';
import { compileDataPlane } from './module.ts';
import { privateLayoutOf, type PrivateLayout } from './private-layout.ts';

/** A domain as the memory map lays it out. */
export interface DomainConfig {
  /** Domain id, 0..255. */
  domid: number;
  /** vCPUs, 1..32 (vcpu_info lives in shared_info). */
  vcpus: number;
  /** Guest frames of 4 KiB; frame 0 is shared_info. */
  frames: number;
  /** Highest port the domain may use (Xen's max_evtchn_port); default 1023. */
  maxEvtchnPort?: number;
  /** 2-level word width: 64 (x86-64, 4096 ports) or 32 (x86-32, 1024 ports). */
  guestWidth?: 64 | 32;
  /** The control (and hardware) domain: may act on other domains, handles global VIRQs. Default: domid 0. */
  control?: boolean;
  /** Reservation limit in pages (Xen's max_pages); default every frame but shared_info, all populated at creation. */
  maxPages?: number;
}

/** Where a domain's guest frames and hypervisor-private region are. */
export interface DomainRegion {
  domid: number;
  vcpus: number;
  frames: number;
  maxEvtchnPort: number;
  guestWidth: 64 | 32;
  control: boolean;
  /** Reservation limit in pages (tot_pages starts at frames - 1). */
  maxPages: number;
  /** Ports with channel storage reserved: max port + 1 rounded up to 64, at most 2^17. */
  channelCapacity: number;
  guestBase: number;
  privBase: number;
  privBytes: number;
}

/** The layout of the one shared memory. */
export interface MemoryPlan {
  pages: number;
  bytes: number;
  domains: DomainRegion[];
  /** the hypervisor-private layout version the regions are sized for (written to G_VERSION) */
  layoutVersion: number;
}

/** The release build's layout, the default of the public planMemory. */
function defaultLayout(): PrivateLayout {
  return privateLayoutOf(compileDataPlane('release'));
}

const MAX_MEMORY_BYTES = 65536 * WASM_PAGE_SIZE; // wasm32: 4 GiB
const DEFAULT_MAX_EVTCHN_PORT = 1023;

function roundUp(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}

function isInt(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n);
}

/** A domain's validated sizes, without a place: planMemory and the region allocator place it. */
export type DomainSizes = Omit<DomainRegion, 'guestBase' | 'privBase'>;

/** A domain's validated configuration with its defaults: what does not depend on a private layout. */
export type DomainSettings = Omit<DomainSizes, 'privBytes'>;

/** Validate one domain's configuration and size its two regions for `layout` (ConfigError naming the bad value). */
export function sizeDomain(d: DomainConfig, layout: PrivateLayout): DomainSizes {
  return sizeSettings(domainSettings(d), layout);
}

/** Size a validated domain's two regions for `layout`. */
function sizeSettings(s: DomainSettings, layout: PrivateLayout): DomainSizes {
  // channel table, then the p2m table (a byte per frame, 4-aligned) and the log-dirty bitmap
  // (a bit per frame, u32 words): assembly/mm/p2m.ts (p2mInit) places them the same way
  const p2mBytes = roundUp(s.frames, 4) + Math.ceil(s.frames / 32) * 4;
  return { ...s, privBytes: roundUp(layout.D_CHANNELS + s.channelCapacity * layout.CHANNEL_BYTES + p2mBytes, PAGE_SIZE) };
}

/**
 * Validate one domain's configuration and fill in its defaults (ConfigError
 * naming the bad value). Needs no wasm module (checkDomains, which the
 * reference model uses, runs it for each domain).
 */
function domainSettings(d: DomainConfig): DomainSettings {
  if (!isInt(d.domid) || d.domid < 0 || d.domid >= MAX_DOMAINS) {
    throw new ConfigError(`domain id ${d.domid} is out of range: use an integer 0..${MAX_DOMAINS - 1}`);
  }
  if (!isInt(d.vcpus) || d.vcpus < 1 || d.vcpus > XEN_LEGACY_MAX_VCPUS) {
    throw new ConfigError(`domain ${d.domid}: ${d.vcpus} vCPUs is out of range: use 1..${XEN_LEGACY_MAX_VCPUS}`);
  }
  if (!isInt(d.frames) || d.frames < 2 || d.frames > 262144) {
    throw new ConfigError(`domain ${d.domid}: ${d.frames} guest frames is out of range: use 2..262144 (4 KiB each, frame 0 is shared_info)`);
  }
  const maxPort = d.maxEvtchnPort ?? DEFAULT_MAX_EVTCHN_PORT;
  if (!isInt(maxPort) || maxPort < 1 || maxPort >= EVTCHN_FIFO_NR_CHANNELS) {
    throw new ConfigError(`domain ${d.domid}: maxEvtchnPort ${maxPort} is out of range: use 1..${EVTCHN_FIFO_NR_CHANNELS - 1}`);
  }
  const width = d.guestWidth ?? 64;
  if (width !== 64 && width !== 32) throw new ConfigError(`domain ${d.domid}: guestWidth must be 64 or 32, not ${width}`);
  if (d.maxPages !== undefined && (!isInt(d.maxPages) || d.maxPages < 0 || d.maxPages > 0xffffffff)) {
    throw new ConfigError(`domain ${d.domid}: maxPages ${d.maxPages} is out of range: use a page count 0..2^32-1`);
  }
  const capacity = Math.min(roundUp(maxPort + 1, EVTCHNS_PER_BUCKET), EVTCHN_FIFO_NR_CHANNELS);
  return {
    domid: d.domid, vcpus: d.vcpus, frames: d.frames, maxEvtchnPort: maxPort, guestWidth: width,
    control: d.control ?? d.domid === 0, maxPages: d.maxPages ?? d.frames - 1, channelCapacity: capacity,
  };
}

/** Every domain's settings (domainSettings), refusing an id used twice — planMemory's checks without a layout. */
export function checkDomains(domains: readonly DomainConfig[]): DomainSettings[] {
  const seen = new Set<number>();
  return domains.map((d) => {
    const s = domainSettings(d);
    if (seen.has(d.domid)) throw new ConfigError(`domain id ${d.domid} is used twice: give every domain its own id`);
    seen.add(d.domid);
    return s;
  });
}

/** Bytes a domain takes in the memory: its guest frames, then its private region (one contiguous block). */
export function domainBytes(s: Pick<DomainSizes, 'frames' | 'privBytes'>): number {
  return s.frames * PAGE_SIZE + s.privBytes;
}

/**
 * Lay out the memory: the global header, then every domain in order, then
 * `spareBytes` (rounded up to pages) for domains created later (the region
 * allocator, src/wasm/region-allocator.ts, hands out and takes back space).
 * The private regions are sized for `layout` (default: the release build's).
 */
export function planMemory(domains: readonly DomainConfig[], spareBytes = 0, layoutOf?: PrivateLayout): MemoryPlan {
  const settings = checkDomains(domains); // validated once, before any wasm is compiled for the default layout
  const layout = layoutOf ?? defaultLayout();
  let cursor = GLOBAL_BYTES;
  const regions: DomainRegion[] = [];
  for (const s of settings) {
    const sizes = sizeSettings(s, layout);
    const guestBase = cursor;
    const privBase = guestBase + s.frames * PAGE_SIZE;
    cursor += domainBytes(sizes);
    regions.push({ ...sizes, guestBase, privBase });
  }
  if (!isInt(spareBytes) || spareBytes < 0) throw new ConfigError(`spare memory ${spareBytes} must be a whole number of bytes ≥ 0`);
  cursor += roundUp(spareBytes, PAGE_SIZE);
  const bytes = roundUp(cursor, WASM_PAGE_SIZE);
  if (bytes > MAX_MEMORY_BYTES - WASM_PAGE_SIZE) {
    throw new ConfigError(`the configuration needs ${(bytes / 2 ** 20).toFixed(0)} MiB of shared memory, more than wasm32's 4 GiB: use fewer or smaller domains`);
  }
  return { pages: bytes / WASM_PAGE_SIZE, bytes, domains: regions, layoutVersion: layout.LAYOUT_VERSION };
}

/** A shared memory of exactly `plan.pages` (initial == maximum: JS views never go stale), stamped with the plan's layout version. */
export function createSharedMemory(plan: MemoryPlan): WebAssembly.Memory {
  const memory = new WebAssembly.Memory({ initial: plan.pages, maximum: plan.pages, shared: true });
  const u32 = new Uint32Array(memory.buffer);
  u32[G_MAGIC / 4] = GLOBAL_MAGIC;
  u32[G_VERSION / 4] = plan.layoutVersion;
  u32[G_TOTAL_PAGES / 4] = plan.pages;
  return memory;
}
