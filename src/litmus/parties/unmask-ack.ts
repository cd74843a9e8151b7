// EVTCHNOP_unmask × the guest taking the event (I26), on real threads.
//
// Each round starts with one event raised while unmasked (PENDING, LINKED
// on vCPU 0's queue) and then masked by the guest, as Linux's
// disable_dynirq does. Released together:
//   unmasker — the guest unmasks it Linux-style from another vCPU: the fast
//              path sees PENDING and issues EVTCHNOP_unmask;
//   consumer — vCPU 0's upcall loop: takes the LINKED event off its queue,
//              acking (clearing PENDING) and handling it if it is no longer
//              masked by then; after the second barrier it drains once more.
// One raise per round, so exactly one delivery. Xen's evtchn_fifo_unmask
// tests PENDING and then sets it again in set_pending: a consumer that acked
// in between gets a second delivery nobody raised. wasmxen's relink never
// sets PENDING (assembly/fifo/raise.ts); the stress build's INJ_XEN_UNMASK
// restores Xen's behaviour, which this run must then count.
import type { PartyContext } from '../registry.ts';
import { rng } from '../../util/rng.ts';
import { jitter } from './stress-core.ts';
import { EVTCHN_FIFO_PENDING } from '../../../assembly/shared/fifo-abi.ts';

export interface UnmaskAckArgs {
  dom: number;
  gsGfn: number;
  port: number;
  rounds: number;
  seed: number;
}

export interface UnmaskAckResult {
  rounds: number;
  /** deliveries beyond the round's one raise */
  spurious: number;
  /** rounds with no delivery */
  lost: number;
  /** unmasks that needed EVTCHNOP_unmask */
  hypercalls: number;
}

// control words (Ctl user words)
const W_HYPERCALLS = 0;
/** fifoSetPending's result bit: the raise gave up (assembly/fifo/raise.ts, a u32 the TS side can not import) */
const RAISE_DROPPED = 2;

function drain(ctx: PartyContext, a: UnmaskAckArgs): number {
  const x = ctx.dp.x;
  let n = 0;
  do {
    x.clearUpcallPending(a.dom, 0);
    for (let p = x.guestFifoNext(a.dom, a.gsGfn, 0); p !== 0; p = x.guestFifoNext(a.dom, a.gsGfn, 0)) if ((p >>> 0) === a.port) n++;
  } while (x.upcallPending(a.dom, 0) !== 0);
  return n;
}

export function unmaskAckUnmasker(ctx: PartyContext): UnmaskAckResult {
  const a = ctx.args as UnmaskAckArgs;
  const { ctl } = ctx;
  const x = ctx.dp.x;
  const next = rng(a.seed ^ 0x5bd1e995);
  let rounds = 0;
  for (; rounds < a.rounds && !ctl.stopped; rounds++) {
    // the round's event: raised while unmasked (linked), then masked by the guest
    if ((x.fifoSetPending(a.dom, 0, a.port) & RAISE_DROPPED) !== 0) throw new Error('raise dropped');
    x.guestFifoMask(a.dom, a.gsGfn, a.port);
    if (!ctl.barrier(2)) break;
    jitter(next, 64);
    const rc = x.guestFifoUnmask(a.dom, a.gsGfn, a.port);
    if (rc === 1) {
      const e = x.evtchnUnmask(a.dom, a.port);
      if (e !== 0) throw new Error(`EVTCHNOP_unmask returned ${e}`);
      ctl.add(W_HYPERCALLS, 1);
    } else if (rc !== 0) {
      throw new Error(`guest unmask returned ${rc}`);
    }
    if (!ctl.barrier(2)) break; // the consumer drains and judges
    if (!ctl.barrier(2)) break; // judged: the next round may raise
    ctl.progress(ctx.index);
  }
  return { rounds, spurious: 0, lost: 0, hypercalls: ctl.load(W_HYPERCALLS) };
}

export function unmaskAckConsumer(ctx: PartyContext): UnmaskAckResult {
  const a = ctx.args as UnmaskAckArgs;
  const { ctl } = ctx;
  const next = rng(a.seed ^ 0x27d4eb2f);
  const r: UnmaskAckResult = { rounds: 0, spurious: 0, lost: 0, hypercalls: 0 };
  for (; r.rounds < a.rounds && !ctl.stopped; r.rounds++) {
    if (!ctl.barrier(2)) break;
    jitter(next, 64);
    // vCPU 0's upcall loop, racing the unmask
    let n = drain(ctx, a);
    if (!ctl.barrier(2)) break;
    n += drain(ctx, a);
    if (n > 1) r.spurious += n - 1;
    if (n === 0) r.lost++;
    if (((ctx.dp.eventWord(a.dom, a.port) ?? 0) & EVTCHN_FIFO_PENDING) !== 0) throw new Error(`round ${r.rounds}: the event is still pending after the drain`);
    if (!ctl.barrier(2)) break;
    ctl.progress(ctx.index);
  }
  return r;
}
