// DeviceModel's failures are DeviceModelErrors (src/errors.ts): DMA still in
// flight past the bound of a quiesce for a save, or of the release of a
// guest, is 'stuck', names the guest, and says what to do; an abandoned
// quiesce leaves the engine serving the guest again.
import { describe, it, expect } from 'vitest';
import { DeviceModel, DeviceModelError, MapCacheError } from '../../src/dm/index.ts';
import { EFAULT } from '../../assembly/shared/errno.ts';
import { dmaMachine } from '../dm/library-machine.ts';
import { DMA_OP_WRITE, CP_SQ_PROD, CP_SQ_RING, CP_DESC, DESC_BYTES, DD_OP, DD_TAG, DD_GPA_LO, DD_LEN, DD_LBA, DD_STATUS } from '../../assembly/shared/dm-layout.ts';
import { expectTyped, rejected, thrown } from './expect-typed.ts';

/** The machine with a device model served on this thread, its guest not started (the test plays the guest). */
async function setup() {
  const m = await dmaMachine({ seed: 1, transfers: 1 });
  const dm = await DeviceModel.create(m.hv, { domain: 0, guest: 1, plan: m.plan, ringGfn: m.layout.ringGfn, workers: 0 });
  const dp = m.hv.machine.dp;
  const page = dp.x.addrGfn(1, m.layout.ringGfn) >>> 0;
  let prod = 0;
  /** the guest's side: one 4 KiB write command in slot `tag`, submitted */
  const submit = (tag: number) => {
    const d = (f: number) => (page + CP_DESC + tag * DESC_BYTES + f) >>> 2;
    dp.u32[d(DD_OP)] = DMA_OP_WRITE;
    dp.u32[d(DD_TAG)] = tag;
    dp.u32[d(DD_GPA_LO)] = m.layout.bufGpa;
    dp.u32[d(DD_LEN)] = 4096;
    dp.u32[d(DD_LBA)] = 0;
    Atomics.store(dp.u32, d(DD_STATUS), 255);
    Atomics.store(dp.u32, (page + CP_SQ_RING + 4 * prod) >>> 2, tag);
    Atomics.store(dp.u32, (page + CP_SQ_PROD) >>> 2, ++prod);
  };
  return { ...m, dm, submit };
}

type Setup = Awaited<ReturnType<typeof setup>>;

/** Run `body` on a fresh setup; the device model and the hypervisor are stopped whatever happens. */
async function withSetup(body: (s: Setup) => Promise<void> | void): Promise<void> {
  const s = await setup();
  try {
    await body(s);
  } finally {
    await s.dm.stop();
    await s.hv.shutdown();
  }
}

describe('DeviceModelError', () => {
  it('quiesce: a command started and never finished is stuck; the save is abandoned and the engine takes commands again', () => withSetup(async ({ dm, submit }) => {
    const { x, addr } = dm.region;
    x.dmaSetReady(addr, 1); // as connect() opens the engine
    submit(0);
    expect(x.dmaClaim(addr)).toBe(0);
    expect(x.dmaStart(addr, 0, 0)).toBe(1); // a "worker" holds it: in flight until dmaFinish
    const e = expectTyped(await rejected(dm.quiesce(30)), DeviceModelError, 'WASMXEN_DEVICE_MODEL',
      /DMA for domain 1 still in flight after 30 ms of quiescing/, /nothing was saved and the engine serves again; retry the save with a longer timeout/);
    expect(e.fault).toBe('stuck');
    expect(e.domain).toBe(1);
    submit(1);
    expect(x.dmaPending(addr)).toBe(1); // not quiesced any more: the new request is there to take
    x.dmaFinish(addr, 0, 0);
    await expect(dm.quiesce(1000)).resolves.toMatchObject({ inFlight: 0 });
    dm.unquiesce();
  }));

  it('releaseGuest: a mapping still locked past the bound is stuck, and the release can be retried once it is let go', () => withSetup(async ({ dm, layout }) => {
    const m = dm.mapcache.map(layout.bufGpa, 4096);
    const e = expectTyped(await rejected(dm.releaseGuest(30)), DeviceModelError, 'WASMXEN_DEVICE_MODEL',
      /DMA for domain 1 still in flight 30 ms after it was told the guest is gone/, /call releaseGuest again, or give a longer timeout/);
    expect(e.fault).toBe('stuck');
    dm.mapcache.unmap(m);
    await expect(dm.releaseGuest(1000)).resolves.toBeUndefined();
  }));

  it('MapCacheError: a mapping beyond the guest\'s memory is a typed error with the mapcache\'s errno, and the mapcache stays usable', () => withSetup(async ({ dm, layout }) => {
    const beyond = layout.frames * 4096;
    const e = expectTyped(thrown(() => dm.mapcache.map(beyond, 4096)), MapCacheError, 'WASMXEN_MAPCACHE', /^map\(gpa 0x[0-9a-f]+, 4096 bytes\) failed: -EFAULT/);
    expect(e.rc).toBe(-EFAULT);
    expect(e.reason).toMatch(/^-EFAULT/);
    const m = dm.mapcache.map(layout.bufGpa, 4096);
    dm.mapcache.unmap(m);
  }));
});
