// EvtchnOps over the wasm channel layer: the operations called directly with
// the structs' IN fields. (Guests use the struct ABI, eventChannelOp; both
// reach the same wasm functions.)
import type { DataPlane } from '../wasm/data-plane.ts';
import type { Caller, EvtchnOps, PortResult, StatusResult } from './ops.ts';

const portResult = (r: number): PortResult => (r < 0 ? { rc: r } : { rc: 0, port: r });
/** domids travel as u16 in the hypercall structs (spec §3.3) */
const domid = (d: number) => d & 0xffff;
const u32 = (n: number) => n >>> 0;

export class WasmEvtchnOps implements EvtchnOps {
  constructor(readonly dp: DataPlane) {}

  allocUnbound(c: Caller, dom: number, remoteDom: number): PortResult {
    return portResult(this.dp.x.evtchnAllocUnbound(c.dom, domid(dom), domid(remoteDom)));
  }
  bindInterdomain(c: Caller, remoteDom: number, remotePort: number): PortResult {
    return portResult(this.dp.x.evtchnBindInterdomain(c.dom, domid(remoteDom), remotePort));
  }
  bindVirq(c: Caller, virq: number, vcpu: number): PortResult {
    return portResult(this.dp.x.evtchnBindVirq(c.dom, virq, vcpu));
  }
  bindIpi(c: Caller, vcpu: number): PortResult {
    return portResult(this.dp.x.evtchnBindIpi(c.dom, vcpu));
  }
  bindPirq(c: Caller, pirq: number, flags: number): PortResult {
    return portResult(this.dp.x.evtchnBindPirq(c.dom, pirq, flags));
  }
  close(c: Caller, port: number): number { return this.dp.x.evtchnClose(c.dom, port); }
  send(c: Caller, port: number): number { return this.dp.x.evtchnSend(c.dom, port); }
  status(c: Caller, dom: number, port: number): StatusResult {
    const x = this.dp.x;
    const rc = x.evtchnStatus(c.dom, domid(dom), port);
    if (rc < 0) return { rc };
    const status = u32(x.evtchnStatusOut(0));
    const r: StatusResult = { rc, status, vcpu: u32(x.evtchnStatusOut(1)) };
    if (status === 1) r.unboundDom = u32(x.evtchnStatusOut(2));
    if (status === 2) { r.interdomainDom = u32(x.evtchnStatusOut(2)); r.interdomainPort = u32(x.evtchnStatusOut(3)); }
    if (status === 4) r.virq = u32(x.evtchnStatusOut(2));
    return r;
  }
  bindVcpu(c: Caller, port: number, vcpu: number): number { return this.dp.x.evtchnBindVcpu(c.dom, port, vcpu); }
  unmask(c: Caller, port: number): number { return this.dp.x.evtchnUnmask(c.dom, port); }
  setPriority(c: Caller, port: number, priority: number): number { return this.dp.x.evtchnSetPriority(c.dom, port, priority); }
  initControl(c: Caller, controlGfn: number, offset: number, vcpu: number): number {
    return this.dp.x.fifoInitControl(c.dom, controlGfn >>> 0, Math.floor(controlGfn / 2 ** 32), offset, vcpu);
  }
  expandArray(c: Caller, arrayGfn: number): number {
    return this.dp.x.fifoExpandArray(c.dom, arrayGfn >>> 0, Math.floor(arrayGfn / 2 ** 32));
  }
  raiseVirq(dom: number, vcpu: number, virq: number): void { this.dp.x.raiseVirq(dom, vcpu, virq); }
}
