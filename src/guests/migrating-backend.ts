// Domain 2 of the migrating default scenario (`run --migrate-at`): the
// backend of src/guests/backend.ts serving the frontend's rings in the
// frontend's memory (src/guests/demo-split-ring.ts) — it keeps no state of
// its own about them, so the backend of another host takes over where this
// one stopped. Backends do not move (as in Xen): the source host's backend
// stays, the target host boots a fresh one that offers its ports in the
// target's store.
//   vCPU 0 — offers the ping port, consumes ping requests, produces responses;
//   vCPU 1 — offers the fan-in ports, consumes fan-in requests;
//   both   — a timer VIRQ and IPI ping-pong with the other vCPU.
// Disconnect (the toolstack, before it copies the frontend): S_DISCONNECT is
// set, then S_BACK_BUSY awaited at 0 — a Dekker pair with the bracket every
// ring service runs in, so once the toolstack read 0 no service touches the
// frontend's memory any more (I49). Reconnected (a migration that failed),
// each vCPU re-reads its rings once on its next tick (S_RESCAN).
import type { Guest } from '../guest/guest.ts';
import { monotonicNs } from '../platform/clock.ts';
import { DemoGuest, bootBackend } from './demo-common.ts';
import {
  FANIN_PORTS, S_RING_GFN, S_DISCONNECT, S_BACK_BUSY, S_RESCAN, F_PING, F_PONG, F_FANIN, sentOf, deliveredOf,
} from './demo-shared.ts';
import {
  ringView, offeredGfn, type RingView, RING_PING_REQ_PROD, RING_PING_REQ_CONS, RING_PING_RSP_PROD, RING_FANIN_REQ, RING_FANIN_CONS,
  RT_PING, RT_PONG, RT_FANIN,
} from './demo-split-ring.ts';

/** Domain 1: the frontend whose ring page this backend reads. */
const FRONTEND = 1;
let d: DemoGuest;
let g: Guest;
let pingPort = 0;
let ring: RingView | undefined;
const faninIndex = new Map<number, number>();

/** The frontend's ring page, once it offered it (the grant map's stand-in). */
function rings(): RingView | undefined {
  if (ring) return ring;
  const w = Atomics.load(d.v.i32, S_RING_GFN);
  if (w !== 0) ring = ringView(g.dp, FRONTEND, offeredGfn(w));
  return ring;
}

/** Run `serve` on the frontend's rings unless disconnected (the S_BACK_BUSY bracket). */
function serving(serve: (r: RingView) => void): void {
  const i32 = d.v.i32;
  Atomics.add(i32, S_BACK_BUSY, 1);
  try {
    const r = rings();
    if (r && Atomics.load(i32, S_DISCONNECT) === 0) serve(r);
  } finally {
    Atomics.sub(i32, S_BACK_BUSY, 1);
  }
}

const behind = (r: RingView, prod: number, cons: number) => ((Atomics.load(r.i32, prod) - Atomics.load(r.i32, cons)) | 0) > 0;

/**
 * Every ping request: a delivery, and its response. The pong is counted sent
 * before the ping delivered, so a sample that reads delivered counters before
 * sent ones never sees this ping done and its pong not yet sent.
 */
function servePing(): void {
  serving((r) => {
    let answered = 0;
    while (behind(r, RING_PING_REQ_PROD, RING_PING_REQ_CONS)) {
      d.latency.recordValue(Math.max(1, Number(monotonicNs() - Atomics.load(r.t, RT_PING))));
      Atomics.store(r.t, RT_PONG, monotonicNs());
      Atomics.add(d.v.i32, sentOf(F_PONG), 1);
      Atomics.add(d.v.i32, deliveredOf(F_PING), 1);
      Atomics.add(r.i32, RING_PING_REQ_CONS, 1);
      Atomics.add(r.i32, RING_PING_RSP_PROD, 1);
      answered++;
    }
    if (answered) g.send(pingPort);
  });
}

function serveFanin(i: number): void {
  serving((r) => {
    while (behind(r, RING_FANIN_REQ + i, RING_FANIN_CONS + i)) {
      d.latency.recordValue(Math.max(1, Number(monotonicNs() - Atomics.load(r.t, RT_FANIN + i))));
      Atomics.add(d.v.i32, deliveredOf(F_FANIN + 2 * i), 1);
      Atomics.add(r.i32, RING_FANIN_CONS + i, 1);
    }
  });
}

export const handlers = (_g: Guest) => ({
  ping: () => servePing(),
  fanin: (port: number) => {
    const i = faninIndex.get(port);
    if (i !== undefined) serveFanin(i);
  },
  ipi: () => d.onIpi(),
  tick: () => {
    d.tick();
    const bit = 1 << g.vcpu;
    if ((Atomics.and(d.v.i32, S_RESCAN, ~bit) & bit) === 0) return;
    if (g.vcpu === 0) servePing();
    else for (let i = 0; i < FANIN_PORTS; i++) serveFanin(i);
  },
});

export function main(gg: Guest): void {
  g = gg;
  d = new DemoGuest(g, 1);
  pingPort = bootBackend(g, d, faninIndex);
  d.booted();
}

export function report(): unknown {
  return d?.report();
}
