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

// ------------------------------------------------------------------ the whole controller on one thread
import { Guest } from '../../src/guest/guest.ts';
import { DmaServer } from '../../src/dm/server.ts';
import { DmaExerciser, type ExerciserOptions } from '../../src/dm/exerciser.ts';
import { createDmaMachine, type DmaMachine, type DmaMachineOptions } from '../../src/dm/machine.ts';
import {
  CP_SQ_PROD, CP_SQ_RING, CP_DESC, CP_CQ_DONE, DESC_BYTES, DD_OP, DD_TAG, DD_GPA_LO, DD_GPA_HI, DD_LEN, DD_LBA,
  DD_STATUS, DD_DM_CSUM, DMA_SLOTS,
} from '../../assembly/shared/dm-layout.ts';

export interface InlineDma extends DmaMachine {
  guest: Guest;
  dmVcpu: Guest;
  server: DmaServer;
  port: number;
  exerciser(o: Omit<ExerciserOptions, 'dom' | 'layout' | 'diskSectors'>): DmaExerciser;
  /** drive `ex` until it finishes: fill, the device model's upcall, the guest's upcall */
  run(ex: DmaExerciser): void;
  /** write a raw descriptor into slot `tag` and submit it (no doorbell) */
  submit(tag: number, d: { op: number; gpa: number; len: number; lba: number; descTag?: number; gpaHi?: number }): void;
  /** submit a raw ring entry (any value) */
  submitTag(tag: number): void;
  status(tag: number): number;
  dmChecksum(tag: number): number;
  takeDone(): number;
  u32: Uint32Array;
  page: number;
}

/** Guest and device model (one worker) on the calling thread, connected by a real interdomain channel. */
export function inlineDma(o: DmaMachineOptions & { depth?: number } = {}): InlineDma {
  const m = createDmaMachine({ build: 'debug', workers: 1, buckets: 4, ...o });
  const dp = m.machine.dp;
  let ex: DmaExerciser | undefined;
  const guest = new Guest(dp, { dom: m.guestDom, vcpu: 0, vcpus: 1, maxPort: m.maxEvtchnPort, config: undefined, stopping: () => false },
    m.guestKernel, () => ({ complete: () => { ex?.onCompletion(); } }));
  const server = new DmaServer(dp, m.region.addr, 0, undefined, o.depth ?? 16);
  const dmVcpu = new Guest(dp, { dom: m.dmDom, vcpu: 0, vcpus: m.workers, maxPort: m.maxEvtchnPort, config: undefined, stopping: () => false },
    m.dmKernel, () => server.handlers());
  server.attach(dmVcpu);
  server.bindWakeup();
  const port = guest.hc.allocUnbound(m.dmDom);
  guest.listen(port, 'complete');
  server.connect(m.guestDom, port);
  dmVcpu.poll();
  guest.poll();
  const page = dp.x.addrGfn(m.guestDom, m.dma.ringGfn) >>> 0;
  const u32 = dp.u32;
  let prod = 0;
  onTestFailed(() => console.error(m.region.dump()));
  const desc = (tag: number, field: number) => (page + CP_DESC + tag * DESC_BYTES + field) >>> 2;
  return {
    ...m, guest, dmVcpu, server, port, u32, page,
    exerciser(eo) {
      ex = new DmaExerciser(dp, { dom: m.guestDom, layout: m.dma, diskSectors: m.plan.diskSectors, ...eo }, () => guest.send(port));
      return ex;
    },
    run(e) {
      for (let rounds = 0; !e.finished(); rounds++) {
        if (rounds > 1_000_000) throw new Error('the controller makes no progress');
        e.fill();
        dmVcpu.poll();
        guest.poll();
      }
    },
    submit(tag, d) {
      u32[desc(tag, DD_OP)] = d.op;
      u32[desc(tag, DD_TAG)] = d.descTag ?? tag;
      u32[desc(tag, DD_GPA_LO)] = d.gpa >>> 0;
      u32[desc(tag, DD_GPA_HI)] = d.gpaHi ?? 0;
      u32[desc(tag, DD_LEN)] = d.len;
      u32[desc(tag, DD_LBA)] = d.lba;
      Atomics.store(u32, desc(tag, DD_STATUS), 255);
      this.submitTag(tag);
    },
    submitTag(tag) {
      Atomics.store(u32, (page + CP_SQ_RING + 4 * (prod % DMA_SLOTS)) >>> 2, tag);
      prod = (prod + 1) >>> 0;
      Atomics.store(u32, (page + CP_SQ_PROD) >>> 2, prod);
    },
    status: (tag) => Atomics.load(u32, desc(tag, DD_STATUS)),
    dmChecksum: (tag) => u32[desc(tag, DD_DM_CSUM)] >>> 0,
    takeDone: () => Atomics.exchange(u32, (page + CP_CQ_DONE) >>> 2, 0) >>> 0,
  };
}
