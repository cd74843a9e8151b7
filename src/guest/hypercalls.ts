// A guest vCPU's event-channel hypercalls through the real struct ABI: the
// argument struct is written to this vCPU's scratch area in guest memory and
// HYPERVISOR_event_channel_op runs in wasm on the calling thread (spec §3).
// Failures throw EvtchnError with Xen's errno.
import type { DataPlane } from '../wasm/data-plane.ts';
import { EvtchnError } from '../errors.ts';
import { PAGE_SIZE } from '../../assembly/shared/layout.ts';
import {
  DOMID_SELF, EVTCHNOP_alloc_unbound, EVTCHNOP_bind_interdomain, EVTCHNOP_bind_virq, EVTCHNOP_bind_ipi,
  EVTCHNOP_close, EVTCHNOP_send, EVTCHNOP_status, EVTCHNOP_bind_vcpu, EVTCHNOP_unmask, EVTCHNOP_set_priority,
  EVTCHNOP_init_control, EVTCHNOP_expand_array, EVTCHNOP_reset, EVTCHNOP_reset_cont,
} from '../../assembly/shared/evtchn-abi.ts';
import { SCRATCH_PER_VCPU, SCRATCH_POLL_PORTS } from './layout.ts';
import { SEND_CALL_CONSUMER, type ConsumerRegistry } from '../consumers/registry.ts';

export interface PortStatus {
  status: 'closed' | 'unbound' | 'interdomain' | 'pirq' | 'virq' | 'ipi';
  vcpu: number;
  remoteDom?: number;
  remotePort?: number;
  virq?: number;
}

const STATUS_NAMES = ['closed', 'unbound', 'interdomain', 'pirq', 'virq', 'ipi'] as const;

export class GuestHypercalls {
  private readonly gpa: number;
  private readonly view: DataView;

  constructor(readonly dp: DataPlane, readonly dom: number, readonly vcpu: number, scratchGfn: number,
    /** this thread's Xen consumers: a send to a Xen-owned peer runs the callback here */
    readonly consumers?: ConsumerRegistry,
    /** runs before every hypercall: the vCPU's hypercall boundary, where it parks for a pause (I26) */
    private readonly boundary?: () => void) {
    // scratch blocks run on across consecutive frames
    this.gpa = scratchGfn * PAGE_SIZE + vcpu * SCRATCH_PER_VCPU;
    this.view = new DataView(dp.memory.buffer, (dp.x.addrGfn(dom, scratchGfn) >>> 0) + vcpu * SCRATCH_PER_VCPU, SCRATCH_PER_VCPU);
  }

  /** The raw hypercall: 0 or -errno, struct at this vCPU's scratch area. */
  op(cmd: number): number {
    this.boundary?.();
    return this.dp.x.eventChannelOp(this.dom, this.vcpu, cmd, this.gpa >>> 0, 0);
  }

  private check(rc: number, name: string, port?: number): void {
    if (rc < 0) throw new EvtchnError(name, -rc, this.dom, port);
  }

  allocUnbound(remoteDom: number, dom = DOMID_SELF): number {
    const v = this.view;
    v.setUint16(0, dom, true); v.setUint16(2, remoteDom, true);
    this.check(this.op(EVTCHNOP_alloc_unbound), 'EVTCHNOP_alloc_unbound');
    return v.getUint32(4, true);
  }

  bindInterdomain(remoteDom: number, remotePort: number): number {
    const v = this.view;
    v.setUint16(0, remoteDom, true); v.setUint16(2, 0, true); v.setUint32(4, remotePort, true);
    this.check(this.op(EVTCHNOP_bind_interdomain), 'EVTCHNOP_bind_interdomain', remotePort);
    return v.getUint32(8, true);
  }

  bindVirq(virq: number, vcpu = this.vcpu): number {
    const v = this.view;
    v.setUint32(0, virq, true); v.setUint32(4, vcpu, true);
    this.check(this.op(EVTCHNOP_bind_virq), `EVTCHNOP_bind_virq(virq ${virq}, vcpu ${vcpu})`);
    return v.getUint32(8, true);
  }

  bindIpi(vcpu: number): number {
    this.view.setUint32(0, vcpu, true);
    this.check(this.op(EVTCHNOP_bind_ipi), `EVTCHNOP_bind_ipi(vcpu ${vcpu})`);
    return this.view.getUint32(4, true);
  }

  close(port: number): void {
    this.view.setUint32(0, port, true);
    this.check(this.op(EVTCHNOP_close), 'EVTCHNOP_close', port);
  }

  /** The hot path: one hypercall; returns 0 or -errno without throwing. */
  sendRaw(port: number): number {
    this.view.setUint32(0, port, true);
    const rc = this.op(EVTCHNOP_send);
    if (rc !== SEND_CALL_CONSUMER) return rc;
    // the peer ends in Xen: its callback runs on this thread, no channel lock held (spec §11)
    if (this.consumers) return this.consumers.dispatch();
    this.dp.x.consumerCallDone();
    return 0;
  }

  send(port: number): void {
    this.check(this.sendRaw(port), 'EVTCHNOP_send', port);
  }

  status(port: number, dom = DOMID_SELF): PortStatus {
    const v = this.view;
    v.setUint16(0, dom, true); v.setUint16(2, 0, true); v.setUint32(4, port, true);
    this.check(this.op(EVTCHNOP_status), 'EVTCHNOP_status', port);
    const s = v.getUint32(8, true);
    const r: PortStatus = { status: STATUS_NAMES[s] ?? 'closed', vcpu: v.getUint32(12, true) };
    if (s === 1) r.remoteDom = v.getUint16(16, true);
    if (s === 2) { r.remoteDom = v.getUint16(16, true); r.remotePort = v.getUint32(20, true); }
    if (s === 4) r.virq = v.getUint32(16, true);
    return r;
  }

  bindVcpu(port: number, vcpu: number): void {
    this.view.setUint32(0, port, true); this.view.setUint32(4, vcpu, true);
    this.check(this.op(EVTCHNOP_bind_vcpu), `EVTCHNOP_bind_vcpu(vcpu ${vcpu})`, port);
  }

  unmask(port: number): void {
    this.view.setUint32(0, port, true);
    this.check(this.op(EVTCHNOP_unmask), 'EVTCHNOP_unmask', port);
  }

  setPriority(port: number, priority: number): void {
    this.view.setUint32(0, port, true); this.view.setUint32(4, priority, true);
    this.check(this.op(EVTCHNOP_set_priority), `EVTCHNOP_set_priority(${priority})`, port);
  }

  initControl(controlGfn: number, offset: number, vcpu: number): void {
    const v = this.view;
    v.setUint32(0, controlGfn >>> 0, true); v.setUint32(4, Math.floor(controlGfn / 2 ** 32), true);
    v.setUint32(8, offset, true); v.setUint32(12, vcpu, true);
    this.check(this.op(EVTCHNOP_init_control), `EVTCHNOP_init_control(vcpu ${vcpu})`);
  }

  /** EVTCHNOP_reset (or reset_cont): the raw result, -ERESTART meaning "re-issue as reset_cont". */
  reset(dom: number, cont: boolean): number {
    this.view.setUint16(0, dom, true);
    return this.op(cont ? EVTCHNOP_reset_cont : EVTCHNOP_reset);
  }

  /**
   * SCHEDOP_poll with `ports` (at most 128), sleeping on this vCPU's kick word
   * up to `timeoutMs` (undefined: no limit). The ports array is passed in
   * guest memory (this vCPU's scratch, after the struct area).
   */
  schedPoll(ports: number[], timeoutMs?: number): void {
    const x = this.dp.x;
    this.boundary?.();
    const room = (SCRATCH_PER_VCPU - SCRATCH_POLL_PORTS) / 4;
    // more than Xen's 128 are passed by count only: the hypervisor refuses them (-EINVAL)
    for (let i = 0; i < Math.min(ports.length, room); i++) this.view.setUint32(SCRATCH_POLL_PORTS + 4 * i, ports[i], true);
    const rc = x.schedPollPrepare(this.dom, this.vcpu, (this.gpa + SCRATCH_POLL_PORTS) >>> 0, 0, ports.length);
    if (rc < 0) throw new EvtchnError('SCHEDOP_poll', -rc, this.dom);
    if (rc === 0) return;
    const kick = x.schedPollKick();
    Atomics.wait(this.dp.i32, (x.addrVcpuKick(this.dom, this.vcpu) >>> 0) >> 2, kick, timeoutMs ?? Infinity);
    x.schedPollFinish(this.dom, this.vcpu);
  }

  expandArray(arrayGfn: number): void {
    const v = this.view;
    v.setUint32(0, arrayGfn >>> 0, true); v.setUint32(4, Math.floor(arrayGfn / 2 ** 32), true);
    this.check(this.op(EVTCHNOP_expand_array), 'EVTCHNOP_expand_array');
  }
}
