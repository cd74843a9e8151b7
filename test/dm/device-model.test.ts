// The device model through the library API: a Hypervisor with a guest
// running the built-in dma-guest module on its vCPU thread, and DeviceModel
// serving it from worker threads (the vCPUs of the device-model domain) or
// from this thread's event loop (a Node service as the backend).
import { describe, it, expect } from 'vitest';
import { ConfigError } from '../../src/errors.ts';
import { DeviceModel, planDeviceModel, MapCacheError } from '../../src/dm/index.ts';
import type { ExerciserReport } from '../../src/dm/exerciser.ts';
import { waitForSharedWord, S_GUEST_DONE } from '../../src/dm/guest-shared.ts';
import { dmaMachine, startAndConnect } from './library-machine.ts';
import { PAGE_SIZE } from '../../assembly/shared/layout.ts';

async function setup(transfers: number) {
  return dmaMachine({ seed: 5, transfers });
}

async function serve(workers: number, transfers: number) {
  const m = await setup(transfers);
  const { hv, plan, layout, s } = m;
  const dm = await DeviceModel.create(hv, {
    domain: 0, guest: 1, plan, ringGfn: layout.ringGfn, workers, unowned: [[layout.holeGpa / PAGE_SIZE, layout.holeBytes / PAGE_SIZE]],
  });
  try {
    await startAndConnect(m, dm);
    await waitForSharedWord(s, S_GUEST_DONE, Date.now() + 30_000, () => dm.fatal() !== undefined);
    const report = await dm.stop();
    const down = await hv.shutdown();
    return { report, guest: down.vcpus.find((v) => v.dom === 1)!.guest as ExerciserReport };
  } finally {
    await dm.stop();
    await hv.shutdown();
  }
}

describe('DeviceModel (library API)', () => {
  it('worker threads serve a guest module: every transfer checked, bad ones refused', async () => {
    const { report, guest } = await serve(2, 3000);
    expect(report.fatal).toBeUndefined();
    expect(guest.failures).toEqual([]);
    expect(guest).toMatchObject({ issued: 3000, completed: 3000, checksumErrors: 0, patternErrors: 0, statusErrors: 0 });
    expect(guest.expectedErrors).toBe(300);
    expect(report.workers).toHaveLength(2);
    expect(report.workers.every((w) => w.commands > 0 && w.lateWakeups === 0 && !w.dead)).toBe(true);
    expect(report.dma.commands).toBe(3000);
    expect(report.mapcache.lockedNow).toBe(0);
  });

  it('workers: 0 — a Node service serves the controller on its own event loop', async () => {
    const { report, guest } = await serve(0, 800);
    expect(report.fatal).toBeUndefined();
    expect(guest.failures).toEqual([]);
    expect(guest).toMatchObject({ issued: 800, completed: 800, checksumErrors: 0, patternErrors: 0, statusErrors: 0 });
    expect(report.dma.commands).toBe(800);
  });

  it('a backend maps guest memory from its own thread: windows are the guest\'s frames', async () => {
    const { hv, plan, layout } = await setup(0);
    const dm = await DeviceModel.create(hv, { domain: 0, guest: 1, plan, ringGfn: layout.ringGfn, workers: 0 });
    try {
      const m = dm.mapcache.map(layout.bufGpa + 1000 * 1024, 64 * 1024); // crosses a bucket boundary
      dm.mapcache.write(m, new Uint8Array(64 * 1024).fill(0x42));
      const guestRam = new Uint8Array(hv.machine.memory.buffer, hv.machine.dp.x.addrGfn(1, 0) >>> 0, layout.frames * PAGE_SIZE);
      expect(guestRam.subarray(m.gpa, m.gpa + 64 * 1024).every((v) => v === 0x42)).toBe(true);
      expect(dm.mapcache.translate(m)).toBe(m.gpa);
      dm.mapcache.unmap(m);
      expect(() => dm.mapcache.map(layout.frames * PAGE_SIZE, 4096)).toThrow(MapCacheError);
      expect(dm.stats().mapcache).toMatchObject({ lockedMaps: 1, faults: 1, lockedNow: 0 });
    } finally {
      await dm.stop();
      await hv.shutdown();
    }
  });

  it('refuses a device-model domain without room for its region, or one that runs a guest module', async () => {
    const { hv, plan, layout } = await setup(0);
    try {
      const big = planDeviceModel({ guestFrames: layout.frames, diskBytes: 64 * 2 ** 20 });
      await expect(DeviceModel.create(hv, { domain: 0, guest: 1, plan: big, ringGfn: layout.ringGfn })).rejects.toThrow(ConfigError);
      await expect(DeviceModel.create(hv, { domain: 1, guest: 0, plan, ringGfn: layout.ringGfn })).rejects.toThrow(/service domain/);
      expect(() => planDeviceModel({ guestFrames: 100, buckets: 600 })).toThrow(ConfigError);
    } finally {
      await hv.shutdown();
    }
  });
});
