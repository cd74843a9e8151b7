// Spec §17.1–§17.4 as exact vectors on the reference model.
import { describe, it, expect } from 'vitest';
import { ReferenceModel, RAISE_NEWLY_PENDING } from '../../src/model/index.ts';
import { formatEventWord as hex } from '../../src/wasm/decode.ts';
import { DOMID_SELF } from '../../assembly/shared/evtchn-abi.ts';
import { EVTCHNSTAT_unbound, EVTCHNSTAT_interdomain } from '../../src/channel/ops.ts';
import { SI_EVTCHN_PENDING } from '../../assembly/shared/layout.ts';

/** Domain 1 with FIFO booted and IPIs on vCPU 0 for ports 1..9. */
function fifoWithIpis(): ReferenceModel {
  const m = new ReferenceModel([{ domid: 1, vcpus: 1, frames: 16 }]);
  m.bootFifo(1);
  for (let p = 1; p <= 9; p++) expect(m.bindIpi({ dom: 1, vcpu: 0 }, 0)).toEqual({ rc: 0, port: p });
  return m;
}

describe('spec §17.1: 2-level, x86-64 guest, port 70 on vCPU 0', () => {
  it('sets pending bit 6 of byte 0x808, selector bit 1, and the upcall flag once', () => {
    const m = new ReferenceModel([{ domid: 1, vcpus: 1, frames: 8, maxEvtchnPort: 127 }]);
    for (let p = 1; p <= 70; p++) m.bindIpi({ dom: 1, vcpu: 0 }, 0);
    expect(m.send({ dom: 1, vcpu: 0 }, 70)).toBe(0);
    expect(m.guestBytes(1, 0, 0x808, 1)[0]).toBe(0x40);
    expect(m.guestBytes(1, 0, 8, 1)[0]).toBe(0x02); // vcpu_info[0].evtchn_pending_sel
    expect(m.upcallPending(1, 0)).toBe(1);
    expect(m.isPending(1, 70)).toBe(true);
  });

  it('uses selector bit 2 at offset 4 for a 32-bit guest', () => {
    const m = new ReferenceModel([{ domid: 1, vcpus: 1, frames: 8, maxEvtchnPort: 127, guestWidth: 32 }]);
    for (let p = 1; p <= 70; p++) m.bindIpi({ dom: 1, vcpu: 0 }, 0);
    m.send({ dom: 1, vcpu: 0 }, 70);
    expect(m.guestBytes(1, 0, 0x808, 1)[0]).toBe(0x40);
    expect(m.guestBytes(1, 0, 4, 1)[0]).toBe(0x04);
  });
});

describe('spec §17.2: FIFO, vCPU 0, ports 5 and 9 at default priority 7', () => {
  it('raise, link, consume, and re-raise behind a stale tail', () => {
    const m = fifoWithIpis();
    const word = (p: number) => hex(m.eventWord(1, p));
    const D1 = { dom: 1, vcpu: 0 };
    expect(word(5)).toBe(hex(0x40000000));
    m.guestUnmask(1, 5);
    m.guestUnmask(1, 9);
    expect(m.eventWord(1, 5)).toBe(0);
    expect(m.eventWord(1, 9)).toBe(0);
    expect(m.channel(1, 5).lastq).toEqual({ prio: 0, vcpu: 0 });
    expect(m.channel(1, 5).priority).toBe(7);

    // 1. raise 5: new head of queue 7, READY, upcall
    expect(m.send(D1, 5)).toBe(0);
    expect(word(5)).toBe(hex(0xa0000000));
    expect(m.channel(1, 5).lastq).toEqual({ prio: 7, vcpu: 0 });
    expect(m.controlBlock(1, 0)!.head[7]).toBe(5);
    expect(m.queueTail(1, 0, 7)).toBe(5);
    expect(m.controlBlock(1, 0)!.ready).toBe(0x80);
    expect(m.upcallPending(1, 0)).toBe(1);

    // 2. raise 9: linked behind 5, READY unchanged
    expect(m.fifoSetPending(1, 0, 9)).toBe(RAISE_NEWLY_PENDING);
    expect(word(9)).toBe(hex(0xa0000000));
    expect(m.channel(1, 9).lastq).toEqual({ prio: 7, vcpu: 0 });
    expect(word(5)).toBe(hex(0xa0000009));
    expect(m.queueTail(1, 0, 7)).toBe(9);
    expect(m.controlBlock(1, 0)!.ready).toBe(0x80);

    // 3.–4. the upcall consumes 5 then 9
    expect(m.drain(1, 0)).toEqual([5, 9]);
    expect(m.eventWord(1, 5)).toBe(0);
    expect(m.eventWord(1, 9)).toBe(0);
    expect(m.controlBlock(1, 0)!.ready).toBe(0);
    expect(m.upcallPending(1, 0)).toBe(0);
    expect(m.queueTail(1, 0, 7)).toBe(9); // stale

    // 5. raise 5 again: the stale tail 9 is not LINKED, so 5 becomes HEAD
    expect(m.send(D1, 5)).toBe(0);
    expect(word(5)).toBe(hex(0xa0000000));
    expect(word(9)).toBe(hex(0));
    expect(m.controlBlock(1, 0)!.head[7]).toBe(5);
    expect(m.queueTail(1, 0, 7)).toBe(5);
    expect(m.controlBlock(1, 0)!.ready).toBe(0x80);
    expect(m.upcallPending(1, 0)).toBe(1);
    expect(m.drain(1, 0)).toEqual([5]);
  });
});

describe('spec §17.3: FIFO, raising a masked event, then unmasking', () => {
  it('pending while masked; EVTCHNOP_unmask links it and raises the upcall', () => {
    const m = fifoWithIpis();
    expect(m.eventWord(1, 5)).toBe(0x40000000);
    expect(m.fifoSetPending(1, 0, 5)).toBe(RAISE_NEWLY_PENDING);
    expect(hex(m.eventWord(1, 5))).toBe(hex(0xc0000000));
    expect(m.controlBlock(1, 0)).toEqual({ ready: 0, head: new Array(16).fill(0) });
    expect(m.queueTail(1, 0, 7)).toBe(0);
    expect(m.upcallPending(1, 0)).toBe(0);
    expect(m.fifoSetPending(1, 0, 5)).toBe(0); // already pending

    m.guestUnmask(1, 5); // PENDING: the local path leaves MASKED and calls Xen
    expect(hex(m.eventWord(1, 5))).toBe(hex(0xa0000000));
    expect(m.controlBlock(1, 0)!.head[7]).toBe(5);
    expect(m.controlBlock(1, 0)!.ready).toBe(0x80);
    expect(m.upcallPending(1, 0)).toBe(1);
    expect(m.drain(1, 0)).toEqual([5]);
  });

  it('a masked LINKED entry is consumed without dispatch', () => {
    const m = fifoWithIpis();
    m.guestUnmask(1, 5);
    m.send({ dom: 1, vcpu: 0 }, 5);
    expect(m.guestMask(1, 5)).toBe(0);
    expect(hex(m.eventWord(1, 5))).toBe(hex(0xe0000000));
    expect(m.drain(1, 0)).toEqual([]);
    expect(hex(m.eventWord(1, 5))).toBe(hex(0xc0000000));
  });
});

describe('spec §17.4: interdomain lifecycle (dom1 ↔ dom0)', () => {
  it('alloc, bind (raises the new end), send both ways, close, rebind', () => {
    const m = new ReferenceModel([{ domid: 0, vcpus: 2, frames: 16 }, { domid: 1, vcpus: 2, frames: 16 }]);
    m.bootFifo(0);
    m.bootFifo(1);
    const D0 = { dom: 0, vcpu: 0 };
    const D1 = { dom: 1, vcpu: 0 };
    for (let p = 1; p <= 6; p++) m.bindIpi(D0, 1); // dom0's lowest free port becomes 7

    // 1.
    expect(m.allocUnbound(D1, DOMID_SELF, 0)).toEqual({ rc: 0, port: 1 });
    expect(m.status(D1, DOMID_SELF, 1)).toEqual({ rc: 0, status: EVTCHNSTAT_unbound, vcpu: 0, unboundDom: 0 });

    // 2. the new local end is raised at once (masked since boot: PENDING only)
    expect(m.bindInterdomain(D0, 1, 1)).toEqual({ rc: 0, port: 7 });
    expect(hex(m.eventWord(0, 7))).toBe(hex(0xc0000000));
    expect(m.status(D1, DOMID_SELF, 1)).toEqual({ rc: 0, status: EVTCHNSTAT_interdomain, vcpu: 0, interdomainDom: 0, interdomainPort: 7 });
    expect(m.status(D0, DOMID_SELF, 7)).toEqual({ rc: 0, status: EVTCHNSTAT_interdomain, vcpu: 0, interdomainDom: 1, interdomainPort: 1 });
    expect(m.channel(0, 7).priority).toBe(7);

    // 3. dom0 unmasks 7 (pending → hypercall links it); dom1 sends, dom0 sends back
    m.guestUnmask(0, 7);
    expect(m.drain(0, 0)).toEqual([7]);
    expect(m.send(D1, 1)).toBe(0);
    expect(m.upcallPending(0, 0)).toBe(1);
    expect(m.drain(0, 0)).toEqual([7]);
    m.guestUnmask(1, 1);
    expect(m.send(D0, 7)).toBe(0);
    expect(m.drain(1, 0)).toEqual([1]);

    // 4. close one end: the other becomes UNBOUND for the closer, sends drop
    m.send(D1, 1); // leaves 7 LINKED on dom0's queue
    expect(m.close(D0, 7)).toBe(0);
    expect(m.channel(0, 7).state).toBe(0);
    expect(hex(m.eventWord(0, 7))).toBe(hex(0x20000000)); // PENDING cleared, LINKED kept
    expect(m.status(D1, DOMID_SELF, 1)).toEqual({ rc: 0, status: EVTCHNSTAT_unbound, vcpu: 0, unboundDom: 0 });
    expect(m.send(D1, 1)).toBe(0);
    expect(hex(m.eventWord(0, 7))).toBe(hex(0x20000000));

    // rebinding skips the LINKED port 7 …
    expect(m.bindInterdomain(D0, 1, 1)).toEqual({ rc: 0, port: 8 });
    expect(m.close(D0, 8)).toBe(0);
    // … until the guest consumed it (not dispatched: not PENDING)
    expect(m.drain(0, 0)).toEqual([]);
    expect(m.eventWord(0, 7)).toBe(0);
    expect(m.bindInterdomain(D0, 1, 1)).toEqual({ rc: 0, port: 7 });
  });

  it('closing the peer keeps its pending and mask bits; status works in 2-level too', () => {
    const m = new ReferenceModel([{ domid: 0, vcpus: 1, frames: 8 }, { domid: 1, vcpus: 1, frames: 8 }]);
    const D0 = { dom: 0, vcpu: 0 };
    const D1 = { dom: 1, vcpu: 0 };
    expect(m.allocUnbound(D1, DOMID_SELF, 0)).toEqual({ rc: 0, port: 1 });
    expect(m.bindInterdomain(D0, 1, 1)).toEqual({ rc: 0, port: 1 });
    expect(m.isPending(0, 1)).toBe(true);
    expect(m.send(D0, 1)).toBe(0);
    expect(m.isPending(1, 1)).toBe(true);
    expect(m.close(D1, 1)).toBe(0);
    expect(m.isPending(1, 1)).toBe(false); // cleared by close while usable
    expect(m.channel(0, 1).state).toBe(2);
    expect(m.guestBytes(0, 0, SI_EVTCHN_PENDING, 1)[0]).toBe(0x02); // peer's pending bit untouched
    expect(m.status(D0, DOMID_SELF, 1)).toEqual({ rc: 0, status: EVTCHNSTAT_unbound, vcpu: 0, unboundDom: 1 });
  });
});
