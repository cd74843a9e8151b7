// Channel lifecycles on both implementations (reference model and wasm): allocation and reuse (spec §4.4,
// §9.8), VIRQ binding and raising (spec §5.3, §6.2, §6.3), FIFO queue choice
// (spec §9.5), sticky pending (spec §9.2, §9.3).
import { describe, it, expect } from 'vitest';
import { RAISE_DROPPED, RAISE_NEWLY_PENDING } from '../../src/model/index.ts';
import { formatEventWord as hex } from '../../src/wasm/decode.ts';
import { DOMID_SELF, ECS_FREE, ECS_INTERDOMAIN, ECS_UNBOUND } from '../../assembly/shared/evtchn-abi.ts';
import { EVTCHNSTAT_virq } from '../../src/channel/ops.ts';
import { IMPLS, type Impl, type ChannelImpl } from '../helpers/impls.ts';
import { SI_EVTCHN_PENDING } from '../../assembly/shared/layout.ts';

function suite(impl: Impl): void {

const D0 = { dom: 0, vcpu: 0 };
const D1 = { dom: 1, vcpu: 0 };
const D2 = { dom: 2, vcpu: 0 };

function machine(): ChannelImpl {
  return impl.make([
    { domid: 0, vcpus: 2, frames: 16 },
    { domid: 1, vcpus: 2, frames: 16 },
    { domid: 2, vcpus: 2, frames: 16 },
  ]);
}

describe('alloc → bind → send → close → reuse', () => {
  for (const abi of ['2l', 'fifo'] as const) {
    it(`${abi}: the lowest free port is reused after close`, () => {
      const m = machine();
      if (abi === 'fifo') { m.bootFifo(1); m.bootFifo(2); }
      expect(m.allocUnbound(D1, DOMID_SELF, 2)).toEqual({ rc: 0, port: 1 });
      expect(m.activeEvtchns(1)).toBe(1);
      expect(m.bindInterdomain(D2, 1, 1)).toEqual({ rc: 0, port: 1 });
      expect(m.channel(1, 1)).toMatchObject({ state: ECS_INTERDOMAIN, remoteDom: 2, remotePort: 1 });
      expect(m.channel(2, 1)).toMatchObject({ state: ECS_INTERDOMAIN, remoteDom: 1, remotePort: 1 });
      if (abi === 'fifo') { m.guestUnmask(1, 1); m.guestUnmask(2, 1); expect(m.drain(2, 0)).toEqual([1]); }
      expect(m.send(D2, 1)).toBe(0);
      expect(m.isPending(1, 1)).toBe(true);
      expect(m.upcallPending(1, 0)).toBe(1);
      if (abi === 'fifo') expect(m.drain(1, 0)).toEqual([1]);
      expect(m.close(D1, 1)).toBe(0);
      expect(m.activeEvtchns(1)).toBe(0);
      expect(m.channel(2, 1)).toMatchObject({ state: ECS_UNBOUND, remoteDom: 1 });
      expect(m.allocUnbound(D1, DOMID_SELF, 2)).toEqual({ rc: 0, port: 1 });
      // the peer is re-bindable by the closer
      expect(m.bindInterdomain(D1, 2, 1)).toEqual({ rc: 0, port: 2 });
    });
  }

  it('storage grows by 64-port buckets and never shrinks (spec §4.4)', () => {
    const m = machine();
    expect(m.validEvtchns(1)).toBe(64);
    for (let p = 1; p <= 63; p++) m.bindIpi(D1, 0);
    expect(m.validEvtchns(1)).toBe(64);
    expect(m.status(D1, DOMID_SELF, 64).rc).toBeLessThan(0);
    expect(m.bindIpi(D1, 0)).toEqual({ rc: 0, port: 64 });
    expect(m.validEvtchns(1)).toBe(128);
    expect(m.status(D1, DOMID_SELF, 127)).toEqual({ rc: 0, status: 0, vcpu: 0 });
    expect(m.close(D1, 64)).toBe(0);
    expect(m.validEvtchns(1)).toBe(128);
    expect(m.activeEvtchns(1)).toBe(63);
  });
});

describe('FIFO port reuse and busy ports (spec §9.8)', () => {
  it('a port closed while still LINKED is skipped until the guest drains it', () => {
    const m = machine();
    m.bootFifo(1);
    expect(m.bindIpi(D1, 0)).toEqual({ rc: 0, port: 1 });
    m.guestUnmask(1, 1);
    expect(m.send(D1, 1)).toBe(0);
    expect(hex(m.eventWord(1, 1))).toBe(hex(0xa0000000));
    expect(m.close(D1, 1)).toBe(0);
    expect(hex(m.eventWord(1, 1))).toBe(hex(0x20000000)); // close clears PENDING only
    expect(m.bindIpi(D1, 0)).toEqual({ rc: 0, port: 2 });
    expect(m.allocUnbound(D1, DOMID_SELF, 0)).toEqual({ rc: 0, port: 3 });
    expect(m.drain(1, 0)).toEqual([]); // consumed, not dispatched
    expect(m.eventWord(1, 1)).toBe(0);
    expect(m.bindIpi(D1, 0)).toEqual({ rc: 0, port: 1 });
  });

  it('a MASKED closed port is not busy and is reused at once', () => {
    const m = machine();
    m.bootFifo(1);
    m.bindIpi(D1, 0);
    m.send(D1, 1); // masked since boot: PENDING, not LINKED
    expect(m.close(D1, 1)).toBe(0);
    expect(hex(m.eventWord(1, 1))).toBe(hex(0x40000000));
    expect(m.bindIpi(D1, 0)).toEqual({ rc: 0, port: 1 });
  });
});

describe('VIRQs (spec §5.3, §5.12, §6.2, §6.3)', () => {
  it('per-vCPU VIRQ raises on its own vCPU; close clears the binding', () => {
    const m = machine();
    m.bootFifo(1);
    expect(m.bindVirq(D1, 0, 1)).toEqual({ rc: 0, port: 1 });
    expect(m.status(D1, DOMID_SELF, 1)).toEqual({ rc: 0, status: EVTCHNSTAT_virq, vcpu: 1, virq: 0 });
    m.guestUnmask(1, 1);
    m.raiseVirq(1, 0, 0); // not bound on vCPU 0: dropped
    expect(m.eventWord(1, 1)).toBe(0);
    m.raiseVirq(1, 1, 0);
    expect(m.controlBlock(1, 1)!.ready).toBe(0x80);
    expect(m.upcallPending(1, 1)).toBe(1);
    expect(m.drain(1, 1)).toEqual([1]);
    expect(m.close(D1, 1)).toBe(0);
    expect(m.bindVirq(D1, 0, 1)).toEqual({ rc: 0, port: 1 });
  });

  it('domain VIRQ follows bind_vcpu; a LINKED event stays on the old queue (spec §5.9)', () => {
    const m = machine();
    m.bootFifo(1);
    expect(m.bindVirq(D1, 11, 0)).toEqual({ rc: 0, port: 1 });
    m.guestUnmask(1, 1);
    m.raiseVirq(1, 1, 11); // vCPU argument unused for domain VIRQs
    expect(m.controlBlock(1, 0)!.head[7]).toBe(1);
    expect(m.bindVcpu(D1, 1, 1)).toBe(0);
    m.raiseVirq(1, 0, 11); // already LINKED on vCPU 0
    expect(m.controlBlock(1, 1)!.ready).toBe(0);
    expect(m.drain(1, 0)).toEqual([1]);
    m.raiseVirq(1, 0, 11);
    expect(m.channel(1, 1).lastq).toEqual({ prio: 7, vcpu: 1 });
    expect(m.queueTail(1, 0, 7)).toBe(0); // old queue's stale tail invalidated
    expect(m.queueTail(1, 1, 7)).toBe(1);
    expect(m.drain(1, 1)).toEqual([1]);
  });

  it('global VIRQs go to domain 0 whatever domain is named', () => {
    const m = machine();
    expect(m.bindVirq(D0, 3, 0)).toEqual({ rc: 0, port: 1 });
    m.raiseVirq(2, 0, 3);
    expect(m.isPending(0, 1)).toBe(true);
    expect(m.upcallPending(0, 0)).toBe(1);
    expect(m.upcallPending(2, 0)).toBe(0);
  });
});

describe('FIFO queues (spec §9.5, §9.7, §5.11)', () => {
  it('a higher-priority queue is consumed first; set_priority affects future links only', () => {
    const m = machine();
    m.bootFifo(1);
    for (let p = 1; p <= 3; p++) { m.bindIpi(D1, 0); m.guestUnmask(1, p); }
    expect(m.setPriority(D1, 2, 3)).toBe(0);
    m.send(D1, 1);
    m.send(D1, 2);
    m.send(D1, 3);
    expect(m.controlBlock(1, 0)!.ready).toBe(0x88);
    expect(m.drain(1, 0)).toEqual([2, 1, 3]);
    m.send(D1, 1); // queued at 7
    expect(m.setPriority(D1, 1, 0)).toBe(0);
    expect(m.controlBlock(1, 0)!.head[7]).toBe(1);
    expect(m.drain(1, 0)).toEqual([1]);
    m.send(D1, 1);
    expect(m.controlBlock(1, 0)!.head[0]).toBe(1);
    expect(m.channel(1, 1).lastq).toEqual({ prio: 0, vcpu: 0 });
  });

  it('a vCPU without a control block drops the event (spec §9.5, XSA-107)', () => {
    const m = machine();
    expect(m.initControl(D1, 1, 0, 0)).toBe(0);
    expect(m.expandArray(D1, 3)).toBe(0); // zeroed page: every word unmasked
    expect(m.bindIpi(D1, 1)).toEqual({ rc: 0, port: 1 });
    expect(m.fifoSetPending(1, 1, 1)).toBe(RAISE_DROPPED);
    expect(m.send(D1, 1)).toBe(0);
    expect(m.eventWord(1, 1)).toBe(0);
    expect(m.fifoSetPending(1, 0, 1)).toBe(RAISE_NEWLY_PENDING);
    expect(hex(m.eventWord(1, 1))).toBe(hex(0xa0000000));
  });

  it('events for ports beyond the array are remembered and replayed by expand_array (spec §9.3)', () => {
    const m = machine();
    expect(m.initControl(D1, 1, 0, 0)).toBe(0);
    expect(m.bindIpi(D1, 0)).toEqual({ rc: 0, port: 1 });
    expect(m.send(D1, 1)).toBe(0);
    expect(m.eventWord(1, 1)).toBeUndefined();
    expect(m.channel(1, 1).stickyPending).toBe(true);
    expect(m.expandArray(D1, 3)).toBe(0);
    expect(hex(m.eventWord(1, 1))).toBe(hex(0xa0000000));
    expect(m.controlBlock(1, 0)!.head[7]).toBe(1);
    expect(m.channel(1, 1).stickyPending).toBe(true); // never cleared
  });

  it('switching to FIFO carries 2-level pending bits as sticky flags and sets priority 7 (spec §9.2)', () => {
    const m = machine();
    m.bindIpi(D1, 0);
    m.bindIpi(D1, 0);
    expect(m.channel(1, 1).priority).toBe(0);
    m.send(D1, 2);
    expect(m.guestBytes(1, 0, SI_EVTCHN_PENDING, 1)[0]).toBe(0x04);
    const layout = m.bootFifo(1);
    expect(layout).toEqual({ gsGfn: 1, cbGfn: [2, 3], arrayGfns: [4], firstFreeGfn: 5 });
    expect(m.abi(1)).toBe('fifo');
    expect(m.channel(1, 1)).toMatchObject({ priority: 7, stickyPending: false });
    expect(m.channel(1, 2)).toMatchObject({ priority: 7, stickyPending: true });
    expect(m.channel(1, 3)).toMatchObject({ state: ECS_FREE, priority: 7 });
    expect(hex(m.eventWord(1, 2))).toBe(hex(0xc0000000)); // replayed into a MASKED word
    expect(m.guestBytes(1, 0, SI_EVTCHN_PENDING, 1)[0]).toBe(0x04); // 2-level bitmaps left as they are
  });

  it('bootFifo fails like the wasm guest when frames run out', () => {
    const m = impl.make([{ domid: 1, vcpus: 2, frames: 4 }]);
    expect(() => m.bootFifo(1)).toThrow(/expand_array with gfn 4 returned -14/);
    expect(m.abi(1)).toBe('fifo');
    expect(m.guestMask(1, 1)).toBeLessThan(0);
  });
});
}

for (const impl of IMPLS) describe(`[${impl.name}] channel semantics`, () => suite(impl));
