// Frozen hypercall ABI: every constant a continuation or a guest's struct
// depends on, pinned to its value (Xen's public headers; spec §2–§5, §9). A
// continuation begun on one hypervisor may be finished by another, so these
// may never change (Xen commit 4ef6b5f1); a failure here is an ABI break, not
// a test to update.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import * as hc from '../../assembly/shared/hypercall-abi.ts';
import * as mem from '../../assembly/shared/memory-abi.ts';
import * as hvm from '../../assembly/shared/hvm-abi.ts';
import * as es from '../../assembly/shared/evtchn-structs.ts';
import * as ev from '../../assembly/shared/evtchn-abi.ts';

describe('frozen continuation encodings', () => {
  it('memory_op: sub-op in the low 6 bits, start extent above (MEMOP_CMD_MASK, MEMOP_EXTENT_SHIFT)', () => {
    expect(mem.MEMOP_EXTENT_SHIFT).toBe(6);
    expect(mem.MEMOP_CMD_MASK).toBe(0x3f);
    expect(mem.MEMOP_CMD_MASK).toBe((1 << mem.MEMOP_EXTENT_SHIFT) - 1);
    expect(mem.MEMOP_MAX_EXTENTS).toBe(0xffffffff >>> mem.MEMOP_EXTENT_SHIFT);
  });
  it('hvm_op: progress above HVMOP_op_mask, unshifted', () => {
    expect(hvm.HVMOP_op_mask).toBe(0xff);
    expect(hvm.DM_BATCH_PAGES).toBe(hvm.HVMOP_op_mask + 1);
  });
  it("event_channel_op: wasmxen's reset_cont position bits", () => {
    expect(es.EVTCHNOP_CMD_MASK).toBe(0xff);
    expect(es.EVTCHNOP_RESET_CONT_SHIFT).toBe(8);
    expect(es.EVTCHNOP_CMD_MASK).toBe((1 << es.EVTCHNOP_RESET_CONT_SHIFT) - 1);
  });
});

describe('hypercall and sub-op numbers', () => {
  it('hypercalls', () => {
    expect([hc.__HYPERVISOR_memory_op, hc.__HYPERVISOR_sched_op, hc.__HYPERVISOR_event_channel_op,
      hc.__HYPERVISOR_hvm_op, hc.__HYPERVISOR_dm_op]).toEqual([12, 29, 32, 34, 41]);
    expect([hc.HCALL_COMPLETED, hc.HCALL_PREEMPTED]).toEqual([0, 1]);
  });
  it('XENMEM_*', () => {
    expect([mem.XENMEM_increase_reservation, mem.XENMEM_decrease_reservation, mem.XENMEM_maximum_ram_page,
      mem.XENMEM_current_reservation, mem.XENMEM_maximum_reservation, mem.XENMEM_populate_physmap,
      mem.XENMEM_exchange, mem.XENMEM_maximum_gpfn]).toEqual([0, 1, 2, 3, 4, 6, 11, 14]);
    expect([mem.XENMEMF_populate_on_demand, mem.XENMEMF_exact_node_request, mem.XENMEMF_vnode]).toEqual([1 << 16, 1 << 17, 1 << 18]);
  });
  it('HVMOP_* (4.5), XEN_DMOP_*', () => {
    expect([hvm.HVMOP_modified_memory, hvm.HVMOP_set_mem_type, hvm.HVMOP_get_mem_type]).toEqual([7, 8, 15]);
    expect([hvm.HVMMEM_ram_rw, hvm.HVMMEM_ram_ro, hvm.HVMMEM_mmio_dm]).toEqual([0, 1, 2]);
    expect([hvm.XEN_DMOP_modified_memory, hvm.XEN_DMOP_set_mem_type, hvm.XEN_DMOP_nr_vcpus, hvm.XEN_DMOP_NR_OPS]).toEqual([11, 12, 20, 21]);
  });
  it('EVTCHNOP_*', () => {
    expect([ev.EVTCHNOP_bind_interdomain, ev.EVTCHNOP_bind_virq, ev.EVTCHNOP_bind_pirq, ev.EVTCHNOP_close,
      ev.EVTCHNOP_send, ev.EVTCHNOP_status, ev.EVTCHNOP_alloc_unbound, ev.EVTCHNOP_bind_ipi, ev.EVTCHNOP_bind_vcpu,
      ev.EVTCHNOP_unmask, ev.EVTCHNOP_reset, ev.EVTCHNOP_init_control, ev.EVTCHNOP_expand_array,
      ev.EVTCHNOP_set_priority, ev.EVTCHNOP_reset_cont]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
  });
});

describe('struct layouts (offset, size)', () => {
  const cases: [string, Record<string, number>, Record<string, number>][] = [
    ['xen_memory_reservation (x86-64)',
      { start: mem.XMR_EXTENT_START, nr: mem.XMR_NR_EXTENTS, order: mem.XMR_EXTENT_ORDER, flags: mem.XMR_MEM_FLAGS, domid: mem.XMR_DOMID, size: mem.XMR_SIZE },
      { start: 0, nr: 8, order: 16, flags: 20, domid: 24, size: 32 }],
    ['xen_memory_reservation (compat)',
      { start: mem.XMR32_EXTENT_START, nr: mem.XMR32_NR_EXTENTS, order: mem.XMR32_EXTENT_ORDER, flags: mem.XMR32_MEM_FLAGS, domid: mem.XMR32_DOMID, size: mem.XMR32_SIZE },
      { start: 0, nr: 4, order: 8, flags: 12, domid: 16, size: 20 }],
    ['xen_pfn_t, xen_memory_domain', { pfn: mem.XEN_PFN_BYTES, pfn32: mem.XEN_PFN_BYTES_32, domid: mem.XMD_DOMID, size: mem.XMD_SIZE }, { pfn: 8, pfn32: 4, domid: 0, size: 2 }],
    ['xen_hvm_modified_memory', { domid: hvm.HMM_DOMID, nr: hvm.HMM_NR, first: hvm.HMM_FIRST_PFN, size: hvm.HMM_SIZE }, { domid: 0, nr: 4, first: 8, size: 16 }],
    ['xen_hvm_set_mem_type', { domid: hvm.HSMT_DOMID, type: hvm.HSMT_HVMMEM_TYPE, nr: hvm.HSMT_NR, first: hvm.HSMT_FIRST_PFN, size: hvm.HSMT_SIZE }, { domid: 0, type: 2, nr: 4, first: 8, size: 16 }],
    ['xen_hvm_get_mem_type', { domid: hvm.HGMT_DOMID, type: hvm.HGMT_MEM_TYPE, pfn: hvm.HGMT_PFN, size: hvm.HGMT_SIZE }, { domid: 0, type: 2, pfn: 8, size: 16 }],
    ['xen_dm_op_buf', { h: hvm.DMOP_BUF_H, size: hvm.DMOP_BUF_SIZE, bytes: hvm.DMOP_BUF_BYTES, h32: hvm.DMOP_BUF32_H, size32: hvm.DMOP_BUF32_SIZE, bytes32: hvm.DMOP_BUF32_BYTES }, { h: 0, size: 8, bytes: 16, h32: 0, size32: 4, bytes32: 8 }],
    ['xen_dm_op', { op: hvm.XDO_OP, pad: hvm.XDO_PAD, u: hvm.XDO_U, hdr: hvm.XDO_HEADER_BYTES }, { op: 0, pad: 4, u: 8, hdr: 8 }],
    ['xen_dm_op_modified_memory', { nr: hvm.DMMM_NR_EXTENTS, opaque: hvm.DMMM_OPAQUE, size: hvm.DMMM_SIZE }, { nr: 0, opaque: 4, size: 8 }],
    ['xen_dm_op_modified_memory_extent', { nr: hvm.DMMME_NR, pad: hvm.DMMME_PAD, first: hvm.DMMME_FIRST_PFN, size: hvm.DMMME_SIZE }, { nr: 0, pad: 4, first: 8, size: 16 }],
    ['evtchn_alloc_unbound', { dom: es.EAU_DOM, remote: es.EAU_REMOTE_DOM, port: es.EAU_PORT, size: es.EAU_SIZE }, { dom: 0, remote: 2, port: 4, size: 8 }],
    ['evtchn_bind_interdomain', { rdom: es.EBI_REMOTE_DOM, rport: es.EBI_REMOTE_PORT, lport: es.EBI_LOCAL_PORT, size: es.EBI_SIZE }, { rdom: 0, rport: 4, lport: 8, size: 12 }],
    ['evtchn_bind_virq', { virq: es.EBV_VIRQ, vcpu: es.EBV_VCPU, port: es.EBV_PORT, size: es.EBV_SIZE }, { virq: 0, vcpu: 4, port: 8, size: 12 }],
    ['evtchn_bind_pirq', { pirq: es.EBP_PIRQ, flags: es.EBP_FLAGS, port: es.EBP_PORT, size: es.EBP_SIZE }, { pirq: 0, flags: 4, port: 8, size: 12 }],
    ['evtchn_bind_ipi', { vcpu: es.EBIPI_VCPU, port: es.EBIPI_PORT, size: es.EBIPI_SIZE }, { vcpu: 0, port: 4, size: 8 }],
    ['evtchn_close / send / unmask', { port: es.EPORT_PORT, size: es.EPORT_SIZE }, { port: 0, size: 4 }],
    ['evtchn_status', { dom: es.ES_DOM, port: es.ES_PORT, status: es.ES_STATUS, vcpu: es.ES_VCPU, u: es.ES_U, uport: es.ES_U_INTERDOMAIN_PORT, size: es.ES_SIZE }, { dom: 0, port: 4, status: 8, vcpu: 12, u: 16, uport: 20, size: 24 }],
    ['evtchn_bind_vcpu', { port: es.EBVCPU_PORT, vcpu: es.EBVCPU_VCPU, size: es.EBVCPU_SIZE }, { port: 0, vcpu: 4, size: 8 }],
    ['evtchn_set_priority', { port: es.ESP_PORT, prio: es.ESP_PRIORITY, size: es.ESP_SIZE }, { port: 0, prio: 4, size: 8 }],
    ['evtchn_reset', { dom: es.ER_DOM, size: es.ER_SIZE }, { dom: 0, size: 2 }],
    ['evtchn_init_control', { gfn: es.EIC_CONTROL_GFN, off: es.EIC_OFFSET, vcpu: es.EIC_VCPU, lb: es.EIC_LINK_BITS, pad: es.EIC_PAD, size: es.EIC_SIZE }, { gfn: 0, off: 8, vcpu: 12, lb: 16, pad: 20, size: 24 }],
    ['evtchn_expand_array', { gfn: es.EEA_ARRAY_GFN, size: es.EEA_SIZE }, { gfn: 0, size: 8 }],
    ['EVTCHNSTAT_*', { closed: es.EVTCHNSTAT_closed, unbound: es.EVTCHNSTAT_unbound, inter: es.EVTCHNSTAT_interdomain, pirq: es.EVTCHNSTAT_pirq, virq: es.EVTCHNSTAT_virq, ipi: es.EVTCHNSTAT_ipi }, { closed: 0, unbound: 1, inter: 2, pirq: 3, virq: 4, ipi: 5 }],
    ['wasmxen hypercall register context', { op: hc.HCALL_REGS_OP, state: hc.HCALL_REGS_STATE, args: hc.HCALL_REGS_ARGS, width: hc.HCALL_REGS_ARG_BYTES, n: hc.HCALL_REGS_NR_ARGS, result: hc.HCALL_REGS_RESULT, size: hc.HCALL_REGS_SIZE }, { op: 0, state: 4, args: 8, width: 8, n: 5, result: 48, size: 56 }],
  ];
  for (const [name, got, want] of cases) it(name, () => expect(got).toEqual(want));
});

describe('one definition: no bare byte offsets in the hypercall layers', () => {
  // a DataView access or a load/store whose offset is a literal number, e.g. setUint32(4, …) or load<u32>(a + 8)
  const bare = /\b(?:get|set)(?:Ui|I)nt(?:8|16|32)\(\s*\d|\b(?:get|set)Big(?:Ui|I)nt64\(\s*\d|\b(?:load|store)<[a-z0-9]+>\([a-z]+ \+ \d/;
  it('the pattern finds bare offsets', () => {
    for (const l of ['v.setUint32(4, port, true);', 'v.getBigUint64(8, true)', 'store<u32>(a + 8, r);']) expect(bare.test(l)).toBe(true);
    expect(bare.test('v.setUint32(EBI_LOCAL_PORT, port, true);')).toBe(false);
  });
  for (const file of ['src/guest/hypercalls.ts', 'src/guest/hypercall-stub.ts', 'src/guest/memory-hypercalls.ts',
    'assembly/channel/hypercall.ts', 'assembly/mm/memory-op.ts', 'assembly/hvm/hvm-op.ts', 'assembly/hvm/dm-op.ts',
    'assembly/hypercall/entry.ts']) {
    it(file, () => {
      const lines = readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8').split('\n');
      expect(lines.filter((l) => bare.test(l) && !l.trim().startsWith('//'))).toEqual([]);
    });
  }
});
