// VIRQs: type table (spec §5.12), EVTCHNOP_bind_virq (spec §5.3), the VIRQ
// part of close (spec §5.6), and Xen-side raising (spec §6.2, §6.3).
import { ECS_VIRQ, NR_VIRQS } from '../../assembly/shared/evtchn-abi.ts';
import { EBUSY, EEXIST, EINVAL, ENOENT } from '../../assembly/shared/errno.ts';
import type { ModelDomain, ModelHost } from './model-domain.ts';
import { getFreePort } from './model-alloc.ts';
import { portInit, portSetPending } from './model-ports.ts';

/** Xen's VIRQ_TIMER (per vCPU). */
export const VIRQ_TIMER = 0;
/** Xen's VIRQ_DEBUG (per vCPU). */
export const VIRQ_DEBUG = 1;
/** Xen's VIRQ_CONSOLE (global). */
export const VIRQ_CONSOLE = 2;
/** Xen's VIRQ_DOM_EXC (global). */
export const VIRQ_DOM_EXC = 3;
/** Xen's VIRQ_XENOPROF (per vCPU). */
export const VIRQ_XENOPROF = 7;
/** Xen's VIRQ_ARGO (per domain). */
export const VIRQ_ARGO = 11;
/** Xen's VIRQ_XENPMU (per vCPU). */
export const VIRQ_XENPMU = 13;

/** Where a VIRQ is bound: per vCPU, per domain, or global. */
export type VirqType = 'vcpu' | 'domain' | 'global';

/** Spec §5.12: per-vCPU 0, 1, 7, 13; per-domain 11; every other number below 24 is global. */
export function virqType(virq: number): VirqType {
  switch (virq) {
    case VIRQ_TIMER: case VIRQ_DEBUG: case VIRQ_XENOPROF: case VIRQ_XENPMU: return 'vcpu';
    case VIRQ_ARGO: return 'domain';
    default: return 'global';
  }
}

/** The designated handler of global VIRQs: the hardware domain, domain 0, when present (spec §5.3 step 4). */
export function globalVirqHandler(host: ModelHost): ModelDomain | undefined {
  return host.domain(0);
}

/** EVTCHNOP_bind_virq for the calling domain; returns the port or -errno. `virq` and `vcpu` are u32. */
export function bindVirq(host: ModelHost, d: ModelDomain, virq: number, vcpu: number): number {
  if (virq >= NR_VIRQS) return -EINVAL;
  const type = virqType(virq);
  if (type !== 'vcpu' && vcpu !== 0) return -EINVAL;
  if (!d.vcpuExists(vcpu)) return -ENOENT;
  if (type === 'global' && globalVirqHandler(host) !== d) return -EBUSY;
  const v = d.vcpus[vcpu];
  if (v.virqToEvtchn[virq] !== 0) return -EEXIST;
  const port = getFreePort(d);
  if (port < 0) return port;
  const chn = d.channels[port];
  chn.state = ECS_VIRQ;
  chn.notifyVcpu = vcpu;
  chn.remotePort = virq;
  portInit(d, port);
  v.virqToEvtchn[virq] = port; // published last (spec §5.3 step 8)
  return port;
}

/** Close of a VIRQ channel, before it is freed: clear the owning vCPU's mapping (spec §5.6). */
export function unbindVirq(d: ModelDomain, port: number): void {
  const chn = d.channels[port];
  const virq = chn.remotePort;
  const owner = virqType(virq) === 'vcpu' ? chn.notifyVcpu : 0;
  d.vcpus[owner].virqToEvtchn[virq] = 0;
}

/**
 * Xen raises `virq` (spec §6.2, §6.3): per-vCPU VIRQs on `vcpu` of `dom`,
 * domain VIRQs through vCPU 0's binding to the channel's notify vCPU, global
 * VIRQs to the handler domain (`dom` and `vcpu` unused). Nothing bound, no
 * such domain, vCPU or VIRQ: the event is dropped. The channel try-lock of
 * §6.2 always succeeds single-threaded.
 */
export function raiseVirq(host: ModelHost, dom: number, vcpu: number, virq: number): void {
  if (virq >= NR_VIRQS) return;
  const type = virqType(virq);
  const d = type === 'global' ? globalVirqHandler(host) : host.domain(dom);
  if (d === undefined) return;
  if (type === 'vcpu') {
    if (!d.vcpuExists(vcpu)) return;
    const port = d.vcpus[vcpu].virqToEvtchn[virq];
    if (port !== 0) portSetPending(d, vcpu, port);
    return;
  }
  const port = d.vcpus[0].virqToEvtchn[virq];
  if (port !== 0) portSetPending(d, d.channels[port].notifyVcpu, port);
}
