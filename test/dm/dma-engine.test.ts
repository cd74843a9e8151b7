// The DMA engine of the emulated storage controller on one thread (debug
// build, mapcache invariants checked after every operation): guest driver and
// device model connected by a real interdomain event channel; commands in a
// ring in guest memory; data checked end to end; bad requests refused cleanly.
import { describe, it, expect } from 'vitest';
import { inlineDma, MiB } from './helpers.ts';
import {
  DMA_OP_READ, DMA_OP_WRITE, DMA_ST_OK, DMA_ST_BAD_ADDR, DMA_ST_BAD_LBA, DMA_ST_BAD_LEN, DMA_ST_BAD_OP, DMA_ST_BUSY,
  CP_SQ_PROD, DMA_SLOTS, CP_DESC, DD_GPA_LO, DD_LEN, DD_OP,
} from '../../assembly/shared/dm-layout.ts';
import { PAGE_SIZE } from '../../assembly/shared/layout.ts';

describe('DMA engine, one thread', () => {
  it('32 commands in flight, reads and writes across buckets: every checksum and every sector right', () => {
    const c = inlineDma({ checks: true });
    const ex = c.exerciser({ seed: 7, transfers: 600 });
    c.run(ex);
    const r = ex.report;
    expect(r.failures).toEqual([]);
    expect(r).toMatchObject({ issued: 600, completed: 600, checksumErrors: 0, patternErrors: 0, statusErrors: 0, spurious: 0, busy: 0 });
    expect(r.reads).toBeGreaterThan(200);
    expect(r.writes).toBeGreaterThan(200);
    const mc = c.region.mapcacheStats();
    expect(mc.peakLocked).toBe(16);                 // a worker's depth of started commands, mappings all held
    expect(mc.hits).toBeGreaterThan(0);
    expect(mc.remaps).toBeGreaterThan(0);
    expect(mc.longestChain).toBeGreaterThanOrEqual(2);
    expect(mc.lockedNow).toBe(0);
    expect(c.region.checkFailure()).toBeUndefined();
    expect(c.region.fatal()).toBeUndefined();
    expect(c.region.dmaStats()).toMatchObject({ commands: 600, errors: 0, bytes: r.bytes });
  });

  it('memory outside the guest, frames it does not own, a range straddling into them, sectors past the disk and bad lengths fail with an error status; the device model keeps serving', () => {
    const c = inlineDma({ checks: true });
    const ex = c.exerciser({ seed: 3, transfers: 400, badEvery: 2 });
    c.run(ex);
    const r = ex.report;
    expect(r.failures).toEqual([]);
    expect(r.expectedErrors).toBe(200);
    expect(r.reads + r.writes).toBe(200);
    expect(r).toMatchObject({ statusErrors: 0, checksumErrors: 0, patternErrors: 0 });
    expect(c.region.dmaStats().byStatus).toMatchObject({ 'bad-addr': 120, 'bad-lba': 40, 'bad-len': 40, ok: 200 });
    expect(c.region.mapcacheStats().faults).toBe(120);
    expect(c.region.fatal()).toBeUndefined();
    expect(c.region.checkFailure()).toBeUndefined();
  });

  it('a refused transfer touches nothing: not the hole, not the memory after the guest (DM8)', () => {
    const c = inlineDma();
    const mem = new Uint8Array(c.machine.memory.buffer);
    const guestBase = c.machine.dp.x.addrGfn(c.guestDom, 0) >>> 0;
    const hole = mem.subarray(guestBase + c.dma.holeGpa, guestBase + c.dma.holeGpa + c.dma.holeBytes);
    const after = mem.subarray(guestBase + c.dma.frames * PAGE_SIZE, guestBase + c.dma.frames * PAGE_SIZE + 64 * 1024);
    hole.fill(0xa5);
    c.region.disk().fill(0x3c, 0, 1 * MiB);
    const holeBefore = hole.slice();
    const afterBefore = after.slice();
    c.submit(0, { op: DMA_OP_READ, gpa: c.dma.holeGpa, len: 64 * 1024, lba: 0 });                     // into unowned frames
    c.submit(1, { op: DMA_OP_READ, gpa: c.dma.frames * PAGE_SIZE, len: 64 * 1024, lba: 0 });          // past the guest
    c.submit(2, { op: DMA_OP_READ, gpa: c.dma.holeGpa - 4096, len: 8192, lba: 0 });                   // straddling into the hole
    c.submit(3, { op: DMA_OP_READ, gpa: 0, len: 4096, lba: 0, gpaHi: 1 });                           // above 4 GiB
    c.submit(4, { op: DMA_OP_READ, gpa: 0xffff_f000, len: 8192, lba: 0 });                           // wrapping 4 GiB
    expect(c.server.drain()).toBe(5);
    for (let t = 0; t < 5; t++) expect(c.status(t)).toBe(DMA_ST_BAD_ADDR);
    expect(hole).toEqual(holeBefore);
    // (the memory after the guest is its hypervisor-private region, which the completion events do change:
    // what must not appear there is the disk's data)
    const disky = (a: Uint8Array) => a.reduce((n, v) => n + (v === 0x3c ? 1 : 0), 0);
    expect(disky(after)).toBe(disky(afterBefore));
    expect(c.region.mapcacheStats().lockedNow).toBe(0);
    // … and the next good command is served
    c.submit(5, { op: DMA_OP_READ, gpa: c.dma.bufGpa, len: 4096, lba: 0 });
    c.server.drain();
    expect(c.status(5)).toBe(DMA_ST_OK);
  });

  it('a descriptor is read once: rewriting it after submission redirects nothing (DM5)', () => {
    const c = inlineDma();
    const x = c.region.x;
    const buf = new Uint8Array(c.machine.memory.buffer, (c.machine.dp.x.addrGfn(c.guestDom, 0) >>> 0) + c.dma.bufGpa, 8192);
    buf.fill(0x11, 0, 4096);
    buf.fill(0x22, 4096, 8192);
    c.submit(0, { op: DMA_OP_WRITE, gpa: c.dma.bufGpa, len: 4096, lba: 8 });
    expect(x.dmaClaim(c.region.addr)).toBe(0);
    expect(x.dmaStart(c.region.addr, 0, 0)).toBe(1);
    const d = (f: number) => (c.page + CP_DESC + f) >>> 2;
    c.u32[d(DD_GPA_LO)] = c.dma.bufGpa + 4096;     // the guest changes its mind mid-transfer
    c.u32[d(DD_LEN)] = 1 * MiB;
    c.u32[d(DD_OP)] = DMA_OP_READ;
    expect(x.dmaFinish(c.region.addr, 0, 0)).toBe(DMA_ST_OK);
    expect(c.region.disk().subarray(8 * 512, 8 * 512 + 4096).every((v) => v === 0x11)).toBe(true);
    expect(c.dmChecksum(0)).toBe(x.dmaGuestChecksum(c.guestDom, c.dma.bufGpa, 4096) >>> 0);
  });

  it('a misbehaving guest — tags past 31, a tag still in flight, a wrong descriptor tag, a runaway producer index — is counted and refused; serving goes on', () => {
    const c = inlineDma();
    const x = c.region.x;
    const dm = c.region.addr;
    c.submit(3, { op: DMA_OP_READ, gpa: c.dma.bufGpa, len: 4096, lba: 0 });
    c.submitTag(40);
    c.submitTag(3);
    expect(x.dmaClaim(dm)).toBe(3);
    expect(x.dmaClaim(dm)).toBe(-1);                  // 40 dropped, 3 still in flight: dropped
    expect(c.region.dmaStats().badTags).toBe(2);
    expect(x.dmaExecute(dm, 3, 0)).toBe(DMA_ST_OK);
    c.submit(4, { op: DMA_OP_READ, gpa: c.dma.bufGpa, len: 4096, lba: 0, descTag: 9 });
    c.server.drain();
    expect(c.status(4)).toBe(DMA_ST_BAD_OP);
    c.submit(6, { op: 7, gpa: c.dma.bufGpa, len: 4096, lba: 0 });
    c.server.drain();
    expect(c.status(6)).toBe(DMA_ST_BAD_OP);
    const prodAt = (c.page + CP_SQ_PROD) >>> 2;
    Atomics.add(c.u32, prodAt, 1000);                 // far ahead of anything in the ring
    c.server.drain();
    expect(c.region.dmaStats().ringOverruns).toBe(1);
    Atomics.store(c.u32, prodAt, Atomics.load(c.u32, prodAt) - 1000 + DMA_SLOTS); // (resynchronised on the last 32)
    c.takeDone();
    c.submit(5, { op: DMA_OP_READ, gpa: c.dma.bufGpa, len: 4096, lba: 0 });
    c.server.drain();
    expect(c.status(5)).toBe(DMA_ST_OK);
    expect(c.region.fatal()).toBeUndefined();
    expect(c.region.mapcacheStats().lockedNow).toBe(0);
  });

  it('a bucket chain at its cap makes a command complete BUSY (no entry); the retry succeeds', () => {
    const c = inlineDma({ maxChain: 1 });
    const x = c.region.x;
    const dm = c.region.addr;
    const gpa = c.dma.bufGpa;
    c.submit(0, { op: DMA_OP_WRITE, gpa: gpa + 512 * 1024, len: 768 * 1024, lba: 0 }); // (i, 2 MiB)
    c.submit(1, { op: DMA_OP_WRITE, gpa, len: 4096, lba: 4096 });                     // (i, 1 MiB): no room
    expect(x.dmaClaim(dm)).toBe(0);
    expect(x.dmaStart(dm, 0, 0)).toBe(1);
    expect(x.dmaClaim(dm)).toBe(1);
    expect(x.dmaStart(dm, 1, 0)).toBe(0);
    expect(c.status(1)).toBe(DMA_ST_BUSY);
    expect(x.dmaFinish(dm, 0, 0)).toBe(DMA_ST_OK);
    c.submit(1, { op: DMA_OP_WRITE, gpa, len: 4096, lba: 4096 });
    c.server.drain();
    expect(c.status(1)).toBe(DMA_ST_OK);
  });

  it('bad lengths and LBAs are refused before any mapping', () => {
    const c = inlineDma();
    const before = c.region.mapcacheStats();
    c.submit(0, { op: DMA_OP_READ, gpa: c.dma.bufGpa, len: 0, lba: 0 });
    c.submit(1, { op: DMA_OP_READ, gpa: c.dma.bufGpa, len: 1000, lba: 0 });
    c.submit(2, { op: DMA_OP_READ, gpa: c.dma.bufGpa, len: 4 * MiB, lba: 0 });
    c.submit(3, { op: DMA_OP_READ, gpa: c.dma.bufGpa, len: 4096, lba: c.plan.diskSectors - 7 });
    c.submit(4, { op: DMA_OP_READ, gpa: c.dma.bufGpa, len: 512, lba: 0xffffffff });
    c.server.drain();
    expect([0, 1, 2, 3, 4].map((t) => c.status(t))).toEqual([DMA_ST_BAD_LEN, DMA_ST_BAD_LEN, DMA_ST_BAD_LEN, DMA_ST_BAD_LBA, DMA_ST_BAD_LBA]);
    const after = c.region.mapcacheStats();
    expect(after.lockedMaps).toBe(before.lockedMaps);
    expect(after.misses + after.hits).toBe(before.misses + before.hits);
  });
});
