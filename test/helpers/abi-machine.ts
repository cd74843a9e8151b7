// A machine whose guests booted into the given ABI the way our guest kernel
// does (src/guest/kernel.ts bootGuest), for tests that run on both ABIs.
import { createMachine, type Machine } from '../../src/wasm/data-plane.ts';
import { guestLayout, type GuestLayout } from '../../src/guest/layout.ts';
import { bootGuest, type GuestAbi } from '../../src/guest/kernel.ts';
import type { WasmBuild } from '../../src/wasm/exports.ts';

export interface AbiMachine extends Machine {
  abi: GuestAbi;
  layout: Map<number, GuestLayout>;
  /** Guest: route `port` to `vcpu` and unmask it (the hypercall when needed). */
  listen(dom: number, port: number, vcpu?: number): void;
  /** Guest: one upcall's worth of events on `vcpu`. */
  drain(dom: number, vcpu: number): number[];
  /** Receiver party args for this ABI. */
  guestArgs(dom: number): { gsGfn: number; gs2Gfn: number; abi: GuestAbi };
}

export const ABIS: GuestAbi[] = ['fifo', '2l'];

export function abiMachine(abi: GuestAbi, domains: { domid: number; vcpus: number; maxPort?: number }[], build: WasmBuild = 'release'): AbiMachine {
  const layouts = new Map<number, GuestLayout>();
  for (const d of domains) layouts.set(d.domid, guestLayout(d.vcpus, d.maxPort ?? 1023));
  const m = createMachine(domains.map((d) => ({
    domid: d.domid, vcpus: d.vcpus, frames: layouts.get(d.domid)!.freeGfn + 2, maxEvtchnPort: d.maxPort ?? 1023,
  })), build);
  for (const d of domains) bootGuest(m.dp, d.domid, d.vcpus, layouts.get(d.domid)!, abi);
  const x = m.dp.x;
  return Object.assign(m, {
    abi,
    layout: layouts,
    listen(dom: number, port: number, vcpu = 0) {
      const l = layouts.get(dom)!;
      x.guestTwoLevelRoute(dom, l.twoLevelGfn, port, vcpu);
      const rc = abi === 'fifo' ? x.guestFifoUnmask(dom, l.gsGfn, port) : x.guestTwoLevelUnmask(dom, l.twoLevelGfn, vcpu, port);
      if (rc === 1) x.evtchnUnmask(dom, port);
    },
    drain(dom: number, vcpu: number) {
      const l = layouts.get(dom)!;
      const out: number[] = [];
      do {
        x.clearUpcallPending(dom, vcpu);
        for (;;) {
          const p = abi === 'fifo' ? x.guestFifoNext(dom, l.gsGfn, vcpu) : x.guestTwoLevelNext(dom, l.twoLevelGfn, vcpu);
          if (p === 0) break;
          out.push(p >>> 0);
        }
      } while (x.upcallPending(dom, vcpu) !== 0);
      return out;
    },
    guestArgs(dom: number) {
      const l = layouts.get(dom)!;
      return { gsGfn: l.gsGfn, gs2Gfn: l.twoLevelGfn, abi };
    },
  });
}
