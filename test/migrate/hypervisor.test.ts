// The library API: hv.save (paused for the copy, resumed after; a stream of
// chunks with saveTo), hv.restoreDomain into a running hypervisor and
// Hypervisor.restore into a new one; a refused image creates nothing.
import { describe, it, expect } from 'vitest';
import { Hypervisor } from '../../src/hypervisor.ts';
import { ImageError } from '../../src/migrate/errors.ts';
import { parseImage } from '../../src/migrate/parse.ts';
import { TP_KIND_CONSOLE } from '../../src/migrate/format.ts';
import { PAGE_SIZE } from '../../assembly/shared/layout.ts';

async function source() {
  const hv = await Hypervisor.create({ build: 'debug', spareKiB: 256, domains: [{ id: 0, vcpus: 1 }, { id: 1, vcpus: 2, ramKiB: 64 }] });
  const d = hv.domain(1);
  const base = hv.machine.dp.x.addrGuestBase(1) >>> 0;
  const first = d.layout.freeGfn;
  for (let g = first; g < d.region.frames; g++) hv.machine.dp.u8.fill(g & 0xff, base + g * PAGE_SIZE, base + (g + 1) * PAGE_SIZE);
  const port = d.allocUnbound(0); // the console's channel, offered to the control domain
  return { hv, d, port, first };
}

function frames(hv: Hypervisor, dom: number, from: number, to: number): Uint8Array {
  const base = hv.machine.dp.x.addrGuestBase(dom) >>> 0;
  return hv.machine.dp.u8.slice(base + from * PAGE_SIZE, base + to * PAGE_SIZE);
}

describe('Hypervisor save and restore', () => {
  it('save pauses for the copy and resumes; the image restores into a new hypervisor and into a running one', async () => {
    const { hv, d, port, first } = await source();
    try {
      const chunks: Uint8Array[] = [];
      const fig = await hv.saveTo(1, (c) => chunks.push(c), { key: 'k', toolstackPorts: [{ port, remoteDom: 0, kind: TP_KIND_CONSOLE }] });
      // streamed: the headers, then every record's header, body parts and padding as separate chunks
      expect(chunks.length).toBeGreaterThan(fig.records);
      expect(chunks.reduce((n, c) => n + c.length, 0)).toBe(fig.bytes);
      expect(hv.isPaused(1)).toBe(false);
      const image = await hv.save(1, { key: 'k', toolstackPorts: [{ port, remoteDom: 0, kind: TP_KIND_CONSOLE }] });
      expect(parseImage(image, { key: 'k' }).config).toMatchObject({ vcpus: 2, frames: d.region.frames });
      const want = frames(hv, 1, first, d.region.frames);

      const { hv: target, domain } = await Hypervisor.restore(image, {
        build: 'debug', domains: [{ id: 0, vcpus: 1, ramKiB: 512 }], restore: { id: 4, key: 'k' },
      });
      try {
        expect(domain.id).toBe(4);
        expect(frames(target, 4, first, d.region.frames)).toEqual(want);
        expect(domain.status(port)).toMatchObject({ status: 'unbound', remoteDom: 0 });
        expect(target.machine.dp.abi(4)).toBe('2l'); // the guest re-registers FIFO itself
        // into the running source hypervisor too, as another domain
        const again = await hv.restoreDomain(async function* () { yield image.subarray(0, 100); yield image.subarray(100); }(), { id: 7, key: 'k' });
        expect(frames(hv, 7, first, d.region.frames)).toEqual(want);
        expect(again.status(port).status).toBe('unbound');
      } finally {
        await target.shutdown();
      }
    } finally {
      await hv.shutdown();
    }
  });

  it('a refused image creates nothing: no domain, no memory taken, the source untouched', async () => {
    const { hv, port } = await source();
    try {
      const image = await hv.save(1);
      const bad = image.slice();
      bad[bad.length - 100] ^= 1;
      const before = { ids: hv.domainIds.sort(), free: hv.machine.allocator.freeBytes() };
      await expect(hv.restoreDomain(bad, { id: 5 })).rejects.toBeInstanceOf(ImageError);
      await expect(hv.restoreDomain(image, { id: 5, maxVcpus: 1 })).rejects.toThrow(/at most 1/);
      expect({ ids: hv.domainIds.sort(), free: hv.machine.allocator.freeBytes() }).toEqual(before);
      expect(hv.domain(1).status(port).status).toBe('unbound');
      await expect(Hypervisor.restore(bad, { build: 'debug', domains: [{ id: 0, vcpus: 1 }], restore: { id: 2 } })).rejects.toBeInstanceOf(ImageError);
      await expect(hv.restoreDomain(image, { id: 1 })).rejects.toThrow(/in use/);
    } finally {
      await hv.shutdown();
    }
  });
});
