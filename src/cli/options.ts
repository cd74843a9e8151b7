// Parsers of the numeric command-line options. Every number has an upper
// bound — what the timers and counters behind it can hold — and a bad value
// ends in one line naming the option's range.
import { InvalidArgumentError } from 'commander';

/** A number in (0, max]; `why` says what the bound is (printed when exceeded). */
export function boundedNumber(max: number, why: string): (v: string) => number {
  return (v: string) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`expected a positive number, got '${v}'`);
    if (n > max) throw new InvalidArgumentError(`at most ${max.toLocaleString('en-US')} (${why}), got '${v}'`);
    return n;
  };
}

/** A whole number in [1, max]. */
export function boundedInteger(max: number, why: string): (v: string) => number {
  const num = boundedNumber(max, why);
  return (v: string) => {
    const n = num(v);
    if (!Number.isInteger(n)) throw new InvalidArgumentError(`expected a whole number, got '${v}'`);
    return n;
  };
}

/** Node's timers hold at most 2^31 - 1 ms. */
export const TIMER_MAX_MS = 2 ** 31 - 1;
