// Stream parties over the FIFO protocol (wasmxen or the JS reference): a
// sender vCPU (or Xen raising a VIRQ), a receiving vCPU, and a vCPU that does
// both (IPI storm). The loops run in the engine; this code only stamps and
// collects latency samples between batches and decides when the run ends.
import { nowNs } from '../../harness/ctl.ts';
import { DrainWatch } from './drain.ts';
import { histogram, recorderOf, encode, type RoleContext, type RoleResult } from './context.ts';
import { engine, type EngineKind } from './engine.ts';
import { BENCH_MODE_SEND } from '../../../assembly/bench/layout.ts';

const WAIT_NS = 1e6; // a blocked loop returns to TypeScript at least this often
const IDLE_NS = 100e3; // an IPI vCPU with nothing to send or take blocks this long at most

export interface SenderArgs {
  engine: EngineKind;
  mode: number; dom: number; vcpu: number; arg: number; gpa: number;
  /** streams first..first+count-1 */
  first: number; count: number;
  seconds: number; batch: number; spins: number;
}

export function streamSender(ctx: RoleContext, a: SenderArgs): RoleResult {
  const { page, ctl } = ctx;
  const e = engine(ctx, a.engine);
  ctl.startBarrier(ctx.parties);
  const tStart = nowNs();
  const deadline = tStart + a.seconds * 1e9;
  let t = tStart;
  while (t < deadline && page.errors === 0 && !ctl.aborted) {
    const n = e.send(a.mode, a.dom, a.vcpu, a.arg, a.gpa, a.first, a.count, a.batch, a.spins, WAIT_NS);
    if (n > 0) for (let s = a.first; s < a.first + a.count; s++) ctl.stamp(s, page.sent(s), t);
    t = nowNs();
  }
  ctl.senderDone();
  return { tStart, tEnd: t };
}

export interface ReceiverArgs {
  engine: EngineKind;
  dom: number; gsGfn: number; vcpu: number;
  /** the streams this vCPU receives */
  streams: number[];
  senders: number; batch: number; spins: number;
  /** interrupt moderation (assembly/bench/stream.ts): events to let gather after an idle spell, 0 for none */
  holdoff: number;
  holdoffSpins: number;
}

export function streamReceiver(ctx: RoleContext, a: ReceiverArgs): RoleResult {
  const e = engine(ctx, a.engine);
  return receiveLoop(ctx, a.streams, a.senders, () => e.receive(a.dom, a.gsGfn, a.vcpu, a.batch, a.spins, WAIT_NS, a.holdoff, a.holdoffSpins));
}

/**
 * A receiver's measuring loop, after the start barrier: `take` a batch of
 * events (returns how many), and after each non-empty one run `took` (e.g.
 * publish what the handlers counted) and collect the streams' latencies
 * into `h` (a caller whose handlers also collect passes theirs); until the
 * DrainWatch has seen every stream drained.
 */
export function receiveLoop(ctx: RoleContext, streams: number[], senders: number, take: () => number, took?: () => void,
  h = histogram()): RoleResult {
  const { page, ctl } = ctx;
  const record = recorderOf(h);
  ctl.startBarrier(ctx.parties);
  const tStart = nowNs();
  const watch = new DrainWatch(page, ctl, streams, senders, tStart);
  let tEnd = tStart;
  for (;;) {
    const n = take();
    const t = nowNs();
    if (n > 0) {
      tEnd = t;
      took?.();
      for (const s of streams) ctl.collect(s, page.delivered(s), t, record);
    }
    if (watch.done(t)) break;
  }
  return { tStart, tEnd, hist: encode(h) };
}

export interface IpiArgs {
  engine: EngineKind;
  dom: number; vcpu: number; gsGfn: number; arg: number; gpa: number;
  /** the stream this vCPU sends (to the other vCPU) and the one it receives */
  sendStream: number; recvStream: number;
  /** vCPUs that send */
  senders: number;
  seconds: number; batch: number; spins: number;
}

/** A vCPU that raises IPIs on another and takes the IPIs raised on it, in one loop. */
export function ipiVcpu(ctx: RoleContext, a: IpiArgs): RoleResult {
  const { page, ctl } = ctx;
  const e = engine(ctx, a.engine);
  const h = histogram();
  const record = recorderOf(h);
  ctl.startBarrier(ctx.parties);
  const tStart = nowNs();
  const deadline = tStart + a.seconds * 1e9;
  const watch = new DrainWatch(page, ctl, [a.recvStream], a.senders, tStart);
  let sending = true;
  let tEnd = tStart;
  for (let t = tStart; ;) {
    if (sending && (t >= deadline || page.errors !== 0 || ctl.aborted)) { sending = false; ctl.senderDone(); }
    const s = sending ? e.send(BENCH_MODE_SEND, a.dom, a.vcpu, a.arg, a.gpa, a.sendStream, 1, a.batch, 0, 0) : 0;
    if (s > 0) ctl.stamp(a.sendStream, page.sent(a.sendStream), t);
    let r = e.receive(a.dom, a.gsGfn, a.vcpu, a.batch, a.spins, 0, 0, 0);
    if (s === 0 && r === 0) r = e.receive(a.dom, a.gsGfn, a.vcpu, a.batch, 0, IDLE_NS, 0, 0);
    t = nowNs();
    if (r > 0) {
      tEnd = t;
      ctl.collect(a.recvStream, page.delivered(a.recvStream), t, record);
    }
    if (!sending && watch.done(t)) break;
  }
  return { tStart, tEnd, hist: encode(h) };
}
