// The machine the device-model library tests share (Hypervisor + DeviceModel): domain 0 (the device
// model's, 2 vCPUs) and domain 1 running the built-in dma-guest module over
// an 8 MiB disk, plus the handshake that connects a DeviceModel to it.
import { expect } from 'vitest';
import { Hypervisor } from '../../src/hypervisor.ts';
import { guestModulePath } from '../../src/paths.ts';
import { guestLayout } from '../../src/guest/layout.ts';
import { planDeviceModel, dmaGuestLayout, type DeviceModel } from '../../src/dm/index.ts';
import { DMA_SHARED_BYTES, dmaSharedViews, waitForSharedWord, S_GUEST_PORT, S_DM_READY } from '../../src/dm/guest-shared.ts';

export const MAX_PORT = 255;
const DISK = 8 * 2 ** 20;

/** The two domains, created (not started); the guest does `transfers` DMA transfers, one in `badEvery` a bad command. */
export async function dmaMachine(o: { seed: number; transfers: number }) {
  const kernel = guestLayout(1, MAX_PORT);
  const layout = dmaGuestLayout({ firstFreeGfn: kernel.freeGfn, diskSectors: DISK / 512 });
  const plan = planDeviceModel({ guestFrames: layout.frames, diskBytes: DISK, buckets: 4 });
  const shared = new SharedArrayBuffer(DMA_SHARED_BYTES);
  const hv = await Hypervisor.create({
    domains: [
      { id: 0, vcpus: 2, maxEvtchnPort: MAX_PORT, ramKiB: plan.ramKiB },
      { id: 1, vcpus: 1, maxEvtchnPort: MAX_PORT, guest: guestModulePath('dma-guest'), ramKiB: (layout.frames - kernel.freeGfn) * 4,
        config: { dmDom: 0, layout, diskSectors: plan.diskSectors, seed: o.seed, transfers: o.transfers, badEvery: 10 } },
    ],
    shared,
  });
  return { hv, plan, layout, s: dmaSharedViews(shared) };
}

/** Start the machine, wait (bounded) for the guest's port, connect `dm` to it and tell the guest it may issue commands. */
export async function startAndConnect(m: Awaited<ReturnType<typeof dmaMachine>>, dm: DeviceModel): Promise<void> {
  const { hv, s } = m;
  hv.start();
  expect(await waitForSharedWord(s, S_GUEST_PORT, Date.now() + 30_000)).toBe(true);
  await dm.connect(Atomics.load(s.i32, S_GUEST_PORT));
  Atomics.store(s.i32, S_DM_READY, 1);
  Atomics.notify(s.i32, S_DM_READY);
}
