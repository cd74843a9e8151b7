// Domain 1 of the migrating default scenario (`run --migrate-at`): the flows
// of src/guests/frontend.ts — ping-pong on vCPU 0, fan-in on vCPU 1, IPI
// ping-pong, a timer VIRQ — with everything it needs after a move in its own
// memory (src/guests/demo-split-ring.ts), and a resume entry point that the
// target host's vCPU threads run instead of main() (Linux's xen_irq_resume
// then the split drivers' reconnect):
//   vCPU 0 — Guest.resume: every port invalid, FIFO re-registered, the timer
//            VIRQ and the IPIs re-bound in place keeping their handlers, the
//            ping and fan-in channels reconnected through the store handshake
//            with the *target's* backend; then its port words rewritten, every
//            request not yet consumed re-notified (I50), responses the source
//            backend produced before the copy consumed, and the IPI chain
//            restarted if the move caught it between two IPIs;
//   vCPU 1 — waits (dispatching nothing) until vCPU 0 is done, then streams.
// Counters of sent and delivered events go to this process's store page
// (g.shared): the toolstack sums them over both hosts.
import type { Guest } from '../guest/guest.ts';
import type { LostChannel } from '../guest/resume.ts';
import { monotonicNs } from '../platform/clock.ts';
import { MigrationError } from '../errors.ts';
import { DemoGuest, VIRQ_TIMER } from './demo-common.ts';
import {
  FANIN_PORTS, S_PING_PORT, S_FANIN_PORT, S_RING_GFN, S_RESUMED, F_PING, F_PONG, F_FANIN, F_IPI, deliveredOf,
} from './demo-shared.ts';
import {
  ringView, offerGfn, type RingView, RING_PING_REQ_PROD, RING_PING_REQ_CONS, RING_PING_RSP_PROD, RING_PING_RSP_CONS,
  RING_FANIN_REQ, RING_FANIN_CONS, RING_IPI_SENT, RING_IPI_SEEN, RING_PORT_PING, RING_PORT_FANIN, RING_PORT_IPI, RT_PING, RT_PONG, RT_FANIN,
} from './demo-split-ring.ts';

const BACKEND = 2;

/** What the toolstack gives domain 1: the gfn of its ring page (in its free RAM). */
export interface MigratingFrontendConfig { ringGfn: number }

let d: DemoGuest;
let r: RingView;
let g: Guest;
/** what this vCPU's resume path did (vCPU 0): ports rebound, requests notified again, whether the IPI chain restarted */
let resumed: { ports: number; renotified: number; ipiRestarted: boolean } | undefined;

const ld = (w: number) => Atomics.load(r.i32, w);
/** Request or IPI words compared modulo 2^32. */
const behind = (prod: number, cons: number) => ((ld(prod) - ld(cons)) | 0) > 0;

/**
 * Produce one request and count it sent, then notify — unless quiescing. The
 * S_SENDING bracket is the scenario's Dekker pair with S_QUIESCE; nothing in
 * it before the send is a hypercall boundary, so a pause lands either before
 * the request exists or at the send with the request produced and counted
 * (the resume path then notifies it).
 */
function request(produce: () => void, flow: number, port: number): boolean {
  return d.sendCounted(flow, () => ld(port), -1, produce);
}

/** A ping, unless one is in flight (produced and its response not yet consumed). */
function ping(): void {
  if (ld(RING_PING_REQ_PROD) !== ld(RING_PING_RSP_CONS)) return;
  request(() => {
    Atomics.store(r.t, RT_PING, monotonicNs());
    Atomics.add(r.i32, RING_PING_REQ_PROD, 1);
  }, F_PING, RING_PORT_PING);
}

/** Consume every response (a delivered pong each), then ping again. vCPU 0 only. */
function pongs(): void {
  while (behind(RING_PING_RSP_PROD, RING_PING_RSP_CONS)) {
    d.latency.recordValue(Math.max(1, Number(monotonicNs() - Atomics.load(r.t, RT_PONG))));
    Atomics.add(r.i32, RING_PING_RSP_CONS, 1);
    Atomics.add(d.v.i32, deliveredOf(F_PONG), 1);
  }
  ping();
}

function sendIpi(to: number): void {
  request(() => Atomics.add(r.i32, RING_IPI_SENT + to, 1), F_IPI + 2 * to, RING_PORT_IPI + to);
}

/** Take every IPI sent to this vCPU (a delivery each) and pass the token on. */
function ipi(): void {
  const me = g.vcpu;
  let took = 0;
  while (behind(RING_IPI_SENT + me, RING_IPI_SEEN + me)) {
    Atomics.add(r.i32, RING_IPI_SEEN + me, 1);
    Atomics.add(d.v.i32, deliveredOf(F_IPI + 2 * me), 1);
    took++;
  }
  if (took) sendIpi(me === 0 ? 1 : 0);
}

export const handlers = (_g: Guest) => ({
  pong: () => pongs(), // the first call may be bind_interdomain's raise (spec §5.2): it finds no response
  fanin: () => { /* we only send on the fan-in ports; bind_interdomain's one raise lands here */ },
  ipi: () => ipi(),
  tick: () => d.tick(),
});

function setup(gg: Guest): void {
  g = gg;
  d = new DemoGuest(g, 0);
  r = ringView(g.dp, g.dom, (g.config as MigratingFrontendConfig).ringGfn);
}

/** Wait for a store word without dispatching anything (during a resume no handler may run); 0 if stopped. */
function awaitWord(word: number): number {
  for (;;) {
    const v = Atomics.load(d.v.i32, word);
    if (v !== 0 || g.stopping()) return v;
    Atomics.wait(d.v.i32, word, 0, 5);
  }
}

/** vCPU 1's stream: one request in flight per fan-in port, until quiescing. */
function fanin(): void {
  d.streamFanin((i) => !behind(RING_FANIN_REQ + i, RING_FANIN_CONS + i) && request(() => {
    Atomics.store(r.t, RT_FANIN + i, monotonicNs());
    Atomics.add(r.i32, RING_FANIN_REQ + i, 1);
  }, F_FANIN + 2 * i, RING_PORT_FANIN + i));
}

export function main(gg: Guest): void {
  setup(gg);
  g.bindVirq(VIRQ_TIMER, 'tick');
  Atomics.store(r.i32, RING_PORT_IPI + g.vcpu, g.bindIpi(g.vcpu, 'ipi').port);
  if (g.vcpu === 0) {
    d.offer(S_RING_GFN, offerGfn((g.config as MigratingFrontendConfig).ringGfn));
    const remote = d.waitFor(S_PING_PORT);
    if (remote === 0) return;
    const port = g.hc.bindInterdomain(BACKEND, remote);
    if (g.abi === 'fifo') g.hc.setPriority(port, 0);
    Atomics.store(r.i32, RING_PORT_PING, port);
    g.listen(port, 'pong');
    g.poll();
    ping();
    d.booted();
  } else if (g.vcpu === 1) {
    for (let i = 0; i < FANIN_PORTS; i++) {
      const remote = d.waitFor(S_FANIN_PORT + i);
      if (remote === 0) return;
      const port = g.hc.bindInterdomain(BACKEND, remote);
      Atomics.store(r.i32, RING_PORT_FANIN + i, port);
      g.listen(port, 'fanin'); // bound in the driver: what a resume reconnects
    }
    // the IPI chain starts once vCPU 0's IPI port is known
    while (Atomics.load(r.i32, RING_PORT_IPI) === 0) { if (g.stopping()) return; g.poll(); Atomics.wait(r.i32, RING_PORT_IPI, 0, 1); }
    sendIpi(0);
    d.booted();
    fanin();
  }
}

/** The driver's reconnect (resume.ts): a new channel to the target's backend, from the store handshake. */
function reconnect(lost: LostChannel): number | undefined {
  if (lost.remoteDom !== BACKEND) return undefined;
  let offer = 0;
  if (lost.port === ld(RING_PORT_PING)) offer = S_PING_PORT;
  for (let i = 0; i < FANIN_PORTS; i++) if (lost.port === ld(RING_PORT_FANIN + i)) offer = S_FANIN_PORT + i;
  if (offer === 0) return undefined;
  const remote = awaitWord(offer);
  if (remote === 0) return undefined;
  const port = g.hc.bindInterdomain(BACKEND, remote);
  if (offer === S_PING_PORT && g.abi === 'fifo') g.hc.setPriority(port, 0);
  return port;
}

/** The target host's entry point instead of main(). */
export function resume(gg: Guest): void {
  setup(gg);
  if (g.vcpu !== 0) {
    if (awaitWord(S_RESUMED) === 0) return;
    if (g.vcpu === 1) fanin();
    return;
  }
  const res = g.resume(reconnect);
  if (res.dropped.length) {
    throw new MigrationError('resume', `domain ${g.dom}: resume could not reconnect port(s) ${res.dropped.map((l) => `${l.port} (${l.handler})`).join(', ')}: ` +
      'the target has no backend offering them; restore it beside a migrating-backend domain 2');
  }
  const words = [RING_PORT_PING, ...Array.from({ length: FANIN_PORTS }, (_, i) => RING_PORT_FANIN + i), RING_PORT_IPI, RING_PORT_IPI + 1];
  for (const w of words) {
    const now = res.ports.get(ld(w));
    if (now === undefined) throw new MigrationError('resume', `domain ${g.dom}: port ${ld(w)} did not come back after the move (its ring page names a port the image did not carry)`);
    Atomics.store(r.i32, w, now);
  }
  d.offer(S_RING_GFN, offerGfn((g.config as MigratingFrontendConfig).ringGfn));
  // notifications lost with the old channels: every request still unconsumed is notified again (not counted again)
  let renotified = 0;
  const again = (port: number) => { g.send(ld(port)); renotified++; };
  if (behind(RING_PING_REQ_PROD, RING_PING_REQ_CONS)) again(RING_PORT_PING);
  for (let i = 0; i < FANIN_PORTS; i++) if (behind(RING_FANIN_REQ + i, RING_FANIN_CONS + i)) again(RING_PORT_FANIN + i);
  let ipis = 0;
  for (const to of [0, 1]) if (behind(RING_IPI_SENT + to, RING_IPI_SEEN + to)) { again(RING_PORT_IPI + to); ipis++; }
  d.offer(S_RESUMED, 1);
  // the move caught the chain between taking an IPI and passing it on: start it again (a new, counted IPI)
  if (ipis === 0) sendIpi(1);
  resumed = { ports: res.ports.size, renotified, ipiRestarted: ipis === 0 };
  pongs();
}

export function report(): unknown {
  return { ...d?.report(), ...(resumed ? { resumed } : {}) };
}
