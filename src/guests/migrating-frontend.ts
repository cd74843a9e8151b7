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
// With the toolstack's console and monitor (config), vCPU 0 writes a console
// line every CONSOLE_EVERY pongs and posts a monitor request every
// MONITOR_EVERY, both derived from the moved pong index so that a move never
// skips or repeats one; their channels are toolstack channels (I56): the
// consumer's end keeps its port on the target, and the resume path binds the
// guest's end to it again (as Linux's console rebinds to the start-info port).
import type { Guest } from '../guest/guest.ts';
import type { LostChannel } from '../guest/resume.ts';
import { monotonicNs } from '../platform/clock.ts';
import { MigrationError } from '../errors.ts';
import { MonitorClient, ConsoleClient } from '../consumers/clients.ts';
import type { FrontendConfig } from './frontend.ts';
import { DemoGuest, VIRQ_TIMER } from './demo-common.ts';
import {
  FANIN_PORTS, S_PING_PORT, S_FANIN_PORT, S_RING_GFN, S_RESUMED, F_PING, F_PONG, F_FANIN, F_IPI, deliveredOf,
  S_MON_POSTED, S_MON_ANSWERED, S_CON_LINES,
} from './demo-shared.ts';
import {
  ringView, offerGfn, type RingView, RING_PING_REQ_PROD, RING_PING_REQ_CONS, RING_PING_RSP_PROD, RING_PING_RSP_CONS,
  RING_FANIN_REQ, RING_FANIN_CONS, RING_IPI_SENT, RING_IPI_SEEN, RING_PORT_PING, RING_PORT_FANIN, RING_PORT_IPI, RT_PING, RT_PONG, RT_FANIN,
  RING_MON_SEEN, RING_CON_LINES, RING_PORT_CONSOLE, RING_PORT_MONITOR, CONSOLE_EVERY, MONITOR_EVERY,
} from './demo-split-ring.ts';

const BACKEND = 2;

/** What the toolstack gives domain 1: the gfn of its ring page (in its free RAM), and its console and monitor rings (optional). */
export interface MigratingFrontendConfig extends FrontendConfig { ringGfn: number }

let d: DemoGuest;
let r: RingView;
let g: Guest;
/** what this vCPU's resume path did (vCPU 0): ports rebound, requests notified again, whether the IPI chain restarted */
let resumed: { ports: number; renotified: number; ipiRestarted: boolean } | undefined;
let monitor: MonitorClient | undefined;
let con: ConsoleClient | undefined;

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
  return d.send(flow, ld(port), -1, produce); // the port word changes only on a resume, never inside this call
}

/** A ping, unless one is in flight (produced and its response not yet consumed). */
function ping(): void {
  if (ld(RING_PING_REQ_PROD) !== ld(RING_PING_RSP_CONS)) return;
  request(() => {
    Atomics.store(r.t, RT_PING, monotonicNs());
    Atomics.add(r.i32, RING_PING_REQ_PROD, 1);
  }, F_PING, RING_PORT_PING);
}

/** Consume every response (a delivered pong each), write and post what they call for, then ping again. vCPU 0 only. */
function pongs(): void {
  while (behind(RING_PING_RSP_PROD, RING_PING_RSP_CONS)) {
    d.latency.recordValue(Math.max(1, Number(monotonicNs() - Atomics.load(r.t, RT_PONG))));
    Atomics.add(r.i32, RING_PING_RSP_CONS, 1);
    Atomics.add(d.v.i32, deliveredOf(F_PONG), 1);
  }
  chatter();
  ping();
}

/**
 * The console lines and monitor requests the pongs consumed so far call
 * for, catching up on any a move cut short: each is counted (its index in
 * this ring page, this host's count in the store page) before the send that
 * makes it visible, with no hypercall boundary in between, so a pause finds
 * it either not begun or whole in the rings (I48, I50). Indexes modulo 2^32.
 */
function chatter(): void {
  const n = ld(RING_PING_RSP_CONS) >>> 0;
  while (con && ((n - Math.imul(ld(RING_CON_LINES), CONSOLE_EVERY)) >>> 0) >= CONSOLE_EVERY) {
    const line = (Atomics.add(r.i32, RING_CON_LINES, 1) + 1) >>> 0;
    Atomics.add(d.v.i32, S_CON_LINES, 1);
    con.write(`domain ${g.dom}: ${line * CONSOLE_EVERY} pongs\n`);
  }
  while (monitor && ((n - Math.imul(monitor.posted(), MONITOR_EVERY)) >>> 0) >= MONITOR_EVERY) {
    Atomics.add(d.v.i32, S_MON_POSTED, 1);
    monitor.post(monitor.posted() + 1);
  }
}

/** Read the monitor's answers (this host's count in the store page). */
function answers(): void {
  const got = monitor?.responses().length ?? 0;
  if (got) Atomics.add(d.v.i32, S_MON_ANSWERED, got);
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
  monitor: () => answers(),
  console: () => { /* output only: bind_interdomain's one raise lands here */ },
});

function setup(gg: Guest): void {
  g = gg;
  d = new DemoGuest(g, 0);
  r = ringView(g.dp, g.dom, (g.config as MigratingFrontendConfig).ringGfn);
}

/**
 * vCPU 0: bind this guest's ends of the toolstack channels the config names
 * (the consumers' Xen ends live in this domain, at the ports the config
 * gives, on either host), listen on them, and keep their numbers in the
 * ring page.
 */
function bindToolstack(): void {
  const cfg = g.config as MigratingFrontendConfig;
  if (cfg.console) {
    const p = g.hc.bindInterdomain(g.dom, cfg.console.xenPort);
    Atomics.store(r.i32, RING_PORT_CONSOLE, p);
    g.listen(p, 'console');
  }
  if (cfg.monitor) {
    const p = g.hc.bindInterdomain(g.dom, cfg.monitor.xenPort);
    Atomics.store(r.i32, RING_PORT_MONITOR, p);
    g.listen(p, 'monitor');
  }
}

/** The clients of the toolstack channels, on the ports in the ring page. */
function toolstackClients(): void {
  const cfg = g.config as MigratingFrontendConfig;
  if (cfg.console) con = new ConsoleClient(g, cfg.console.ringGfn, ld(RING_PORT_CONSOLE));
  if (cfg.monitor) monitor = new MonitorClient(g, cfg.monitor.ringGfn, ld(RING_PORT_MONITOR), { words: r.i32, at: RING_MON_SEEN });
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
    bindToolstack();
    toolstackClients();
    if (con) {
      con.write(`domain ${g.dom}: booted on the ${g.abi === 'fifo' ? 'FIFO' : '2-level'} ABI, ${g.vcpus} vCPUs\n`);
    }
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

/**
 * The driver's reconnect (resume.ts): a new channel to the target's backend,
 * from the store handshake; the guest's end of a toolstack channel bound
 * again to the consumer's port, which the config names and the target kept
 * (I56).
 */
function reconnect(lost: LostChannel): number | undefined {
  const cfg = g.config as MigratingFrontendConfig;
  if (lost.remoteDom === g.dom) {
    const xenPort = lost.port === ld(RING_PORT_CONSOLE) ? cfg.console?.xenPort : lost.port === ld(RING_PORT_MONITOR) ? cfg.monitor?.xenPort : undefined;
    return xenPort === undefined ? undefined : g.hc.bindInterdomain(g.dom, xenPort);
  }
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
    // events on, as Linux's CPUs come out of stop_machine: the image carried this vCPU's
    // evtchn_upcall_mask as the pause found it — set if inside a handler — and poll() honours it
    g.irqEnable();
    if (g.vcpu === 1) fanin();
    return;
  }
  const res = g.resume(reconnect);
  if (res.dropped.length) {
    throw new MigrationError('resume', `domain ${g.dom}: resume could not reconnect port(s) ${res.dropped.map((l) => `${l.port} (${l.handler})`).join(', ')}: ` +
      'the target has no backend offering them; restore it beside a migrating-backend domain 2');
  }
  const cfg = g.config as MigratingFrontendConfig;
  const words = [RING_PORT_PING, ...Array.from({ length: FANIN_PORTS }, (_, i) => RING_PORT_FANIN + i), RING_PORT_IPI, RING_PORT_IPI + 1,
    ...(cfg.console ? [RING_PORT_CONSOLE] : []), ...(cfg.monitor ? [RING_PORT_MONITOR] : [])];
  for (const w of words) {
    const now = res.ports.get(ld(w));
    if (now === undefined) throw new MigrationError('resume', `domain ${g.dom}: port ${ld(w)} did not come back after the move (its ring page names a port the image did not carry)`);
    Atomics.store(r.i32, w, now);
  }
  toolstackClients();
  d.offer(S_RING_GFN, offerGfn((g.config as MigratingFrontendConfig).ringGfn));
  // notifications lost with the old channels: every request still unconsumed is notified again (not counted again)
  let renotified = 0;
  const again = (port: number) => { g.send(ld(port)); renotified++; };
  if (behind(RING_PING_REQ_PROD, RING_PING_REQ_CONS)) again(RING_PORT_PING);
  for (let i = 0; i < FANIN_PORTS; i++) if (behind(RING_FANIN_REQ + i, RING_FANIN_CONS + i)) again(RING_PORT_FANIN + i);
  let ipis = 0;
  for (const to of [0, 1]) if (behind(RING_IPI_SENT + to, RING_IPI_SEEN + to)) { again(RING_PORT_IPI + to); ipis++; }
  // the toolstack channels' too: bytes the source's console had not taken, requests its monitor had not
  if (con && con.unconsumed() > 0) again(RING_PORT_CONSOLE);
  if (monitor && monitor.unanswered() > 0) again(RING_PORT_MONITOR);
  answers(); // answers the source's monitor gave that the guest had not read
  // after whatever the source's console had not taken: the move, in the console's own order
  con?.write(`domain ${g.dom}: resumed on a new host after ${ld(RING_PING_RSP_CONS) >>> 0} pongs\n`);
  d.offer(S_RESUMED, 1);
  // the move caught the chain between taking an IPI and passing it on: start it again (a new, counted IPI)
  if (ipis === 0) sendIpi(1);
  resumed = { ports: res.ports.size, renotified, ipiRestarted: ipis === 0 };
  pongs();
  g.irqEnable();
}

export function report(): unknown {
  return { ...d?.report(), ...(resumed ? { resumed } : {}) };
}
