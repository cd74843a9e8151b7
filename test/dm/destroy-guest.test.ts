// Destroying a guest whose memory a device model is serving (I30), through
// the library: the device model refuses new commands and mappings, the
// commands it started complete (never half-done), every mapcache entry is
// dropped, the reference on the guest goes, and the device model and its
// domain live on. These runs do not prove DMA was in flight at the release:
// destroyDomain pauses the guest first and the workers usually finish its
// backlog before the hook runs (stats().release.restarts says whether it met
// any). The race itself — DMA into the guest landing after it was marked
// dying — is the `destroy` stress scenario's evidence (dma-raced),
// required by test/stress/destroy.test.ts.
import { describe, it, expect } from 'vitest';
import { DeviceModel } from '../../src/dm/index.ts';
import { PAGE_SIZE } from '../../assembly/shared/layout.ts';
import { DomainStateError } from '../../src/errors.ts';
import { dmaMachine, startAndConnect } from './library-machine.ts';

describe('destroying a guest while its device model serves DMA (I30)', () => {
  for (const workers of [2, 0]) {
    it(`device model on ${workers ? `${workers} worker threads` : 'this thread'}: DMA completes or is refused, the mapcache lets go, nothing is left`, async () => {
      const m = await dmaMachine({ seed: 9, transfers: 10_000_000 });
      const { hv, plan, layout } = m;
      const dm = await DeviceModel.create(hv, {
        domain: 0, guest: 1, plan, ringGfn: layout.ringGfn, workers, unowned: [[layout.holeGpa / PAGE_SIZE, layout.holeBytes / PAGE_SIZE]],
      });
      try {
        await startAndConnect(m, dm);
        const deadline = Date.now() + 30_000;
        while (dm.stats().dma.commands < 200) {
          if (Date.now() > deadline) throw new Error(`watchdog: only ${dm.stats().dma.commands} DMA commands in 30 s`);
          await new Promise((r) => setTimeout(r, 5));
        }
        const rep = await hv.destroyDomain(1);
        expect(rep.vcpus.map((v) => v.destroyed)).toEqual([true]);
        const st = dm.stats();
        expect(st.release, 'the destroy hook released the guest from the device model').toBeDefined();
        // how often the release met DMA in flight: reported, not required (the destroy stress scenario proves that race)
        console.log(`race evidence: destroy-guest: the release restarted ${st.release!.restarts} time(s) on DMA in flight`);
        expect(st.fatal).toBeUndefined();          // no half-done transfer, no wrong window
        expect(st.mapcache.lockedNow).toBe(0);     // every started command finished and unmapped
        expect(st.mapcache.entriesLinked).toBe(0); // every mapping of the dead guest dropped
        expect(hv.machine.dp.x.domainRefs(1)).toBe(0);
        expect(hv.machine.dp.x.domainExists(1)).toBe(0);
        const after = st.dma.commands;
        // the device model lives on, serves nothing more, and its domain is untouched
        expect(hv.domain(0).status(1).status).not.toBe('closed');
        const report = await dm.stop();
        expect(report.dma.commands).toBe(after);
        expect(report.fatal).toBeUndefined();
      } finally {
        await dm.stop();
        await hv.shutdown();
      }
    }, 90_000);
  }

  it('destroying the device-model domain stops the device model first and drops its reference on the guest', async () => {
    const m = await dmaMachine({ seed: 3, transfers: 10_000_000 });
    const { hv, plan, layout } = m;
    const dm = await DeviceModel.create(hv, { domain: 0, guest: 1, plan, ringGfn: layout.ringGfn, workers: 2 });
    try {
      await startAndConnect(m, dm);
      const deadline = Date.now() + 30_000;
      while (dm.stats().dma.commands < 100) {
        if (Date.now() > deadline) throw new Error('watchdog: no DMA');
        await new Promise((r) => setTimeout(r, 5));
      }
      expect(hv.machine.dp.x.domainRefs(1)).toBe(1); // the mapcache's reference on its guest
      await hv.destroyDomain(0);
      expect(hv.machine.dp.x.domainRefs(1)).toBe(0);
      expect(() => dm.stats()).toThrow(DomainStateError);
      const report = await dm.stop();                 // the report taken when it stopped
      expect(report.fatal).toBeUndefined();
      expect(report.mapcache.lockedNow).toBe(0);
      // the guest outlives its device model and can itself be destroyed cleanly
      await hv.destroyDomain(1);
      expect(hv.machine.dp.x.domainExists(1)).toBe(0);
    } finally {
      await dm.stop();
      await hv.shutdown();
    }
  }, 90_000);
});
