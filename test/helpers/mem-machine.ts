// A machine for memory-hypercall tests: control domain 0, a 64-bit guest
// (domain 1) and a 32-bit guest (domain 2), each booted into 2-level with the
// guest layout, and per-domain hypercall stubs through the register context.
import { createMachine, type Machine } from '../../src/wasm/data-plane.ts';
import type { WasmBuild } from '../../src/wasm/exports.ts';
import { guestLayout, type GuestLayout } from '../../src/guest/layout.ts';
import { bootGuest } from '../../src/guest/kernel.ts';
import { GuestHypercalls } from '../../src/guest/hypercalls.ts';
import { MemoryHypercalls } from '../../src/guest/memory-hypercalls.ts';
import { PAGE_SIZE } from '../../assembly/shared/layout.ts';

export const RAM_FRAMES = 64; // frames above the kernel's

export interface MemMachine {
  m: Machine;
  layout: GuestLayout;
  /** first frame of the guest's own RAM: the extent list lives here, ballooned frames above */
  listGfn: number;
  frames: number;
  hc(dom: number): GuestHypercalls;
  mem(dom: number): MemoryHypercalls;
  /** guest view of frame `gfn` of `dom` */
  frame(dom: number, gfn: number): DataView;
  /** the p2m, tot_pages and the first `words` words of the dirty bitmap of `dom`, for comparing end states */
  snapshot(dom: number, words?: number): { p2m: number[]; tot: number; dirty: number[] };
}

export function memMachine(opts: { preemptEvery?: number; maxPages?: number; build?: WasmBuild; ramFrames?: number } = {}): MemMachine {
  const maxPort = 1023;
  const layout = guestLayout(1, maxPort);
  const frames = layout.freeGfn + (opts.ramFrames ?? RAM_FRAMES);
  const m = createMachine([
    { domid: 0, vcpus: 1, frames, maxEvtchnPort: maxPort },
    { domid: 1, vcpus: 1, frames, maxEvtchnPort: maxPort, maxPages: opts.maxPages },
    { domid: 2, vcpus: 1, frames, maxEvtchnPort: maxPort, guestWidth: 32, maxPages: opts.maxPages },
  ], opts.build ?? 'debug', { preemptEvery: opts.preemptEvery });
  for (const d of [0, 1, 2]) bootGuest(m.dp, d, 1, layout, '2l');
  const hcs = new Map<number, GuestHypercalls>();
  const hc = (dom: number) => {
    let h = hcs.get(dom);
    if (!h) { h = new GuestHypercalls(m.dp, dom, 0, layout.scratchGfn); hcs.set(dom, h); }
    return h;
  };
  return {
    m, layout, listGfn: layout.freeGfn, frames, hc,
    mem: (dom) => new MemoryHypercalls(hc(dom).stub, hc(dom).args, hc(dom).gpa, m.domain(dom).guestWidth),
    frame: (dom, gfn) => new DataView(m.memory.buffer, (m.dp.x.addrGuestBase(dom) >>> 0) + gfn * PAGE_SIZE, PAGE_SIZE),
    snapshot(dom, words = Math.ceil(frames / 32)) {
      const x = m.dp.x;
      return {
        p2m: Array.from({ length: frames }, (_, g) => x.p2mTypeOf(dom, g)),
        tot: x.domainTotPages(dom),
        dirty: Array.from({ length: words }, (_, i) => x.dirtyBitmapWord(dom, i, 0) >>> 0),
      };
    },
  };
}
