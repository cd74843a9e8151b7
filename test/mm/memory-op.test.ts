// HYPERVISOR_memory_op's reservation sub-ops over the p2m (spec §2): the
// partial-success result, Xen's check order (every early failure returns the
// start extent), both struct layouts, and what an unpopulated frame can no
// longer be (I43).
import { describe, it, expect } from 'vitest';
import { memMachine } from '../helpers/mem-machine.ts';
import {
  XENMEM_increase_reservation as INC, XENMEM_decrease_reservation as DEC, XENMEM_populate_physmap as POP,
  XENMEM_current_reservation, XENMEM_maximum_reservation, XENMEM_maximum_gpfn, MEMOP_EXTENT_SHIFT,
  MEMOP_MAX_EXTENTS, XENMEMF_populate_on_demand, XENMEMF_exact_node_request, XENMEMF_vnode,
} from '../../assembly/shared/memory-abi.ts';
import { P2M_INVALID, P2M_RAM_RW, P2M_XEN, PAGE_SIZE } from '../../assembly/shared/layout.ts';
import { EVTCHNOP_bind_ipi } from '../../assembly/shared/evtchn-abi.ts';
import { EFAULT, EINVAL, EPERM, ESRCH } from '../../assembly/shared/errno.ts';

const big = { preemptEvery: 1 << 30 }; // no continuations: these tests are about results, not preemption

describe('memory_op reservations (64-bit and compat callers)', () => {
  for (const dom of [1, 2]) {
    it(`domain ${dom}: decrease gives frames back, populate returns them zeroed; tot_pages follows`, () => {
      const t = memMachine(big);
      const x = t.m.dp.x;
      const mem = t.mem(dom);
      const tot0 = x.domainTotPages(dom);
      expect(tot0).toBe(t.frames - 1); // every frame but shared_info
      expect(x.p2mTypeOf(dom, 0)).toBe(P2M_XEN);
      const list = t.frame(dom, t.listGfn);
      const gfns = [t.listGfn + 3, t.listGfn + 5, t.listGfn + 6];
      gfns.forEach((g, i) => { mem.setExtent(list, i, g); t.frame(dom, g).setUint32(100, 0xdeadbeef, true); });
      const r = { extentStart: t.listGfn * PAGE_SIZE, nrExtents: 3 };
      // a 32-bit caller's call is continued after every extent (I41)
      expect(mem.reservation(DEC, r)).toEqual({ result: 3, continuations: dom === 2 ? 2 : 0 });
      for (const g of gfns) expect(x.p2mTypeOf(dom, g)).toBe(P2M_INVALID);
      expect(x.domainTotPages(dom)).toBe(tot0 - 3);
      expect(mem.domainQuery(XENMEM_current_reservation)).toBe(tot0 - 3);
      // again: the first extent is already gone, nothing is done (result 0)
      expect(mem.reservation(DEC, r).result).toBe(0);
      expect(mem.reservation(POP, r).result).toBe(3);
      for (const g of gfns) {
        expect(x.p2mTypeOf(dom, g)).toBe(P2M_RAM_RW);
        expect(t.frame(dom, g).getUint32(100, true)).toBe(0); // a newly populated frame reads as zeros
      }
      expect(x.domainTotPages(dom)).toBe(tot0);
      expect(mem.domainQuery(XENMEM_maximum_reservation)).toBe(t.frames - 1);
      expect(mem.domainQuery(XENMEM_maximum_gpfn)).toBe(t.frames - 1);
      // each call held a reference on its target while it ran and dropped it, continuations included (I27)
      expect(x.domainRefs(dom)).toBe(0);
    });
  }

  it('partial success: decrease stops at the first extent with a frame that is not RAM; a half-removed extent is not counted', () => {
    const t = memMachine(big);
    const x = t.m.dp.x;
    const mem = t.mem(1);
    const list = t.frame(1, t.listGfn);
    const base = t.listGfn + 8;
    mem.setExtent(list, 0, base); mem.setExtent(list, 1, base + 4); mem.setExtent(list, 2, base + 8);
    // take away frame base + 5 first: extent 1 (order 2: base+4..base+7) fails after removing base + 4
    mem.setExtent(t.frame(1, t.listGfn), 3, base + 5);
    expect(mem.reservation(DEC, { extentStart: t.listGfn * PAGE_SIZE + 24, nrExtents: 1 }).result).toBe(1);
    const tot = x.domainTotPages(1);
    expect(mem.reservation(DEC, { extentStart: t.listGfn * PAGE_SIZE, nrExtents: 3, extentOrder: 2 }).result).toBe(1);
    expect([0, 1, 2, 3].map((j) => x.p2mTypeOf(1, base + j))).toEqual([0, 0, 0, 0]);
    expect(x.p2mTypeOf(1, base + 4)).toBe(P2M_INVALID); // removed, though extent 1 failed (as Xen)
    expect(x.p2mTypeOf(1, base + 6)).toBe(P2M_RAM_RW);
    expect(x.domainTotPages(1)).toBe(tot - 5);
  });

  it('max_pages limits increase and populate; increase charges pages without mapping them', () => {
    const t = memMachine({ ...big });
    const x = t.m.dp.x;
    const mem = t.mem(1);
    expect(mem.reservation(INC, { extentStart: 0, nrExtents: 2 }).result).toBe(0); // at the limit
    const list = t.frame(1, t.listGfn);
    for (let i = 0; i < 4; i++) mem.setExtent(list, i, t.listGfn + 10 + i);
    const r = { extentStart: t.listGfn * PAGE_SIZE, nrExtents: 4 };
    expect(mem.reservation(DEC, r).result).toBe(4);
    expect(mem.reservation(INC, { extentStart: 0, nrExtents: 3 }).result).toBe(3); // NULL list: allowed for increase
    const p2m = Array.from({ length: t.frames }, (_, g) => x.p2mTypeOf(1, g));
    expect(p2m.filter((v) => v === P2M_INVALID)).toHaveLength(4); // nothing mapped
    expect(mem.reservation(POP, r).result).toBe(1); // one page of room left
    expect(x.domainTotPages(1)).toBe(x.domainMaxPages(1));
  });

  it('populate refuses gfn 0 and gfns beyond the domain; an extent list on a frame without RAM stops the loop', () => {
    const t = memMachine(big);
    const mem = t.mem(1);
    const list = t.frame(1, t.listGfn);
    mem.setExtent(list, 0, 0);
    expect(mem.reservation(POP, { extentStart: t.listGfn * PAGE_SIZE, nrExtents: 1 }).result).toBe(0);
    mem.setExtent(list, 0, t.frames);
    expect(mem.reservation(POP, { extentStart: t.listGfn * PAGE_SIZE, nrExtents: 1 }).result).toBe(0);
    // a xen_pfn_t is 64 bits: a gfn with high bits set is no alias of a low one
    list.setBigUint64(0, (1n << 63n) | BigInt(t.listGfn + 2), true);
    expect(mem.reservation(DEC, { extentStart: t.listGfn * PAGE_SIZE, nrExtents: 1 }).result).toBe(0);
    expect(t.m.dp.x.p2mTypeOf(1, t.listGfn + 2)).toBe(P2M_RAM_RW);
    // the list's second element sits on the next frame, which the guest gives back first
    const lastSlot = PAGE_SIZE / 8 - 1;
    mem.setExtent(list, 0, t.listGfn + 1);
    expect(mem.reservation(DEC, { extentStart: t.listGfn * PAGE_SIZE, nrExtents: 1 }).result).toBe(1);
    mem.setExtent(list, lastSlot, t.listGfn + 2);
    expect(mem.reservation(DEC, { extentStart: t.listGfn * PAGE_SIZE + lastSlot * 8, nrExtents: 2 }).result).toBe(1);
  });
});

describe('memory_op check order: every early failure returns the start extent (spec §2.4)', () => {
  const t = memMachine(big);
  const x = t.m.dp.x;
  const mem = t.mem(1);
  const list = t.frame(1, t.listGfn);
  for (let i = 0; i < 8; i++) mem.setExtent(list, i, t.listGfn + 20 + i);
  const at = t.listGfn * PAGE_SIZE;
  const cases: [string, () => number][] = [
    ['struct unreadable', () => mem.memoryOp(DEC, t.frames * PAGE_SIZE).result],
    ['nr_extents too large to encode', () => mem.reservation(DEC, { extentStart: at, nrExtents: MEMOP_MAX_EXTENTS + 1 }).result],
    ['start extent ≥ nr_extents (returns the start extent: 5)', () => mem.reservation(DEC | (5 << MEMOP_EXTENT_SHIFT), { extentStart: at, nrExtents: 5 }).result - 5],
    ['no such domain', () => mem.reservation(DEC, { extentStart: at, nrExtents: 1, domid: 9 }).result],
    ['address_bits ≤ 12', () => mem.reservation(POP, { extentStart: at, nrExtents: 1, memFlags: 12 }).result],
    ['exact node request by an unprivileged caller', () => mem.reservation(POP, { extentStart: at, nrExtents: 1, memFlags: (1 << 8) | XENMEMF_exact_node_request }).result],
    ['another domain without privilege', () => mem.reservation(DEC, { extentStart: at, nrExtents: 1, domid: 2 }).result],
    ['extent_order above 9', () => mem.reservation(DEC, { extentStart: at, nrExtents: 1, extentOrder: 10 }).result],
    ['extent list outside the guest', () => mem.reservation(DEC, { extentStart: (t.frames - 1) * PAGE_SIZE + 4088, nrExtents: 2 }).result],
    ['populate-on-demand', () => mem.reservation(POP, { extentStart: at, nrExtents: 1, memFlags: XENMEMF_populate_on_demand }).result],
  ];
  for (const [name, run] of cases) {
    it(name, () => {
      const before = x.domainTotPages(1);
      expect(run()).toBe(0);
      expect(x.domainTotPages(1)).toBe(before);
    });
  }
  it('a continued call that fails early returns its own start extent, not 0', () => {
    expect(mem.reservation(DEC | (3 << MEMOP_EXTENT_SHIFT), { extentStart: at, nrExtents: 5, domid: 9 }).result).toBe(3);
  });
  it('accepted flags: address_bits above 12, a node without exact request, vnode without vNUMA', () => {
    for (const memFlags of [32, 1 << 8, XENMEMF_vnode | (3 << 8) | XENMEMF_exact_node_request]) {
      expect(mem.reservation(DEC, { extentStart: at, nrExtents: 1, memFlags }).result).toBe(1);
      expect(mem.reservation(POP, { extentStart: at, nrExtents: 1, memFlags }).result).toBe(1);
    }
  });
  it('the control domain may adjust another domain; queries of another domain need privilege', () => {
    const m0 = t.mem(0);
    const l0 = t.frame(0, t.listGfn);
    m0.setExtent(l0, 0, t.listGfn + 30);
    expect(m0.reservation(DEC, { extentStart: t.listGfn * PAGE_SIZE, nrExtents: 1, domid: 2 }).result).toBe(1);
    expect(x.p2mTypeOf(2, t.listGfn + 30)).toBe(P2M_INVALID);
    expect(m0.domainQuery(XENMEM_current_reservation, 2)).toBe(t.frames - 2);
    expect(mem.domainQuery(XENMEM_current_reservation, 2)).toBe(-EPERM);
    expect(mem.domainQuery(XENMEM_current_reservation, 9)).toBe(-ESRCH);
  });
});

describe('an unpopulated frame is no longer the guest\'s memory (I43)', () => {
  it('hypercall argument structs, FIFO control blocks and array pages, SCHEDOP_poll port lists', () => {
    const t = memMachine(big);
    const x = t.m.dp.x;
    const mem = t.mem(1);
    const hole = t.listGfn + 40;
    mem.setExtent(t.frame(1, t.listGfn), 0, hole);
    expect(mem.reservation(DEC, { extentStart: t.listGfn * PAGE_SIZE, nrExtents: 1 }).result).toBe(1);
    expect(x.eventChannelOp(1, 0, EVTCHNOP_bind_ipi, hole * PAGE_SIZE, 0)).toBe(-EFAULT);
    expect(mem.memoryOp(XENMEM_current_reservation, hole * PAGE_SIZE).result).toBe(-EFAULT); // copy_from_guest
    expect(mem.memoryOp(DEC, hole * PAGE_SIZE).result).toBe(0); // the reservation ops answer the start extent instead
    expect(x.fifoInitControl(1, hole, 0, 0, 0)).toBe(-EINVAL);   // map_guest_page: no page (Xen: -EINVAL)
    expect(x.fifoInitControl(1, hole + 1, 0, 0, 0)).toBe(0);      // FIFO now, with a control block on RAM
    expect(x.fifoExpandArray(1, hole, 0)).toBe(-EINVAL);
    expect(x.schedPollPrepare(1, 0, hole * PAGE_SIZE, 0, 1)).toBe(-EFAULT);
    // the device model's structs and buffers alike (copy_from_guest: -EFAULT before any other check)
    expect(mem.hvmOp(7, hole * PAGE_SIZE).result).toBe(-EFAULT);
    expect(mem.dmOp(0, 2, hole * PAGE_SIZE).result).toBe(-EFAULT);
    // the register context itself must be RAM
    expect(x.hypercall(1, 0, hole * PAGE_SIZE, 0)).toBe(-EFAULT);
    // and after populate, all of it works again
    expect(mem.reservation(POP, { extentStart: t.listGfn * PAGE_SIZE, nrExtents: 1 }).result).toBe(1);
    expect(x.eventChannelOp(1, 0, EVTCHNOP_bind_ipi, hole * PAGE_SIZE, 0)).toBe(0);
  });
});
