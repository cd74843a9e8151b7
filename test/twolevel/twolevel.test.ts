// The 2-level ABI on wasm: spec §17.1 byte vectors for both x86 layouts, the
// guest's resumable scan and routing (spec §10.5), its unmask (§10.6), and
// the 1024-port limit of x86-32 guests through every allocation path.
import { describe, it, expect } from 'vitest';
import { createMachine } from '../../src/wasm/data-plane.ts';
import { guestLayout } from '../../src/guest/layout.ts';
import { bootGuest } from '../../src/guest/kernel.ts';
import { ENOSPC } from '../../assembly/shared/errno.ts';
import { DOMID_SELF } from '../../assembly/shared/evtchn-abi.ts';

function setup(width: 64 | 32, vcpus = 1, maxPort = 4095) {
  const layout = guestLayout(vcpus, maxPort);
  const m = createMachine([
    { domid: 0, vcpus: 1, frames: 64 },
    { domid: 1, vcpus, frames: layout.freeGfn + 4, maxEvtchnPort: maxPort, guestWidth: width },
  ], 'debug');
  const x = m.dp.x;
  const si = x.addrGfn(1, 0) >>> 0;
  const u8 = (off: number) => m.dp.u8[si + off];
  return { m, x, si, u8, layout };
}

describe('spec §17.1: 2-level, port 70 on vCPU 0', () => {
  for (const width of [64, 32] as const) {
    it(`x86-${width}: pending word, selector bit ${width === 64 ? 1 : 2}, upcall flag; a second raise changes nothing`, () => {
      const { m, x, u8 } = setup(width);
      const p = x.evtchnBindIpi(1, 0);
      // bind 70 ports so that port 70 is an IPI port bound to vCPU 0
      let port = p;
      while (port < 70) port = x.evtchnBindIpi(1, 0);
      expect(port).toBe(70);
      expect(x.evtchnSend(1, 70)).toBe(0);
      expect(u8(0x808)).toBe(0x40);                 // evtchn_pending, byte 8 bit 6
      const sel = width === 64 ? u8(8) : u8(4);     // evtchn_pending_sel of vcpu_info[0]
      expect(sel).toBe(width === 64 ? 0x2 : 0x4);
      expect(u8(0)).toBe(1);                        // evtchn_upcall_pending
      expect(m.dp.stats(1).upcalls).toBe(1);
      expect(x.evtchnSend(1, 70)).toBe(0);          // already pending: stop at step 1
      expect(m.dp.stats(1).upcalls).toBe(1);
      expect(x.evtchnIsPending(1, 70)).toBe(1);
    });
  }

  it('a masked port sets pending only; EVTCHNOP_unmask raises the upcall only when it clears a set mask bit (§8.3)', () => {
    const { m, x, si } = setup(64);
    const p = x.evtchnBindIpi(1, 0);
    m.dp.u8[si + 0xa00] |= 1 << p;                  // mask bit of port p
    expect(x.evtchnSend(1, p)).toBe(0);
    expect(m.dp.upcallPending(1, 0)).toBe(0);
    expect(x.evtchnUnmask(1, p)).toBe(0);
    expect(m.dp.upcallPending(1, 0)).toBe(1);
    x.clearUpcallPending(1, 0);
    expect(x.evtchnUnmask(1, p)).toBe(0);           // mask already clear: no upcall
    expect(m.dp.upcallPending(1, 0)).toBe(0);
  });
});

describe('2-level guest side', () => {
  it('boots with every port masked and routed to vCPU 0; the scan acks and returns ports in word order', () => {
    const { m, x, layout } = setup(64, 2);
    bootGuest(m.dp, 1, 2, layout, '2l');
    const gs2 = layout.twoLevelGfn;
    const ports = [5, 70, 3, 200];
    let hi = 0;
    while (hi < 200) hi = x.evtchnBindIpi(1, 0);
    for (const p of ports) {
      expect(x.guestTwoLevelUnmask(1, gs2, 0, p)).toBe(0);
      expect(x.evtchnSend(1, p)).toBe(0);
    }
    x.clearUpcallPending(1, 0);
    const got: number[] = [];
    for (let p = x.guestTwoLevelNext(1, gs2, 0); p !== 0; p = x.guestTwoLevelNext(1, gs2, 0)) got.push(p);
    expect(got).toEqual([3, 5, 70, 200]);
    for (const p of ports) expect(x.evtchnIsPending(1, p)).toBe(0); // acked
    expect(x.guestTwoLevelNext(1, gs2, 0)).toBe(0);
  });

  it('resumes where it stopped: a port raised again is not served before the others (no starvation)', () => {
    const { m, x, layout } = setup(64);
    bootGuest(m.dp, 1, 1, layout, '2l');
    const gs2 = layout.twoLevelGfn;
    for (let p = 1; p <= 8; p++) { x.evtchnBindIpi(1, 0); expect(x.guestTwoLevelUnmask(1, gs2, 0, p)).toBe(0); }
    for (let p = 1; p <= 8; p++) x.evtchnSend(1, p);
    x.clearUpcallPending(1, 0);
    const got: number[] = [];
    for (let i = 0; i < 3; i++) got.push(x.guestTwoLevelNext(1, gs2, 0)); // 1, 2, 3
    x.evtchnSend(1, 1);                                                    // port 1 again, while 4..8 wait
    for (let p = x.guestTwoLevelNext(1, gs2, 0); p !== 0; p = x.guestTwoLevelNext(1, gs2, 0)) got.push(p);
    expect(got).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 1]);
  });

  it('only ports routed to this vCPU are handled; unmask of another vCPU\'s port goes to Xen', () => {
    const { m, x, layout } = setup(64, 2);
    bootGuest(m.dp, 1, 2, layout, '2l');
    const gs2 = layout.twoLevelGfn;
    const a = x.evtchnBindIpi(1, 0);
    const b = x.evtchnBindIpi(1, 1);
    expect(x.guestTwoLevelRoute(1, gs2, b, 1)).toBe(0);
    expect(x.guestTwoLevelUnmask(1, gs2, 0, a)).toBe(0);
    expect(x.guestTwoLevelUnmask(1, gs2, 0, b)).toBe(1); // routed to vCPU 1: the hypercall
    expect(x.evtchnUnmask(1, b)).toBe(0);
    x.evtchnSend(1, a);
    x.evtchnSend(1, b);
    x.clearUpcallPending(1, 0);
    expect(x.guestTwoLevelNext(1, gs2, 0)).toBe(a);
    expect(x.guestTwoLevelNext(1, gs2, 0)).toBe(0);
    x.clearUpcallPending(1, 1);
    expect(x.guestTwoLevelNext(1, gs2, 1)).toBe(b);
  });

  it('a pending port unmasked locally is masked again and handed to Xen (§10.6)', () => {
    const { m, x, layout } = setup(64);
    bootGuest(m.dp, 1, 1, layout, '2l');
    const gs2 = layout.twoLevelGfn;
    const p = x.evtchnBindIpi(1, 0);
    x.evtchnSend(1, p);                                   // masked: pending, no upcall
    expect(m.dp.upcallPending(1, 0)).toBe(0);
    expect(x.guestTwoLevelUnmask(1, gs2, 0, p)).toBe(1);  // pending: mask again, ask Xen
    expect(x.evtchnUnmask(1, p)).toBe(0);
    expect(m.dp.upcallPending(1, 0)).toBe(1);
    x.clearUpcallPending(1, 0);
    expect(x.guestTwoLevelNext(1, gs2, 0)).toBe(p);
  });
});

describe('x86-32 guests: never a port ≥ 1024 (XSA-342)', () => {
  const paths: [string, (x: ReturnType<typeof setup>['x']) => number][] = [
    ['alloc_unbound', (x) => x.evtchnAllocUnbound(1, DOMID_SELF, 0)],
    ['alloc_unbound by the control domain', (x) => x.evtchnAllocUnbound(0, 1, 0)],
    ['bind_ipi', (x) => x.evtchnBindIpi(1, 0)],
    ['bind_interdomain', (x) => {
      const r = x.evtchnAllocUnbound(0, DOMID_SELF, 1);
      const p = x.evtchnBindInterdomain(1, 0, r);
      if (p < 0) x.evtchnClose(0, r);
      return p;
    }],
  ];
  for (const [name, alloc] of paths) {
    it(`${name}: ports 1..1023, then -ENOSPC`, () => {
      const { x } = setup(32, 1, 4095);
      for (let i = 1; i < 1024; i++) expect(alloc(x)).toBe(i);
      expect(alloc(x)).toBe(-ENOSPC);
      expect(x.evtchnBindVirq(1, 0, 0)).toBe(-ENOSPC); // and bind_virq
    });
  }
});
