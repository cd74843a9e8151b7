// Traced operations of the stress parties: each wraps one wasm call and, in
// trace mode, logs the event word it read before and the value it left after.
// Without a trace they cost one branch.
import type { StressEnv, StepName } from './stress-core.ts';
import { CB_READY_OFFSET } from '../../../assembly/shared/fifo-abi.ts';

/** Byte address of `port`'s event word as Xen sees it (0 if not covered). */
export function wordAddr(env: StressEnv, dom: number, port: number): number {
  return env.x.addrEventWord(dom, port) >>> 0;
}

/** Run `op` as a traced step. */
export function step(env: StressEnv, name: StepName, port: number, addr: number, op: () => number, dom = NaN): number {
  const tr = env.tr;
  if (!tr) return op();
  const s = tr.begin(name, port, addr, dom);
  const rc = op();
  tr.end(s, addr, rc);
  return rc;
}

const RAISE_DROPPED = 2;
const MAX_DROP_RETRIES = 10_000;

/**
 * Xen's set_pending for `port` on `vcpu` behind the usable filter (the hook
 * EVTCHNOP_send reaches), retried while the queue-lock loop gives up (I12: a
 * dropped raise set nothing). Returns { newly, drops }.
 */
export function raise(env: StressEnv, dom: number, vcpu: number, port: number, addr: number): { newly: boolean; drops: number } {
  const x = env.x;
  for (let drops = 0; ; drops++) {
    const rc = step(env, 'raise', port, addr, () => x.evtchnSetPending(dom, vcpu, port), dom);
    if (!(rc & RAISE_DROPPED)) return { newly: (rc & 1) !== 0, drops };
    if (drops > MAX_DROP_RETRIES) throw new Error(`port ${port}: raise dropped ${drops} times in a row`);
  }
}

/** The guest's unmask: the fast path, then EVTCHNOP_unmask when it answers 1 (I16). Returns true if the hypercall was needed. */
export function unmask(env: StressEnv, dom: number, gsGfn: number, port: number, addr: number): boolean {
  const x = env.x;
  const rc = step(env, 'unmask (fast path)', port, addr, () => x.guestFifoUnmask(dom, gsGfn, port), dom);
  if (rc !== 1) return false;
  step(env, 'EVTCHNOP_unmask', port, addr, () => x.evtchnUnmask(dom, port), dom);
  return true;
}

export function mask(env: StressEnv, dom: number, gsGfn: number, port: number, addr: number): void {
  step(env, 'mask', port, addr, () => env.x.guestFifoMask(dom, gsGfn, port), dom);
}

/**
 * One upcall on `vcpu` as the guest kernel runs it (spec §10.1): clear the
 * flag, take events until none. `got` sees each dispatched port. Returns the
 * number of events.
 */
export function upcallFifo(env: StressEnv, dom: number, gsGfn: number, vcpu: number, got: (p: number) => void,
  name: StepName = 'upcall'): number {
  const x = env.x;
  const tr = env.tr;
  const ready = tr ? (x.addrControlBlock(dom, vcpu) >>> 0) + CB_READY_OFFSET : 0;
  const s = tr?.begin(name, 0, ready, dom);
  x.clearUpcallPending(dom, vcpu);
  let n = 0;
  for (;;) {
    const p = x.guestFifoNext(dom, gsGfn, vcpu) >>> 0;
    if (p === 0) break;
    if (tr) { const c = tr.begin('consume', p, 0, dom); tr.end(c, wordAddr(env, dom, p), p); }
    got(p);
    n++;
  }
  if (tr && s !== undefined) tr.end(s, ready, n);
  return n;
}

/** Upcalls until the flag stays clear (the final drain of a check). */
export function drainFifo(env: StressEnv, dom: number, gsGfn: number, vcpu: number, got: (p: number) => void): number {
  let n = 0;
  do n += upcallFifo(env, dom, gsGfn, vcpu, got, 'drain (check)');
  while (env.x.upcallPending(dom, vcpu) !== 0);
  return n;
}

/** Formatted event word for failure details. */
export function fmtWord(env: StressEnv, dom: number, port: number): string {
  const a = wordAddr(env, dom, port);
  if (a === 0) return '(no word)';
  const w = env.dp.load32(a);
  const f = `${w & 0x80000000 ? 'P' : '-'}${w & 0x40000000 ? 'M' : '-'}${w & 0x20000000 ? 'L' : '-'}${w & 0x10000000 ? 'B' : '-'}`;
  return `0x${(w >>> 0).toString(16).padStart(8, '0')} [${f}] link=${w & 0x1ffff}`;
}
