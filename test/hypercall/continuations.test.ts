// Every preemptible operation preempted at every possible point — after every
// item (budget 1, and a 32-bit caller), and at several other budgets — ends in
// exactly the state of an uninterrupted run (I40, I41). Each continuation's
// progress is read from the register context or the caller's buffer, where
// the guest can see it; a continuation re-issued on a second machine that
// never saw the call's start finishes it the same way.
import { describe, it, expect } from 'vitest';
import { memMachine, type MemMachine } from '../helpers/mem-machine.ts';
import {
  XENMEM_increase_reservation as INC, XENMEM_decrease_reservation as DEC, XENMEM_populate_physmap as POP,
  MEMOP_EXTENT_SHIFT, MEMOP_CMD_MASK,
} from '../../assembly/shared/memory-abi.ts';
import {
  HVMOP_modified_memory, HVMOP_set_mem_type, HVMOP_op_mask, HVMMEM_ram_ro, DM_BATCH_PAGES,
} from '../../assembly/shared/hvm-abi.ts';
import { __HYPERVISOR_memory_op, __HYPERVISOR_event_channel_op, __HYPERVISOR_hvm_op } from '../../assembly/shared/hypercall-abi.ts';
import { dmModifiedMemoryProgress } from '../../src/guest/memory-hypercalls.ts';
import { EVTCHNOP_reset, EVTCHNOP_reset_cont, DOMID_SELF } from '../../assembly/shared/evtchn-abi.ts';
import { EVTCHNOP_RESET_CONT_SHIFT, EVTCHNOP_CMD_MASK, ER_DOM } from '../../assembly/shared/evtchn-structs.ts';
import { PAGE_SIZE } from '../../assembly/shared/layout.ts';

const NONE = 1 << 30;          // a budget no call reaches: the uninterrupted reference
const BUDGETS = [1, 2, 3, 7, 64];
const NR = 24;                 // extents per reservation call

/** The extent list (gfns listGfn+1 .. +NR, every other one with order 1) of `dom`. */
function writeList(t: MemMachine, dom: number, order: number): number {
  const mem = t.mem(dom);
  const list = t.frame(dom, t.listGfn);
  for (let i = 0; i < NR; i++) mem.setExtent(list, i, t.listGfn + 1 + i * (1 << order));
  return t.listGfn * PAGE_SIZE;
}

/** Run memory_op `cmd` to completion one instruction at a time; returns the result and every continuation's arg 0. */
function runSteps(t: MemMachine, dom: number, op: number, args: (number | bigint)[]): { result: number; arg0s: bigint[] } {
  const stub = t.hc(dom).stub;
  stub.load(op, args);
  const arg0s: bigint[] = [];
  while (!stub.step()) arg0s.push(stub.arg(0));
  return { result: stub.result(), arg0s };
}

describe('memory_op reservations preempted at every point', () => {
  const ops: [string, number, (t: MemMachine, dom: number, order: number) => void][] = [
    ['decrease_reservation', DEC, () => {}],
    ['populate_physmap', POP, (t, dom, order) => {
      // give the frames back first, uninterrupted
      const at = writeList(t, dom, order);
      t.m.dp.x.hypercallSetPreemptEvery(NONE);
      expect(t.mem(dom).reservation(DEC, { extentStart: at, nrExtents: NR, extentOrder: order }).result).toBe(NR);
    }],
    ['increase_reservation', INC, (t, dom, order) => {
      const at = writeList(t, dom, order);
      t.m.dp.x.hypercallSetPreemptEvery(NONE);
      expect(t.mem(dom).reservation(DEC, { extentStart: at, nrExtents: NR, extentOrder: order }).result).toBe(NR);
    }],
  ];
  for (const [name, cmd, prepare] of ops) {
    for (const order of [0, 1]) {
      const run = (budget: number, dom: number) => {
        const t = memMachine({ preemptEvery: NONE });
        prepare(t, dom, order);
        t.m.dp.x.hypercallSetPreemptEvery(budget);
        const at = writeList(t, dom, order);
        const mem = t.mem(dom);
        mem.writeReservation({ extentStart: at, nrExtents: NR, extentOrder: order });
        const out = runSteps(t, dom, __HYPERVISOR_memory_op, [cmd, mem.argsGpa]);
        return { ...out, state: t.snapshot(dom) };
      };
      it(`${name}, order ${order}: every budget and a 32-bit caller end as the uninterrupted run`, () => {
        const ref = run(NONE, 1);
        expect(ref.result).toBe(NR);
        expect(ref.arg0s).toEqual([]);
        for (const budget of BUDGETS) {
          const r = run(budget, 1);
          expect(r.result).toBe(NR);
          expect(r.state).toEqual(ref.state);
          // a continuation after every `budget` extents, each carrying its start extent in cmd >> 6
          const want = [];
          for (let i = budget; i < NR; i += budget) want.push(BigInt(cmd | (i << MEMOP_EXTENT_SHIFT)));
          expect(r.arg0s).toEqual(want);
        }
        const compat = run(NONE, 2); // the 32-bit domain: a continuation after every extent, whatever the budget
        expect(compat.result).toBe(NR);
        expect(compat.arg0s.map((a) => Number(a) & MEMOP_CMD_MASK)).toEqual(new Array(NR - 1).fill(cmd));
        expect(compat.arg0s.map((a) => Number(a) >> MEMOP_EXTENT_SHIFT)).toEqual(Array.from({ length: NR - 1 }, (_, i) => i + 1));
        expect(compat.state).toEqual(ref.state);
      });
    }
  }

  it('a continuation finished by a machine that never saw the call start (each point of decrease_reservation)', () => {
    for (let k = 1; k < NR; k++) {
      // machine A: preempted after k extents; its register context is what travels
      const a = memMachine({ preemptEvery: k });
      const atA = writeList(a, 1, 0);
      a.mem(1).writeReservation({ extentStart: atA, nrExtents: NR });
      const stubA = a.hc(1).stub;
      stubA.load(__HYPERVISOR_memory_op, [DEC, a.mem(1).argsGpa]);
      expect(stubA.step()).toBe(false);
      const cont = stubA.arg(0);
      expect(Number(cont) >> MEMOP_EXTENT_SHIFT).toBe(k);
      // machine B holds the same domain state (the first k extents done by another call) and re-issues A's context
      const b = memMachine({ preemptEvery: NONE });
      const atB = writeList(b, 1, 0);
      expect(b.mem(1).reservation(DEC, { extentStart: atB, nrExtents: k }).result).toBe(k);
      b.mem(1).writeReservation({ extentStart: atB, nrExtents: NR });
      const stubB = b.hc(1).stub;
      stubB.load(__HYPERVISOR_memory_op, [cont, b.mem(1).argsGpa]);
      expect(stubB.step()).toBe(true);
      expect(stubB.result()).toBe(NR);
      while (!stubA.step()) { /* A finishes too */ }
      expect(b.snapshot(1)).toEqual(a.snapshot(1));
    }
  });
});

describe('HVMOP_modified_memory / set_mem_type (4.5) preempted at every 256-page point', () => {
  const FRAMES = 700;
  const FIRST = 40, COUNT = 600;
  const run = (budget: number, op: number) => {
    const t = memMachine({ preemptEvery: budget, ramFrames: FRAMES });
    const x = t.m.dp.x;
    x.domainSetLogDirty(1, 1);
    const mem = t.mem(0); // the device model: the control domain
    if (op === HVMOP_modified_memory) mem.writeModifiedMemory(1, FIRST, COUNT);
    else mem.writeSetMemType(1, HVMMEM_ram_ro, FIRST, COUNT);
    const out = runSteps(t, 0, __HYPERVISOR_hvm_op, [op, mem.argsGpa]);
    return { ...out, state: t.snapshot(1) };
  };
  for (const op of [HVMOP_modified_memory, HVMOP_set_mem_type]) {
    it(`op ${op}: progress is op | start_iter (a multiple of 256), end state as uninterrupted`, () => {
      const ref = run(NONE, op);
      expect(ref.result).toBe(0);
      expect(ref.arg0s).toEqual([]);
      for (const budget of [1, 2, 255, 256]) {
        const r = run(budget, op);
        expect(r.result).toBe(0);
        expect(r.arg0s).toEqual([BigInt(op | 256), BigInt(op | 512)]);
        expect(r.arg0s.every((a) => (Number(a) & ~HVMOP_op_mask) % DM_BATCH_PAGES === 0)).toBe(true);
        expect(r.state).toEqual(ref.state);
      }
      const late = run(300, op); // the budget is reached only at the second boundary
      expect(late.arg0s).toEqual([BigInt(op | 512)]);
      expect(late.state).toEqual(ref.state);
    });
  }
});

describe('HVMOP_set_mem_type continued on a machine that never saw the call start', () => {
  it('the op word alone (op | 256, op | 512) says where to resume: the pages before it are not touched', () => {
    const FIRST = 40, COUNT = 600;
    const a = memMachine({ preemptEvery: 1, ramFrames: 700 });
    a.mem(0).writeSetMemType(1, HVMMEM_ram_ro, FIRST, COUNT);
    const stubA = a.hc(0).stub;
    stubA.load(__HYPERVISOR_hvm_op, [HVMOP_set_mem_type, a.mem(0).argsGpa]);
    const seen: bigint[] = [];
    while (!stubA.step()) seen.push(stubA.arg(0));
    expect(seen).toEqual([BigInt(HVMOP_set_mem_type | 256), BigInt(HVMOP_set_mem_type | 512)]);
    const endA = a.snapshot(1).p2m;
    for (const cont of seen) {
      const done = Number(cont) & ~HVMOP_op_mask;
      // machine B: the pages before the continuation point are holes — a call resuming anywhere
      // earlier would meet one and fail (-EINVAL); resuming at `done` it completes
      const b = memMachine({ preemptEvery: 1 << 30, ramFrames: 700 });
      const mem1 = b.mem(1);
      const list = b.frame(1, b.listGfn);
      for (let i = 0; i < done; i++) mem1.setExtent(list, i, FIRST + i);
      expect(mem1.reservation(DEC, { extentStart: b.listGfn * PAGE_SIZE, nrExtents: done }).result).toBe(done);
      b.mem(0).writeSetMemType(1, HVMMEM_ram_ro, FIRST, COUNT);
      const stubB = b.hc(0).stub;
      stubB.load(__HYPERVISOR_hvm_op, [cont, b.mem(0).argsGpa]);
      expect(stubB.step()).toBe(true);
      expect(stubB.result()).toBe(0);
      const endB = b.snapshot(1).p2m;
      expect(endB.slice(FIRST + done, FIRST + COUNT)).toEqual(endA.slice(FIRST + done, FIRST + COUNT));
      expect(endB.slice(FIRST, FIRST + done).every((v) => v === 0)).toBe(true);
    }
  });
});

describe('XEN_DMOP_modified_memory preempted after every page', () => {
  const FRAMES = 400;
  const extents = [{ firstPfn: 30, nr: 5 }, { firstPfn: 100, nr: 1 }, { firstPfn: 200, nr: 150 }];
  const run = (budget: number) => {
    const t = memMachine({ preemptEvery: budget, ramFrames: FRAMES });
    t.m.dp.x.domainSetLogDirty(1, 1);
    const bufGfn = t.listGfn;
    const trail: [number, number][] = [];
    const mem = t.mem(0);
    mem.stub.onPreempted = () => trail.push(dmModifiedMemoryProgress(t.frame(0, bufGfn)));
    const out = mem.dmModifiedMemory(1, t.frame(0, bufGfn), bufGfn * PAGE_SIZE, extents);
    mem.stub.onPreempted = undefined;
    return { ...out, trail, state: t.snapshot(1) };
  };
  it('the opaque field and nr_extents walk every page of every extent (last extent first); end state as uninterrupted', () => {
    const ref = run(NONE);
    expect(ref.result).toBe(0);
    expect(ref.continuations).toBe(0);
    const dirty = ref.state.dirty;
    const pages = extents.flatMap((e) => Array.from({ length: e.nr }, (_, i) => e.firstPfn + i));
    for (const p of pages) expect((dirty[p >> 5] >>> (p & 31)) & 1).toBe(1);
    expect(dirty.reduce((n, w) => n + w.toString(2).split('1').length - 1, 0)).toBe(pages.length);

    const one = run(1);
    expect(one.state).toEqual(ref.state);
    expect(one.continuations).toBe(pages.length - 1);
    // (extents left, pages done in extent left-1) after each page: 150 pages of extent 3, then 1, then 5
    const want: [number, number][] = [];
    for (let i = 1; i < 150; i++) want.push([3, i]);
    want.push([2, 0], [1, 0]);
    for (let i = 1; i < 5; i++) want.push([1, i]);
    expect(one.trail).toEqual(want);
    for (const budget of [2, 7, 256]) expect(run(budget).state).toEqual(ref.state);
  });
});

describe('EVTCHNOP_reset preempted at every bucket, and moved', () => {
  const PORTS = 300;
  const setup = (budget: number, dom: number) => {
    const t = memMachine({ preemptEvery: budget });
    for (let i = 0; i < PORTS; i++) expect(t.m.dp.x.evtchnBindIpi(dom, 0)).toBe(i + 1);
    return t;
  };
  const state = (t: MemMachine, dom: number) =>
    Array.from({ length: PORTS + 2 }, (_, p) => { t.m.dp.x.evtchnStatus(dom, DOMID_SELF, p); return t.m.dp.x.evtchnStatusOut(0); });
  it('continuations at ports 64, 128, 192, 256 carry the bucket in the command word; every budget ends closed', () => {
    const ref = setup(NONE, 1);
    const r0 = runResetSteps(ref, 1);
    expect(r0).toEqual({ result: 0, arg0s: [] });
    for (const [budget, dom] of [[1, 1], [64, 1], [NONE, 2]] as const) {
      const t = setup(budget, dom);
      const r = runResetSteps(t, dom);
      expect(r.result).toBe(0);
      expect(r.arg0s).toEqual([1, 2, 3, 4].map((b) => BigInt(EVTCHNOP_reset_cont | (b << EVTCHNOP_RESET_CONT_SHIFT))));
      expect(state(t, dom)).toEqual(state(ref, 1));
      expect(t.m.dp.activeEvtchns(dom)).toBe(0);
    }
  });
  it('reset_cont on a machine that never saw the reset start resumes at its port, for every point (Xen: -EBUSY)', () => {
    for (let b = 1; b <= 4; b++) {
      const bmach = setup(NONE, 1);
      // the state a reset preempted at port 64·b leaves behind: ports 1..64·b-1 closed
      for (let p = 1; p < 64 * b; p++) expect(bmach.m.dp.x.evtchnClose(1, p)).toBe(0);
      const cmd = EVTCHNOP_reset_cont | (b << EVTCHNOP_RESET_CONT_SHIFT);
      expect(bmach.hc(1).reset(DOMID_SELF, cmd).result).toBe(0);
      expect(bmach.m.dp.activeEvtchns(1)).toBe(0);
      expect(Number(cmd) & EVTCHNOP_CMD_MASK).toBe(EVTCHNOP_reset_cont);
    }
  });
});

function runResetSteps(t: MemMachine, dom: number): { result: number; arg0s: bigint[] } {
  t.hc(dom).args.setUint16(ER_DOM, DOMID_SELF, true);
  return runSteps(t, dom, __HYPERVISOR_event_channel_op, [EVTCHNOP_reset, t.hc(dom).gpa]);
}

describe('the wasm guest stub re-issues from the register context too (I41)', () => {
  it('decrease_reservation of a 32-bit domain: NR - 1 continuations inside wasm, the same end state', () => {
    const ref = memMachine({ preemptEvery: NONE });
    const refAt = writeList(ref, 1, 0);
    ref.mem(1).writeReservation({ extentStart: refAt, nrExtents: NR });
    expect(runSteps(ref, 1, __HYPERVISOR_memory_op, [DEC, ref.mem(1).argsGpa]).result).toBe(NR);

    const t = memMachine({ preemptEvery: NONE });
    const at = writeList(t, 2, 0);
    const mem = t.mem(2);
    mem.writeReservation({ extentStart: at, nrExtents: NR });
    const stub = t.hc(2).stub;
    stub.load(__HYPERVISOR_memory_op, [DEC, mem.argsGpa]);
    expect(t.m.dp.x.guestHypercall(2, 0, stub.regsGpa, 0)).toBe(NR - 1);
    expect(stub.result()).toBe(NR);
    expect(Number(stub.arg(0)) >> MEMOP_EXTENT_SHIFT).toBe(NR - 1); // the last continuation's start extent
    expect(t.snapshot(2)).toEqual(ref.snapshot(1));
    expect(t.m.dp.x.guestHypercall(2, 0, t.frames * PAGE_SIZE, 0)).toBeLessThan(0); // no register file there
  });
});
