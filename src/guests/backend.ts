// Default-scenario guest of domain 2 (two vCPUs):
//   vCPU 0 — offers the ping port to domain 1 and answers every ping;
//   vCPU 1 — offers the fan-in ports (mixed priorities, delivered to vCPU 1);
//   both   — a timer VIRQ and IPI ping-pong with the other vCPU.
import type { Guest } from '../guest/guest.ts';
import { DemoGuest, bootBackend } from './demo-common.ts';
import { F_PING, F_PONG, T_PING, T_PONG, F_FANIN, T_FANIN } from './demo-shared.ts';

let d: DemoGuest;
let pingPort = 0;
const faninIndex = new Map<number, number>();

export const handlers = (_g: Guest) => ({
  ping: () => {
    d.delivered(F_PING, T_PING);
    d.send(F_PONG, pingPort, T_PONG);
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
  pingPort = bootBackend(g, d, faninIndex);
  d.booted();
}

export function report(): unknown {
  return d?.report();
}
