// One domain's event-channel state as Xen sees it at one instant, read from
// the shared memory through the data plane's named accessors (I1): every
// vCPU's upcall flag and FIFO queues (HEAD from the guest's control block,
// Xen's private tail), and the event word of every bound port decoded.
// Read without locks while the vCPUs run: each word is one atomic load, the
// words of a snapshot are not one consistent cut (the page says so).
import type { DataPlane } from '../wasm/data-plane.ts';
import {
  EVTCHN_FIFO_PENDING, EVTCHN_FIFO_MASKED, EVTCHN_FIFO_LINKED, EVTCHN_FIFO_BUSY, EVTCHN_FIFO_LINK_MASK, EVTCHN_FIFO_MAX_QUEUES,
} from '../../assembly/shared/fifo-abi.ts';
import { ECS_FREE, ECS_RESERVED, ECS_UNBOUND, ECS_INTERDOMAIN, ECS_PIRQ, ECS_VIRQ, ECS_IPI } from '../../assembly/shared/evtchn-abi.ts';

export interface QueueSnapshot { priority: number; head: number; tail: number; ready: boolean }
export interface VcpuSnapshot {
  vcpu: number;
  upcallPending: boolean;
  upcallMasked: boolean;
  blocked: boolean;
  /** the 16 priority queues; empty when the vCPU has no control block yet */
  queues: QueueSnapshot[];
}
export interface PortSnapshot {
  port: number;
  state: string;
  notifyVcpu: number;
  priority: number;
  /** the raw event word (undefined: no array page covers the port) */
  word?: number;
  pending: boolean;
  masked: boolean;
  linked: boolean;
  busy: boolean;
  link: number;
}
export interface DomainSnapshot { dom: number; abi: 'fifo' | '2l'; vcpus: VcpuSnapshot[]; ports: PortSnapshot[] }

const STATE_NAMES: Record<number, string> = {
  [ECS_FREE]: 'free', [ECS_RESERVED]: 'reserved', [ECS_UNBOUND]: 'unbound', [ECS_INTERDOMAIN]: 'interdomain',
  [ECS_PIRQ]: 'pirq', [ECS_VIRQ]: 'virq', [ECS_IPI]: 'ipi',
};

/** `dom`'s vCPUs and its first `maxPorts` bound ports (port 0 is reserved and left out). */
export function snapshotDomain(dp: DataPlane, dom: number, vcpus: number, maxPorts = 32): DomainSnapshot {
  const abi = dp.abi(dom);
  const vs: VcpuSnapshot[] = [];
  for (let v = 0; v < vcpus; v++) {
    const cb = abi === 'fifo' ? dp.controlBlock(dom, v) : undefined;
    const queues: QueueSnapshot[] = [];
    if (cb) {
      for (let q = 0; q < EVTCHN_FIFO_MAX_QUEUES; q++) {
        queues.push({ priority: q, head: cb.head[q], tail: dp.queueTail(dom, v, q), ready: (cb.ready & (1 << q)) !== 0 });
      }
    }
    vs.push({
      vcpu: v, upcallPending: dp.upcallPending(dom, v) !== 0, upcallMasked: dp.x.upcallMasked(dom, v) !== 0,
      blocked: dp.vcpuBlocked(dom, v) !== 0, queues,
    });
  }
  const ports: PortSnapshot[] = [];
  const valid = dp.validEvtchns(dom);
  for (let p = 1; p < valid && ports.length < maxPorts; p++) {
    const ch = dp.channel(dom, p);
    if (ch.state === ECS_FREE) continue;
    const w = abi === 'fifo' ? dp.eventWord(dom, p) : undefined;
    const word = w ?? 0;
    ports.push({
      port: p, state: STATE_NAMES[ch.state] ?? `state ${ch.state}`, notifyVcpu: ch.notifyVcpu, priority: ch.priority, word: w,
      pending: (word & EVTCHN_FIFO_PENDING) !== 0, masked: (word & EVTCHN_FIFO_MASKED) !== 0,
      linked: (word & EVTCHN_FIFO_LINKED) !== 0, busy: (word & EVTCHN_FIFO_BUSY) !== 0, link: word & EVTCHN_FIFO_LINK_MASK,
    });
  }
  return { dom, abi, vcpus: vs, ports };
}
