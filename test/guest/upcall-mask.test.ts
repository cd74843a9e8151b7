// evtchn_upcall_mask, the x86 PV "events disabled" flag (spec §2.1, I25), from
// the spec's point of view:
//  - SCHEDOP_poll returns at once only if an event "needs delivery" —
//    evtchn_upcall_pending set and evtchn_upcall_mask clear (Xen's
//    local_events_need_delivery) — or a polled port is pending;
//  - SCHEDOP_block first enables delivery (clears the mask, Xen's
//    vcpu_block_enable_events), then blocks only if nothing is pending;
//  - the guest kernel runs its upcall with events masked and, on unmasking,
//    re-checks evtchn_upcall_pending as Linux's xen_irq_enable does.
import { describe, it, expect } from 'vitest';
import { createMachine } from '../../src/wasm/data-plane.ts';
import { guestLayout } from '../../src/guest/layout.ts';
import { bootFifo } from '../../src/guest/kernel.ts';
import { Guest } from '../../src/guest/guest.ts';
import { VI_UPCALL_PENDING, VI_UPCALL_MASK } from '../../assembly/shared/layout.ts';

const VB_UPCALL = 1;

function setup() {
  const maxPort = 100;
  const layout = guestLayout(1, maxPort);
  const m = createMachine([{ domid: 1, vcpus: 1, frames: layout.freeGfn + 4, maxEvtchnPort: maxPort }], 'debug');
  bootFifo(m.dp, 1, 1, layout);
  const seen: number[] = [];
  const g = new Guest(m.dp, { dom: 1, vcpu: 0, vcpus: 1, maxPort, config: undefined, stopping: () => false }, layout,
    () => ({ h: (port: number) => { seen.push(port); } }));
  const x = m.dp.x;
  /** vcpu_info bytes 0 (evtchn_upcall_pending) and 1 (evtchn_upcall_mask) of vCPU 0 */
  const vcpuInfo = () => {
    const base = x.addrVcpuInfoOf(1, 0) >>> 0;
    const b = new Uint8Array(m.dp.memory.buffer, base, 2);
    return { pending: b[VI_UPCALL_PENDING], mask: b[VI_UPCALL_MASK] };
  };
  /** SCHEDOP_poll's first half on `ports` (written to guest scratch): 0 = return now, 1 = sleep */
  const pollWouldSleep = (ports: number[]) => {
    const gpa = layout.freeGfn * 4096;
    const v = new DataView(m.dp.memory.buffer, (x.addrGfn(1, layout.freeGfn) >>> 0), 4 * ports.length);
    ports.forEach((p, i) => v.setUint32(4 * i, p, true));
    const rc = x.schedPollPrepare(1, 0, gpa, 0, ports.length);
    if (rc === 1) x.schedPollFinish(1, 0);
    return rc;
  };
  return { m, g, x, seen, vcpuInfo, pollWouldSleep };
}

describe('evtchn_upcall_mask (x86 PV semantics, I25)', () => {
  it('SCHEDOP_poll: a pending upcall the vCPU has masked does not end the poll; unmasked it does', () => {
    const { g, x, vcpuInfo, pollWouldSleep } = setup();
    const polled = g.hc.allocUnbound(1);
    const other = g.listen(g.hc.allocUnbound(1), 'h').port;
    g.irqDisable();
    expect(vcpuInfo()).toEqual({ pending: 0, mask: 1 });
    x.fifoSetPending(1, 0, other); // an event on a port the vCPU does not poll
    expect(vcpuInfo()).toEqual({ pending: 1, mask: 1 });
    expect(x.localEventsNeedDelivery(1, 0)).toBe(0);
    expect(pollWouldSleep([polled])).toBe(1);          // masked: nothing needs delivery, Xen blocks
    x.fifoSetPending(1, 0, polled);
    expect(pollWouldSleep([polled])).toBe(0);          // a polled port pending always ends it
    const { m: m2, g: g2, x: x2, pollWouldSleep: poll2 } = setup();
    void m2;
    const p2 = g2.hc.allocUnbound(1);
    const o2 = g2.listen(g2.hc.allocUnbound(1), 'h').port;
    x2.fifoSetPending(1, 0, o2);                        // unmasked: the pending upcall needs delivery
    expect(x2.localEventsNeedDelivery(1, 0)).toBe(1);
    expect(poll2([p2])).toBe(0);
  });

  it('SCHEDOP_block enables delivery first: with an upcall pending under the mask it returns at once, unmasked', () => {
    const { g, x, vcpuInfo } = setup();
    const port = g.listen(g.hc.allocUnbound(1), 'h').port;
    g.irqDisable();
    x.fifoSetPending(1, 0, port);
    expect(vcpuInfo()).toEqual({ pending: 1, mask: 1 });
    expect(x.vcpuBlock(1, 0, 1e9)).toBe(VB_UPCALL); // did not sleep its second
    expect(vcpuInfo().mask).toBe(0);
  });

  it('guest kernel: no upcall runs while masked; unmasking re-checks and runs the one flagged meanwhile', () => {
    const { g, x, seen, vcpuInfo } = setup();
    const port = g.listen(g.hc.allocUnbound(1), 'h').port;
    g.irqDisable();
    x.fifoSetPending(1, 0, port);
    expect(g.poll()).toBe(0);                          // masked: the upcall waits
    expect(seen).toEqual([]);
    expect(g.irqEnable()).toBe(1);                     // xen_irq_enable's re-check
    expect(seen).toEqual([port]);
    expect(vcpuInfo()).toEqual({ pending: 0, mask: 0 });
    expect(g.irqEnable()).toBe(0);                     // nothing more
  });

  it('the upcall runs with events masked and leaves them unmasked; handlers may not toggle the mask', () => {
    const { g, x, vcpuInfo } = setup();
    const masks: number[] = [];
    let threw = '';
    const g2 = new Guest(g.dp, { dom: 1, vcpu: 0, vcpus: 1, maxPort: 100, config: undefined, stopping: () => false }, g.layout,
      () => ({ h: () => { masks.push(vcpuInfo().mask); try { g2.irqEnable(); } catch (e) { threw = (e as Error).message; } } }));
    const port = g2.listen(g2.hc.allocUnbound(1), 'h').port;
    x.fifoSetPending(1, 0, port);
    expect(g2.poll()).toBe(1);
    expect(masks).toEqual([1]);
    expect(threw).toMatch(/inside an event handler/);
    expect(vcpuInfo().mask).toBe(0);
  });
});
