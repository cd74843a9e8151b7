// Sizing and placing the device-model region (assembly/shared/dm-layout.ts).
//
// The region lives in the device-model domain's own guest frames, from a
// page-aligned gfn the shell picks (for a Hypervisor-managed domain: the
// first frame its guest kernel does not use), as QEMU's mapcache and disk
// buffers live in dom0's memory. So the machine's memory plan needs no hook:
// the device-model domain is simply given `plan.ramKiB` more RAM.
import {
  MC_FIXED_BYTES, MC_MAX_ENTRIES, MC_MAX_REVS, MC_DEFAULT_MAX_CHAIN, DMF_CHECKS, MC_BUCKET_SIZE,
} from '../../assembly/shared/dm-layout.ts';
import { PAGE_SIZE } from '../../assembly/shared/layout.ts';
import { ConfigError } from '../errors.ts';

/** A device model's sizes: guest frames, disk, mapcache geometry, DMA slots. */
export interface DeviceModelConfig {
  /** Frames of the guest the device model serves (the grant bitmap covers them). */
  guestFrames: number;
  /** Disk image size in bytes, a multiple of 4096; default 16 MiB. */
  diskBytes?: number;
  /** Hash buckets of the mapcache, the bucket cap (QEMU: max cache size >> 20); default min(guest MiB, 64). */
  buckets?: number;
  /** Entry slots including the bucket heads, at most 511 usable; default 512. */
  entries?: number;
  /** Reverse-entry slots (locked requests at once + 1), at most 256; default 256. */
  revs?: number;
  /** Longest chain a bucket may grow to; default 64. */
  maxChain?: number;
  /** Run the invariant check after every mapcache operation (tests; slow). */
  checks?: boolean;
}

/** Where a device model's region lays out its parts, and how much RAM it needs. */
export interface DeviceModelPlan {
  /** bytes of the region (page-aligned) */
  bytes: number;
  /** the same in KiB: add this to the device-model domain's RAM */
  ramKiB: number;
  guestFrames: number;
  buckets: number;
  entries: number;
  revs: number;
  maxChain: number;
  flags: number;
  /** region offsets */
  grantOff: number;
  diskOff: number;
  diskSectors: number;
}

const roundUp = (n: number, to: number) => Math.ceil(n / to) * to;
const isInt = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n);

/** Lay out a device model's region; throws ConfigError for sizes that do not fit. */
export function planDeviceModel(cfg: DeviceModelConfig): DeviceModelPlan {
  const { guestFrames } = cfg;
  if (!isInt(guestFrames) || guestFrames < 1 || guestFrames > 262144) {
    throw new ConfigError(`device model: guestFrames ${guestFrames} is out of range: use 1..262144`);
  }
  const diskBytes = cfg.diskBytes ?? 16 * 2 ** 20;
  if (!isInt(diskBytes) || diskBytes < PAGE_SIZE || diskBytes % PAGE_SIZE !== 0 || diskBytes > 2 ** 30) {
    throw new ConfigError(`device model: diskBytes ${diskBytes} must be a multiple of 4096 between 4 KiB and 1 GiB`);
  }
  const guestMiB = Math.ceil((guestFrames * PAGE_SIZE) / MC_BUCKET_SIZE);
  const buckets = cfg.buckets ?? Math.min(guestMiB, 64);
  const entries = cfg.entries ?? MC_MAX_ENTRIES;
  const revs = cfg.revs ?? MC_MAX_REVS;
  const maxChain = cfg.maxChain ?? MC_DEFAULT_MAX_CHAIN;
  if (!isInt(entries) || entries < 3 || entries > MC_MAX_ENTRIES) {
    throw new ConfigError(`device model: entries ${entries} is out of range: use 3..${MC_MAX_ENTRIES}`);
  }
  if (!isInt(buckets) || buckets < 1 || buckets + 1 >= entries) {
    throw new ConfigError(`device model: ${buckets} buckets do not fit ${entries} entry slots: use 1..${entries - 2}`);
  }
  if (!isInt(revs) || revs < 2 || revs > MC_MAX_REVS) {
    throw new ConfigError(`device model: revs ${revs} is out of range: use 2..${MC_MAX_REVS}`);
  }
  if (!isInt(maxChain) || maxChain < 1) throw new ConfigError(`device model: maxChain ${maxChain} must be a positive integer`);
  const grantOff = MC_FIXED_BYTES;
  const diskOff = grantOff + roundUp(Math.ceil(guestFrames / 8), PAGE_SIZE);
  const bytes = diskOff + diskBytes;
  return {
    bytes, ramKiB: bytes / 1024, guestFrames, buckets, entries, revs, maxChain,
    flags: cfg.checks ? DMF_CHECKS : 0, grantOff, diskOff, diskSectors: diskBytes / 512,
  };
}
