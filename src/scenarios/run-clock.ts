// A run's clock: seconds since it started (monotonic), and the bounded
// polling wait both run scenarios use while they boot, run and drain.
import { monotonicNs } from '../platform/clock.ts';

/** How often a wait polls (and a scenario samples its counters: WideCounter needs a sample well within a wrap). */
const TICK_MS = 100;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class RunClock {
  private readonly started = monotonicNs();

  /** Seconds since the run started. */
  now(): number {
    return Number(monotonicNs() - this.started) / 1e9;
  }

  /** Until `done` (which samples) holds or `limitS` (seconds since the start) passes, every TICK_MS; true if done. */
  async waitUntil(done: () => boolean, limitS: number): Promise<boolean> {
    for (;;) {
      if (done()) return true;
      const left = limitS - this.now();
      if (left <= 0) return false;
      await sleep(Math.min(TICK_MS, left * 1000));
    }
  }

  /** Sample with `tick` every TICK_MS until `untilS` seconds since the start. */
  async runUntil(tick: () => void, untilS: number): Promise<void> {
    await this.waitUntil(() => (tick(), false), untilS);
  }
}
