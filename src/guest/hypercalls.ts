// A guest vCPU's event-channel hypercalls through the real struct ABI: the
// argument struct (assembly/shared/evtchn-structs.ts) is written to this
// vCPU's scratch area in guest memory and HYPERVISOR_event_channel_op runs in
// wasm on the calling thread (spec §3), entered through the vCPU's register
// context and re-issued while preempted (hypercall-stub.ts). The send hot
// path, which never continues, calls the dispatcher directly. Failures throw
// EvtchnError with Xen's errno.
import type { DataPlane } from '../wasm/data-plane.ts';
import { EvtchnError } from '../errors.ts';
import { PAGE_SIZE } from '../../assembly/shared/layout.ts';
import {
  DOMID_SELF, EVTCHNOP_alloc_unbound, EVTCHNOP_bind_interdomain, EVTCHNOP_bind_virq, EVTCHNOP_bind_ipi,
  EVTCHNOP_close, EVTCHNOP_send, EVTCHNOP_status, EVTCHNOP_bind_vcpu, EVTCHNOP_unmask, EVTCHNOP_set_priority,
  EVTCHNOP_init_control, EVTCHNOP_expand_array, EVTCHNOP_reset,
} from '../../assembly/shared/evtchn-abi.ts';
import {
  EAU_DOM, EAU_REMOTE_DOM, EAU_PORT, EBI_REMOTE_DOM, EBI_REMOTE_PORT, EBI_LOCAL_PORT, EBV_VIRQ, EBV_VCPU, EBV_PORT,
  EBIPI_VCPU, EBIPI_PORT, EPORT_PORT, ES_DOM, ES_PORT, ES_STATUS, ES_VCPU, ES_U, ES_U_INTERDOMAIN_PORT,
  EBVCPU_PORT, EBVCPU_VCPU, ESP_PORT, ESP_PRIORITY, ER_DOM, EIC_CONTROL_GFN, EIC_OFFSET, EIC_VCPU, EEA_ARRAY_GFN,
  EVTCHNSTAT_unbound, EVTCHNSTAT_interdomain, EVTCHNSTAT_virq,
} from '../../assembly/shared/evtchn-structs.ts';
import { __HYPERVISOR_event_channel_op } from '../../assembly/shared/hypercall-abi.ts';
import { SCRATCH_PER_VCPU, SCRATCH_POLL_PORTS, SCRATCH_REGS } from './layout.ts';
import { HypercallStub, type HypercallOutcome } from './hypercall-stub.ts';
import { SEND_CALL_CONSUMER, type ConsumerRegistry } from '../consumers/registry.ts';

/** EVTCHNOP_status of a port: its state, its notify vCPU and, for interdomain and unbound ports, the remote end. */
export interface PortStatus {
  status: 'closed' | 'unbound' | 'interdomain' | 'pirq' | 'virq' | 'ipi';
  vcpu: number;
  remoteDom?: number;
  remotePort?: number;
  virq?: number;
}

const STATUS_NAMES = ['closed', 'unbound', 'interdomain', 'pirq', 'virq', 'ipi'] as const;

export class GuestHypercalls {
  /** guest-physical address of this vCPU's argument struct area */
  readonly gpa: number;
  private readonly view: DataView;
  /** this vCPU's hypercall instruction and register context */
  readonly stub: HypercallStub;

  constructor(readonly dp: DataPlane, readonly dom: number, readonly vcpu: number, scratchGfn: number,
    /** this thread's Xen consumers: a send to a Xen-owned peer runs the callback here */
    readonly consumers?: ConsumerRegistry,
    /** runs before every hypercall: the vCPU's hypercall boundary, where it parks for a pause (I28) */
    private readonly boundary?: () => void) {
    // scratch blocks run on across consecutive frames
    this.gpa = scratchGfn * PAGE_SIZE + vcpu * SCRATCH_PER_VCPU;
    this.view = new DataView(dp.memory.buffer, (dp.x.addrGfn(dom, scratchGfn) >>> 0) + vcpu * SCRATCH_PER_VCPU, SCRATCH_PER_VCPU);
    // the interrupted call's struct survives a handler run between its continuations
    this.stub = new HypercallStub(dp, dom, vcpu, this.gpa + SCRATCH_REGS,
      new Uint8Array(dp.memory.buffer, this.view.byteOffset, SCRATCH_REGS), boundary);
  }

  /** The struct area of this vCPU's scratch (argument structs are written here). */
  get args(): DataView { return this.view; }

  /** HYPERVISOR_event_channel_op(cmd, struct at the scratch area), re-issued until complete. */
  call(cmd: number): HypercallOutcome {
    return this.stub.call(__HYPERVISOR_event_channel_op, [cmd, this.gpa]);
  }

  /** The raw hypercall: 0 or -errno, struct at this vCPU's scratch area. */
  op(cmd: number): number {
    return this.call(cmd).result;
  }

  private check(rc: number, name: string, port?: number): void {
    if (rc < 0) throw new EvtchnError(name, -rc, this.dom, port);
  }

  allocUnbound(remoteDom: number, dom = DOMID_SELF): number {
    const v = this.view;
    v.setUint16(EAU_DOM, dom, true); v.setUint16(EAU_REMOTE_DOM, remoteDom, true);
    this.check(this.op(EVTCHNOP_alloc_unbound), 'EVTCHNOP_alloc_unbound');
    return v.getUint32(EAU_PORT, true);
  }

  bindInterdomain(remoteDom: number, remotePort: number): number {
    const v = this.view;
    v.setUint32(EBI_REMOTE_DOM, remoteDom, true); v.setUint32(EBI_REMOTE_PORT, remotePort, true);
    this.check(this.op(EVTCHNOP_bind_interdomain), 'EVTCHNOP_bind_interdomain', remotePort);
    return v.getUint32(EBI_LOCAL_PORT, true);
  }

  bindVirq(virq: number, vcpu = this.vcpu): number {
    const v = this.view;
    v.setUint32(EBV_VIRQ, virq, true); v.setUint32(EBV_VCPU, vcpu, true);
    this.check(this.op(EVTCHNOP_bind_virq), `EVTCHNOP_bind_virq(virq ${virq}, vcpu ${vcpu})`);
    return v.getUint32(EBV_PORT, true);
  }

  bindIpi(vcpu: number): number {
    this.view.setUint32(EBIPI_VCPU, vcpu, true);
    this.check(this.op(EVTCHNOP_bind_ipi), `EVTCHNOP_bind_ipi(vcpu ${vcpu})`);
    return this.view.getUint32(EBIPI_PORT, true);
  }

  close(port: number): void {
    this.view.setUint32(EPORT_PORT, port, true);
    this.check(this.op(EVTCHNOP_close), 'EVTCHNOP_close', port);
  }

  /** The hot path: one hypercall; returns 0 or -errno without throwing. */
  sendRaw(port: number): number {
    this.boundary?.(); // a hypercall boundary too: a guest looping on sends parks here (I28)
    this.view.setUint32(EPORT_PORT, port, true);
    const rc = this.dp.x.eventChannelOp(this.dom, this.vcpu, EVTCHNOP_send, this.gpa >>> 0, 0);
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
    v.setUint32(ES_DOM, dom, true); v.setUint32(ES_PORT, port, true);
    this.check(this.op(EVTCHNOP_status), 'EVTCHNOP_status', port);
    const s = v.getUint32(ES_STATUS, true);
    const r: PortStatus = { status: STATUS_NAMES[s] ?? 'closed', vcpu: v.getUint32(ES_VCPU, true) };
    if (s === EVTCHNSTAT_unbound) r.remoteDom = v.getUint16(ES_U, true);
    if (s === EVTCHNSTAT_interdomain) { r.remoteDom = v.getUint16(ES_U, true); r.remotePort = v.getUint32(ES_U_INTERDOMAIN_PORT, true); }
    if (s === EVTCHNSTAT_virq) r.virq = v.getUint32(ES_U, true);
    return r;
  }

  bindVcpu(port: number, vcpu: number): void {
    this.view.setUint32(EBVCPU_PORT, port, true); this.view.setUint32(EBVCPU_VCPU, vcpu, true);
    this.check(this.op(EVTCHNOP_bind_vcpu), `EVTCHNOP_bind_vcpu(vcpu ${vcpu})`, port);
  }

  unmask(port: number): void {
    this.view.setUint32(EPORT_PORT, port, true);
    this.check(this.op(EVTCHNOP_unmask), 'EVTCHNOP_unmask', port);
  }

  setPriority(port: number, priority: number): void {
    this.view.setUint32(ESP_PORT, port, true); this.view.setUint32(ESP_PRIORITY, priority, true);
    this.check(this.op(EVTCHNOP_set_priority), `EVTCHNOP_set_priority(${priority})`, port);
  }

  initControl(controlGfn: number, offset: number, vcpu: number): void {
    const v = this.view;
    v.setBigUint64(EIC_CONTROL_GFN, BigInt(controlGfn), true);
    v.setUint32(EIC_OFFSET, offset, true); v.setUint32(EIC_VCPU, vcpu, true);
    this.check(this.op(EVTCHNOP_init_control), `EVTCHNOP_init_control(vcpu ${vcpu})`);
  }

  /**
   * EVTCHNOP_reset of `dom`, re-issued from the register context while Xen
   * continues it (as reset_cont with its position, I42). With `cmd`, issue
   * that command word instead (e.g. a reset_cont carried over from elsewhere).
   */
  reset(dom: number, cmd: number = EVTCHNOP_reset): HypercallOutcome {
    this.view.setUint16(ER_DOM, dom, true);
    return this.call(cmd);
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
    Atomics.wait(this.dp.i32, this.dp.vcpuKickIndex(this.dom, this.vcpu), kick, timeoutMs ?? Infinity);
    x.schedPollFinish(this.dom, this.vcpu);
  }

  expandArray(arrayGfn: number): void {
    const v = this.view;
    v.setBigUint64(EEA_ARRAY_GFN, BigInt(arrayGfn), true);
    this.check(this.op(EVTCHNOP_expand_array), 'EVTCHNOP_expand_array');
  }
}
