// Pieces both default-scenario guests use: waiting on the shared "xenstore",
// exactly-once delivery accounting, latency histograms, timer ticks, IPIs.
import * as hdr from 'hdr-histogram-js';
import type { Guest } from '../guest/guest.ts';
import { monotonicNs } from '../platform/clock.ts';
import {
  demoViews, type DemoViews, S_QUIESCE, S_SENDING, S_BOOTED, S_DUPLICATED, S_IPI_PORT, F_IPI, T_IPI, S_TICKS, sentOf, deliveredOf,
  S_PING_PORT, S_FANIN_PORT, FANIN_PORTS, F_FANIN,
} from './demo-shared.ts';
import { liveLatencyWords, recordLive } from './demo-live-latency.ts';

export const VIRQ_TIMER = 0;

export class DemoGuest {
  readonly v: DemoViews;
  // 64-bit buckets: a run of days keeps exact counts
  readonly latency = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60e9, numberOfSignificantValueDigits: 3, bitBucketSize: 64 });

  /** the live histogram the scenario reads while it runs (demo-live-latency.ts); absent if the buffer has no room for it */
  private readonly live: Uint32Array | undefined;

  constructor(readonly g: Guest, readonly slot: number) {
    this.v = demoViews(g.shared!);
    this.live = liveLatencyWords(g.shared!);
  }

  quiescing(): boolean {
    return Atomics.load(this.v.i32, S_QUIESCE) !== 0 || this.g.stopping();
  }

  /** Wait for a store word to become non-zero (the other guest's offer); 0 if stopped first. */
  waitFor(word: number): number {
    for (;;) {
      const v = Atomics.load(this.v.i32, word);
      if (v !== 0) return v;
      if (this.g.stopping()) return 0;
      this.g.poll();
      Atomics.wait(this.v.i32, word, 0, 5);
    }
  }

  offer(word: number, value: number): void {
    Atomics.store(this.v.i32, word, value);
    Atomics.notify(this.v.i32, word);
  }

  /**
   * Unless the run is quiescing: stamp the send time in `tIndex` (if ≥ 0) or
   * `produce` (a request put in a ring), count one event of `flow` sent, and
   * send on `port`.
   * S_SENDING brackets the quiesce check and the send (the scenario's Dekker
   * pair with S_QUIESCE), so the main thread knows when no send can start any
   * more. Returns false when quiescing (nothing produced, nothing sent).
   */
  send(flow: number, port: number, tIndex: number, produce?: () => void): boolean {
    const i32 = this.v.i32;
    Atomics.add(i32, S_SENDING, 1);
    try {
      if (this.quiescing()) return false;
      if (tIndex >= 0) Atomics.store(this.v.t, tIndex, monotonicNs());
      produce?.();
      Atomics.add(i32, sentOf(flow), 1);
      this.g.send(port);
      return true;
    } finally {
      Atomics.sub(i32, S_SENDING, 1);
    }
  }

  /**
   * vCPU 1's fan-in stream until quiescing: `trySend(i)` sends on fan-in port
   * i if it has no event in flight (no coalescing) and says whether it sent;
   * a round that sent nothing waits briefly for a delivery.
   */
  streamFanin(trySend: (i: number) => boolean): void {
    const i32 = this.v.i32;
    while (!this.quiescing()) {
      let sent = 0;
      for (let i = 0; i < FANIN_PORTS; i++) if (trySend(i)) sent++;
      this.g.poll();
      if (sent === 0) Atomics.wait(i32, deliveredOf(F_FANIN), Atomics.load(i32, deliveredOf(F_FANIN)), 0.05);
    }
  }

  /** This vCPU finished its setup: its first sends are counted. */
  booted(): void {
    Atomics.or(this.v.i32, S_BOOTED, 1 << (this.slot * 2 + this.g.vcpu));
  }

  /** Count a delivery on `flow`, with its one-way latency; a delivery beyond the sends is a duplicate. */
  delivered(flow: number, tIndex: number): void {
    const i32 = this.v.i32;
    if (((Atomics.load(i32, sentOf(flow)) - Atomics.load(i32, deliveredOf(flow))) | 0) <= 0) {
      Atomics.add(i32, S_DUPLICATED, 1);
      return;
    }
    const dt = Number(monotonicNs() - Atomics.load(this.v.t, tIndex));
    this.latency.recordValue(Math.max(1, dt));
    if (this.live) recordLive(this.live, dt);
    Atomics.add(i32, deliveredOf(flow), 1);
  }

  outstanding(flow: number): boolean {
    return Atomics.load(this.v.i32, deliveredOf(flow)) !== Atomics.load(this.v.i32, sentOf(flow));
  }

  tick(): void {
    Atomics.add(this.v.i32, S_TICKS + this.slot * 2 + this.g.vcpu, 1);
  }

  /** IPI ping-pong between vCPU 0 and 1: each vCPU binds an IPI to itself and offers the port. */
  setupIpi(): void {
    const me = this.slot * 2 + this.g.vcpu;
    const port = this.g.bindIpi(this.g.vcpu, 'ipi').port;
    this.offer(S_IPI_PORT + me, port);
    if (this.g.vcpu === 1 && this.waitFor(S_IPI_PORT + this.slot * 2) !== 0) this.sendIpi(0);
  }

  sendIpi(toVcpu: number): void {
    const to = this.slot * 2 + toVcpu;
    this.send(F_IPI + 2 * to, Atomics.load(this.v.i32, S_IPI_PORT + to), T_IPI + to);
  }

  onIpi(): void {
    const me = this.slot * 2 + this.g.vcpu;
    this.delivered(F_IPI + 2 * me, T_IPI + me);
    this.sendIpi(this.g.vcpu === 0 ? 1 : 0);
  }

  report(): { latency: string; upcalls: number } {
    return { latency: hdr.encodeIntoCompressedBase64(this.latency), upcalls: this.g.kernel.stats.upcalls };
  }
}

/** Domain 1, to which the backend offers its ports. */
const FRONTEND = 1;
/** The fan-in ports' FIFO priorities, port i at FANIN_PRIORITIES[i]. */
const FANIN_PRIORITIES = [2, 4, 7, 7, 9, 11, 13, 15];

/**
 * A default-scenario backend vCPU's boot (domain 2, and the migrating
 * scenario's backends): the timer VIRQ and the IPIs on every vCPU; vCPU 0
 * offers the ping port, vCPU 1 the fan-in ports (mixed priorities, delivered
 * to vCPU 1, each recorded in `faninIndex`). Returns the ping port (0 on
 * vCPUs other than 0). The caller then calls d.booted().
 */
export function bootBackend(g: Guest, d: DemoGuest, faninIndex: Map<number, number>): number {
  let pingPort = 0;
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
  return pingPort;
}
