// The generic channel layer: EVTCHNOP_alloc_unbound … set_priority (spec §5),
// checks in Xen's order, state transitions of spec §4.6. Arguments are
// already normalised: ports, vCPUs and priorities as u32, domids as u16.
import {
  ECS_FREE, ECS_RESERVED, ECS_UNBOUND, ECS_INTERDOMAIN, ECS_PIRQ, ECS_VIRQ, ECS_IPI, DOMID_SELF,
} from '../../assembly/shared/evtchn-abi.ts';
import { EACCES, EINVAL, ENOENT, ENOSYS, EOPNOTSUPP, EPERM, ESRCH } from '../../assembly/shared/errno.ts';
import {
  EVTCHNSTAT_closed, EVTCHNSTAT_unbound, EVTCHNSTAT_interdomain, EVTCHNSTAT_pirq, EVTCHNSTAT_virq,
  EVTCHNSTAT_ipi, type StatusResult,
} from '../channel/ops.ts';
import { type ModelDomain, type ModelHost, asDomid, lookupDomain, targetPermitted, isUsable } from './model-domain.ts';
import { getFreePort, checkFreePort, freeChannel } from './model-alloc.ts';
import { portInit, portSetPending, portUnmask } from './model-ports.ts';
import { fifoSetPriority } from './model-fifo.ts';
import { unbindVirq, virqType } from './model-virq.ts';
import { InternalError } from '../errors.ts';

/** EVTCHNOP_alloc_unbound (spec §5.1): port or -errno. */
export function allocUnbound(host: ModelHost, caller: ModelDomain, dom: number, remoteDom: number): number {
  const d = lookupDomain(host, caller, dom);
  if (d === undefined) return -ESRCH;
  const port = getFreePort(d);
  if (port < 0) return port;
  // permission after allocation: on failure the port stays FREE (spec §16.4)
  if (!targetPermitted(caller, d)) {
    checkFreePort(d, port);
    return -EPERM;
  }
  const chn = d.channels[port];
  chn.state = ECS_UNBOUND;
  const rd = asDomid(remoteDom);
  chn.remoteDom = rd === DOMID_SELF ? caller.domid : rd; // the caller, not d (spec §16.5)
  portInit(d, port);
  return port;
}

/** EVTCHNOP_bind_interdomain (spec §5.2): local port or -errno. */
export function bindInterdomain(host: ModelHost, ld: ModelDomain, remoteDom: number, remotePort: number): number {
  const rd = lookupDomain(host, ld, remoteDom);
  if (rd === undefined) return -ESRCH;
  const lport = getFreePort(ld);
  if (lport < 0) return lport;
  const rchn = rd.portIsValid(remotePort) ? rd.channels[remotePort] : undefined;
  if (rchn === undefined || rchn.state !== ECS_UNBOUND || rchn.remoteDom !== ld.domid) {
    checkFreePort(ld, lport);
    return -EINVAL;
  }
  const lchn = ld.channels[lport];
  lchn.state = ECS_INTERDOMAIN;
  lchn.remoteDom = rd.domid;
  lchn.remotePort = remotePort;
  portInit(ld, lport);
  rchn.state = ECS_INTERDOMAIN; // priority and notify vCPU of the remote end unchanged
  rchn.remoteDom = ld.domid;
  rchn.remotePort = lport;
  // sends while UNBOUND were dropped, so the new end is raised once (spec §5.2 step 8)
  portSetPending(ld, lchn.notifyVcpu, lport);
  return lport;
}

/** EVTCHNOP_bind_ipi (spec §5.4). */
export function bindIpi(d: ModelDomain, vcpu: number): number {
  if (!d.vcpuExists(vcpu)) return -ENOENT;
  const port = getFreePort(d);
  if (port < 0) return port;
  const chn = d.channels[port];
  chn.state = ECS_IPI;
  chn.notifyVcpu = vcpu;
  portInit(d, port);
  return port;
}

/** EVTCHNOP_bind_pirq (spec §5.5): this platform has no PIRQs. */
export function bindPirq(): number {
  return -EOPNOTSUPP;
}

/** EVTCHNOP_close (spec §5.6), guest variant. */
export function close(host: ModelHost, d: ModelDomain, port: number): number {
  if (!d.portIsValid(port)) return -EINVAL;
  const chn = d.channels[port];
  switch (chn.state) {
    case ECS_UNBOUND:
    case ECS_IPI:
      break;
    case ECS_VIRQ:
      unbindVirq(d, port);
      break;
    case ECS_INTERDOMAIN: {
      const rd = host.domain(chn.remoteDom);
      if (rd === undefined) throw new InternalError(`model: domain ${d.domid} port ${port} names missing domain ${chn.remoteDom}`);
      const rchn = rd.channels[chn.remotePort];
      rchn.state = ECS_UNBOUND; // pending, mask, priority and notify vCPU untouched
      rchn.remoteDom = d.domid;
      break;
    }
    default: // FREE, RESERVED (PIRQ cannot be bound here)
      return -EINVAL;
  }
  freeChannel(d, port);
  return 0;
}

/** EVTCHNOP_send (spec §5.7). */
export function send(host: ModelHost, d: ModelDomain, port: number): number {
  if (!d.portIsValid(port)) return -EINVAL;
  const chn = d.channels[port];
  switch (chn.state) {
    case ECS_INTERDOMAIN: {
      const rd = host.domain(chn.remoteDom)!;
      portSetPending(rd, rd.channels[chn.remotePort].notifyVcpu, chn.remotePort); // the peer's notify vCPU
      return 0;
    }
    case ECS_IPI:
      portSetPending(d, chn.notifyVcpu, port);
      return 0;
    case ECS_UNBOUND:
      return 0; // dropped (spec §6.1)
    default:
      return -EINVAL;
  }
}

/** EVTCHNOP_status (spec §5.8); union fields the op does not write are left undefined (they echo the input). */
export function status(host: ModelHost, caller: ModelDomain, dom: number, port: number): StatusResult {
  const d = lookupDomain(host, caller, dom);
  if (d === undefined) return { rc: -ESRCH };
  if (!d.portIsValid(port)) return { rc: -EINVAL };
  if (!targetPermitted(caller, d)) return { rc: -EPERM };
  const chn = d.channels[port];
  const vcpu = chn.notifyVcpu;
  switch (chn.state) {
    case ECS_FREE:
    case ECS_RESERVED:
      return { rc: 0, status: EVTCHNSTAT_closed, vcpu };
    case ECS_UNBOUND:
      return { rc: 0, status: EVTCHNSTAT_unbound, vcpu, unboundDom: chn.remoteDom };
    case ECS_INTERDOMAIN:
      return { rc: 0, status: EVTCHNSTAT_interdomain, vcpu, interdomainDom: chn.remoteDom, interdomainPort: chn.remotePort };
    case ECS_PIRQ:
      return { rc: 0, status: EVTCHNSTAT_pirq, vcpu };
    case ECS_VIRQ:
      return { rc: 0, status: EVTCHNSTAT_virq, vcpu, virq: chn.remotePort };
    default:
      return { rc: 0, status: EVTCHNSTAT_ipi, vcpu };
  }
}

/** EVTCHNOP_bind_vcpu (spec §5.9): the vCPU is checked before the port; nothing pending moves. */
export function bindVcpu(d: ModelDomain, port: number, vcpu: number): number {
  if (!d.vcpuExists(vcpu)) return -ENOENT;
  if (!d.portIsValid(port)) return -EINVAL;
  const chn = d.channels[port];
  switch (chn.state) {
    case ECS_VIRQ:
      if (virqType(chn.remotePort) === 'vcpu') return -EINVAL;
      chn.notifyVcpu = vcpu;
      return 0;
    case ECS_UNBOUND:
    case ECS_INTERDOMAIN:
      chn.notifyVcpu = vcpu;
      return 0;
    default: // IPI, FREE, RESERVED
      return -EINVAL;
  }
}

/** EVTCHNOP_unmask (spec §5.10): 0 for every valid port, usable or not. */
export function unmask(d: ModelDomain, port: number): number {
  if (!d.portIsValid(port)) return -EINVAL;
  portUnmask(d, port);
  return 0;
}

/** EVTCHNOP_set_priority (spec §5.11): -ENOSYS (2-level) before -EACCES before the range check. */
export function setPriority(d: ModelDomain, port: number, priority: number): number {
  if (!d.portIsValid(port)) return -EINVAL;
  if (d.abi !== 'fifo') return -ENOSYS;
  if (!isUsable(d.channels[port])) return -EACCES;
  return fifoSetPriority(d, port, priority);
}
