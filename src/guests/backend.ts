// Default-scenario guest of domain 2 (two vCPUs):
//   vCPU 0 — offers the ping port to domain 1 and answers every ping;
//   vCPU 1 — offers the fan-in ports (mixed priorities, delivered to vCPU 1);
//   both   — a timer VIRQ and IPI ping-pong with the other vCPU.
import type { Guest } from '../guest/guest.ts';
import { DemoGuest, VIRQ_TIMER } from './demo-common.ts';
import { FANIN_PORTS, S_PING_PORT, S_FANIN_PORT, F_PING, F_PONG, T_PING, T_PONG, F_FANIN, T_FANIN } from './demo-shared.ts';

const FRONTEND = 1;
const FANIN_PRIORITIES = [2, 4, 7, 7, 9, 11, 13, 15];
let d: DemoGuest;
let pingPort = 0;
const faninIndex = new Map<number, number>();

export const handlers = (_g: Guest) => ({
  ping: () => {
    d.delivered(F_PING, T_PING);
    d.send(F_PONG, T_PONG, pingPort);
  },
  fanin: (port: number) => {
    const i = faninIndex.get(port);
    if (i !== undefined) d.delivered(F_FANIN + 2 * i, T_FANIN + i);
  },
  ipi: () => d.onIpi(),
  tick: () => d.tick(),
});

export function main(g: Guest): void {
  d = new DemoGuest(g, 1);
  g.bindVirq(VIRQ_TIMER, 'tick');
  d.setupIpi();
  if (g.vcpu === 0) {
    pingPort = g.hc.allocUnbound(FRONTEND);
    if (g.abi === 'fifo') g.hc.setPriority(pingPort, 0); // priorities are FIFO-only (-ENOSYS in 2-level)
    g.listen(pingPort, 'ping');
    d.offer(S_PING_PORT, pingPort);
  } else if (g.vcpu === 1) {
    for (let i = 0; i < FANIN_PORTS; i++) {
      const p = g.hc.allocUnbound(FRONTEND);
      if (g.abi === 'fifo') g.hc.setPriority(p, FANIN_PRIORITIES[i]);
      faninIndex.set(p, i);
      g.bindVcpu(p, 1);
      g.listen(p, 'fanin', 1);
      d.offer(S_FANIN_PORT + i, p);
    }
  }
  d.booted();
}

export function report(): unknown {
  return d?.report();
}
