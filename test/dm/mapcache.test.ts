// The mapcache, one operation at a time, on the debug build with the
// invariant check running after every operation (DMF_CHECKS): mapping with
// and without a lock, bucket-crossing sizes, chains, reverse translation,
// invalidation of one entry and of all, the bucket cap and the chain cap,
// page ownership, windows onto guest memory, and the checker itself.
import { describe, it, expect } from 'vitest';
import { mcMachine, MiB, KiB } from './helpers.ts';
import { MapCacheError } from '../../src/dm/mapcache.ts';
import {
  MC_WINDOW_SHIFT, ME_SIZE, ME_LOCK, ME_NEXT, DM_ENTRY_FREE, MC_E_NOT_LOCKED, MC_E_UNMAPPED, ME_PADDR_INDEX,
} from '../../assembly/shared/dm-layout.ts';
import { EFAULT, EINVAL, ENOENT, ENOMEM, ENOSPC } from '../../assembly/shared/errno.ts';

const entryOf = (vaddr: number) => vaddr >>> MC_WINDOW_SHIFT;
const codeOf = (f: () => unknown): number => {
  try { f(); } catch (e) { if (e instanceof MapCacheError) return e.rc; throw e; }
  return 0;
};

describe('mapcache: mapping', () => {
  it('an unlocked request maps its bucket head (a miss); another page of that bucket hits the same entry', () => {
    const { mc, region } = mcMachine();
    const a = mc.map(1 * MiB + 0x3000, 4096, { lock: false });
    expect(a.vaddr).toBe((2 << MC_WINDOW_SHIFT) | 0x3000); // bucket 1 of 4 → head entry 2; offset in the bucket
    expect(region.entry(2)).toMatchObject({ index: 1, size: MiB, lock: 0 });
    const b = mc.map(1 * MiB + 0x8000, 8192, { lock: false });
    expect(entryOf(b.vaddr)).toBe(2);
    expect(mc.stats()).toMatchObject({ misses: 1, hits: 1, remaps: 0, unlockedMaps: 2, lockedMaps: 0 });
    expect(region.checkFailure()).toBeUndefined();
  });

  it('size 0 maps one page (QEMU semantics)', () => {
    const { mc, region } = mcMachine();
    const m = mc.map(3 * MiB + 0x5000, 0, { lock: false });
    expect(region.entry(entryOf(m.vaddr))).toMatchObject({ index: 3, size: MiB });
  });

  it('a transfer crossing a bucket boundary needs a 2 MiB mapping; offset + size beyond 4 MiB is refused', () => {
    const { mc, region, x, dm } = mcMachine();
    const m = mc.map(1 * MiB + 768 * KiB, 512 * KiB);
    expect(region.entry(entryOf(m.vaddr))).toMatchObject({ index: 1, size: 2 * MiB, lock: 1 });
    expect(mc.view(m).length).toBe(512 * KiB);
    const big = mc.map(2 * MiB + 512 * KiB, 3 * MiB); // 3.5 MiB from the bucket start: 4 buckets
    expect(region.entry(entryOf(big.vaddr)).size).toBe(4 * MiB);
    expect(x.mcMap(dm, 1 * MiB + MiB - 4096, 3 * MiB + 8192, 1)).toBe(-EINVAL);
    expect(x.mcMap(dm, 0, 4 * MiB + 1, 0)).toBe(-EINVAL);
  });

  it('locked requests with the same index and size share one entry, one lock per request', () => {
    const { mc, region } = mcMachine();
    const m1 = mc.map(1 * MiB + 4 * KiB, 4 * KiB);
    const m2 = mc.map(1 * MiB + 64 * KiB, 64 * KiB);
    expect(entryOf(m2.vaddr)).toBe(entryOf(m1.vaddr));
    expect(region.entry(2).lock).toBe(2);
    expect(mc.stats()).toMatchObject({ misses: 1, hits: 1, lockedMaps: 2, lockedNow: 2 });
    mc.unmap(m1);
    expect(region.entry(2).lock).toBe(1);
    expect(mc.translate(m2)).toBe(m2.gpa);
    mc.unmap(m2);
    expect(region.entry(2)).toMatchObject({ index: 1, size: MiB, lock: 0 }); // heads stay mapped, as a cache
    expect(mc.stats().lockedNow).toBe(0);
  });

  it('a locked entry is never remapped: another size in its bucket is appended to the chain', () => {
    const { mc, region } = mcMachine();
    const a = mc.map(1 * MiB + 768 * KiB, 512 * KiB); // (1, 2 MiB) at the head
    const b = mc.map(1 * MiB + 64 * KiB, 64 * KiB);   // (1, 1 MiB): head is locked → new entry
    expect(region.chain(1)).toEqual([2, 5]);
    expect(entryOf(b.vaddr)).toBe(5);
    expect(region.entry(5)).toMatchObject({ index: 1, size: MiB, lock: 1 });
    expect(mc.stats()).toMatchObject({ misses: 2, entriesLinked: 1, longestChain: 2 });
    expect(mc.translate(a)).toBe(a.gpa);
    expect(mc.translate(b)).toBe(b.gpa);
  });

  it('a free (unlocked) entry is reused only when no entry of the chain matches exactly (the fix, DM1)', () => {
    const { mc, region } = mcMachine();
    const a = mc.map(1 * MiB + 768 * KiB, 512 * KiB); // (1, 2M) head
    const b = mc.map(1 * MiB + 64 * KiB, 64 * KiB);   // (1, 1M) entry 5
    mc.unmap(a);                                      // head unlocked, still mapped (1, 2M)
    const c = mc.map(1 * MiB + 256 * KiB, 64 * KiB);  // (1, 1M): must share B's entry, not remap the head
    expect(entryOf(c.vaddr)).toBe(5);
    expect(region.entry(5).lock).toBe(2);
    expect(region.entry(2)).toMatchObject({ size: 2 * MiB, lock: 0 });
    const d = mc.map(1 * MiB + 128 * KiB, 4 * KiB, { lock: false }); // unlocked requests search the whole chain too
    expect(entryOf(d.vaddr)).toBe(5);
    mc.unmap(b);
    mc.unmap(c);
    // now nothing matches (1, 3M): the first free entry, the head, is remapped
    const e = mc.map(1 * MiB + 512 * KiB, 2 * MiB);
    expect(entryOf(e.vaddr)).toBe(2);
    expect(region.entry(2)).toMatchObject({ size: 3 * MiB, lock: 1 });
    expect(mc.stats().remaps).toBe(1);
  });
});

describe('mapcache: reverse translation and invalidation', () => {
  it('translates each locked request back to its guest address; unknown, unlocked and released addresses are ENOENT', () => {
    const { mc } = mcMachine();
    const ms = [mc.map(0x1000, 4096), mc.map(2 * MiB + 0x8200, 600), mc.map(3 * MiB - 4096, 8192), mc.map(5 * MiB + 77 * 512, 1024 * KiB)];
    for (const m of ms) expect(mc.translate(m)).toBe(m.gpa);
    const u = mc.map(6 * MiB, 4096, { lock: false });
    expect(codeOf(() => mc.translate(u))).toBe(-ENOENT);
    expect(codeOf(() => mc.translate(12345))).toBe(-ENOENT);
    mc.unmap(ms[1]);
    expect(codeOf(() => mc.translate(ms[1]))).toBe(-ENOENT);
    expect(codeOf(() => mc.unmap(ms[1]))).toBe(-ENOENT);
    for (const m of [ms[0], ms[2], ms[3]]) expect(mc.translate(m)).toBe(m.gpa);
  });

  it('the last unlock of an overflow entry unlinks it and returns it to the pool; a head stays mapped', () => {
    const { mc, region } = mcMachine();
    const a = mc.map(1 * MiB, 4096);                // head (1, 1M)
    const b = mc.map(1 * MiB + 1020 * KiB, 8 * KiB); // (1, 2M) → entry 5
    const b2 = mc.map(1 * MiB + 900 * KiB, 200 * KiB); // (1, 2M) too: shares entry 5
    expect(region.entry(5).lock).toBe(2);
    mc.unmap(b);
    expect(region.chain(1)).toEqual([2, 5]);
    mc.unmap(b2);
    expect(region.chain(1)).toEqual([2]);
    expect(region.entry(5).size).toBe(0);
    expect(mc.stats()).toMatchObject({ freed: 1, entriesLinked: 0, invalidates: 2 });
    mc.unmap(a);
    expect(region.entry(2)).toMatchObject({ size: MiB, lock: 0 });
  });

  it('invalidate-all drops every unlocked mapping and skips locked ones', () => {
    const { mc, region } = mcMachine();
    const l1 = mc.map(1 * MiB + 4096, 4096);                   // bucket 1 head, locked
    const l2 = mc.map(2 * MiB, 4096);                          // bucket 2 head, locked
    const u1 = mc.map(2 * MiB + 1020 * KiB, 8 * KiB, { lock: false }); // (2, 2M): head locked → overflow, unlocked
    const u2 = mc.map(3 * MiB, 4096, { lock: false });         // bucket 3 head, unlocked
    expect(region.chain(2)).toEqual([3, entryOf(u1.vaddr)]);
    expect(mc.invalidateAll()).toBe(2);
    expect(region.chain(2)).toEqual([3]);
    expect(region.entry(entryOf(u2.vaddr)).size).toBe(0);
    expect(region.entry(2)).toMatchObject({ size: MiB, lock: 1 });
    expect(mc.translate(l1)).toBe(l1.gpa);
    expect(mc.translate(l2)).toBe(l2.gpa);
    expect(mc.view(l1).length).toBe(4096);
    expect(codeOf(() => mc.view(u2))).toBe(-MC_E_UNMAPPED);
    mc.map(3 * MiB, 4096, { lock: false });
    expect(mc.stats()).toMatchObject({ invalidateAll: 1, misses: 5 });
  });
});

describe('mapcache: caps', () => {
  it('bucket cap: indices share a chain modulo the number of buckets, and each keeps its own mapping', () => {
    const { mc, region, guestBytes } = mcMachine({ guestMiB: 8, buckets: 4 });
    const a = mc.map(1 * MiB + 8192, 4096);
    const b = mc.map(5 * MiB + 8192, 4096); // 5 % 4 = 1: same chain, other index
    expect(region.chain(1)).toEqual([2, entryOf(b.vaddr)]);
    expect(region.entry(entryOf(b.vaddr)).index).toBe(5);
    mc.write(a, new Uint8Array(4096).fill(0xaa));
    mc.write(b, new Uint8Array(4096).fill(0xbb));
    expect(guestBytes(a.gpa, 4096).every((v) => v === 0xaa)).toBe(true);
    expect(guestBytes(b.gpa, 4096).every((v) => v === 0xbb)).toBe(true);
    expect(mc.translate(a)).toBe(a.gpa);
    expect(mc.translate(b)).toBe(b.gpa);
  });

  it('chain cap: a chain full of locked entries refuses another key (ENOSPC) until one is released', () => {
    const { mc, x, dm } = mcMachine({ guestMiB: 32, buckets: 4, maxChain: 8 });
    const held = [1, 5, 9, 13, 17, 21, 25, 29].map((i) => mc.map(i * MiB, 4096));
    expect(x.mcMap(dm, 1 * MiB + 1020 * KiB, 8192, 1)).toBe(-ENOSPC);
    expect(mc.stats().noEntry).toBe(1);
    expect(x.mcMap(dm, 1 * MiB + 8192, 4096, 1)).toBeGreaterThan(0); // an exact match still hits
    mc.unmap(held[7]);
    expect(x.mcMap(dm, 1 * MiB + 1020 * KiB, 8192, 1)).toBeGreaterThan(0);
  });

  it('pool cap: without a free overflow entry a new key is refused (ENOMEM); without a reverse entry a lock is refused', () => {
    const p = mcMachine({ guestMiB: 32, buckets: 4, entries: 8, maxChain: 64 });
    for (const i of [1, 5, 9, 13]) p.mc.map(i * MiB, 4096); // head + 3 overflow entries: the pool is empty
    expect(p.x.mcMap(p.dm, 17 * MiB, 4096, 1)).toBe(-ENOMEM);
    const r = mcMachine({ revs: 4 });
    for (let i = 0; i < 3; i++) r.mc.map(i * MiB, 4096);
    expect(r.x.mcMap(r.dm, 3 * MiB, 4096, 1)).toBe(-ENOMEM);
    expect(r.mc.stats().lockedNow).toBe(3);
    expect(r.x.mcMap(r.dm, 3 * MiB, 4096, 0)).toBeGreaterThan(0); // unlocked needs no reverse entry
    expect(r.region.checkFailure()).toBeUndefined();
  });
});

describe('mapcache: ownership and windows', () => {
  it('a page the guest does not own makes the request fail (EFAULT) without a lock; other pages of the entry still map', () => {
    const { mc, region, x, dm } = mcMachine();
    region.grant(256 + 2, 1, false); // gfn of 1 MiB + 8 KiB
    expect(x.mcMap(dm, 1 * MiB, 16 * KiB, 1)).toBe(-EFAULT);
    expect(mc.stats()).toMatchObject({ faults: 1, lockedNow: 0 });
    expect(region.entry(2).lock).toBe(0);
    const ok = mc.map(1 * MiB + 64 * KiB, 4096);
    expect(entryOf(ok.vaddr)).toBe(2);
    expect(mc.stats().hits).toBe(1);
    expect(codeOf(() => mc.view(ok, -64 * KiB + 8192, 4096))).toBe(-EFAULT); // the revoked page, through a valid window
    region.grant(256 + 2, 1, true);
    mc.invalidateAll(); // a changed memory map needs the cache dropped (locked entries stay)
  });

  it('memory outside the guest is refused: beyond its RAM and straddling its end', () => {
    const { x, dm, mc } = mcMachine({ guestMiB: 8 });
    expect(x.mcMap(dm, 8 * MiB, 4096, 1)).toBe(-EFAULT);
    expect(x.mcMap(dm, 8 * MiB - 4096, 8192, 1)).toBe(-EFAULT);
    expect(x.mcMap(dm, 0xfff00000, 4096, 1)).toBe(-EFAULT);
    expect(mc.stats().lockedNow).toBe(0);
  });

  it('a window is the guest\'s own memory (no copy), bounded by the mapping', () => {
    const { mc, guestBytes } = mcMachine();
    const m = mc.map(2 * MiB + 1000 * KiB, 48 * KiB); // crosses into bucket 3: a 2 MiB entry
    const data = new Uint8Array(48 * KiB).map((_, i) => (i * 7) & 0xff);
    mc.write(m, data);
    expect(guestBytes(m.gpa, data.length)).toEqual(data);
    guestBytes(m.gpa + 100, 1)[0] = 0x5a;
    expect(mc.view(m)[100]).toBe(0x5a);
    expect(codeOf(() => mc.view(m, 0, 2 * MiB))).toBe(-EFAULT);       // past the entry's 2 MiB window
    expect(mc.view(m, 0, 2 * MiB - 1000 * KiB).length).toBe(2 * MiB - 1000 * KiB); // the rest of the entry is mapped too
    mc.unmap(m);
    expect(codeOf(() => mc.view(m))).toBe(-MC_E_NOT_LOCKED);
  });

  it('a corrupt entry still can not reach beyond the guest: every access is bounded by the guest\'s RAM (DM4)', () => {
    const { mc, x, dm, machine } = mcMachine({ guestMiB: 8 });
    const m = mc.map(7 * MiB, 4096);
    const a = x.addrMcEntry(dm, entryOf(m.vaddr)) >>> 0;
    Atomics.store(machine.dp.u32, (a + ME_PADDR_INDEX) >>> 2, 9); // claims bucket 9: the next domain's memory
    expect(x.mcAccess(dm, m.vaddr, 4096, 1)).toBe(0);
    expect(x.mcLastError()).toBe(-EFAULT);
  });
});

describe('mapcache: invariants', () => {
  it('hold after every operation of a random sequence, and every locked window keeps its guest address (DM1–DM3)', () => {
    const { mc, region, guestBytes } = mcMachine({ guestMiB: 16, buckets: 4, maxChain: 16, entries: 64, revs: 64 });
    let s = 0x1234567;
    const rnd = (n: number) => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s % n; };
    const held: { m: ReturnType<typeof mc.map>; stamp: number }[] = [];
    region.grant(10 * 256 + 5, 3, false);
    let refused = 0;
    for (let op = 0; op < 3000; op++) {
      const r = rnd(100);
      if (r < 50) {
        const len = [4096, 512, 64 * KiB, 700 * KiB, 1536 * KiB][rnd(5)];
        const gpa = rnd(16 * MiB - len) & ~511;
        try {
          const m = mc.map(gpa, len);
          const stamp = (op & 0xff) | 1;
          mc.view(m, 0, 1)[0] = stamp;
          held.push({ m, stamp });
        } catch (e) {
          expect(e).toBeInstanceOf(MapCacheError);
          expect([-EFAULT, -ENOSPC, -ENOMEM]).toContain((e as MapCacheError).rc);
          refused++;
        }
      } else if (r < 60) {
        try { mc.map(rnd(16 * MiB - 4096), 4096, { lock: false }); } catch { refused++; }
      } else if (r < 90 && held.length > 0) {
        const [h] = held.splice(rnd(held.length), 1);
        expect(mc.translate(h.m)).toBe(h.m.gpa);
        mc.unmap(h.m);
      } else if (r < 97 && held.length > 0) {
        const h = held[rnd(held.length)];
        expect(mc.translate(h.m)).toBe(h.m.gpa);
      } else {
        mc.invalidateAll();
      }
      // a locked window still shows the guest's memory at its own address
      for (const h of held.slice(-4)) expect(mc.view(h.m, 0, 1)[0]).toBe(guestBytes(h.m.gpa, 1)[0]);
    }
    expect(region.checkFailure()).toBeUndefined();
    expect(mc.stats().checks).toBeGreaterThan(2000); // after every map, unmap, invalidate-all
    expect(mc.stats().lockedNow).toBe(held.length);
    expect(refused).toBeGreaterThan(0);
    for (const h of held) mc.unmap(h.m);
    mc.invalidateAll();
    expect(mc.stats()).toMatchObject({ lockedNow: 0, entriesLinked: 0 });
    expect(mc.check()).toBeUndefined();
  });

  it('the check names each broken invariant', () => {
    const corrupt = (f: (p: ReturnType<typeof mcMachine>, ea: (e: number) => number) => void) => {
      const p = mcMachine({ checks: false });
      f(p, (e) => p.x.addrMcEntry(p.dm, e) >>> 0);
      return p.mc.check();
    };
    const set = (p: ReturnType<typeof mcMachine>, addr: number, v: number) => Atomics.store(p.machine.dp.u32, addr >>> 2, v);
    expect(corrupt(() => {})).toBeUndefined();
    // two locked entries with one key: what the pre-fix search produced
    expect(corrupt((p, ea) => {
      p.mc.map(1 * MiB + 1020 * KiB, 8192);
      const b = p.mc.map(1 * MiB, 4096);
      set(p, ea(2) + ME_SIZE, MiB);
      void b;
    })).toBe('duplicate-locked');
    expect(corrupt((p, ea) => { p.mc.map(1 * MiB, 4096); set(p, ea(2) + ME_LOCK, 2); })).toBe('lock-count');
    expect(corrupt((p, ea) => {
      p.mc.map(1 * MiB, 4096);
      p.mc.map(1 * MiB + 1020 * KiB, 8192);
      set(p, ea(5) + ME_NEXT, 2);
    })).toBe('chain');
    expect(corrupt((p, ea) => { p.mc.map(1 * MiB, 4096); set(p, ea(2) + ME_SIZE, 0); })).toBe('locked-unmapped');
    expect(corrupt((p) => set(p, p.dm + DM_ENTRY_FREE, 6))).toBe('free-list');
    expect(corrupt((p, ea) => { p.mc.map(1 * MiB, 4096, { lock: false }); set(p, ea(2) + ME_PADDR_INDEX, 2); })).toBe('wrong-bucket');
  });
});
