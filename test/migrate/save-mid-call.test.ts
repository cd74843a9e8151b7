// hv.save of a running guest-module domain caught in the middle of a
// continued hypercall (issue 12 item 4): the balloon guest's vCPU 0 gives
// frames back and takes them again through memory_op calls a 32-bit domain
// continues after every extent; a pause may land between two re-issues (the
// call has returned to the guest, I28), so the image carries the
// continuation in its register context (I46). Restored on another
// hypervisor, at another address — one of the same private-region layout
// and one of layout version 2 — the call is executed again from the context
// alone and does exactly the extents that were left.
import { describe, it, expect } from 'vitest';
import { Hypervisor } from '../../src/hypervisor.ts';
import { guestModulePath } from '../../src/paths.ts';
import { guestLayout, SCRATCH_PER_VCPU } from '../../src/guest/layout.ts';
import { BALLOON_WORDS, BALLOON_ROUNDS, type BalloonConfig } from '../../src/guests/balloon.ts';
import { parseImage } from '../../src/migrate/parse.ts';
import { HypercallStub } from '../../src/guest/hypercall-stub.ts';
import {
  MEMOP_EXTENT_SHIFT, MEMOP_CMD_MASK, XMR32_EXTENT_START, XMR32_NR_EXTENTS, XENMEM_decrease_reservation,
  XENMEM_populate_physmap,
} from '../../assembly/shared/memory-abi.ts';
import { HCALL_REGS_ARGS } from '../../assembly/shared/hypercall-abi.ts';
import { PAGE_SIZE } from '../../assembly/shared/layout.ts';

const POOL = 64;
const ATTEMPTS = 400;

describe('save in the middle of a continued call', () => {
  it('a balloon guest paused between continuations is restored elsewhere, under either private layout, and finishes exactly the extents left (I55)', async () => {
    const layout = guestLayout(2, 1023);
    const config: BalloonConfig = {
      width: 32, poolGfn: layout.freeGfn, poolFrames: POOL, extents: 24, rounds: 1 << 30, minOverlap: 0, maxRounds: 1 << 30, seed: 5,
    };
    const shared = new SharedArrayBuffer(BALLOON_WORDS * 4);
    const words = new Int32Array(shared);
    const hv = await Hypervisor.create({
      domains: [{ id: 1, vcpus: 2, guest: guestModulePath('balloon'), ramKiB: (POOL + 1) * 4, guestWidth: 32, config }],
      shared,
    });
    let image: Uint8Array | undefined;
    let attempts = 0;
    try {
      hv.start();
      // past the guest's boot handshake (its vCPUs wait on each other there without a hypercall,
      // so a pause then would park one and leave the other waiting): the first round is done
      const deadline = Date.now() + 30_000;
      while (Atomics.load(words, BALLOON_ROUNDS) === 0) {
        if (Date.now() > deadline) throw new Error('watchdog: the balloon guest did no round in 30 s');
        const w = Atomics.waitAsync(words, BALLOON_ROUNDS, 0, 100);
        if (w.async) await w.value;
      }
      // the race: a pause must land between two re-issues of a call (bounded attempts, each a real pause)
      for (; attempts < ATTEMPTS && !image; attempts++) {
        const img = await hv.save(1, { timeoutMs: 10_000 });
        if (parseImage(img).vcpus[0].continuation) image = img;
      }
    } finally {
      await hv.shutdown();
    }
    expect(image, `no pause landed inside a continued call in ${ATTEMPTS} saves`).toBeDefined();
    const img = parseImage(image!);
    const regs = new DataView(img.vcpus[0].regs.buffer, img.vcpus[0].regs.byteOffset, img.vcpus[0].regs.length);
    const cmd = Number(regs.getBigUint64(HCALL_REGS_ARGS, true));
    const op = cmd & MEMOP_CMD_MASK;
    const start = cmd >>> MEMOP_EXTENT_SHIFT;
    expect([XENMEM_decrease_reservation, XENMEM_populate_physmap]).toContain(op);

    // restored on a hypervisor of this layout, and on a "newer" one with another private-region layout (I55)
    for (const build of ['debug', 'layout2'] as const) {
      const { hv: target, domain } = await Hypervisor.restore(image!, {
        build, domains: [{ id: 0, vcpus: 1, ramKiB: 300 }], restore: { id: 1 },
      });
      try {
        expect(target.machine.dp.layout.LAYOUT_VERSION).toBe(build === 'layout2' ? 2 : 1);
        expect(domain.region.guestBase).not.toBe(hv.machine.domain(1).guestBase);
        const x = target.machine.dp.x;
        const base = x.addrGuestBase(1) >>> 0;
        const args = new DataView(target.machine.memory.buffer, base + layout.scratchGfn * PAGE_SIZE + 0 * SCRATCH_PER_VCPU, 64);
        const nr = args.getUint32(XMR32_NR_EXTENTS, true);
        const list = new DataView(target.machine.memory.buffer, base + args.getUint32(XMR32_EXTENT_START, true), 4 * nr);
        const gfns = Array.from({ length: nr }, (_, i) => list.getUint32(4 * i, true));
        expect(start).toBeGreaterThan(0);
        expect(start).toBeLessThan(nr);
        const populated = (g: number) => domain.memory.isPopulated(g);
        const decrease = op === XENMEM_decrease_reservation;
        // the extents before the continuation point are done, the rest not yet
        expect(gfns.slice(0, start).every((g) => populated(g) !== decrease)).toBe(true);
        expect(gfns.slice(start).every((g) => populated(g) === decrease)).toBe(true);
        const tot = domain.memory.totPages();
        // the vCPU arrives and executes the call again from its register context
        const out = new HypercallStub(target.machine.dp, 1, 0, Number(img.vcpus[0].regsGpa)).finish();
        expect(out.result).toBe(nr);
        expect(out.continuations).toBe(nr - start - 1); // a 32-bit caller: one per extent left but the last
        expect(gfns.every((g) => populated(g) !== decrease)).toBe(true);
        expect(domain.memory.totPages()).toBe(decrease ? tot - (nr - start) : tot + (nr - start));
      } finally {
        await target.shutdown();
      }
    }
  }, 120_000);
});
