// The guest's resume path after a move (spec §8): Linux's xen_irq_resume and
// FreeBSD's xen_intr_resume. The domain arrives with a fresh channel table —
// only the toolstack's channels bound, 2-level, every port masked (§7.7) — so:
//  1. every port in the driver's table is invalid: the entries are cleared,
//     the handlers kept aside with what each port was (its binding info);
//  2. the event-channel ABI is set up again as at boot: 2-level state reset,
//     and for a FIFO guest init_control on every vCPU (zeroed control blocks)
//     and its event-array pages refilled with MASKED words and registered
//     again with expand_array (evtchn_fifo_resume);
//  3. every VIRQ and IPI is bound again on its vCPU (EVTCHNOP_bind_virq /
//     bind_ipi), its handler moved to the new port, routed and unmasked;
//  4. interdomain (and offered unbound) channels are not rebound here: the
//     `reconnect` callback — the driver's toolstack handshake with a backend of
//     the *target* host — returns the new local port, or leaves it dropped.
// Ports come back with new numbers (lowest free first); the result maps old
// to new. Runs on one vCPU while no other vCPU of the domain dispatches.
import type { Guest } from './guest.ts';
import type { PortStatus } from './hypercalls.ts';
import { bootGuest } from './kernel.ts';

// binding info word (driver.ts `info`): kind << 28 | vcpu << 8 | virq or remote domain
export const BI_KIND_SHIFT = 28;
export const BI_VIRQ = 1;
export const BI_IPI = 2;
export const BI_INTERDOMAIN = 3; // interdomain or offered (unbound): reconnected through the toolstack
export const BI_VCPU_SHIFT = 8;

export function bindingInfo(st: PortStatus): number {
  const vcpu = (st.vcpu & 0xff) << BI_VCPU_SHIFT;
  switch (st.status) {
    case 'virq': return ((BI_VIRQ << BI_KIND_SHIFT) | vcpu | ((st.virq ?? 0) & 0xff)) >>> 0;
    case 'ipi': return ((BI_IPI << BI_KIND_SHIFT) | vcpu) >>> 0;
    case 'interdomain':
    case 'unbound': return ((BI_INTERDOMAIN << BI_KIND_SHIFT) | vcpu | ((st.remoteDom ?? 0) & 0xff)) >>> 0;
    default: return 0;
  }
}

/** An interdomain channel the resume path could not reconnect (no backend on this host answered for it). */
export interface LostChannel { port: number; remoteDom: number; vcpu: number; handler: string }
/** The driver's reconnect: a new local port bound to a backend of this host, or undefined to drop it. */
export type Reconnect = (old: LostChannel) => number | undefined;

/** What a guest's resume path did: ports rebound in place, channels reconnected, channels lost. */
export interface ResumeResult {
  /** old port → new port, for every binding that came back */
  ports: Map<number, number>;
  /** channels left unbound (no reconnect, or it declined) */
  dropped: LostChannel[];
}

export function resumeGuest(g: Guest, reconnect?: Reconnect): ResumeResult {
  const d = g.driver;
  const saved = d.bound();
  d.invalidateAll();
  bootGuest(g.dp, g.dom, g.vcpus, g.layout, g.abi);
  const ports = new Map<number, number>();
  const dropped: LostChannel[] = [];
  for (const b of saved) {
    const kind = b.info >>> BI_KIND_SHIFT;
    const vcpu = (b.info >>> BI_VCPU_SHIFT) & 0xff;
    let port: number | undefined;
    if (kind === BI_VIRQ) port = g.hc.bindVirq(b.info & 0xff, vcpu);
    else if (kind === BI_IPI) port = g.hc.bindIpi(vcpu);
    else {
      const lost = { port: b.port, remoteDom: b.info & 0xff, vcpu, handler: d.handlerName(b.token) };
      port = kind === BI_INTERDOMAIN ? reconnect?.(lost) : undefined;
      if (port === undefined) { dropped.push(lost); continue; }
    }
    d.adopt(port, b.token, b.info);
    g.route(port, vcpu);
    g.unmask(port);
    ports.set(b.port, port);
  }
  return { ports, dropped };
}
