// The event-channel operations as one interface with two implementations:
// the wasm channel layer over shared memory (src/channel/wasm-ops.ts) and the
// plain-TypeScript reference model (src/model/), the oracle of model-based
// tests and a benchmark baseline. Arguments are the hypercall structs'
// IN fields; results carry Xen's return value (0 or -errno) and, on success,
// the OUT fields. `caller` is the calling domain (and vCPU where Xen uses it).

export interface Caller {
  dom: number;
  vcpu: number;
}

export interface PortResult {
  rc: number;
  /** OUT port, only when rc === 0 */
  port?: number;
}

export interface StatusResult {
  rc: number;
  /** EVTCHNSTAT_*, only when rc === 0 */
  status?: number;
  vcpu?: number;
  /** u.unbound.dom (status 1) */
  unboundDom?: number;
  /** u.interdomain.dom / .port (status 2) */
  interdomainDom?: number;
  interdomainPort?: number;
  /** u.virq (status 4) */
  virq?: number;
}

export interface EvtchnOps {
  allocUnbound(c: Caller, dom: number, remoteDom: number): PortResult;
  bindInterdomain(c: Caller, remoteDom: number, remotePort: number): PortResult;
  bindVirq(c: Caller, virq: number, vcpu: number): PortResult;
  bindIpi(c: Caller, vcpu: number): PortResult;
  bindPirq(c: Caller, pirq: number, flags: number): PortResult;
  close(c: Caller, port: number): number;
  send(c: Caller, port: number): number;
  status(c: Caller, dom: number, port: number): StatusResult;
  bindVcpu(c: Caller, port: number, vcpu: number): number;
  unmask(c: Caller, port: number): number;
  setPriority(c: Caller, port: number, priority: number): number;
  initControl(c: Caller, controlGfn: number, offset: number, vcpu: number): number;
  expandArray(c: Caller, arrayGfn: number): number;
  /** Xen-side raise of a VIRQ: per-vCPU VIRQs on `vcpu`, domain VIRQs via vCPU 0's binding, global VIRQs to their handler domain. */
  raiseVirq(dom: number, vcpu: number, virq: number): void;
}

// EVTCHNOP_status results: defined once with the struct ABI (assembly/shared/evtchn-structs.ts)
export {
  EVTCHNSTAT_closed, EVTCHNSTAT_unbound, EVTCHNSTAT_interdomain, EVTCHNSTAT_pirq, EVTCHNSTAT_virq, EVTCHNSTAT_ipi,
} from '../../assembly/shared/evtchn-structs.ts';
