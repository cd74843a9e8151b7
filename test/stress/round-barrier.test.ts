// The harness barriers (the stress round barrier and Ctl's header barrier,
// one algorithm: src/harness/ctl.ts barrierArrive) answer every party of one barrier alike: all go
// on, or (the run stopped) none does. A round whose roles disagree hangs: in
// the destroy scenario roles 1 and 2 loop until role 0 releases D, so a role 0
// that left at a barrier its peers passed stalled them until the watchdog
// fired. The two interleavings around a stop are forced deterministically on
// one thread: the other party's arrival runs inside the waiter's read of the
// stop flag, exactly between its checks of the barrier word.
import { describe, it, expect } from 'vitest';
import { Ctl } from '../../src/harness/ctl.ts';
import { roundBarrier as stressRoundBarrier, STRESS_CTL_WORDS } from '../../src/litmus/parties/stress-core.ts';

/** A view of `ctl` whose stop flag reads `stopped`, running `onRead` once, at the first read. */
function viewOf(ctl: Ctl, stopped: () => boolean, onRead?: () => void): Ctl {
  let hooked = false;
  const view = Object.create(ctl) as Ctl;
  Object.defineProperty(view, 'stopped', {
    get() {
      if (!hooked && onRead) { hooked = true; onRead(); }
      return stopped();
    },
  });
  return view;
}

const barriers = [
  ['roundBarrier', (c: Ctl, n: number) => stressRoundBarrier(c, n)],
  ['Ctl.barrier', (c: Ctl, n: number) => c.barrier(n, 0)],
] as const;

describe.each(barriers)('%s: one answer per barrier', (_name, roundBarrier) => {
  it('the last arrival completes it while the waiter reads the stop: both go on, and the next barrier closes for both', () => {
    const ctl = Ctl.create(STRESS_CTL_WORDS);
    let lastAnswer: boolean | undefined;
    // the waiter sees the run stopped; the last arriver read it still running
    const waiter = viewOf(ctl, () => true, () => { lastAnswer = roundBarrier(viewOf(ctl, () => false), 2); });
    const waiterAnswer = roundBarrier(waiter, 2);
    expect(lastAnswer).toBe(true);
    expect(waiterAnswer).toBe(lastAnswer);
    // the run is over: the next barrier answers false to both, whoever comes first
    const stopped = viewOf(ctl, () => true);
    expect(roundBarrier(stopped, 2)).toBe(false);
    expect(roundBarrier(stopped, 2)).toBe(false);
  });

  it('a waiter that sees the stop closes it before the last arrival: neither goes on', () => {
    const ctl = Ctl.create(STRESS_CTL_WORDS);
    let running = true;
    const waiter = viewOf(ctl, () => !running, () => { running = false; });
    expect(roundBarrier(waiter, 2)).toBe(false);
    // the last party read the stop flag before it was set, and arrives now
    expect(roundBarrier(viewOf(ctl, () => false), 2)).toBe(false);
  });

  it('a last arriver that sees the stop closes it: the parties waiting answer false too', () => {
    const ctl = Ctl.create(STRESS_CTL_WORDS);
    let lastAnswer: boolean | undefined;
    const waiter = viewOf(ctl, () => false, () => { lastAnswer = roundBarrier(viewOf(ctl, () => true), 2); });
    expect(roundBarrier(waiter, 2)).toBe(false);
    expect(lastAnswer).toBe(false);
  });

  it('a running run passes barrier after barrier, three parties each', () => {
    const ctl = Ctl.create(STRESS_CTL_WORDS);
    for (let round = 0; round < 5; round++) {
      const answers: boolean[] = [];
      const third = viewOf(ctl, () => false);
      const second = viewOf(ctl, () => false, () => { answers.push(roundBarrier(third, 3)); });
      const first = viewOf(ctl, () => false, () => { answers.push(roundBarrier(second, 3)); });
      answers.push(roundBarrier(first, 3));
      expect(answers).toEqual([true, true, true]);
    }
  });
});
