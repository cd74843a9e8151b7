// Domain destruction on the data plane (assembly/domain/destroy.ts): Xen's
// evtchn_destroy with preemption (XSA-344), the errors of operations on a
// dying and a released domain, references (I27) and domid reuse (I29).
import { describe, it, expect } from 'vitest';
import { abiMachine, ABIS, type AbiMachine } from '../helpers/abi-machine.ts';
import { guestLayout } from '../../src/guest/layout.ts';
import { bootGuest } from '../../src/guest/kernel.ts';
import { DOMID_SELF, ECS_FREE, ECS_UNBOUND, ECS_INTERDOMAIN } from '../../assembly/shared/evtchn-abi.ts';
import { EINVAL, ESRCH, ERESTART, EBUSY } from '../../assembly/shared/errno.ts';
import { DF_DYING, DF_DEAD } from '../../assembly/shared/layout.ts';

const D = 2; // the domain destroyed; 1 and 3 are its peers, 0 the control domain

interface World { m: AbiMachine; slot: number; peerPorts: { dom: number; port: number }[]; ports: number }

/** D with interdomain channels to 1 and 3 (both directions of setup), IPIs, a VIRQ, unbound ports, a Xen-owned port bound by 1. */
function world(abi: 'fifo' | '2l'): World {
  const m = abiMachine(abi, [{ domid: 0, vcpus: 1 }, { domid: 1, vcpus: 1 }, { domid: D, vcpus: 2 }, { domid: 3, vcpus: 1 }], 'debug');
  const x = m.dp.x;
  const peerPorts: { dom: number; port: number }[] = [];
  for (let i = 0; i < 40; i++) {
    const peer = i % 2 === 0 ? 1 : 3;
    if (i % 3 === 0) {
      const rp = x.evtchnAllocUnbound(peer, DOMID_SELF, D);
      const lp = x.evtchnBindInterdomain(D, peer, rp);
      expect(lp).toBeGreaterThan(0);
      peerPorts.push({ dom: peer, port: rp });
      m.listen(peer, rp);
    } else {
      const lp = x.evtchnAllocUnbound(D, DOMID_SELF, peer);
      const rp = x.evtchnBindInterdomain(peer, D, lp);
      expect(rp).toBeGreaterThan(0);
      peerPorts.push({ dom: peer, port: rp });
      m.listen(peer, rp);
    }
  }
  for (let v = 0; v < 2; v++) expect(x.evtchnBindIpi(D, v)).toBeGreaterThan(0);
  expect(x.evtchnBindVirq(D, 0, 1)).toBeGreaterThan(0);
  for (let i = 0; i < 5; i++) expect(x.evtchnAllocUnbound(D, DOMID_SELF, 1)).toBeGreaterThan(0);
  const slot = x.xenConsumerRegister(0x7e57, 1);
  const xp = x.evtchnAllocUnboundXen(D, 0, 1, slot);
  expect(xp).toBeGreaterThan(0);
  const bound = x.evtchnBindInterdomain(1, D, xp);
  expect(bound).toBeGreaterThan(0);
  peerPorts.push({ dom: 1, port: bound });
  m.listen(1, bound);
  for (const p of [1, 3]) m.drain(p, 0); // the binds' own raises
  return { m, slot, peerPorts, ports: x.domainRefs(D) === 0 ? m.dp.activeEvtchns(D) : -1 };
}

/** Everything observable about the survivors and the dead domain, for comparing two destroys. */
function snapshot(m: AbiMachine, peerPorts: { dom: number; port: number }[]) {
  const x = m.dp.x;
  return {
    peers: peerPorts.map(({ dom, port }) => ({ dom, port, ...m.dp.channel(dom, port) })),
    peerActive: [1, 3].map((d) => m.dp.activeEvtchns(d)),
    dead: { active: m.dp.activeEvtchns(D), abi: m.dp.abi(D), flags: m.dp.domainFlags(D) & (DF_DYING | DF_DEAD), open: openPorts(m, D) },
    refs: x.domainRefs(D),
  };
}

function openPorts(m: AbiMachine, dom: number): number[] {
  const out: number[] = [];
  const cap = 1024;
  for (let p = 1; p < cap; p++) if (m.dp.channel(dom, p).state !== ECS_FREE) out.push(p);
  return out;
}

function destroyAll(m: AbiMachine, batch: number, between?: (step: number) => void): number {
  expect(m.dp.x.domainKill(D)).toBe(0);
  for (let step = 1; ; step++) {
    const rc = m.dp.x.domainDestroyStep(D, batch);
    if (rc === 0) return step;
    expect(rc).toBe(-ERESTART);
    between?.(step);
  }
}

describe.each(ABIS)('evtchn_destroy (%s)', (abi) => {
  it('closes every port: interdomain peers turn UNBOUND naming the dead domain, the Xen-owned channel is drained, FIFO state goes (I29)', () => {
    const { m, peerPorts } = world(abi);
    const steps = destroyAll(m, 1 << 20);
    expect(steps).toBe(1);
    const s = snapshot(m, peerPorts);
    expect(s.dead).toEqual({ active: 0, abi: '2l', flags: DF_DYING | DF_DEAD, open: [] });
    for (const p of s.peers) { expect(p.state).toBe(ECS_UNBOUND); expect(p.remoteDom).toBe(D); }
    // exact accounting: each peer still counts exactly its own open ports
    expect(s.peerActive).toEqual([1, 3].map((d) => openPorts(m, d).length));
    expect(s.refs).toBe(0);
  });

  it('preempted after every port (batch 1) and at every batch size, re-invoked until done: the same final state as one uninterrupted step (XSA-344)', () => {
    const ref = world(abi);
    destroyAll(ref.m, 1 << 20);
    const expected = snapshot(ref.m, ref.peerPorts);
    for (const batch of [1, 2, 3, 7, 63, 64, 65]) {
      const w = world(abi);
      const x = w.m.dp.x;
      const indices = w.m.dp.validEvtchns(D) - 1; // the loop visits every port index from the top, open or not (as Xen)
      let interleaved = 0;
      const steps = destroyAll(w.m, batch, () => {
        // between steps the survivors keep working: a send on a channel to D either raises D or is dropped (UNBOUND)
        for (const { dom, port } of w.peerPorts) {
          const rc = x.evtchnSend(dom, port);
          expect(rc).toBeGreaterThanOrEqual(0);
          if (rc === 1) x.consumerCallDone(); // the Xen-owned peer's callback "ran" (I23)
          interleaved++;
        }
        // and D is half-destroyed: no port can be allocated in it
        expect(x.evtchnAllocUnbound(D, DOMID_SELF, 1)).toBe(-EINVAL);
      });
      // every step but the last visited exactly `batch` ports
      expect(steps).toBe(Math.ceil(indices / batch));
      expect(snapshot(w.m, w.peerPorts)).toEqual(expected);
      expect(interleaved).toBe((steps - 1) * w.peerPorts.length);
      // re-invoking a finished destroy is a no-op
      expect(x.domainDestroyStep(D, batch)).toBe(0);
      expect(snapshot(w.m, w.peerPorts)).toEqual(expected);
    }
  });
});

describe('a dying, then released domain (Xen\'s errors)', () => {
  it('refuses allocation once dying, lets a bind to a still-open port through (as Xen), then -EINVAL, then -ESRCH once released', () => {
    const { m } = world('fifo');
    const x = m.dp.x;
    const offered = x.evtchnAllocUnbound(D, DOMID_SELF, 3); // D offers a port to 3
    expect(x.domainDestroyStep(D, 64)).toBe(-EINVAL); // not dying yet
    expect(x.domainRelease(D)).toBe(-EBUSY);
    expect(x.domainKill(D)).toBe(0);
    expect(m.dp.domainFlags(D) & DF_DYING).toBe(DF_DYING);
    expect(x.evtchnAllocUnbound(D, DOMID_SELF, 1)).toBe(-EINVAL); // get_free_port: d->is_dying
    expect(x.evtchnBindIpi(D, 0)).toBe(-EINVAL);
    expect(x.evtchnAllocUnbound(0, D, 1)).toBe(-EINVAL);          // the control domain acting on it, too
    // Xen's bind_interdomain does not look at rd->is_dying: an UNBOUND port of a dying domain can still be bound
    const late = x.evtchnBindInterdomain(3, D, offered);
    expect(late).toBeGreaterThan(0);
    expect(m.dp.channel(3, late).state).toBe(ECS_INTERDOMAIN);
    expect(destroyAll(m, 16)).toBeGreaterThan(1);
    expect(m.dp.channel(3, late)).toMatchObject({ state: ECS_UNBOUND, remoteDom: D }); // and the destroy unbinds it
    expect(x.evtchnBindInterdomain(3, D, offered)).toBe(-EINVAL); // port closed (and beyond valid_evtchns)
    expect(x.evtchnStatus(0, D, 1)).toBe(0);  // port 1 is still valid storage, and closed
    expect(x.evtchnStatusOut(0)).toBe(0);
    expect(x.evtchnSend(3, late)).toBe(0); // UNBOUND: dropped
    expect(x.domainRelease(D)).toBe(0);
    expect(x.domainExists(D)).toBe(0);
    expect(x.evtchnBindInterdomain(3, D, offered)).toBe(-ESRCH);
    expect(x.evtchnStatus(0, D, 1)).toBe(-ESRCH);
    expect(x.evtchnAllocUnbound(0, D, 1)).toBe(-ESRCH);
    expect(x.raiseVirq(D, 0, 0)).toBe(0);
    expect(x.notifyViaXenEventChannel(D, 1)).toBe(-EINVAL);
    expect(x.evtchnAllocUnboundXen(D, 0, 1, 0)).toBe(-ESRCH);
    expect(x.domainKill(D)).toBe(-ESRCH);
    expect(x.domainDestroyStep(D, 1)).toBe(-ESRCH);
  });

  it('a reference taken before the release holds the regions: release answers -ERESTART until it is dropped (I27)', () => {
    const { m } = world('2l');
    const x = m.dp.x;
    expect(x.domainGet(D)).toBe(1);
    destroyAll(m, 64);
    expect(x.domainRelease(D)).toBe(-ERESTART); // unpublished, not yet free
    expect(x.domainExists(D)).toBe(0);
    expect(x.domainGet(D)).toBe(0);             // no new reference on an unpublished domain
    expect(x.domainRelease(D)).toBe(-ERESTART);
    expect(() => m.releaseDomain(D)).toThrow(/referenced/);
    x.domainPut(D);
    expect(x.domainRelease(D)).toBe(0);
    expect(x.domainRefs(D)).toBe(0);
  });

  it('the same domid is created, destroyed and created again in the same space, 50 times, with nothing leaked', () => {
    const { m } = world('fifo');
    const x = m.dp.x;
    const r = m.domain(D);
    const free0 = m.allocator.freeBytes();
    const peers0 = [1, 3].map((d) => m.dp.activeEvtchns(d));
    let base = -1;
    for (let i = 0; i < 50; i++) {
      destroyAll(m, 1 + (i % 70));
      expect(x.domainRelease(D)).toBe(0);
      m.releaseDomain(D);
      expect(m.allocator.freeBytes()).toBe(free0 + r.frames * 4096 + r.privBytes);
      const again = m.createDomain({ domid: D, vcpus: 2, frames: r.frames, maxEvtchnPort: r.maxEvtchnPort });
      if (base < 0) base = again.guestBase;
      expect(again.guestBase).toBe(base); // first fit: the freed block is reused
      bootGuest(m.dp, D, 2, guestLayout(2, r.maxEvtchnPort), i % 2 ? 'fifo' : '2l');
      expect(m.allocator.freeBytes()).toBe(free0);
      expect(m.dp.activeEvtchns(D)).toBe(0);
      expect(openPorts(m, D)).toEqual([]);
      expect(x.domainRefs(D)).toBe(0);
      // a few channels with the survivors, so the next destroy has work
      const lp = x.evtchnAllocUnbound(D, DOMID_SELF, 1);
      const rp = x.evtchnBindInterdomain(1, D, lp);
      expect(rp).toBeGreaterThan(0);
      expect(x.evtchnBindIpi(D, 1)).toBeGreaterThan(0);
      // the peer's old ports (UNBOUND, naming D) are closed by the peer, so its count stays flat
      expect(x.evtchnClose(1, rp)).toBe(0);
    }
    // the first world's peer ports are all UNBOUND now; closing them returns the peers to where they began
    expect([1, 3].map((d) => m.dp.activeEvtchns(d))).toEqual(peers0);
    expect(m.allocator.regions).toBe(4);
  });
});
