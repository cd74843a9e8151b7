// Channel lifecycles on the wasm channel layer: spec §17.4, port reuse,
// LINKED ports skipped (spec §9.8), VIRQ and IPI delivery, interdomain close.
import { describe, it, expect } from 'vitest';
import { fifoMachine } from '../helpers/fifo-machine.ts';
import { WasmEvtchnOps } from '../../src/channel/wasm-ops.ts';
import { DOMID_SELF } from '../../assembly/shared/evtchn-abi.ts';
import { EINVAL, EEXIST, EBUSY } from '../../assembly/shared/errno.ts';

function setup(vcpus0 = 1, vcpus1 = 2) {
  const m = fifoMachine({ domains: [{ domid: 0, vcpus: vcpus0 }, { domid: 1, vcpus: vcpus1 }] });
  const ops = new WasmEvtchnOps(m.dp);
  const d0 = { dom: 0, vcpu: 0 }, d1 = { dom: 1, vcpu: 0 };
  const unmaskAll = (dom: number, ports: number[]) => ports.forEach((p) => m.unmask(dom, p));
  return { m, ops, d0, d1, unmaskAll };
}

describe('spec §17.4: interdomain lifecycle (dom1 ↔ dom0)', () => {
  it('alloc, bind (raises the new port), send both ways, close leaves the peer UNBOUND, rebind reuses the port', () => {
    const { m, ops, d0, d1, unmaskAll } = setup();
    expect(ops.allocUnbound(d1, DOMID_SELF, 0)).toEqual({ rc: 0, port: 1 });
    expect(ops.status(d1, DOMID_SELF, 1)).toEqual({ rc: 0, status: 1, vcpu: 0, unboundDom: 0 });
    unmaskAll(0, [1, 2, 3]);
    unmaskAll(1, [1]);
    const b = ops.bindInterdomain(d0, 1, 1);
    expect(b).toEqual({ rc: 0, port: 1 });
    expect(m.drain(0, 0)).toEqual([1]); // raised at bind (spec §5.2 step 8)
    expect(ops.status(d1, DOMID_SELF, 1)).toEqual({ rc: 0, status: 2, vcpu: 0, interdomainDom: 0, interdomainPort: 1 });
    expect(ops.send(d1, 1)).toBe(0);
    expect(m.drain(0, 0)).toEqual([1]);
    expect(ops.send(d0, 1)).toBe(0);
    expect(m.drain(1, 0)).toEqual([1]);
    expect(ops.close(d0, 1)).toBe(0);
    expect(ops.status(d0, DOMID_SELF, 1)).toEqual({ rc: 0, status: 0, vcpu: 0 });
    expect(ops.status(d1, DOMID_SELF, 1)).toEqual({ rc: 0, status: 1, vcpu: 0, unboundDom: 0 });
    expect(ops.send(d1, 1)).toBe(0);        // dropped
    expect(m.drain(0, 0)).toEqual([]);
    expect(ops.bindInterdomain(d0, 1, 1)).toEqual({ rc: 0, port: 1 });
    expect(m.drain(0, 0)).toEqual([1]);
  });

  it('a port closed while still LINKED is skipped by allocation until the guest consumes it (spec §9.8)', () => {
    const { m, ops, d0, d1, unmaskAll } = setup();
    unmaskAll(0, [1, 2]);
    const ipi = ops.bindIpi(d0, 0);
    expect(ipi).toEqual({ rc: 0, port: 1 });
    expect(ops.send(d0, 1)).toBe(0);
    expect(m.dp.eventWord(0, 1)! & 0x20000000).not.toBe(0); // LINKED
    expect(ops.close(d0, 1)).toBe(0);
    expect(m.dp.eventWord(0, 1)).toBe(0x20000000);           // PENDING cleared, LINKED kept
    expect(ops.bindIpi(d0, 0)).toEqual({ rc: 0, port: 2 });  // 1 is busy
    expect(m.drain(0, 0)).toEqual([]);                       // consumed (not pending: not dispatched)
    expect(ops.bindIpi(d0, 0)).toEqual({ rc: 0, port: 1 });  // reusable now
    void d1;
  });

  it('closing an interdomain port from either end, and loopback within one domain', () => {
    const { m, ops, d0, d1, unmaskAll } = setup();
    const p1 = ops.allocUnbound(d1, DOMID_SELF, 0).port!;
    const p0 = ops.bindInterdomain(d0, 1, p1).port!;
    expect(ops.close(d1, p1)).toBe(0);
    expect(ops.status(d0, DOMID_SELF, p0)).toEqual({ rc: 0, status: 1, vcpu: 0, unboundDom: 1 });
    // only the closer's domid may re-bind (spec §16.8)
    expect(ops.bindInterdomain(d1, 0, p0).rc).toBe(0);
    // loopback: both ends in domain 1
    const a = ops.allocUnbound(d1, DOMID_SELF, DOMID_SELF).port!;
    const bRes = ops.bindInterdomain(d1, DOMID_SELF, a);
    expect(bRes.rc).toBe(0);
    unmaskAll(1, [a, bRes.port!]);
    m.drain(1, 0);
    expect(ops.send(d1, a)).toBe(0);
    expect(m.drain(1, 0)).toEqual([bRes.port]);
    expect(ops.close(d1, bRes.port!)).toBe(0);
    expect(ops.status(d1, DOMID_SELF, a)).toMatchObject({ status: 1, unboundDom: 1 });
  });
});

describe('VIRQs and IPIs', () => {
  it('a per-vCPU VIRQ is raised on its vCPU; re-binding is -EEXIST; bind_vcpu is refused', () => {
    const { m, ops, d1, unmaskAll } = setup();
    const t0 = ops.bindVirq(d1, 0, 0).port!;
    const t1 = ops.bindVirq(d1, 0, 1).port!;
    expect([t0, t1]).toEqual([1, 2]);
    expect(ops.bindVirq(d1, 0, 1).rc).toBe(-EEXIST);
    expect(ops.bindVcpu(d1, t1, 0)).toBe(-EINVAL);
    unmaskAll(1, [t0, t1]);
    expect(m.dp.x.raiseVirq(1, 1, 0)).toBe(1);
    expect(m.drain(1, 0)).toEqual([]);
    expect(m.drain(1, 1)).toEqual([t1]);
    expect(ops.status(d1, DOMID_SELF, t1)).toEqual({ rc: 0, status: 4, vcpu: 1, virq: 0 });
    expect(ops.close(d1, t1)).toBe(0);
    expect(m.dp.x.raiseVirq(1, 1, 0)).toBe(0); // unbound: dropped
    expect(ops.bindVirq(d1, 0, 1)).toEqual({ rc: 0, port: t1 });
  });

  it('a domain VIRQ follows bind_vcpu; global VIRQs belong to the control domain', () => {
    const { m, ops, d0, d1, unmaskAll } = setup();
    const argo = ops.bindVirq(d1, 11, 0).port!;
    unmaskAll(1, [argo]);
    expect(ops.bindVcpu(d1, argo, 1)).toBe(0);
    m.dp.x.raiseVirq(1, 0, 11);
    expect(m.drain(1, 1)).toEqual([argo]);
    expect(ops.bindVirq(d1, 3, 0).rc).toBe(-EBUSY); // VIRQ_DOM_EXC: not the handler
    const exc = ops.bindVirq(d0, 3, 0);
    expect(exc.rc).toBe(0);
    unmaskAll(0, [exc.port!]);
    m.dp.x.raiseVirq(1, 0, 3); // global: goes to the handler whatever domain is named
    expect(m.drain(0, 0)).toEqual([exc.port]);
  });

  it('an IPI goes to its bound vCPU', () => {
    const { m, ops, d1, unmaskAll } = setup();
    const ipi = ops.bindIpi(d1, 1).port!;
    unmaskAll(1, [ipi]);
    expect(ops.send({ dom: 1, vcpu: 0 }, ipi)).toBe(0);
    expect(m.drain(1, 0)).toEqual([]);
    expect(m.drain(1, 1)).toEqual([ipi]);
    void d1;
  });
});
