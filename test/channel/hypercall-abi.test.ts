// HYPERVISOR_event_channel_op's struct ABI (spec §3): argument structs in
// guest memory, copy-in, whole-struct copy-back only on success, -EFAULT for
// structs outside the guest's frames, -ENOSYS for unknown commands.
import { describe, it, expect } from 'vitest';
import { createMachine } from '../../src/wasm/data-plane.ts';
import { EFAULT, ENOSYS, EINVAL, ESRCH } from '../../assembly/shared/errno.ts';
import {
  EVTCHNOP_alloc_unbound, EVTCHNOP_bind_interdomain, EVTCHNOP_status, EVTCHNOP_send, EVTCHNOP_close,
  EVTCHNOP_bind_ipi, EVTCHNOP_init_control, DOMID_SELF,
} from '../../assembly/shared/evtchn-abi.ts';
import { PAGE_SIZE } from '../../assembly/shared/layout.ts';

function setup() {
  const m = createMachine([{ domid: 0, vcpus: 2, frames: 16 }, { domid: 1, vcpus: 1, frames: 16 }], 'debug');
  const x = m.dp.x;
  const gpa = 5 * PAGE_SIZE + 100; // an argument struct in domain 1's frame 5
  const base = (dom: number) => x.addrGfn(dom, 0);
  const view = (dom: number) => new DataView(m.memory.buffer, base(dom) + gpa, 24);
  const op = (dom: number, cmd: number, at = gpa) => x.eventChannelOp(dom, 0, cmd, at >>> 0, Math.floor(at / 2 ** 32));
  return { m, x, gpa, view, op };
}

describe('HYPERVISOR_event_channel_op struct ABI', () => {
  it('alloc_unbound reads dom and remote_dom, writes port back (spec §3.3)', () => {
    const { view, op } = setup();
    const v = view(1);
    v.setUint16(0, DOMID_SELF, true);
    v.setUint16(2, 0, true);
    v.setUint32(4, 0xdeadbeef, true);
    expect(op(1, EVTCHNOP_alloc_unbound)).toBe(0);
    expect(v.getUint32(4, true)).toBe(1);
    expect(v.getUint16(0, true)).toBe(DOMID_SELF); // IN fields echoed
  });

  it('copies nothing back on failure (spec §3.1)', () => {
    const { view, op } = setup();
    const v = view(1);
    v.setUint16(0, 77, true); // no such domain
    v.setUint32(4, 0xdeadbeef, true);
    expect(op(1, EVTCHNOP_alloc_unbound)).toBe(-ESRCH);
    expect(v.getUint32(4, true)).toBe(0xdeadbeef);
  });

  it('status echoes untouched union bytes: IPI leaves the union alone, UNBOUND writes only u.unbound.dom (spec §16.3)', () => {
    const { view, op, x } = setup();
    const ipi = x.evtchnBindIpi(1, 0);
    expect(ipi).toBe(1);
    const v = view(1);
    v.setUint16(0, DOMID_SELF, true);
    v.setUint32(4, ipi, true);
    v.setUint32(16, 0x11223344, true);
    v.setUint32(20, 0x55667788, true);
    expect(op(1, EVTCHNOP_status)).toBe(0);
    expect(v.getUint32(8, true)).toBe(5); // EVTCHNSTAT_ipi
    expect(v.getUint32(12, true)).toBe(0);
    expect(v.getUint32(16, true)).toBe(0x11223344);
    expect(v.getUint32(20, true)).toBe(0x55667788);
    const unbound = x.evtchnAllocUnbound(1, DOMID_SELF, 0);
    v.setUint32(4, unbound, true);
    expect(op(1, EVTCHNOP_status)).toBe(0);
    expect(v.getUint32(8, true)).toBe(1);
    expect(v.getUint16(16, true)).toBe(0);          // u.unbound.dom
    expect(v.getUint16(18, true)).toBe(0x1122);      // the rest of the union echoed
    expect(v.getUint32(20, true)).toBe(0x55667788);
  });

  it('bind_interdomain and send through structs; interdomain status fills dom and port', () => {
    const { view, op, x } = setup();
    const p1 = x.evtchnAllocUnbound(1, DOMID_SELF, 0);
    const base0 = x.addrGfn(0, 0);
    const v0 = new DataView(x.memory.buffer, base0 + 5 * PAGE_SIZE + 100, 24);
    v0.setUint16(0, 1, true);
    v0.setUint32(4, p1, true);
    expect(op(0, EVTCHNOP_bind_interdomain)).toBe(0);
    const p0 = v0.getUint32(8, true);
    expect(p0).toBe(1);
    const v = view(1);
    v.setUint32(0, p1, true);
    expect(op(1, EVTCHNOP_send)).toBe(0);
    v.setUint16(0, DOMID_SELF, true);
    v.setUint32(4, p1, true);
    expect(op(1, EVTCHNOP_status)).toBe(0);
    expect(v.getUint32(8, true)).toBe(2);
    expect(v.getUint16(16, true)).toBe(0);
    expect(v.getUint32(20, true)).toBe(p0);
  });

  it('init_control writes link_bits = 17 on success only', () => {
    const { view, op } = setup();
    const v = view(1);
    v.setUint32(0, 3, true); v.setUint32(4, 0, true); // control_gfn = 3
    v.setUint32(8, 0, true); v.setUint32(12, 0, true); // offset 0, vcpu 0
    v.setUint8(16, 0xee);
    v.setUint8(17, 0xab);
    expect(op(1, EVTCHNOP_init_control)).toBe(0);
    expect(v.getUint8(16)).toBe(17);
    expect(v.getUint8(17)).toBe(0xab);
    v.setUint8(16, 0xee);
    expect(op(1, EVTCHNOP_init_control)).toBe(-EINVAL); // already initialised
    expect(v.getUint8(16)).toBe(0xee);
  });

  it('-EFAULT for a struct not wholly inside the guest frames; nothing happens', () => {
    const { op, m } = setup();
    const end = 16 * PAGE_SIZE;
    expect(op(1, EVTCHNOP_bind_ipi, end - 4)).toBe(-EFAULT);  // 8-byte struct straddles the end
    expect(op(1, EVTCHNOP_bind_ipi, end)).toBe(-EFAULT);
    expect(op(1, EVTCHNOP_close, 2 ** 40)).toBe(-EFAULT);
    expect(m.dp.activeEvtchns(1)).toBe(0);
    expect(op(1, EVTCHNOP_close, end - 4)).toBe(-EINVAL); // 4 bytes fit: port read as 0
  });

  it('-ENOSYS for unknown commands', () => {
    const { op } = setup();
    expect(op(1, 15)).toBe(-ENOSYS);
    expect(op(1, 0xffffffff)).toBe(-ENOSYS);
  });
});
