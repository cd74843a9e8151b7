// Race evidence of the FIFO parties (src/litmus/parties/fifo.ts): ctl words,
// after the accounting words below F_SENT, that count steps which could only
// have happened if two parties really interleaved. The race tests repeat runs
// until these are non-zero, then trust their outcomes.
import type { PartyContext } from '../registry.ts';

/**
 * Race evidence (the tests loop until it is non-zero). A sender's raise is a
 * seqlock: F_RAISE_DOM+sender is stored, then F_RAISE_SEQ+sender goes odd for
 * the whole fifoSetPending/send and even after it. Another party reading the
 * same odd value before and after its own step ran that step inside the raise;
 * reading an odd value first or a changed value after means the two overlapped.
 */
export const RAISE_SEQ_SENDERS = 4;
export const F_RAISE_SEQ = 8;         // + sender (< RAISE_SEQ_SENDERS)
export const F_RAISE_DOM = 12;        // + sender: domain of the raise in flight
export const F_RETARGETED = 16;       // raises whose notify vCPU changed between reading it and the raise returning (bind_vcpu landed mid-raise)
export const F_DRAIN_IN_RAISE = 17;   // guest consumes (next event) that overlapped a raise
export const F_RAISE_IN_RAISE = 18;   // raises that overlapped another sender's raise
export const F_TAIL_IN_RAISE = 19;    // hammer rewrites of the likely tail (the port raised last) made inside one raise on its domain
export const F_CHANGED_LINKED = 20;   // set_priority / bind_vcpu calls on an event LINKED just before and just after the call
export const F_RAISE_VCPU = 21;       // + sender: target vCPU + 1 of the IPI in flight (IPI storm)

/** Sequence words of every sender's raise, read into `out` (see F_RAISE_SEQ). */
export function raiseSeqs(ctl: PartyContext['ctl'], out: number[]): number[] {
  for (let i = 0; i < RAISE_SEQ_SENDERS; i++) out[i] = ctl.load(F_RAISE_SEQ + i);
  return out;
}

/** Whether a step bracketed by the seq snapshots `before`/`after` overlapped a raise of a sender other than `self`. */
export function overlappedRaise(before: number[], after: number[], self = -1): boolean {
  for (let i = 0; i < RAISE_SEQ_SENDERS; i++) if (i !== self && ((before[i] & 1) !== 0 || before[i] !== after[i])) return true;
  return false;
}

/**
 * Whether sender `i`'s raise in flight right now targets `value` in word
 * `targetWord` (+i): the target is read between two equal odd reads of the
 * sender's seq, so it belongs to that raise, which was in flight meanwhile.
 */
export function raiseInFlightTo(ctl: PartyContext['ctl'], i: number, targetWord: number, value: number): boolean {
  const s = ctl.load(F_RAISE_SEQ + i);
  if ((s & 1) === 0) return false;
  const t = ctl.load(targetWord + i);
  return ctl.load(F_RAISE_SEQ + i) === s && t === value;
}
