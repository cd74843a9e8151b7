// Default-scenario guest of domain 1 (two vCPUs):
//   vCPU 0 — binds the backend's ping port and runs ping-pong (latency);
//   vCPU 1 — binds the backend's fan-in ports and streams events on them;
//   both   — a timer VIRQ and IPI ping-pong with the other vCPU.
import type { Guest } from '../guest/guest.ts';
import { MonitorClient, ConsoleClient } from '../consumers/clients.ts';
import { DemoGuest, VIRQ_TIMER } from './demo-common.ts';
import { FANIN_PORTS, S_PING_PORT, S_FANIN_PORT, F_PING, F_PONG, T_PING, T_PONG, F_FANIN, T_FANIN } from './demo-shared.ts';
import { MONITOR_EVERY } from './demo-split-ring.ts';

const BACKEND = 2;
let d: DemoGuest;
let pingPort = 0;
let bindRaisePending = false;
let monitor: MonitorClient | undefined;
let pongs = 0;
let requests = 0;
let answers = 0;

/** What the toolstack put in this guest's config (its xenstore entries). */
export interface FrontendConfig {
  monitor?: { ringGfn: number; xenPort: number };
  console?: { ringGfn: number; xenPort: number };
}

function ping(): void {
  d.send(F_PING, pingPort, T_PING);
}

export const handlers = (_g: Guest) => ({
  pong: () => {
    // bind_interdomain raised our new port once (spec §5.2): not a pong
    if (bindRaisePending && !d.outstanding(F_PONG)) { bindRaisePending = false; return; }
    d.delivered(F_PONG, T_PONG);
    if (monitor && ++pongs % MONITOR_EVERY === 0) { monitor.post(pongs); requests++; }
    ping();
  },
  monitor: () => { answers += monitor?.responses().length ?? 0; },
  ipi: () => d.onIpi(),
  tick: () => d.tick(),
});

export function main(g: Guest): void {
  d = new DemoGuest(g, 0);
  g.bindVirq(VIRQ_TIMER, 'tick');
  d.setupIpi();
  const cfg = (g.config ?? {}) as FrontendConfig;
  if (g.vcpu === 0 && cfg.console) {
    const p = g.hc.bindInterdomain(g.dom, cfg.console.xenPort); // the Xen end lives in our own domain
    new ConsoleClient(g, cfg.console.ringGfn, p).write(`domain ${g.dom}: booted on the ${g.abi === 'fifo' ? 'FIFO' : '2-level'} ABI, ${g.vcpus} vCPUs\n`);
  }
  if (g.vcpu === 0 && cfg.monitor) {
    const p = g.hc.bindInterdomain(g.dom, cfg.monitor.xenPort);
    monitor = new MonitorClient(g, cfg.monitor.ringGfn, p);
    g.listen(p, 'monitor');
  }
  if (g.vcpu === 0) {
    const remote = d.waitFor(S_PING_PORT);
    if (remote === 0) return;
    pingPort = g.hc.bindInterdomain(BACKEND, remote);
    if (g.abi === 'fifo') g.hc.setPriority(pingPort, 0);
    bindRaisePending = true;
    g.listen(pingPort, 'pong');
    g.poll();
    ping();
    d.booted();
  } else if (g.vcpu === 1) {
    const ports: number[] = [];
    for (let i = 0; i < FANIN_PORTS; i++) {
      const remote = d.waitFor(S_FANIN_PORT + i);
      if (remote === 0) return;
      ports.push(g.hc.bindInterdomain(BACKEND, remote)); // left masked: we only send on them
    }
    d.booted();
    d.streamFanin((i) => !d.outstanding(F_FANIN + 2 * i) && d.send(F_FANIN + 2 * i, ports[i], T_FANIN + i));
  }
}

export function report(): unknown {
  return { ...d?.report(), monitor: { requests, answers } };
}
