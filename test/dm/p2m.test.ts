// The device model and the guest's p2m (I44): a frame the guest gave back is
// no longer mappable (the mapcache drops its mappings on the p2m's removal
// generation, QEMU's xen_invalidate_map_cache), DMA to it — new or in flight —
// completes with DMA_ST_BAD_ADDR and touches nothing, and the device model
// marks the frames its DMA wrote with HVMOP_modified_memory for the
// toolstack's dirty bitmap.
import { describe, it, expect } from 'vitest';
import { inlineDma } from './helpers.ts';
import { MemoryHypercalls } from '../../src/guest/memory-hypercalls.ts';
import { DomainMemory } from '../../src/mm/domain-memory.ts';
import { XENMEM_decrease_reservation, XENMEM_populate_physmap } from '../../assembly/shared/memory-abi.ts';
import { DMA_OP_READ, DMA_OP_WRITE, DMA_ST_OK, DMA_ST_BAD_ADDR } from '../../assembly/shared/dm-layout.ts';
import { PAGE_SIZE } from '../../assembly/shared/layout.ts';

function setup() {
  const t = inlineDma({ depth: 4 });
  const dp = t.machine.dp;
  const mem = new MemoryHypercalls(t.guest.hc.stub, t.guest.hc.args, t.guest.hc.gpa, 64);
  const listGfn = t.dma.frames - 1; // the tail: no DMA buffer there
  const list = new DataView(t.machine.memory.buffer, (dp.x.addrGfn(t.guestDom, listGfn) >>> 0), PAGE_SIZE);
  const balloon = (cmd: number, gfn: number) => {
    mem.setExtent(list, 0, gfn);
    return mem.reservation(cmd, { extentStart: listGfn * PAGE_SIZE, nrExtents: 1 }).result;
  };
  const frame = (gfn: number) => new Uint8Array(t.machine.memory.buffer, dp.x.addrGfn(t.guestDom, gfn) >>> 0, PAGE_SIZE);
  const memory = new DomainMemory(dp, t.guestDom, t.dma.frames);
  return { t, balloon, frame, memory, buf: t.dma.bufGpa / PAGE_SIZE };
}

describe('device model × p2m (I44)', () => {
  it('a frame given back: its mapping is dropped and DMA to it fails cleanly; after populate it reads zeros and DMA works', () => {
    const { t, balloon, frame, buf } = setup();
    t.submit(0, { op: DMA_OP_READ, gpa: buf * PAGE_SIZE, len: PAGE_SIZE, lba: 0 });
    t.server.drain();
    expect(t.status(0)).toBe(DMA_ST_OK);
    const inv = t.region.mapcacheStats().invalidateAll;
    expect(balloon(XENMEM_decrease_reservation, buf)).toBe(1);
    t.takeDone();
    t.submit(1, { op: DMA_OP_READ, gpa: buf * PAGE_SIZE, len: PAGE_SIZE, lba: 8 });
    t.server.drain();
    expect(t.status(1)).toBe(DMA_ST_BAD_ADDR);
    expect(t.region.mapcacheStats().invalidateAll).toBe(inv + 1); // the removal made the next map invalidate the cache
    expect(t.region.mapcacheStats().lockedNow).toBe(0);
    expect(balloon(XENMEM_populate_physmap, buf)).toBe(1);
    expect(frame(buf).every((b) => b === 0)).toBe(true); // a newly populated frame reads as zeros
    t.submit(2, { op: DMA_OP_READ, gpa: buf * PAGE_SIZE, len: PAGE_SIZE, lba: 0 });
    t.server.drain();
    expect(t.status(2)).toBe(DMA_ST_OK);
    expect(t.region.check()).toBeUndefined();
  });

  it('a transfer in flight when the guest gives its frame back completes with DMA_ST_BAD_ADDR, unmapped, nothing copied', () => {
    const { t, balloon, frame, buf } = setup();
    const x = t.region.x;
    t.submit(3, { op: DMA_OP_READ, gpa: (buf + 2) * PAGE_SIZE, len: 2 * PAGE_SIZE, lba: 0 });
    expect(x.dmaClaim(t.region.addr)).toBe(3);
    expect(x.dmaStart(t.region.addr, 3, 0)).toBe(1); // mapped, locked: the disk is busy
    expect(t.region.mapcacheStats().lockedNow).toBe(1);
    expect(balloon(XENMEM_decrease_reservation, buf + 3)).toBe(1);
    expect(x.dmaFinish(t.region.addr, 3, 0)).toBe(DMA_ST_BAD_ADDR);
    expect(t.status(3)).toBe(DMA_ST_BAD_ADDR);
    expect(t.region.mapcacheStats().lockedNow).toBe(0);
    expect(frame(buf + 2).every((b) => b === 0)).toBe(true); // the still-populated half was not written either
    expect(t.region.check()).toBeUndefined();
  });

  it('the device model marks the frames its DMA wrote (disk → guest) as modified; the toolstack reads and clears them', () => {
    const { t, memory, buf } = setup();
    t.submit(4, { op: DMA_OP_READ, gpa: buf * PAGE_SIZE, len: 3 * PAGE_SIZE, lba: 0 });
    t.server.drain();
    expect(memory.dirtyPages()).toEqual([]); // log-dirty off: the call does nothing
    expect(t.server.modifiedCalls).toBe(1);
    memory.setLogDirty(true);
    t.submit(5, { op: DMA_OP_READ, gpa: (buf + 4) * PAGE_SIZE + 512, len: PAGE_SIZE, lba: 0 }); // straddles two frames
    t.submit(6, { op: DMA_OP_WRITE, gpa: (buf + 9) * PAGE_SIZE, len: PAGE_SIZE, lba: 0 });     // guest → disk: nothing modified
    t.server.drain();
    expect([t.status(5), t.status(6)]).toEqual([DMA_ST_OK, DMA_ST_OK]);
    expect(memory.dirtyPages({ clear: true })).toEqual([buf + 4, buf + 5]);
    expect(memory.dirtyPages()).toEqual([]);
    expect(t.server.modifiedErrors).toBe(0);
  });
});
