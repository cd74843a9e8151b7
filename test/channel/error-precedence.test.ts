// Error precedence of every EVTCHNOP on both implementations, the reference
// model and wasm (spec §5, §9.2, §9.3): each row runs on a fresh instance and
// checks one result; where two checks could fail, the row names the one Xen
// performs first.
import { describe, it, expect } from 'vitest';
import type { PortResult } from '../../src/channel/ops.ts';
import {
  EPERM, ENOENT, ESRCH, EBUSY, EEXIST, EINVAL, ENOSPC, ENOSYS, EACCES, EOPNOTSUPP,
} from '../../assembly/shared/errno.ts';
import { DOMID_SELF } from '../../assembly/shared/evtchn-abi.ts';
import { IMPLS, type Impl, type ChannelImpl } from '../helpers/impls.ts';

function suite(impl: Impl): void {

const D0 = { dom: 0, vcpu: 0 };
const D1 = { dom: 1, vcpu: 0 };
const D2 = { dom: 2, vcpu: 0 };
const D3 = { dom: 3, vcpu: 0 }; // max_evtchn_port 2: ports 1 and 2 only

/** PortResult as one number: the port on success, else -errno. */
const p = (r: PortResult) => (r.rc === 0 ? r.port! : r.rc);

function fresh(): ChannelImpl {
  return impl.make([
    { domid: 0, vcpus: 2, frames: 64 },
    { domid: 1, vcpus: 2, frames: 160 },
    { domid: 2, vcpus: 1, frames: 64 },
    { domid: 3, vcpus: 1, frames: 64, maxEvtchnPort: 2 },
  ]);
}

const fillDom3 = (m: ChannelImpl) => {
  p(m.allocUnbound(D3, DOMID_SELF, 0));
  p(m.allocUnbound(D3, DOMID_SELF, 0));
};
const fifo1 = (m: ChannelImpl) => m.bootFifo(1);

interface Row {
  name: string;
  setup?: (m: ChannelImpl) => void;
  run: (m: ChannelImpl) => number;
  expect: number;
}

const rows: Row[] = [
  // ---------------------------------------------------------- alloc_unbound (§5.1)
  { name: 'alloc_unbound: no such domain → -ESRCH', run: (m) => p(m.allocUnbound(D1, 9, 0)), expect: -ESRCH },
  { name: 'alloc_unbound: DOMID_SELF → lowest free port 1', run: (m) => p(m.allocUnbound(D1, DOMID_SELF, 0)), expect: 1 },
  { name: 'alloc_unbound: domain 1 in domain 2 → -EPERM', run: (m) => p(m.allocUnbound(D1, 2, 0)), expect: -EPERM },
  { name: 'alloc_unbound: domain 0 in domain 1 → port 1', run: (m) => p(m.allocUnbound(D0, 1, 0)), expect: 1 },
  { name: 'alloc_unbound: dom is a u16 (0x10001 = domain 1)', run: (m) => p(m.allocUnbound(D1, 0x10001, 0)), expect: 1 },
  { name: 'alloc_unbound: full domain → -ENOSPC', setup: fillDom3, run: (m) => p(m.allocUnbound(D3, DOMID_SELF, 0)), expect: -ENOSPC },
  { name: 'alloc_unbound: allocation before permission (full domain 3 from domain 1) → -ENOSPC', setup: fillDom3, run: (m) => p(m.allocUnbound(D1, 3, 0)), expect: -ENOSPC },

  // ------------------------------------------------------- bind_interdomain (§5.2)
  { name: 'bind_interdomain: no such remote domain → -ESRCH', run: (m) => p(m.bindInterdomain(D1, 9, 1)), expect: -ESRCH },
  { name: 'bind_interdomain: remote port 64 not valid → -EINVAL', run: (m) => p(m.bindInterdomain(D1, 2, 64)), expect: -EINVAL },
  { name: 'bind_interdomain: remote port 63 valid but FREE → -EINVAL', run: (m) => p(m.bindInterdomain(D1, 2, 63)), expect: -EINVAL },
  { name: 'bind_interdomain: remote port 0 RESERVED → -EINVAL', run: (m) => p(m.bindInterdomain(D1, 2, 0)), expect: -EINVAL },
  { name: 'bind_interdomain: remote port -1 → -EINVAL', run: (m) => p(m.bindInterdomain(D1, 2, -1)), expect: -EINVAL },
  {
    name: 'bind_interdomain: remote UNBOUND for another domain → -EINVAL',
    setup: (m) => p(m.allocUnbound(D2, DOMID_SELF, 0)), run: (m) => p(m.bindInterdomain(D1, 2, 1)), expect: -EINVAL,
  },
  {
    name: 'bind_interdomain: remote UNBOUND for the caller → local port 1',
    setup: (m) => p(m.allocUnbound(D2, DOMID_SELF, 1)), run: (m) => p(m.bindInterdomain(D1, 2, 1)), expect: 1,
  },
  {
    name: 'bind_interdomain: remote already INTERDOMAIN → -EINVAL',
    setup: (m) => { p(m.allocUnbound(D2, DOMID_SELF, 1)); p(m.bindInterdomain(D1, 2, 1)); },
    run: (m) => p(m.bindInterdomain(D1, 2, 1)), expect: -EINVAL,
  },
  {
    name: 'bind_interdomain: local allocation before remote checks (full caller, bad remote port) → -ENOSPC',
    setup: fillDom3, run: (m) => p(m.bindInterdomain(D3, 2, 64)), expect: -ENOSPC,
  },
  {
    name: 'bind_interdomain: loopback with DOMID_SELF → port 2',
    setup: (m) => p(m.allocUnbound(D1, DOMID_SELF, DOMID_SELF)), run: (m) => p(m.bindInterdomain(D1, DOMID_SELF, 1)), expect: 2,
  },

  // --------------------------------------------------------------- bind_virq (§5.3)
  { name: 'bind_virq: virq 24 → -EINVAL', run: (m) => p(m.bindVirq(D1, 24, 0)), expect: -EINVAL },
  { name: 'bind_virq: virq -1 is 0xFFFFFFFF → -EINVAL', run: (m) => p(m.bindVirq(D1, -1, 0)), expect: -EINVAL },
  { name: 'bind_virq: check 1 before 3 (virq 24, vCPU 9) → -EINVAL', run: (m) => p(m.bindVirq(D1, 24, 9)), expect: -EINVAL },
  { name: 'bind_virq: domain VIRQ 11 on vCPU 1 → -EINVAL', run: (m) => p(m.bindVirq(D1, 11, 1)), expect: -EINVAL },
  { name: 'bind_virq: check 2 before 3 (global VIRQ 3 on vCPU 9) → -EINVAL', run: (m) => p(m.bindVirq(D0, 3, 9)), expect: -EINVAL },
  { name: 'bind_virq: per-vCPU VIRQ 0 on vCPU 2 of 2 → -ENOENT', run: (m) => p(m.bindVirq(D1, 0, 2)), expect: -ENOENT },
  { name: 'bind_virq: per-vCPU VIRQ 0 on vCPU -1 → -ENOENT', run: (m) => p(m.bindVirq(D1, 0, -1)), expect: -ENOENT },
  { name: 'bind_virq: global VIRQ 3 from domain 1 → -EBUSY', run: (m) => p(m.bindVirq(D1, 3, 0)), expect: -EBUSY },
  { name: 'bind_virq: unassigned VIRQ 5 is global → -EBUSY from domain 1', run: (m) => p(m.bindVirq(D1, 5, 0)), expect: -EBUSY },
  { name: 'bind_virq: global VIRQ 3 from domain 0 → port 1', run: (m) => p(m.bindVirq(D0, 3, 0)), expect: 1 },
  { name: 'bind_virq: arch VIRQ 16 from domain 0 → port 1', run: (m) => p(m.bindVirq(D0, 16, 0)), expect: 1 },
  {
    name: 'bind_virq: VIRQ_TIMER twice on vCPU 0 → -EEXIST',
    setup: (m) => p(m.bindVirq(D1, 0, 0)), run: (m) => p(m.bindVirq(D1, 0, 0)), expect: -EEXIST,
  },
  {
    name: 'bind_virq: VIRQ_TIMER on vCPU 1 after vCPU 0 → port 2',
    setup: (m) => p(m.bindVirq(D1, 0, 0)), run: (m) => p(m.bindVirq(D1, 0, 1)), expect: 2,
  },
  {
    name: 'bind_virq: domain VIRQ 11 twice → -EEXIST',
    setup: (m) => p(m.bindVirq(D1, 11, 0)), run: (m) => p(m.bindVirq(D1, 11, 0)), expect: -EEXIST,
  },
  {
    name: 'bind_virq: check 5 before allocation (full domain, bound VIRQ) → -EEXIST',
    setup: (m) => { p(m.bindVirq(D3, 0, 0)); p(m.bindIpi(D3, 0)); }, run: (m) => p(m.bindVirq(D3, 0, 0)), expect: -EEXIST,
  },
  {
    name: 'bind_virq: full domain, new VIRQ → -ENOSPC',
    setup: fillDom3, run: (m) => p(m.bindVirq(D3, 0, 0)), expect: -ENOSPC,
  },

  // ---------------------------------------------------------- bind_ipi, bind_pirq
  { name: 'bind_ipi: vCPU 2 of 2 → -ENOENT', run: (m) => p(m.bindIpi(D1, 2)), expect: -ENOENT },
  { name: 'bind_ipi: vCPU -1 → -ENOENT', run: (m) => p(m.bindIpi(D1, -1)), expect: -ENOENT },
  { name: 'bind_ipi: vCPU 1 → port 1', run: (m) => p(m.bindIpi(D1, 1)), expect: 1 },
  { name: 'bind_ipi: full domain → -ENOSPC', setup: fillDom3, run: (m) => p(m.bindIpi(D3, 0)), expect: -ENOSPC },
  { name: 'bind_pirq: no PIRQs on this platform → -EOPNOTSUPP', run: (m) => p(m.bindPirq(D1, 0, 0)), expect: -EOPNOTSUPP },

  // ------------------------------------------------------------------- close (§5.6)
  { name: 'close: port 0 RESERVED → -EINVAL', run: (m) => m.close(D1, 0), expect: -EINVAL },
  { name: 'close: port 63 FREE → -EINVAL', run: (m) => m.close(D1, 63), expect: -EINVAL },
  { name: 'close: port 64 not valid → -EINVAL', run: (m) => m.close(D1, 64), expect: -EINVAL },
  { name: 'close: port -1 → -EINVAL', run: (m) => m.close(D1, -1), expect: -EINVAL },
  { name: 'close: UNBOUND → 0', setup: (m) => p(m.allocUnbound(D1, DOMID_SELF, 0)), run: (m) => m.close(D1, 1), expect: 0 },
  {
    name: 'close: twice → -EINVAL',
    setup: (m) => { p(m.allocUnbound(D1, DOMID_SELF, 0)); m.close(D1, 1); }, run: (m) => m.close(D1, 1), expect: -EINVAL,
  },

  // -------------------------------------------------------------------- send (§5.7)
  { name: 'send: port 64 not valid → -EINVAL', run: (m) => m.send(D1, 64), expect: -EINVAL },
  { name: 'send: port 63 FREE → -EINVAL', run: (m) => m.send(D1, 63), expect: -EINVAL },
  { name: 'send: port 0 RESERVED → -EINVAL', run: (m) => m.send(D1, 0), expect: -EINVAL },
  { name: 'send: VIRQ → -EINVAL', setup: (m) => p(m.bindVirq(D1, 0, 0)), run: (m) => m.send(D1, 1), expect: -EINVAL },
  { name: 'send: UNBOUND → 0 (dropped)', setup: (m) => p(m.allocUnbound(D1, DOMID_SELF, 0)), run: (m) => m.send(D1, 1), expect: 0 },
  { name: 'send: IPI → 0', setup: (m) => p(m.bindIpi(D1, 0)), run: (m) => m.send(D1, 1), expect: 0 },

  // ------------------------------------------------------------------ status (§5.8)
  { name: 'status: no such domain → -ESRCH', run: (m) => m.status(D1, 9, 0).rc, expect: -ESRCH },
  { name: 'status: lookup before validity (no such domain, port 64) → -ESRCH', run: (m) => m.status(D1, 9, 64).rc, expect: -ESRCH },
  { name: 'status: port 64 not valid → -EINVAL', run: (m) => m.status(D1, DOMID_SELF, 64).rc, expect: -EINVAL },
  { name: 'status: port 63 valid → 0', run: (m) => m.status(D1, DOMID_SELF, 63).rc, expect: 0 },
  { name: 'status: validity before permission (domain 2, port 64) → -EINVAL', run: (m) => m.status(D1, 2, 64).rc, expect: -EINVAL },
  { name: 'status: domain 1 on domain 2 → -EPERM', run: (m) => m.status(D1, 2, 0).rc, expect: -EPERM },
  { name: 'status: domain 0 on domain 1 → 0', run: (m) => m.status(D0, 1, 0).rc, expect: 0 },

  // --------------------------------------------------------------- bind_vcpu (§5.9)
  { name: 'bind_vcpu: vCPU before port (vCPU 9, port 64) → -ENOENT', run: (m) => m.bindVcpu(D1, 64, 9), expect: -ENOENT },
  { name: 'bind_vcpu: vCPU -1 → -ENOENT', run: (m) => m.bindVcpu(D1, 0, -1), expect: -ENOENT },
  { name: 'bind_vcpu: port 64 not valid → -EINVAL', run: (m) => m.bindVcpu(D1, 64, 1), expect: -EINVAL },
  { name: 'bind_vcpu: port 63 FREE → -EINVAL', run: (m) => m.bindVcpu(D1, 63, 1), expect: -EINVAL },
  { name: 'bind_vcpu: port 0 RESERVED → -EINVAL', run: (m) => m.bindVcpu(D1, 0, 1), expect: -EINVAL },
  { name: 'bind_vcpu: IPI → -EINVAL', setup: (m) => p(m.bindIpi(D1, 0)), run: (m) => m.bindVcpu(D1, 1, 1), expect: -EINVAL },
  { name: 'bind_vcpu: per-vCPU VIRQ → -EINVAL', setup: (m) => p(m.bindVirq(D1, 0, 0)), run: (m) => m.bindVcpu(D1, 1, 1), expect: -EINVAL },
  { name: 'bind_vcpu: domain VIRQ → 0', setup: (m) => p(m.bindVirq(D1, 11, 0)), run: (m) => m.bindVcpu(D1, 1, 1), expect: 0 },
  { name: 'bind_vcpu: global VIRQ → 0', setup: (m) => p(m.bindVirq(D0, 3, 0)), run: (m) => m.bindVcpu(D0, 1, 1), expect: 0 },
  { name: 'bind_vcpu: UNBOUND → 0', setup: (m) => p(m.allocUnbound(D1, DOMID_SELF, 0)), run: (m) => m.bindVcpu(D1, 1, 1), expect: 0 },
  {
    name: 'bind_vcpu: INTERDOMAIN → 0',
    setup: (m) => { p(m.allocUnbound(D2, DOMID_SELF, 1)); p(m.bindInterdomain(D1, 2, 1)); }, run: (m) => m.bindVcpu(D1, 1, 1), expect: 0,
  },

  // ------------------------------------------------------------------ unmask (§5.10)
  { name: 'unmask: port 63 on a fresh domain → 0', run: (m) => m.unmask(D1, 63), expect: 0 },
  { name: 'unmask: port 64 on a fresh domain → -EINVAL', run: (m) => m.unmask(D1, 64), expect: -EINVAL },
  { name: 'unmask: port 0 RESERVED → 0', run: (m) => m.unmask(D1, 0), expect: 0 },
  { name: 'unmask: FIFO, port 63 FREE → 0', setup: fifo1, run: (m) => m.unmask(D1, 63), expect: 0 },
  { name: 'unmask: FIFO, port 64 → -EINVAL (validity is storage, not the array)', setup: fifo1, run: (m) => m.unmask(D1, 64), expect: -EINVAL },

  // ------------------------------------------------------------ set_priority (§5.11)
  { name: 'set_priority: 2-level, port 64 → -EINVAL', run: (m) => m.setPriority(D1, 64, 3), expect: -EINVAL },
  { name: 'set_priority: 2-level, bound port → -ENOSYS', setup: (m) => p(m.bindIpi(D1, 0)), run: (m) => m.setPriority(D1, 1, 3), expect: -ENOSYS },
  { name: 'set_priority: 2-level before usable (FREE port 63, priority 99) → -ENOSYS', run: (m) => m.setPriority(D1, 63, 99), expect: -ENOSYS },
  { name: 'set_priority: FIFO, port 64 → -EINVAL', setup: fifo1, run: (m) => m.setPriority(D1, 64, 3), expect: -EINVAL },
  { name: 'set_priority: FIFO, FREE port 63 → -EACCES', setup: fifo1, run: (m) => m.setPriority(D1, 63, 3), expect: -EACCES },
  { name: 'set_priority: FIFO, usable before range (FREE port 63, priority 99) → -EACCES', setup: fifo1, run: (m) => m.setPriority(D1, 63, 99), expect: -EACCES },
  { name: 'set_priority: FIFO, port 0 RESERVED → -EACCES', setup: fifo1, run: (m) => m.setPriority(D1, 0, 3), expect: -EACCES },
  { name: 'set_priority: FIFO, priority 16 → -EINVAL', setup: (m) => { fifo1(m); p(m.bindIpi(D1, 0)); }, run: (m) => m.setPriority(D1, 1, 16), expect: -EINVAL },
  { name: 'set_priority: FIFO, priority -1 → -EINVAL', setup: (m) => { fifo1(m); p(m.bindIpi(D1, 0)); }, run: (m) => m.setPriority(D1, 1, -1), expect: -EINVAL },
  { name: 'set_priority: FIFO, priority 15 → 0', setup: (m) => { fifo1(m); p(m.bindIpi(D1, 0)); }, run: (m) => m.setPriority(D1, 1, 15), expect: 0 },

  // ------------------------------------------------------------ init_control (§9.2)
  { name: 'init_control: vCPU 2 of 2 → -ENOENT', run: (m) => m.initControl(D1, 1, 0, 2), expect: -ENOENT },
  { name: 'init_control: vCPU before offset (vCPU 2, offset 4025) → -ENOENT', run: (m) => m.initControl(D1, 1, 4025, 2), expect: -ENOENT },
  { name: 'init_control: vCPU -1 → -ENOENT', run: (m) => m.initControl(D1, 1, 0, -1), expect: -ENOENT },
  { name: 'init_control: offset 4032 > 4024 → -EINVAL', run: (m) => m.initControl(D1, 1, 4032, 0), expect: -EINVAL },
  { name: 'init_control: offset 4 not a multiple of 8 → -EINVAL', run: (m) => m.initControl(D1, 1, 4, 0), expect: -EINVAL },
  { name: 'init_control: offset 4024 → 0', run: (m) => m.initControl(D1, 1, 4024, 0), expect: 0 },
  { name: 'init_control: gfn = frames (not RAM) → -EINVAL', run: (m) => m.initControl(D1, 160, 0, 0), expect: -EINVAL },
  { name: 'init_control: gfn -1 → -EINVAL', run: (m) => m.initControl(D1, -1, 0, 0), expect: -EINVAL },
  {
    name: 'init_control: twice on one vCPU → -EINVAL',
    setup: (m) => m.initControl(D1, 1, 0, 0), run: (m) => m.initControl(D1, 2, 0, 0), expect: -EINVAL,
  },
  {
    name: 'init_control: later call, gfn not RAM → -EINVAL',
    setup: (m) => m.initControl(D1, 1, 0, 0), run: (m) => m.initControl(D1, 999, 0, 1), expect: -EINVAL,
  },

  // ------------------------------------------------------------ expand_array (§9.3)
  { name: 'expand_array: 2-level → -EOPNOTSUPP', run: (m) => m.expandArray(D1, 3), expect: -EOPNOTSUPP },
  { name: 'expand_array: 2-level before gfn (gfn not RAM) → -EOPNOTSUPP', run: (m) => m.expandArray(D1, 999), expect: -EOPNOTSUPP },
  { name: 'expand_array: FIFO, gfn not RAM → -EINVAL', setup: (m) => m.initControl(D1, 1, 0, 0), run: (m) => m.expandArray(D1, 160), expect: -EINVAL },
  { name: 'expand_array: FIFO → 0', setup: (m) => m.initControl(D1, 1, 0, 0), run: (m) => m.expandArray(D1, 2), expect: 0 },
  {
    name: 'expand_array: 129th page, slot before gfn (gfn not RAM) → -ENOSPC',
    setup: (m) => {
      m.initControl(D1, 1, 0, 0);
      for (let i = 0; i < 128; i++) expect(m.expandArray(D1, 2 + i)).toBe(0);
    },
    run: (m) => m.expandArray(D1, 999), expect: -ENOSPC,
  },
];

describe('error precedence of every EVTCHNOP (spec §5, §9.2, §9.3)', () => {
  it('has at least 40 rows', () => expect(rows.length).toBeGreaterThanOrEqual(40));
  for (const row of rows) {
    it(row.name, () => {
      const m = fresh();
      row.setup?.(m);
      expect(row.run(m)).toBe(row.expect);
    });
  }
});

describe('side effects of failing operations', () => {
  it('-EPERM from alloc_unbound leaves the port FREE and the count unchanged (spec §5.1 step 4)', () => {
    const m = fresh();
    expect(m.allocUnbound(D1, 2, 0)).toEqual({ rc: -EPERM });
    expect(m.activeEvtchns(2)).toBe(0);
    expect(m.channel(2, 1).state).toBe(0);
    expect(m.allocUnbound(D2, DOMID_SELF, 0)).toEqual({ rc: 0, port: 1 });
    expect(m.activeEvtchns(2)).toBe(1);
  });

  it('a failed bind_interdomain counts its local port back out (spec §5.2)', () => {
    const m = fresh();
    expect(m.bindInterdomain(D1, 2, 63).rc).toBe(-EINVAL);
    expect(m.activeEvtchns(1)).toBe(0);
    expect(m.status(D1, DOMID_SELF, 1)).toEqual({ rc: 0, status: 0, vcpu: 0 });
  });

  it('a failed first init_control leaves the domain 2-level (spec §9.2 step 5d)', () => {
    const m = fresh();
    expect(m.initControl(D1, 160, 0, 0)).toBe(-EINVAL);
    expect(m.abi(1)).toBe('2l');
    expect(m.controlBlock(1, 0)).toBeUndefined();
  });

  it('without domain 0 nobody may bind a global VIRQ (spec §5.3 step 4)', () => {
    const m = impl.make([{ domid: 1, vcpus: 1, frames: 8 }]);
    expect(m.bindVirq(D1, 3, 0).rc).toBe(-EBUSY);
    expect(m.bindVirq(D1, 11, 0)).toEqual({ rc: 0, port: 1 });
  });

  it('the 2-level ABI limit caps allocation: 1024 ports for a 32-bit guest (spec §1)', () => {
    const m = impl.make([{ domid: 1, vcpus: 1, frames: 8, maxEvtchnPort: 2000, guestWidth: 32 }]);
    for (let i = 1; i < 1024; i++) expect(m.bindIpi(D1, 0)).toEqual({ rc: 0, port: i });
    expect(m.bindIpi(D1, 0).rc).toBe(-ENOSPC);
    expect(m.validEvtchns(1)).toBe(1024);
  });
});
}

for (const impl of IMPLS) describe(`[${impl.name}] error precedence`, () => suite(impl));
