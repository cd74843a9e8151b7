// The control block of a harness run (stress/litmus rounds, device-model
// races, bench cells): a SharedArrayBuffer of i32 words outside the emulated
// machine's memory, shared by the runner (main thread) and every party.
// Parties coordinate only through Atomics on it, never by sleeping.
//
// One header layout and one barrier for every harness:
//
// ┌ 0 barrier state ┬ 1 barrier sleepers ┬ 2 stop ┬ 3 failed ┬ 4..11 progress[8] ┬ 12 senders done ┬ 16.. user words ┐
//
// Barrier contract (see barrierArrive): every party that reached one barrier
// gets the same answer — true, all go on, or false, none does (the run was
// stopped). A waiter gives up only when the stop word is set, so a barrier
// never hangs a run that its watchdog has stopped, and never lets one party
// of a stopped run go on alone to wait for partners that left.
//
// A bench cell (BenchCtl) lays its latency-stamp rings out in the user words:
// ┌ header ┬ per stream: write, read index (16 words) ┬ seq rings (i32) ┬ time rings (f64, ns) ┐

import { BP_MAX_STREAMS } from '../../assembly/bench/layout.ts';
import { monotonicNsNumber } from '../platform/clock.ts';

export const CTL_BARRIER_STATE = 0;
export const CTL_BARRIER_SLEEPERS = 1;
export const CTL_STOP = 2;
export const CTL_FAILED = 3;
export const CTL_PROGRESS = 4; // one progress counter per party, up to 8 parties
export const CTL_MAX_PARTIES = 8;
export const CTL_SENDERS_DONE = 12;
export const CTL_USER = 16;

// The barrier's state word: the parties arrived so far (bits 0..7), CLOSED
// (bit 8: the run stopped — this barrier and every later one answer false),
// the generation (bits 9..31, one per completed barrier).
const BAR_COUNT = 0xff;
const BAR_CLOSED = 0x100;
const BAR_GEN = ~(BAR_COUNT | BAR_CLOSED);
const BAR_GEN_ONE = 0x200;

/** Where one barrier lives: its state word and its sleeper count (i32 indices), and whether the run has stopped. */
export interface BarrierWords { i32: Int32Array; state: number; sleepers: number; stopped: () => boolean }

/**
 * Arrive at a barrier of `n` (≤ 255) parties. The answer is decided once, by
 * one compare-exchange on the state word: the last arriver either advances
 * the generation (true for all) or, the run stopped, closes the barrier; a
 * waiter that sees the run stopped closes it only by a compare-exchange
 * against the still-open word of its own generation, so it either closes it
 * before the last arrival (which then answers false too) or finds it
 * advanced (and answers true, as everyone else). Returns the answer if this
 * arrival decided it, else the state word to wait on (barrierPoll).
 */
export function barrierArrive(b: BarrierWords, n: number): boolean | number {
  const { i32: a, state } = b;
  let cur = Atomics.load(a, state);
  for (;;) {
    if ((cur & BAR_CLOSED) !== 0) return false;
    const last = (cur & BAR_COUNT) + 1 === n;
    const next = !last ? cur + 1 : b.stopped() ? cur | BAR_CLOSED : ((cur & BAR_GEN) + BAR_GEN_ONE) | 0;
    const seen = Atomics.compareExchange(a, state, cur, next);
    if (seen !== cur) { cur = seen; continue; }
    if (!last) return next;
    barrierWake(b);
    return (next & BAR_CLOSED) === 0;
  }
}

/** A waiter's look at the barrier it arrived at (`arrived`: barrierArrive's word): the answer, or undefined to keep waiting. */
export function barrierPoll(b: BarrierWords, arrived: number): boolean | undefined {
  const { i32: a, state } = b;
  for (;;) {
    const w = Atomics.load(a, state);
    if ((w & BAR_GEN) !== (arrived & BAR_GEN)) return true;   // completed: every party of this barrier goes on
    if ((w & BAR_CLOSED) !== 0) return false;                 // closed before it completed: none does
    if (!b.stopped()) return undefined;
    if (Atomics.compareExchange(a, state, w, w | BAR_CLOSED) === w) { barrierWake(b); return false; }
    // an arrival changed the word first: decide again
  }
}

/** Whoever advances or closes a barrier notifies if someone sleeps on it (a sleeper registers before it re-reads the word). */
function barrierWake(b: BarrierWords): void {
  if (Atomics.load(b.i32, b.sleepers) !== 0) Atomics.notify(b.i32, b.state);
}

/** Wait at a barrier: spin `spins` polls, then sleep on the state word in slices of `sliceMs` so a stop is noticed. */
export function barrierWait(b: BarrierWords, n: number, spins: number, sliceMs: number): boolean {
  const arrived = barrierArrive(b, n);
  if (typeof arrived === 'boolean') return arrived;
  for (let i = 0; ; i++) {
    const r = barrierPoll(b, arrived);
    if (r !== undefined) return r;
    if (i < spins) continue;
    Atomics.add(b.i32, b.sleepers, 1);
    Atomics.wait(b.i32, b.state, Atomics.load(b.i32, b.state), sliceMs);
    Atomics.sub(b.i32, b.sleepers, 1);
  }
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
    Atomics.notify(this.i32, CTL_BARRIER_STATE);
  }

  progress(party: number): void {
    Atomics.add(this.i32, CTL_PROGRESS + party, 1);
  }

  progressOf(party: number): number {
    return Atomics.load(this.i32, CTL_PROGRESS + party);
  }

  /** The header's barrier (barrierArrive): the same answer for every party of one barrier. */
  get barrierWords(): BarrierWords {
    return { i32: this.i32, state: CTL_BARRIER_STATE, sleepers: CTL_BARRIER_SLEEPERS, stopped: () => this.stopped };
  }

  /**
   * Wait until `parties` threads have arrived, then release all together;
   * false, for all of them, if the run was stopped first. Spins `spins`
   * polls (releases are tightly grouped), then sleeps on the state word.
   */
  barrier(parties: number, spins = 5000): boolean {
    return barrierWait(this.barrierWords, parties, spins, 50);
  }

  /** The same for a thread that must keep its event loop running (message-passing parties). */
  async barrierAsync(parties: number): Promise<boolean> {
    const b = this.barrierWords;
    const arrived = barrierArrive(b, parties);
    if (typeof arrived === 'boolean') return arrived;
    for (;;) {
      const r = barrierPoll(b, arrived);
      if (r !== undefined) return r;
      Atomics.add(this.i32, CTL_BARRIER_SLEEPERS, 1);
      const w = Atomics.waitAsync(this.i32, CTL_BARRIER_STATE, Atomics.load(this.i32, CTL_BARRIER_STATE), 100);
      if (w.async) await w.value;
      Atomics.sub(this.i32, CTL_BARRIER_SLEEPERS, 1);
    }
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
