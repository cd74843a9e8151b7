// Stray continuation bits (Xen commit 4ef6b5f1): every sub-op of memory_op,
// hvm_op and event_channel_op that does not continue refuses a command word
// with bits above its mask, with Xen's errno; the continuable ones read those
// bits as progress and refuse a value that is no progress point of the call,
// as Xen does. Each row is checked with and without the stray bits.
import { describe, it, expect } from 'vitest';
import { memMachine } from '../helpers/mem-machine.ts';
import {
  MEMOP_EXTENT_SHIFT, MEMOP_CMD_MASK, MEMOP_MAX_EXTENTS, XENMEM_increase_reservation, XENMEM_decrease_reservation,
  XENMEM_populate_physmap, XENMEM_maximum_ram_page, XENMEM_current_reservation, XENMEM_maximum_reservation,
  XENMEM_maximum_gpfn, XENMEM_exchange,
} from '../../assembly/shared/memory-abi.ts';
import {
  HVMOP_op_mask, HVMOP_modified_memory, HVMOP_set_mem_type, HVMOP_get_mem_type, HVMMEM_ram_rw,
} from '../../assembly/shared/hvm-abi.ts';
import { EVTCHNOP_reset_cont, EVTCHNOP_send, DOMID_SELF } from '../../assembly/shared/evtchn-abi.ts';
import { EVTCHNOP_CMD_MASK, EVTCHNOP_RESET_CONT_SHIFT, ER_DOM } from '../../assembly/shared/evtchn-structs.ts';
import { EINVAL, ENOSYS, EAGAIN, EFAULT } from '../../assembly/shared/errno.ts';
import { PAGE_SIZE } from '../../assembly/shared/layout.ts';

describe('memory_op: every sub-op (cmd & MEMOP_CMD_MASK) with a start extent', () => {
  const CONTINUES = [XENMEM_increase_reservation, XENMEM_decrease_reservation, XENMEM_populate_physmap];
  const REFUSES = [XENMEM_maximum_ram_page, XENMEM_current_reservation, XENMEM_maximum_reservation, XENMEM_maximum_gpfn, XENMEM_exchange];
  for (const width of [64, 32] as const) {
    it(`${width}-bit caller: continuable ops read the bits as progress, the others are -EINVAL (Xen's check), unknown ones -ENOSYS`, () => {
      const t = memMachine({ preemptEvery: 1 << 30 });
      const dom = width === 64 ? 1 : 2;
      const mem = t.mem(dom);
      const list = t.frame(dom, t.listGfn);
      for (let i = 0; i < 4; i++) mem.setExtent(list, i, t.listGfn + 1 + i);
      const rows: [number, number, number][] = []; // sub-op, result with bits, result without
      for (let op = 0; op <= MEMOP_CMD_MASK; op++) {
        mem.writeReservation({ extentStart: t.listGfn * PAGE_SIZE, nrExtents: 0 }); // nr 0: a continuable op does nothing
        const withBits = mem.memoryOp(op | (1 << MEMOP_EXTENT_SHIFT)).result;
        mem.writeReservation({ extentStart: t.listGfn * PAGE_SIZE, nrExtents: 0 });
        const without = mem.memoryOp(op).result;
        rows.push([op, withBits, without]);
      }
      for (const [op, withBits, without] of rows) {
        if (CONTINUES.includes(op)) {
          expect([op, withBits, without]).toEqual([op, 1, 0]); // start extent 1 ≥ nr 0: returns the start, does nothing
        } else if (REFUSES.includes(op)) {
          expect([op, withBits]).toEqual([op, -EINVAL]);
          expect(without).not.toBe(-EINVAL);
        } else {
          expect([op, withBits, without]).toEqual([op, -ENOSYS, -ENOSYS]);
        }
      }
      expect(t.m.dp.x.domainTotPages(dom)).toBe(t.frames - 1); // nothing was done
      // every path, refusals included, dropped the domain reference it took (I27)
      for (const d of [0, 1, 2]) expect([d, t.m.dp.x.domainRefs(d)]).toEqual([d, 0]);
    });
  }
  it('an nr_extents too large to encode is refused: the start extent comes back, nothing done', () => {
    const t = memMachine({ preemptEvery: 1 << 30 });
    const mem = t.mem(1);
    mem.setExtent(t.frame(1, t.listGfn), 0, t.listGfn + 1);
    for (const nr of [MEMOP_MAX_EXTENTS + 1, 2 ** 40]) {
      expect(mem.reservation(XENMEM_decrease_reservation, { extentStart: t.listGfn * PAGE_SIZE, nrExtents: nr }).result).toBe(0);
      expect(mem.reservation(XENMEM_decrease_reservation | (7 << MEMOP_EXTENT_SHIFT), { extentStart: t.listGfn * PAGE_SIZE, nrExtents: nr }).result).toBe(7);
    }
    expect(t.m.dp.x.domainTotPages(1)).toBe(t.frames - 1);
    // the largest encodable count passes the check (and fails later, on the list's range: still nothing done)
    expect(mem.reservation(XENMEM_decrease_reservation, { extentStart: t.listGfn * PAGE_SIZE, nrExtents: MEMOP_MAX_EXTENTS }).result).toBe(0);
  });
  it('a compat caller: the command word is 32 bits wide, bits above are not seen', () => {
    const t = memMachine({ preemptEvery: 1 << 30 });
    const mem = t.mem(2);
    mem.setExtent(t.frame(2, t.listGfn), 0, t.listGfn + 1);
    mem.writeReservation({ extentStart: t.listGfn * PAGE_SIZE, nrExtents: 1 });
    expect(mem.memoryOp((1n << 40n) | BigInt(XENMEM_decrease_reservation)).result).toBe(1);
  });
});

describe('hvm_op (4.5): every sub-op with bits above HVMOP_op_mask', () => {
  it('modified_memory and set_mem_type take them as progress (checked against nr); every other op is unknown: -ENOSYS', () => {
    const t = memMachine({ preemptEvery: 1 << 30, ramFrames: 600 });
    const x = t.m.dp.x;
    x.domainSetLogDirty(1, 1);
    const mem = t.mem(0);
    for (let op = 0; op <= HVMOP_op_mask; op++) {
      if (op === HVMOP_modified_memory) {
        mem.writeModifiedMemory(1, 50, 300);
        expect(mem.hvmOp(op | 0x100).result).toBe(0);  // resumes at 256: pages 306..349 only
        expect((x.dirtyBitmapWord(1, 50 >> 5, 0) >>> (50 & 31)) & 1).toBe(0);
        expect((x.dirtyBitmapWord(1, 306 >> 5, 0) >>> (306 & 31)) & 1).toBe(1);
        mem.writeModifiedMemory(1, 50, 255);
        expect(mem.hvmOp(op | 0x100).result).toBe(-EINVAL); // start_iter 256 > nr: no progress point of this call
        mem.writeModifiedMemory(1, 50, 256);
        expect(mem.hvmOp(op | 0x100).result).toBe(0);       // start_iter == nr: nothing left, as Xen
      } else if (op === HVMOP_set_mem_type) {
        mem.writeSetMemType(1, HVMMEM_ram_rw, 50, 255);
        expect(mem.hvmOp(op | 0x100).result).toBe(-EINVAL);
        mem.writeSetMemType(1, HVMMEM_ram_rw, 50, 300);
        expect(mem.hvmOp(op | 0x100).result).toBe(0);
      } else {
        expect([op, mem.hvmOp(op | 0x100).result]).toEqual([op, -ENOSYS]);
        expect([op, mem.hvmOp(BigInt(op) | (1n << 40n)).result]).toEqual([op, -ENOSYS]);
      }
    }
    // get_mem_type works without the bits: they are what is refused
    expect(mem.hvmGetMemType(1, 60)).toBe(HVMMEM_ram_rw);
    mem.args.setUint16(ER_DOM, 1, true);
    expect(mem.hvmOp(HVMOP_get_mem_type | 0x100).result).toBe(-ENOSYS);
    // every path, refusals and continuations included, dropped the target reference it took (I27)
    for (const d of [0, 1, 2]) expect([d, x.domainRefs(d)]).toEqual([d, 0]);
  });
});

describe('event_channel_op: the argument pointer of a compat caller', () => {
  it('is 32 bits wide, as for memory_op: bits above are not seen by a 32-bit caller, a 64-bit one faults on them', () => {
    const t = memMachine({ preemptEvery: 1 << 30 });
    for (const [dom, want] of [[2, true], [1, false]] as const) {
      const hc = t.hc(dom);
      const port = hc.bindIpi(0);
      hc.args.setUint32(0, port, true); // evtchn_send.port in the scratch struct
      const high = 1 << 8; // bit 40 of the pointer: gpaHi holds bits 32..63
      const rc = t.m.dp.x.eventChannelOp(dom, 0, EVTCHNOP_send, hc.gpa >>> 0, high);
      expect([dom, rc === 0]).toEqual([dom, want]);
      if (!want) expect(rc).toBe(-EFAULT);
    }
  });
});

describe('event_channel_op: every command with bits above EVTCHNOP_CMD_MASK', () => {
  it('-ENOSYS (an unknown command, as Xen answers), except reset_cont, whose bits are its position', () => {
    const t = memMachine({ preemptEvery: 1 << 30 });
    const hc = t.hc(1);
    for (let cmd = 0; cmd <= EVTCHNOP_CMD_MASK; cmd++) {
      if (cmd === EVTCHNOP_reset_cont) continue;
      for (const bits of [1, 0x80, 0xffffff]) expect([cmd, bits, hc.op((cmd | (bits << EVTCHNOP_RESET_CONT_SHIFT)) >>> 0)]).toEqual([cmd, bits, -ENOSYS]);
    }
    for (let i = 0; i < 70; i++) hc.bindIpi(0);
    // a position beyond the port limit (1023) is no progress point: -EINVAL, nothing closed
    expect(hc.reset(DOMID_SELF, EVTCHNOP_reset_cont | (16 << EVTCHNOP_RESET_CONT_SHIFT)).result).toBe(-EINVAL);
    expect(t.m.dp.activeEvtchns(1)).toBe(70);
    // one beyond the valid ports (a domain moved to a fresh channel table) scans nothing: ports 1..70 stay open (-EAGAIN)
    expect(hc.reset(DOMID_SELF, EVTCHNOP_reset_cont | (3 << EVTCHNOP_RESET_CONT_SHIFT)).result).toBe(-EAGAIN);
    expect(t.m.dp.activeEvtchns(1)).toBe(70);
    // position 1 (port 64) resumes there
    // a position below the truth: ports 64..70 closed, 1..63 untouched (the caller said they were done), so
    // channels remain open at the end: -EAGAIN, the reset's answer to "not everything closed" (spec §5.2 step 7)
    expect(hc.reset(DOMID_SELF, EVTCHNOP_reset_cont | (1 << EVTCHNOP_RESET_CONT_SHIFT)).result).toBe(-EAGAIN);
    expect(t.m.dp.activeEvtchns(1)).toBe(63);
  });
});
