// Fixtures for the device-model tests.
import { onTestFailed } from 'vitest';
import { createMachine, type Machine } from '../../src/wasm/data-plane.ts';
import type { WasmBuild } from '../../src/wasm/exports.ts';
import { planDeviceModel, type DeviceModelPlan } from '../../src/dm/plan.ts';
import { DmRegion } from '../../src/dm/region.ts';
import { MapCache } from '../../src/dm/mapcache.ts';
import type { DmExports } from '../../src/dm/exports.ts';

export const MiB = 2 ** 20;
export const KiB = 1024;

export interface McMachine {
  machine: Machine;
  plan: DeviceModelPlan;
  region: DmRegion;
  mc: MapCache;
  x: DmExports;
  dm: number;
  guestDom: number;
  /** the guest's RAM as the test sees it (for checking that windows are the guest's memory) */
  guestBytes(gpa: number, len: number): Uint8Array;
}

export interface McMachineOptions {
  build?: WasmBuild;
  guestMiB?: number;
  buckets?: number;
  entries?: number;
  revs?: number;
  maxChain?: number;
  checks?: boolean;
  /** configure the DMA engine too (disk of this many bytes; command page at guest gfn 1) */
  diskBytes?: number;
}

const DM_REGION_GFN = 16;

/** A guest domain (1) and a device-model domain (0) holding a fresh mapcache; no event channels. */
export function mcMachine(o: McMachineOptions = {}): McMachine {
  const guestFrames = (o.guestMiB ?? 8) * 256;
  const plan = planDeviceModel({
    guestFrames, diskBytes: o.diskBytes ?? 64 * KiB, buckets: o.buckets ?? 4, entries: o.entries ?? 64, revs: o.revs ?? 32,
    maxChain: o.maxChain ?? 8, checks: o.checks ?? true,
  });
  const machine = createMachine([
    { domid: 0, vcpus: 1, frames: DM_REGION_GFN + plan.bytes / 4096 },
    { domid: 1, vcpus: 1, frames: guestFrames },
  ], o.build ?? 'debug');
  const region = DmRegion.create(machine.dp, { dmDom: 0, regionGfn: DM_REGION_GFN, guestDom: 1, plan });
  if (o.diskBytes) region.initDma(plan, 1, 1);
  onTestFailed(() => console.error(region.dump()));
  const base = machine.dp.x.addrGfn(1, 0) >>> 0;
  return {
    machine, plan, region, mc: new MapCache(region), x: region.x, dm: region.addr, guestDom: 1,
    guestBytes: (gpa, len) => new Uint8Array(machine.memory.buffer, base + gpa, len),
  };
}
