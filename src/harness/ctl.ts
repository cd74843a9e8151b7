// The control block of a harness run (stress/litmus rounds, device-model
// races, bench cells): a SharedArrayBuffer of i32 words outside the emulated
// machine's memory, shared by the runner (main thread) and every party.
// Parties coordinate only through Atomics on it, never by sleeping.
//
// One header layout and one barrier for every harness:
//
// ┌ 0 barrier arrived ┬ 1 barrier generation ┬ 2 stop ┬ 3 failed ┬ 4..11 progress[8] ┬ 12 senders done ┬ 16.. user words ┐
//
// Barrier contract: the last of `parties` arrivals resets `arrived` and bumps
// the generation (then notifies); everyone else returns once the generation
// differs from the one it saw before arriving. A waiter gives up only when
// the stop word is set (a failed or aborted run), so a barrier never hangs a
// run that its watchdog has stopped.
//
// A bench cell (BenchCtl) lays its latency-stamp rings out in the user words:
// ┌ header ┬ per stream: write, read index (16 words) ┬ seq rings (i32) ┬ time rings (f64, ns) ┐

import { BP_MAX_STREAMS } from '../../assembly/bench/layout.ts';
import { monotonicNsNumber } from '../platform/clock.ts';

export const CTL_BARRIER_ARRIVED = 0;
export const CTL_BARRIER_GEN = 1;
export const CTL_STOP = 2;
export const CTL_FAILED = 3;
export const CTL_PROGRESS = 4; // one progress counter per party, up to 8 parties
export const CTL_MAX_PARTIES = 8;
export const CTL_SENDERS_DONE = 12;
export const CTL_USER = 16;

/** Arrive at the barrier; true if this arrival released it, else the generation to wait on. */
function arrive(i32: Int32Array, parties: number): true | number {
  const gen = Atomics.load(i32, CTL_BARRIER_GEN);
  if (Atomics.add(i32, CTL_BARRIER_ARRIVED, 1) === parties - 1) {
    Atomics.store(i32, CTL_BARRIER_ARRIVED, 0);
    Atomics.add(i32, CTL_BARRIER_GEN, 1);
    Atomics.notify(i32, CTL_BARRIER_GEN);
    return true;
  }
  return gen;
}

/** The control block of a harness run: barrier, stop flag, per-party progress and scenario words, outside the machine's memory. */
export class Ctl {
  readonly i32: Int32Array;

  constructor(readonly sab: SharedArrayBuffer) {
    this.i32 = new Int32Array(sab);
  }

  static create(userWords: number): Ctl {
    return new Ctl(new SharedArrayBuffer(4 * (CTL_USER + userWords)));
  }

  get stopped(): boolean {
    return Atomics.load(this.i32, CTL_STOP) !== 0;
  }

  stop(): void {
    Atomics.store(this.i32, CTL_STOP, 1);
    Atomics.notify(this.i32, CTL_BARRIER_GEN);
  }

  progress(party: number): void {
    Atomics.add(this.i32, CTL_PROGRESS + party, 1);
  }

  progressOf(party: number): number {
    return Atomics.load(this.i32, CTL_PROGRESS + party);
  }

  /**
   * Wait until `parties` threads have arrived, then release all together.
   * Spins `spins` loads first (releases are tightly grouped), then sleeps on
   * the generation word. Returns false if the run was stopped while waiting.
   */
  barrier(parties: number, spins = 5000): boolean {
    const gen = arrive(this.i32, parties);
    if (gen === true) return true;
    for (let i = 0; i < spins; i++) {
      if (Atomics.load(this.i32, CTL_BARRIER_GEN) !== gen) return true;
    }
    while (Atomics.load(this.i32, CTL_BARRIER_GEN) === gen) {
      if (this.stopped) return false;
      Atomics.wait(this.i32, CTL_BARRIER_GEN, gen, 50);
    }
    return true;
  }

  /** The same for a thread that must keep its event loop running (message-passing parties). */
  async barrierAsync(parties: number): Promise<boolean> {
    const gen = arrive(this.i32, parties);
    if (gen === true) return true;
    while (Atomics.load(this.i32, CTL_BARRIER_GEN) === gen) {
      if (this.stopped) return false;
      const w = Atomics.waitAsync(this.i32, CTL_BARRIER_GEN, gen, 100);
      if (w.async) await w.value;
    }
    return true;
  }

  // -------------------------------------------------------- user words
  load(i: number): number { return Atomics.load(this.i32, CTL_USER + i); }
  store(i: number, v: number): void { Atomics.store(this.i32, CTL_USER + i, v); }
  add(i: number, v: number): number { return Atomics.add(this.i32, CTL_USER + i, v); }

  /** Sleep until word `i` differs from `v` or `ms` pass (a polite yield while a party waits for another). */
  waitWhile(i: number, v: number, ms: number): void {
    Atomics.wait(this.i32, CTL_USER + i, v, ms);
  }

  notify(i: number): void {
    Atomics.notify(this.i32, CTL_USER + i);
  }
}

const STREAM_WORDS = 16; // write index at +0, read index at +8: separate cache lines
/** Latency stamps kept per stream (a sample ring, not a log). */
export const RING = 256;
const SEQ0 = CTL_USER + BP_MAX_STREAMS * STREAM_WORDS;
const T0_BYTES = (SEQ0 + BP_MAX_STREAMS * RING) * 4;
const BENCH_BYTES = T0_BYTES + BP_MAX_STREAMS * RING * 8;

/**
 * A bench cell's control block: the common header (start barrier, abort =
 * stop, senders done) plus, per stream, a ring of latency stamps (sender →
 * receiver). A barrier wait that sees the abort throws: the cell is over.
 */
export class BenchCtl extends Ctl {
  readonly f64: Float64Array;

  constructor(sab: SharedArrayBuffer) {
    super(sab);
    this.f64 = new Float64Array(sab, T0_BYTES);
  }

  static override create(): BenchCtl {
    return new BenchCtl(new SharedArrayBuffer(BENCH_BYTES));
  }

  /** Zero everything; only while no party runs. */
  reset(): void {
    for (let i = 0; i < this.i32.length; i++) Atomics.store(this.i32, i, 0);
  }

  /** The start barrier of a cell; throws if the cell was aborted meanwhile. */
  startBarrier(parties: number): void {
    if (!this.barrier(parties, 10_000)) throw new Error('bench: aborted while waiting at the start barrier');
  }

  /** The same for a thread that must keep its event loop running. */
  async startBarrierAsync(parties: number): Promise<void> {
    if (!(await this.barrierAsync(parties))) throw new Error('bench: aborted while waiting at the start barrier');
  }

  senderDone(): void { Atomics.add(this.i32, CTL_SENDERS_DONE, 1); }
  get sendersDone(): number { return Atomics.load(this.i32, CTL_SENDERS_DONE); }
  abort(): void { this.stop(); }
  get aborted(): boolean { return this.stopped; }

  // ------------------------------------------------------ latency stamps
  /**
   * Sender: event number `seq` (1-based count) of stream `s` left at `t` ns.
   * Skipped when the ring is full: stamps are samples, not a log.
   */
  stamp(s: number, seq: number, t: number): void {
    const base = CTL_USER + s * STREAM_WORDS;
    const wr = Atomics.load(this.i32, base);
    if (wr - Atomics.load(this.i32, base + 8) >= RING) return;
    const slot = s * RING + (wr % RING);
    this.f64[slot] = t;
    Atomics.store(this.i32, SEQ0 + slot, seq);
    Atomics.store(this.i32, base, wr + 1); // publishes the slot (seq-cst: the plain f64 store is visible first)
  }

  /** Receiver: for every stamp of stream `s` whose event is among the first `delivered`, call `record(now - t)`. */
  collect(s: number, delivered: number, now: number, record: (ns: number) => void): void {
    const base = CTL_USER + s * STREAM_WORDS;
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

/** Monotonic nanoseconds, the same clock in every thread of the process (or of the page and its Web Workers). */
export function nowNs(): number {
  return monotonicNsNumber();
}
