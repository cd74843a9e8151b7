// The seed scenario of the 2017 overlapping-DMA bug, as a deterministic test.
//
//   A: 2 MiB mapping (a transfer crossing out of bucket 1), locked   → the head of bucket 1
//   B: 1 MiB mapping in bucket 1, locked                             → head locked: a second entry
//   A finishes                                                        → the head is unlocked
//   C: 1 MiB mapping in bucket 1, locked
//      fixed:   the whole chain is searched first: C shares B's entry
//      pre-fix: the first unlocked entry (A's head) is remapped to (1, 1 MiB): two locked
//               entries with one key, C's first in the chain
//   B unmaps: its reverse entry's key finds C's entry → a wrong guest address ("Bad RAM
//             offset"); without the translation, B's unlock drops C's lock instead (a live
//             mapping unmapped)
//
// Must never happen with the fix (release and stress builds): any fatal error, any invariant
// violation. Must always be detected with --inject mapcache-first-free (stress build).
// Checks DM1 (index and size unique among locked entries) and DM2 (docs/decisions/0002).
import { describe, it, expect } from 'vitest';
import { mcMachine, MiB, KiB } from './helpers.ts';
import { runParties } from '../../src/harness/run.ts';
import { Ctl } from '../../src/harness/ctl.ts';
import { DM_CTL_WORDS, type SeedAction } from '../../src/dm/parties.ts';
import {
  MC_WINDOW_SHIFT, DMA_OP_WRITE, DMA_OP_READ, DM_FATAL_BAD_RAM_OFFSET, DM_FATAL_LIVE_UNMAPPED,
  INJECT_MAPCACHE_FIRST_FREE,
} from '../../assembly/shared/dm-layout.ts';
import type { WasmBuild } from '../../src/wasm/exports.ts';

const A = { gpa: 1 * MiB + 768 * KiB, len: 512 * KiB, lba: 0 };    // (1, 2 MiB)
const B = { gpa: 1 * MiB + 64 * KiB, len: 64 * KiB, lba: 2048 };   // (1, 1 MiB)
const C = { gpa: 1 * MiB + 256 * KiB, len: 64 * KiB, lba: 4096 };  // (1, 1 MiB)
const entryOf = (vaddr: number) => vaddr >>> MC_WINDOW_SHIFT;

interface Variant { name: string; build: WasmBuild; inject: boolean }
const VARIANTS: Variant[] = [
  { name: 'release', build: 'release', inject: false },
  { name: 'stress', build: 'stress', inject: false },
  { name: 'stress --inject mapcache-first-free', build: 'stress', inject: true },
];

function seedMachine(v: Variant, checks = false) {
  const p = mcMachine({ build: v.build, checks, diskBytes: 4 * MiB, guestMiB: 8, buckets: 4 });
  if (v.inject) p.machine.dp.x.stressConfigure(0, 0, 0, INJECT_MAPCACHE_FIRST_FREE);
  return p;
}

describe('seed scenario A/B/C, one thread, step by step', () => {
  for (const v of VARIANTS) {
    it(`${v.name}: ${v.inject ? 'B\'s reverse translation finds C\'s entry: "Bad RAM offset" is detected' : 'every transfer translates back to its own address'}`, () => {
      const { x, dm, region, mc } = seedMachine(v);
      const vA = x.dmaMapStep(dm, A.gpa, A.len);
      expect(x.dmaCopyStep(dm, vA, A.gpa, A.len, DMA_OP_WRITE, A.lba, 0)).toBe(0);
      const vB = x.dmaMapStep(dm, B.gpa, B.len);
      expect(region.chain(1)).toEqual([2, entryOf(vB)]);
      expect(x.dmaUnmapStep(dm, vA, A.gpa, A.len, 0)).toBe(0);         // A finishes
      const vC = x.dmaMapStep(dm, C.gpa, C.len);
      expect(vA > 0 && vB > 0 && vC > 0).toBe(true);
      expect(x.dmaCopyStep(dm, vB, B.gpa, B.len, DMA_OP_READ, B.lba, 1)).toBe(0);
      const translatedB = x.mcTranslate(dm, vB);
      const rcB = x.dmaUnmapStep(dm, vB, B.gpa, B.len, 1);
      if (!v.inject) {
        expect(entryOf(vC)).toBe(entryOf(vB));                           // C shares B's exact entry
        expect(translatedB).toBe(B.gpa);
        expect(rcB).toBe(0);
        expect(x.dmaCopyStep(dm, vC, C.gpa, C.len, DMA_OP_READ, C.lba, 2)).toBe(0);
        expect(x.dmaUnmapStep(dm, vC, C.gpa, C.len, 2)).toBe(0);
        expect(region.fatal()).toBeUndefined();
        expect(mc.check()).toBeUndefined();
        expect(mc.stats()).toMatchObject({ lockedNow: 0, entriesLinked: 0 });
      } else {
        expect(entryOf(vC)).toBe(2);                                     // A's old head, remapped for C
        expect(region.entry(2)).toMatchObject({ index: 1, size: MiB, lock: 1 });
        expect(mc.check()).toBe('duplicate-locked');
        expect(translatedB).not.toBe(B.gpa);                             // a wrong guest address
        expect(rcB).toBe(-DM_FATAL_BAD_RAM_OFFSET);
        const f = region.fatal()!;
        expect(f).toMatchObject({ kind: 'bad-ram-offset', tag: 1, gpa: B.gpa, vaddr: vB });
        expect(f.message).toMatch(/Bad RAM offset/);
      }
    });
  }

  for (const v of VARIANTS) {
    it(`${v.name}: B unmaps without translating: ${v.inject ? 'C\'s live mapping loses its lock, and C\'s transfer detects it' : 'C keeps its mapping'}`, () => {
      const { x, dm, region, mc } = seedMachine(v);
      const vA = x.dmaMapStep(dm, A.gpa, A.len);
      const vB = x.dmaMapStep(dm, B.gpa, B.len);
      x.dmaUnmapStep(dm, vA, A.gpa, A.len, 0);
      const vC = x.dmaMapStep(dm, C.gpa, C.len);
      expect(x.mcInvalidateEntry(dm, vB)).toBe(0);                        // QEMU paths that unmap without translating
      const rcC = x.dmaCopyStep(dm, vC, C.gpa, C.len, DMA_OP_WRITE, C.lba, 2);
      if (!v.inject) {
        expect(rcC).toBe(0);
        expect(x.dmaUnmapStep(dm, vC, C.gpa, C.len, 2)).toBe(0);
        expect(mc.check()).toBeUndefined();
        expect(region.fatal()).toBeUndefined();
      } else {
        expect(rcC).toBe(-DM_FATAL_LIVE_UNMAPPED);
        expect(region.fatal()).toMatchObject({ kind: 'live-unmapped', tag: 2, gpa: C.gpa });
        expect(region.fatal()!.message).toMatch(/live mapping unmapped/);
        expect(mc.check()).toBe('lock-count');                           // B's own entry keeps a lock nobody holds
      }
    });
  }

  it('stress --inject mapcache-first-free with per-operation checks: the duplicate key is caught at C\'s map', () => {
    const { x, dm, region } = seedMachine(VARIANTS[2], true);
    const vA = x.dmaMapStep(dm, A.gpa, A.len);
    x.dmaMapStep(dm, B.gpa, B.len);
    x.dmaUnmapStep(dm, vA, A.gpa, A.len, 0);
    expect(region.checkFailure()).toBeUndefined();
    x.dmaMapStep(dm, C.gpa, C.len);
    expect(region.checkFailure()).toEqual({ check: 'duplicate-locked', index: 5 }); // B's entry, shadowed by C's
  });
});

describe('seed scenario A/B/C on three threads, in the overlapping timeline', () => {
  // global steps: A map, A copy, B map, A unmap, C map, B copy, B unmap, C copy, C unmap
  const script = (t: { gpa: number; len: number; lba: number }, steps: [number, number, number], op: number): SeedAction[] => [
    { step: steps[0], do: 'map', gpa: t.gpa, len: t.len },
    { step: steps[1], do: 'copy', op, lba: t.lba },
    { step: steps[2], do: 'unmap' },
  ];
  for (const v of VARIANTS) {
    it(`${v.name}: ${v.inject ? 'the wrong guest address is detected' : 'no fatal error, invariants hold'}`, async () => {
      const { machine, region, dm, mc } = seedMachine(v);
      const ctl = Ctl.create(DM_CTL_WORDS);
      const results = await runParties({
        module: machine.module, memory: machine.memory, ctl, timeoutMs: 20_000, stallMs: 10_000, dump: () => region.dump(),
        parties: [
          { party: 'dmSeed', args: { dm, tag: 0, script: script(A, [0, 1, 3], DMA_OP_WRITE) } },
          { party: 'dmSeed', args: { dm, tag: 1, script: script(B, [2, 5, 6], DMA_OP_READ) } },
          { party: 'dmSeed', args: { dm, tag: 2, script: script(C, [4, 7, 8], DMA_OP_WRITE) } },
        ],
      }) as number[][];
      const [ra, rb, rc] = results;
      expect(ra.slice(1)).toEqual([0, 0]);
      expect(rc.slice(1)).toEqual([0, 0]); // C is fine either way: the harm is B's
      if (!v.inject) {
        expect(entryOf(rc[0])).toBe(entryOf(rb[0]));
        expect(rb.slice(1)).toEqual([0, 0]);
        expect(region.fatal()).toBeUndefined();
        expect(mc.check()).toBeUndefined();
      } else {
        expect(rb[2]).toBe(-DM_FATAL_BAD_RAM_OFFSET);
        expect(region.fatal()?.kind).toBe('bad-ram-offset');
      }
    });
  }
});
