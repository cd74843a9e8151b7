// The device model's memory interfaces (spec §3, §4): Xen 4.5's
// HVMOP_modified_memory / set_mem_type / get_mem_type and
// XEN_DMOP_modified_memory — check order and errnos, log-dirty off, the
// dirty bitmap the toolstack reads and clears, and what DMOP writes back.
import { describe, it, expect } from 'vitest';
import { memMachine } from '../helpers/mem-machine.ts';
import { DomainMemory } from '../../src/mm/domain-memory.ts';
import {
  HVMMEM_ram_rw, HVMMEM_ram_ro, HVMMEM_mmio_dm, XEN_DMOP_NR_OPS, XEN_DMOP_set_mem_type, XDO_OP, XDO_PAD,
  DMOP_BUF_SIZE, XDO_U, DMMM_NR_EXTENTS, XEN_DMOP_modified_memory,
} from '../../assembly/shared/hvm-abi.ts';
import { XENMEM_decrease_reservation } from '../../assembly/shared/memory-abi.ts';
import { DM_BUF0_OFF, dmModifiedMemoryProgress } from '../../src/guest/memory-hypercalls.ts';
import { EFAULT, EINVAL, EPERM, ESRCH, ENODATA, E2BIG, EOPNOTSUPP } from '../../assembly/shared/errno.ts';
import { PAGE_SIZE } from '../../assembly/shared/layout.ts';

const NONE = 1 << 30;

describe('HVMOP_modified_memory and the dirty bitmap', () => {
  it('check order: -EFAULT, -ESRCH, -EPERM (self; unprivileged), -EINVAL (range), then 0 without log-dirty', () => {
    const t = memMachine({ preemptEvery: NONE, ramFrames: 100 });
    const dm = t.mem(0);
    const max = t.frames - 1;
    expect(dm.hvmOp(7, t.frames * PAGE_SIZE).result).toBe(-EFAULT);
    expect(dm.hvmModifiedMemory(9, 10, 1).result).toBe(-ESRCH);
    expect(dm.hvmModifiedMemory(0x7ff0, 10, 1).result).toBe(-ESRCH); // DOMID_SELF is no remote domain
    expect(dm.hvmModifiedMemory(0, 10, 1).result).toBe(-EPERM);      // the caller itself
    expect(t.mem(1).hvmModifiedMemory(2, 10, 1).result).toBe(-EPERM); // not the device model
    expect(dm.hvmModifiedMemory(1, 10, 0).result).toBe(-EINVAL);      // nr 0 always fails the range check
    expect(dm.hvmModifiedMemory(1, max, 1).result).toBe(0);           // the last gfn is in range
    expect(dm.hvmModifiedMemory(1, max, 2).result).toBe(-EINVAL);
    expect(dm.hvmModifiedMemory(1, Number.MAX_SAFE_INTEGER, 2).result).toBe(-EINVAL); // far beyond the domain
    const memory = new DomainMemory(t.m.dp, 1, t.frames);
    expect(memory.dirtyPages()).toEqual([]); // log-dirty off: 0 and nothing marked
  });
  it('marks populated frames only; the toolstack peeks and cleans', () => {
    const t = memMachine({ preemptEvery: NONE, ramFrames: 100 });
    const memory = new DomainMemory(t.m.dp, 1, t.frames);
    memory.setLogDirty(true);
    // give back one frame of the range: it has no page to mark
    const g = t.listGfn;
    t.mem(1).setExtent(t.frame(1, g), 0, g + 7);
    expect(t.mem(1).reservation(XENMEM_decrease_reservation, { extentStart: g * PAGE_SIZE, nrExtents: 1 }).result).toBe(1);
    expect(memory.isPopulated(g + 7)).toBe(false);
    expect(t.mem(0).hvmModifiedMemory(1, g + 5, 4).result).toBe(0);
    expect(memory.dirtyPages()).toEqual([g + 5, g + 6, g + 8]);
    expect(memory.dirtyPages({ clear: true })).toEqual([g + 5, g + 6, g + 8]);
    expect(memory.dirtyPages()).toEqual([]);
    memory.setLogDirty(false);
    expect(t.mem(0).hvmModifiedMemory(1, g + 5, 4).result).toBe(0);
    expect(memory.dirtyPages()).toEqual([]);
  });
});

describe('HVMOP_set_mem_type / get_mem_type', () => {
  it('RAM changes type, a hole may become mmio_dm only; bad type -EINVAL; a disallowed page later in the range is -EINVAL (not 4.5\'s 0)', () => {
    const t = memMachine({ preemptEvery: NONE, ramFrames: 100 });
    const dm = t.mem(0);
    const g = t.listGfn + 10;
    expect(dm.hvmSetMemType(1, 3, g, 1).result).toBe(-EINVAL);
    expect(dm.hvmSetMemType(1, HVMMEM_ram_ro, g, 2).result).toBe(0);
    expect([dm.hvmGetMemType(1, g), dm.hvmGetMemType(1, g + 1), dm.hvmGetMemType(1, g + 2)]).toEqual([HVMMEM_ram_ro, HVMMEM_ram_ro, HVMMEM_ram_rw]);
    expect(t.mem(1).hvmGetMemType(0x7ff0, g)).toBe(HVMMEM_ram_ro); // the domain may read its own types
    expect(t.mem(1).hvmGetMemType(2, g)).toBe(-EPERM);
    const memory = new DomainMemory(t.m.dp, 1, t.frames);
    t.mem(1).setExtent(t.frame(1, t.listGfn), 0, g + 5);
    expect(t.mem(1).reservation(XENMEM_decrease_reservation, { extentStart: t.listGfn * PAGE_SIZE, nrExtents: 1 }).result).toBe(1);
    expect(dm.hvmSetMemType(1, HVMMEM_ram_rw, g + 3, 4).result).toBe(-EINVAL); // g+5 is a hole: g+3, g+4 changed (unchanged type)
    expect(dm.hvmSetMemType(1, HVMMEM_mmio_dm, g + 5, 1).result).toBe(0);
    expect(memory.p2mType(g + 5)).toBe('mmio_dm');
    expect(dm.hvmGetMemType(1, g + 5)).toBe(HVMMEM_mmio_dm);
    expect(dm.hvmSetMemType(1, HVMMEM_ram_rw, g + 5, 1).result).toBe(-EINVAL); // mmio_dm is not RAM
    expect(dm.hvmSetMemType(1, HVMMEM_ram_rw, 0, 1).result).toBe(-EINVAL);     // shared_info: Xen's page
  });
});

describe('XEN_DMOP_modified_memory', () => {
  const setup = () => {
    const t = memMachine({ preemptEvery: NONE, ramFrames: 100 });
    t.m.dp.x.domainSetLogDirty(1, 1);
    const bufGfn = t.listGfn;
    return { t, dm: t.mem(0), buf: t.frame(0, bufGfn), gpa: bufGfn * PAGE_SIZE, memory: new DomainMemory(t.m.dp, 1, t.frames) };
  };
  it('check order of do_dm_op / dm_op', () => {
    const { t, dm, buf, gpa } = setup();
    const ok = [{ firstPfn: 40, nr: 2 }];
    dm.dmModifiedMemory(1, buf, gpa, ok); // lays out valid buffers to start from
    expect(dm.dmOp(1, 0, gpa).result).toBe(-ENODATA);
    expect(dm.dmOp(1, 3, gpa).result).toBe(-E2BIG);
    expect(dm.dmOp(1, 2, t.frames * PAGE_SIZE).result).toBe(-EFAULT);
    expect(dm.dmOp(9, 2, gpa).result).toBe(-ESRCH);
    expect(dm.dmOp(0, 2, gpa).result).toBe(-EPERM);
    expect(t.mem(1).dmOp(2, 2, gpa).result).toBe(-EPERM);        // domain 1 is no device model
    buf.setBigUint64(DMOP_BUF_SIZE, 7n, true);
    expect(dm.dmOp(1, 2, gpa).result).toBe(-EFAULT);              // buffer 0 smaller than the header
    buf.setBigUint64(DMOP_BUF_SIZE, 16n, true);
    buf.setUint32(DM_BUF0_OFF + XDO_OP, XEN_DMOP_NR_OPS, true);
    expect(dm.dmOp(1, 2, gpa).result).toBe(-EOPNOTSUPP);
    buf.setUint32(DM_BUF0_OFF + XDO_OP, XEN_DMOP_set_mem_type, true);
    expect(dm.dmOp(1, 2, gpa).result).toBe(-EOPNOTSUPP);          // not implemented in wasmxen
    buf.setUint32(DM_BUF0_OFF + XDO_OP, XEN_DMOP_modified_memory, true);
    buf.setBigUint64(DMOP_BUF_SIZE, 15n, true);
    expect(dm.dmOp(1, 2, gpa).result).toBe(-EFAULT);              // header but no room for the body
    buf.setBigUint64(DMOP_BUF_SIZE, 16n, true);
    buf.setUint32(DM_BUF0_OFF + XDO_PAD, 1, true);
    expect(dm.dmOp(1, 2, gpa).result).toBe(-EINVAL);
    buf.setUint32(DM_BUF0_OFF + XDO_PAD, 0, true);
    expect(dm.dmOp(1, 1, gpa).result).toBe(-EINVAL);              // modified_memory needs two buffers
    expect(dm.dmOp(1, 2, gpa).result).toBe(0);
  });
  it('extent checks; opaque must name a page of the current extent; nothing written back on success or error', () => {
    const { t, dm, buf, gpa, memory } = setup();
    const max = t.frames - 1;
    expect(dm.dmModifiedMemory(1, buf, gpa, [{ firstPfn: 40, nr: 1, pad: 1 }]).result).toBe(-EINVAL);
    expect(dm.dmModifiedMemory(1, buf, gpa, [{ firstPfn: 40, nr: 0 }]).result).toBe(-EINVAL);
    expect(dm.dmModifiedMemory(1, buf, gpa, [{ firstPfn: max - 1, nr: 1 }]).result).toBe(0);  // ends at the max gpfn: passes
    expect(dm.dmModifiedMemory(1, buf, gpa, [{ firstPfn: max, nr: 1 }]).result).toBe(-EINVAL); // covers it: fails (Xen HEAD)
    expect(memory.dirtyPages({ clear: true })).toEqual([max - 1]);
    const r = dm.dmModifiedMemory(1, buf, gpa, [{ firstPfn: 40, nr: 4 }], 4);
    expect(r.result).toBe(-EINVAL);            // opaque ≥ nr: no progress point of this call
    expect([r.nrExtents, r.opaque]).toEqual([1, 4]); // the caller's values, untouched
    const s = dm.dmModifiedMemory(1, buf, gpa, [{ firstPfn: 40, nr: 4 }], 3);
    expect(s.result).toBe(0);                  // a non-zero opaque below nr skips pages, as in Xen
    expect(memory.dirtyPages({ clear: true })).toEqual([43]);
    expect(dmModifiedMemoryProgress(buf)).toEqual([1, 3]); // success writes nothing back
    // more extents than buffer 1 holds
    dm.dmModifiedMemory(1, buf, gpa, [{ firstPfn: 40, nr: 1 }]);
    buf.setUint32(DM_BUF0_OFF + XDO_U + DMMM_NR_EXTENTS, 2, true);
    expect(dm.dmOp(1, 2, gpa).result).toBe(-EINVAL);
  });
  it('with log-dirty off it succeeds at once without validating the extents', () => {
    const { t, dm, buf, gpa } = setup();
    t.m.dp.x.domainSetLogDirty(1, 0);
    expect(dm.dmModifiedMemory(1, buf, gpa, [{ firstPfn: 40, nr: 0, pad: 9 }]).result).toBe(0);
  });
});
