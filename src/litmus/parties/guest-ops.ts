// Guest-side operations of a party acting as a vCPU of a domain, for either
// ABI: the next event of an upcall, and unmask with the hypercall fallback.
import type { DataPlane } from '../../wasm/data-plane.ts';

export interface GuestRef {
  dom: number;
  gsGfn: number;
  /** the guest's 2-level driver state frame (2-level only) */
  gs2Gfn?: number;
  abi?: '2l' | 'fifo';
}

/** The next port of the current upcall on `vcpu`, 0 when drained. */
export function nextEvent(dp: DataPlane, g: GuestRef, vcpu: number): number {
  return (g.abi === '2l' ? dp.x.guestTwoLevelNext(g.dom, g.gs2Gfn!, vcpu) : dp.x.guestFifoNext(g.dom, g.gsGfn, vcpu)) >>> 0;
}

/** Route `port` to `vcpu` (2-level bookkeeping) and unmask it as that vCPU would. */
export function listenOn(dp: DataPlane, g: GuestRef, port: number, vcpu: number): void {
  const x = dp.x;
  let rc: number;
  if (g.abi === '2l') {
    x.guestTwoLevelRoute(g.dom, g.gs2Gfn!, port, vcpu);
    rc = x.guestTwoLevelUnmask(g.dom, g.gs2Gfn!, vcpu, port);
  } else {
    rc = x.guestFifoUnmask(g.dom, g.gsGfn, port);
  }
  if (rc === 1) x.evtchnUnmask(g.dom, port);
}

/** Linux's re-target: mask, EVTCHNOP_bind_vcpu, route, unmask. Returns bind_vcpu's result. */
export function rebind(dp: DataPlane, g: GuestRef, port: number, vcpu: number): number {
  const x = dp.x;
  if (g.abi === '2l') x.guestTwoLevelMask(g.dom, port); else x.guestFifoMask(g.dom, g.gsGfn, port);
  const rc = x.evtchnBindVcpu(g.dom, port, vcpu);
  listenOn(dp, g, port, vcpu);
  return rc;
}
