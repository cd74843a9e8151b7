// The control block of a litmus/stress run: a SharedArrayBuffer of i32 words
// outside the emulated machine's memory, shared by the runner (main thread)
// and every party. Parties coordinate only through Atomics on it (never
// sleeps): a reusable barrier, a stop flag, progress counters, per-port
// sent/delivered counters.
//
// ┌ 0 barrier arrived ┬ 1 barrier generation ┬ 2 stop ┬ 3 failed ┬ 4..11 progress[8] ┬ 16.. scenario words ┐

export const CTL_BARRIER_ARRIVED = 0;
export const CTL_BARRIER_GEN = 1;
export const CTL_STOP = 2;
export const CTL_FAILED = 3;
export const CTL_PROGRESS = 4; // one progress counter per party, up to 8 parties
export const CTL_MAX_PARTIES = 8;
export const CTL_USER = 16;

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
   * Spins briefly (releases are tightly grouped), then sleeps. Returns false
   * if the run was stopped while waiting.
   */
  barrier(parties: number): boolean {
    const gen = Atomics.load(this.i32, CTL_BARRIER_GEN);
    if (Atomics.add(this.i32, CTL_BARRIER_ARRIVED, 1) === parties - 1) {
      Atomics.store(this.i32, CTL_BARRIER_ARRIVED, 0);
      Atomics.add(this.i32, CTL_BARRIER_GEN, 1);
      Atomics.notify(this.i32, CTL_BARRIER_GEN);
      return true;
    }
    for (let i = 0; i < 5000; i++) {
      if (Atomics.load(this.i32, CTL_BARRIER_GEN) !== gen) return true;
    }
    while (Atomics.load(this.i32, CTL_BARRIER_GEN) === gen) {
      if (this.stopped) return false;
      Atomics.wait(this.i32, CTL_BARRIER_GEN, gen, 50);
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
