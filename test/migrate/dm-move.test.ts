// Device-model state across a move (issue 12 item 1, I52, I53): a guest doing
// DMA is saved with its device model quiesced mid-traffic, restored in another
// Hypervisor at another address with a new DeviceModel made from the image's
// EMULATOR_CONTEXT, and completes its transfers there: every completion
// checked (status, checksums, the pattern of the version last written to each
// sector — across both disks), and the commands the two device models executed
// add up to exactly the commands the guest issued: none lost, none done twice.
import { describe, it, expect } from 'vitest';
import { Hypervisor } from '../../src/hypervisor.ts';
import { guestModulePath } from '../../src/paths.ts';
import { DeviceModel, type QuiesceReport } from '../../src/dm/device-model.ts';
import type { ExerciserReport } from '../../src/dm/exerciser.ts';
import { parseImage } from '../../src/migrate/parse.ts';
import { RECORD_NAMES, REC_TYPE_EMULATOR_CONTEXT } from '../../src/migrate/format.ts';
import {
  DMA_SHARED_BYTES, dmaSharedViews, waitForSharedWord, S_GUEST_PORT, S_DM_READY, S_GUEST_DONE, S_COMPLETED, type DmaSharedViews,
} from '../../src/dm/guest-shared.ts';
import { dmaMachine, startAndConnect, MAX_PORT } from '../dm/library-machine.ts';
import type { DeviceModelPlan as DmaPlan } from '../../src/dm/plan.ts';
import type { DmaGuestLayout as DmaLayout } from '../../src/dm/exerciser.ts';
import { PAGE_SIZE } from '../../assembly/shared/layout.ts';
import { waitWord } from '../helpers/wait-word.ts';

const SEED = Number(process.env.WASMXEN_SEED ?? 12);
/** save attempts before the test gives up proving the quiesce had work to wait for */
const ATTEMPTS = 1000;
/** each failed attempt lets 4 more complete: the guest must not run out of transfers before the attempts do */
const TRANSFERS = 100 + ATTEMPTS * 4 + 2000;

/** Resolve once the guest's shared word `index` is at least `n` (it stores, then notifies), or fail at the watchdog. */
const atLeast = (s: DmaSharedViews, index: number, n: number) => waitWord(s.i32, index, n, `shared word ${index} reaches ${n}`, 30_000);

/** Restore `image` in a new Hypervisor (the guest after a larger domain 2: another address) with a DeviceModel made from its context; run it to the end. */
async function runTarget(image: Uint8Array, o: { plan: DmaPlan; layout: DmaLayout; transfers: number; workers: number; unowned: [number, number][]; maskedInHandler?: boolean }) {
  const { plan, layout } = o;
  const shared = new SharedArrayBuffer(DMA_SHARED_BYTES);
  const s2 = dmaSharedViews(shared);
  const target = await Hypervisor.restore(image, {
    domains: [{ id: 0, vcpus: 2, maxEvtchnPort: MAX_PORT, ramKiB: plan.ramKiB }, { id: 2, vcpus: 1, ramKiB: 1024 }],
    shared,
    restore: {
      id: 1, guest: guestModulePath('dma-guest'),
      config: { dmDom: 0, layout, diskSectors: plan.diskSectors, seed: SEED, transfers: o.transfers, badEvery: 10 },
    },
  });
  const hv2 = target.hv;
  let dm2: DeviceModel | undefined;
  try {
    expect(target.emulator).toBeDefined();
    dm2 = await DeviceModel.create(hv2, {
      domain: 0, guest: 1, plan, ringGfn: layout.ringGfn, workers: o.workers, unowned: o.unowned, context: target.emulator,
    });
    expect(Buffer.from(dm2.disk()).equals(Buffer.from(target.emulator!.disk))).toBe(true);
    const base = hv2.machine.dp.x.addrGuestBase(1) >>> 0;
    // as if the pause had found vCPU 0 inside a handler: the image carries evtchn_upcall_mask set,
    // and the resume path must turn events on or no completion is ever taken
    if (o.maskedInHandler) hv2.machine.dp.x.guestIrqDisable(1, 0);
    hv2.start();
    expect(await waitForSharedWord(s2, S_GUEST_PORT, Date.now() + 30_000)).toBe(true);
    await dm2.connect(Atomics.load(s2.i32, S_GUEST_PORT));
    Atomics.store(s2.i32, S_DM_READY, 1);
    Atomics.notify(s2.i32, S_DM_READY);
    expect(await waitForSharedWord(s2, S_GUEST_DONE, Date.now() + 60_000, () => dm2!.fatal() !== undefined)).toBe(true);
    // events are on again: the guest kernel's first upcall after the resume ends with irqEnable (finishing alone
    // would not show it: the exerciser also polls its completion ring)
    if (o.maskedInHandler) expect(hv2.machine.dp.x.upcallMasked(1, 0)).toBe(0);
    const report = await dm2.stop();
    const down = await hv2.shutdown();
    const guest = down.vcpus.find((v) => v.dom === 1)!.guest as ExerciserReport;
    expect(report.fatal).toBeUndefined();
    expect(guest.failures).toEqual([]);
    expect(guest).toMatchObject({
      issued: o.transfers, completed: o.transfers, checksumErrors: 0, patternErrors: 0, statusErrors: 0, spurious: 0,
      expectedErrors: o.transfers / 10,
    });
    expect(Atomics.load(s2.i32, S_COMPLETED)).toBe(o.transfers);
    expect(report.mapcache.lockedNow).toBe(0);
    return { report, base };
  } finally {
    await dm2?.stop();
    await hv2.shutdown();
  }
}

describe('device-model state across a move', () => {
  it(`a guest saved mid-DMA completes every transfer on another host, none lost or done twice (seed ${SEED})`, async () => {
    console.log(`dm-move seed ${SEED} (WASMXEN_SEED overrides)`);
    const m = await dmaMachine({ seed: SEED, transfers: TRANSFERS });
    const { hv, plan, layout, s } = m;
    const unowned: [number, number][] = [[layout.holeGpa / PAGE_SIZE, layout.holeBytes / PAGE_SIZE]];
    // depth 4 × 2 workers: the device model holds at most 8 of the guest's 32 commands, so requests wait in the ring
    const dm = await DeviceModel.create(hv, { domain: 0, guest: 1, plan, ringGfn: layout.ringGfn, workers: 2, depth: 4, unowned });
    try {
      await startAndConnect(m, dm);
      await atLeast(s, S_COMPLETED, 100);
      // Quiesce while the guest runs and keeps its 32 commands outstanding, so
      // that the device model has commands started and requests waiting in the
      // ring when it stops claiming (hv.save then pauses the guest and finds the
      // engine already quiesced). Until a quiesce proves both, let it run on.
      let q: QuiesceReport | undefined;
      let tries = 0;
      for (; tries < ATTEMPTS; tries++) {
        q = await dm.quiesce();
        if (q.inFlight > 0 && q.unclaimed > 0) break;
        dm.unquiesce();
        await atLeast(s, S_COMPLETED, Atomics.load(s.i32, S_COMPLETED) + 4);
      }
      expect(tries, `no quiesce in ${ATTEMPTS} found commands in flight and requests in the ring`).toBeLessThan(ATTEMPTS);
      console.log(`quiesced after ${tries + 1} attempt(s): ${q!.inFlight} commands in flight completed, ${q!.unclaimed} requests left in the ring`);
      const doneAtSave = Atomics.load(s.i32, S_COMPLETED);
      expect(doneAtSave).toBeLessThan(TRANSFERS);
      const image = await hv.save(1, { deviceModel: dm, keepPaused: true });
      expect(await dm.quiesce()).toBe(q); // the save found it quiesced and took its state as it was
      // nothing half-done: the quiesced engine holds no mapping and no tag
      expect(dm.stats().mapcache.lockedNow).toBe(0);
      const img = parseImage(image);
      expect(img.emulator).toBeDefined();
      expect(img.emulator!.ringGfn).toBe(layout.ringGfn);
      console.log(`image: ${image.length} bytes in ${img.records} records, ${img.emulator!.disk.length} of them the device model's disk; ` +
        `${doneAtSave} of ${TRANSFERS} transfers completed before the save`);
      expect(RECORD_NAMES[REC_TYPE_EMULATOR_CONTEXT]).toBe('EMULATOR_CONTEXT');
      const sourceCommands = dm.stats().dma.commands;
      const sourceBase = hv.machine.dp.x.addrGuestBase(1) >>> 0;
      await hv.destroyDomain(1);
      await dm.stop();
      await hv.shutdown();

      const { report, base } = await runTarget(image, { plan, layout, transfers: TRANSFERS, workers: 2, unowned });
      expect(base).not.toBe(sourceBase);
      // every command executed exactly once, by one device model or the other
      expect(sourceCommands + report.dma.commands).toBe(TRANSFERS);
      expect(report.dma.commands).toBeGreaterThan(0);
      expect(report.mapcache.lockedNow).toBe(0);
    } finally {
      await dm.stop();
      await hv.shutdown();
    }
  }, 180_000);

  it('hv.save in libxl\'s order (pause, then quiesce) as a checkpoint: the source carries on, the image finishes elsewhere, served from this thread', async () => {
    const transfers = 1500;
    const m = await dmaMachine({ seed: SEED + 1, transfers });
    const { hv, plan, layout, s } = m;
    const unowned: [number, number][] = [[layout.holeGpa / PAGE_SIZE, layout.holeBytes / PAGE_SIZE]];
    const dm = await DeviceModel.create(hv, { domain: 0, guest: 1, plan, ringGfn: layout.ringGfn, workers: 2, unowned });
    try {
      await startAndConnect(m, dm);
      await atLeast(s, S_COMPLETED, 200);
      const image = await hv.save(1, { deviceModel: dm });     // the domain and its device model run on after
      expect(parseImage(image).emulator).toBeDefined();
      expect(hv.isPaused(1)).toBe(false);
      expect(await waitForSharedWord(s, S_GUEST_DONE, Date.now() + 60_000, () => dm.fatal() !== undefined)).toBe(true);
      const sourceReport = await dm.stop();
      const down = await hv.shutdown();
      expect(down.vcpus.find((v) => v.dom === 1)!.guest).toMatchObject({ issued: transfers, completed: transfers, checksumErrors: 0, patternErrors: 0, statusErrors: 0 });
      expect(sourceReport.dma.commands).toBe(transfers);
      // the checkpoint, restored with a device model served on this thread's event loop, finishes from where it was,
      // also when vCPU 0 was paused inside a handler (its events masked in the image)
      const { report } = await runTarget(image, { plan, layout, transfers, workers: 0, unowned, maskedInHandler: true });
      expect(report.dma.commands).toBeGreaterThan(0);
      expect(report.dma.commands).toBeLessThan(transfers);
    } finally {
      await dm.stop();
      await hv.shutdown();
    }
  }, 180_000);
});
