// The control block of a bench cell: a SharedArrayBuffer outside the machine
// (as src/litmus/ctl.ts is for races). Parties coordinate through Atomics on
// it, never by sleeping: a start barrier, the count of senders done, an abort
// flag, and per stream a ring of latency stamps (sender → receiver).
//
// ┌ i32 header (64 words) ┬ per stream: write, read index ┬ seq rings (i32) ┬ time rings (f64, ns) ┐

import { BP_MAX_STREAMS } from '../../assembly/bench/layout.ts';

const C_ARRIVED = 0;
const C_GEN = 1;
const C_SENDERS_DONE = 2;
const C_ABORT = 3;
const HEADER_WORDS = 64;
const STREAM_WORDS = 16; // write index at +0, read index at +8: separate cache lines
export const RING = 256;
const SEQ0 = HEADER_WORDS + BP_MAX_STREAMS * STREAM_WORDS;
const T0_BYTES = (SEQ0 + BP_MAX_STREAMS * RING) * 4;
const BYTES = T0_BYTES + BP_MAX_STREAMS * RING * 8;

export class BenchCtl {
  readonly i32: Int32Array;
  readonly f64: Float64Array;

  constructor(readonly sab: SharedArrayBuffer) {
    this.i32 = new Int32Array(sab);
    this.f64 = new Float64Array(sab, T0_BYTES);
  }

  static create(): BenchCtl {
    return new BenchCtl(new SharedArrayBuffer(BYTES));
  }

  /** Zero everything; only while no party runs. */
  reset(): void {
    for (let i = 0; i < this.i32.length; i++) Atomics.store(this.i32, i, 0);
  }

  /** Wait until `parties` threads arrived (spin briefly, then sleep on the generation word). */
  barrier(parties: number): void {
    const gen = Atomics.load(this.i32, C_GEN);
    if (Atomics.add(this.i32, C_ARRIVED, 1) === parties - 1) {
      Atomics.store(this.i32, C_ARRIVED, 0);
      Atomics.add(this.i32, C_GEN, 1);
      Atomics.notify(this.i32, C_GEN);
      return;
    }
    for (let i = 0; i < 10_000; i++) if (Atomics.load(this.i32, C_GEN) !== gen) return;
    while (Atomics.load(this.i32, C_GEN) === gen) {
      if (this.aborted) throw new Error('bench: aborted while waiting at the start barrier');
      Atomics.wait(this.i32, C_GEN, gen, 100);
    }
  }

  /** The same for a thread that must keep its event loop running (message-passing parties). */
  async barrierAsync(parties: number): Promise<void> {
    const gen = Atomics.load(this.i32, C_GEN);
    if (Atomics.add(this.i32, C_ARRIVED, 1) === parties - 1) {
      Atomics.store(this.i32, C_ARRIVED, 0);
      Atomics.add(this.i32, C_GEN, 1);
      Atomics.notify(this.i32, C_GEN);
      return;
    }
    while (Atomics.load(this.i32, C_GEN) === gen) {
      if (this.aborted) throw new Error('bench: aborted while waiting at the start barrier');
      const w = Atomics.waitAsync(this.i32, C_GEN, gen, 100);
      if (w.async) await w.value;
    }
  }

  senderDone(): void { Atomics.add(this.i32, C_SENDERS_DONE, 1); }
  get sendersDone(): number { return Atomics.load(this.i32, C_SENDERS_DONE); }
  abort(): void { Atomics.store(this.i32, C_ABORT, 1); Atomics.notify(this.i32, C_GEN); }
  get aborted(): boolean { return Atomics.load(this.i32, C_ABORT) !== 0; }

  // ------------------------------------------------------ latency stamps
  /**
   * Sender: event number `seq` (1-based count) of stream `s` left at `t` ns.
   * Skipped when the ring is full: stamps are samples, not a log.
   */
  stamp(s: number, seq: number, t: number): void {
    const base = HEADER_WORDS + s * STREAM_WORDS;
    const wr = Atomics.load(this.i32, base);
    if (wr - Atomics.load(this.i32, base + 8) >= RING) return;
    const slot = s * RING + (wr % RING);
    this.f64[slot] = t;
    Atomics.store(this.i32, SEQ0 + slot, seq);
    Atomics.store(this.i32, base, wr + 1); // publishes the slot (seq-cst: the plain f64 store is visible first)
  }

  /** Receiver: for every stamp of stream `s` whose event is among the first `delivered`, call `record(now - t)`. */
  collect(s: number, delivered: number, now: number, record: (ns: number) => void): void {
    const base = HEADER_WORDS + s * STREAM_WORDS;
    const wr = Atomics.load(this.i32, base);
    let rd = Atomics.load(this.i32, base + 8);
    while (rd < wr) {
      const slot = s * RING + (rd % RING);
      if (Atomics.load(this.i32, SEQ0 + slot) > delivered) break;
      record(now - this.f64[slot]);
      rd++;
    }
    Atomics.store(this.i32, base + 8, rd);
  }
}

/** Monotonic nanoseconds, the same clock in every thread of the process. */
export function nowNs(): number {
  return Number(process.hrtime.bigint());
}
