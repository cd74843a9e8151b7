// The stream accounting of assembly/bench/stream.ts for parties that move
// events by message instead of through the FIFO protocol (the postMessage
// and comlink baselines): the same window, expected-port check and
// publishing, on the same page layout (in a SharedArrayBuffer).
import {
  BH_STOP, BH_PORTS, BH_STREAMS, BH_PUBLISH, BH_SEND_FIRST, BH_RECV_FIRST, BH_PROGRESS, BH_WAITERS,
  BP_STREAMS, BP_STREAM_BYTES, SS_SENT, SS_CURSOR, SS_SEEN, SR_EXPECT, SR_COUNT, SP_DELIVERED, SQ_SENT,
} from '../../../assembly/bench/layout.ts';
import type { BenchPage } from '../page.ts';

const W = (byte: number) => byte >> 2;
/** The word index of field `f` of stream `s` on the page. */
export const sw = (s: number, f: number) => W(BP_STREAMS + s * BP_STREAM_BYTES + f);

/**
 * Interrupt moderation's measure: the events the senders have published as
 * sent on `streams` that this receiver has not yet counted.
 */
export function backlog(p: Int32Array, streams: readonly number[]): number {
  let b = 0;
  for (const s of streams) b += Atomics.load(p, sw(s, SQ_SENT)) - p[sw(s, SR_COUNT)];
  return b;
}

/** Receiver side: make stream `s`'s delivered count `c` visible and wake any sender parked on progress. */
export function publishDelivered(p: Int32Array, s: number, c: number): void {
  Atomics.store(p, sw(s, SP_DELIVERED), c);
  if (Atomics.load(p, W(BH_WAITERS)) !== 0) {
    Atomics.add(p, W(BH_PROGRESS), 1);
    Atomics.notify(p, W(BH_PROGRESS));
  }
}

/** Receiver side: publish every stream whose private count is ahead of its published one. */
export function publishAllDelivered(p: Int32Array): void {
  const streams = p[W(BH_STREAMS)];
  for (let s = 0; s < streams; s++) {
    const c = p[sw(s, SR_COUNT)];
    if (Atomics.load(p, sw(s, SP_DELIVERED)) !== c) publishDelivered(p, s, c);
  }
}

export class StreamWindow {
  private readonly p: Int32Array;
  readonly n: number;
  private readonly mask: number;

  constructor(readonly page: BenchPage) {
    this.p = page.i32;
    this.n = this.p[W(BH_PORTS)];
    this.mask = (1 << this.p[W(BH_PUBLISH)]) - 1;
  }

  open(s: number): boolean {
    const p = this.p;
    const sent = p[sw(s, SS_SENT)];
    if (sent - p[sw(s, SS_SEEN)] < this.n) return true;
    const seen = Atomics.load(p, sw(s, SP_DELIVERED));
    p[sw(s, SS_SEEN)] = seen;
    return sent - seen < this.n;
  }

  anyOpen(first: number, count: number): boolean {
    for (let s = first; s < first + count; s++) if (this.open(s)) return true;
    return false;
  }

  /** The port to send next on stream `s` (receiver numbering: the baselines have one numbering); counts it sent. */
  take(s: number): number {
    const p = this.p;
    const cursor = p[sw(s, SS_CURSOR)];
    p[sw(s, SS_CURSOR)] = cursor + 1 === this.n ? 0 : cursor + 1;
    const c = p[sw(s, SS_SENT)] + 1;
    p[sw(s, SS_SENT)] = c;
    if ((c & this.mask) === 0) Atomics.store(p, sw(s, SQ_SENT), c);
    return p[W(BH_SEND_FIRST)] + s * this.n + cursor;
  }

  /** Publish the sender's counts of streams first..first+count-1 (at the end of a batch). */
  settleSent(first: number, count: number): void {
    const p = this.p;
    for (let s = first; s < first + count; s++) {
      const c = p[sw(s, SS_SENT)];
      Atomics.store(p, sw(s, SS_SENT), c);
      Atomics.store(p, sw(s, SQ_SENT), c);
    }
  }

  /** Sleep (sync) until a receiver publishes progress, if every window is still full. */
  waitForWindow(first: number, count: number, timeoutMs: number): void {
    const p = this.p;
    Atomics.add(p, W(BH_WAITERS), 1);
    const g = Atomics.load(p, W(BH_PROGRESS));
    if (!this.anyOpen(first, count) && Atomics.load(p, W(BH_STOP)) === 0) Atomics.wait(p, W(BH_PROGRESS), g, timeoutMs);
    Atomics.sub(p, W(BH_WAITERS), 1);
  }

  /** The same without blocking the event loop. */
  async waitForWindowAsync(first: number, count: number, timeoutMs: number): Promise<void> {
    const p = this.p;
    Atomics.add(p, W(BH_WAITERS), 1);
    const g = Atomics.load(p, W(BH_PROGRESS));
    if (!this.anyOpen(first, count) && Atomics.load(p, W(BH_STOP)) === 0) {
      const w = Atomics.waitAsync(p, W(BH_PROGRESS), g, timeoutMs);
      if (w.async) await w.value;
    }
    Atomics.sub(p, W(BH_WAITERS), 1);
  }

  publishAll(): void {
    publishAllDelivered(this.p);
  }

  /** The receiver's handler: `port` must be its stream's next port. Returns the stream. */
  account(port: number): number {
    const p = this.p;
    const first = p[W(BH_RECV_FIRST)];
    const off = port - first;
    if (!(off >= 0 && off < p[W(BH_STREAMS)] * this.n)) { this.page.fail(-1, 0, port); return -1; }
    const s = (off / this.n) | 0;
    const expect = p[sw(s, SR_EXPECT)];
    const idx = off - s * this.n;
    if (idx !== expect) this.page.fail(s, first + s * this.n + expect, port);
    p[sw(s, SR_EXPECT)] = idx + 1 === this.n ? 0 : idx + 1;
    const c = p[sw(s, SR_COUNT)] + 1;
    Atomics.store(p, sw(s, SR_COUNT), c);
    if ((c & this.mask) === 0) publishDelivered(this.p, s, c);
    return s;
  }
}
