// wasmxen parties: every event goes through the data plane's wasm, batched in
// wasm loops (assembly/bench/); the TypeScript here only stamps and collects
// latency samples between batches and decides when the run ends.
import { nowNs } from '../ctl.ts';
import { DrainWatch } from './drain.ts';
import { histogram, encode, type RoleContext, type RoleResult } from './context.ts';

const WAIT_NS = 1e6; // a blocked loop returns to TypeScript at least this often

export interface SenderArgs {
  mode: number; dom: number; vcpu: number; arg: number; gpa: number;
  /** streams first..first+count-1 */
  first: number; count: number;
  seconds: number; batch: number; spins: number;
}

export function wasmSender(ctx: RoleContext, a: SenderArgs): RoleResult {
  const { page, ctl } = ctx;
  const bx = ctx.bx!;
  ctl.barrier(ctx.parties);
  const tStart = nowNs();
  const deadline = tStart + a.seconds * 1e9;
  let t = tStart;
  while (t < deadline && page.errors === 0 && !ctl.aborted) {
    const n = bx.benchSend(page.addr, a.mode, a.dom, a.vcpu, a.arg, a.gpa, a.first, a.count, a.batch, a.spins, WAIT_NS);
    if (n > 0) for (let s = a.first; s < a.first + a.count; s++) ctl.stamp(s, page.sent(s), t);
    t = nowNs();
  }
  ctl.senderDone();
  return { tStart, tEnd: t };
}

export interface ReceiverArgs {
  dom: number; gsGfn: number; vcpu: number;
  /** the streams this vCPU receives */
  streams: number[];
  senders: number; batch: number; spins: number;
  /** interrupt moderation (assembly/bench/stream.ts): events to let gather after an idle spell, 0 for none */
  holdoff: number;
  holdoffSpins: number;
}

export function wasmReceiver(ctx: RoleContext, a: ReceiverArgs): RoleResult {
  const { page, ctl } = ctx;
  const bx = ctx.bx!;
  const h = histogram();
  const record = (ns: number) => h.recordValue(Math.max(1, Math.round(ns)));
  ctl.barrier(ctx.parties);
  const tStart = nowNs();
  const watch = new DrainWatch(page, ctl, a.streams, a.senders, tStart);
  let tEnd = tStart;
  for (;;) {
    const n = bx.benchReceive(page.addr, a.dom, a.gsGfn, a.vcpu, a.batch, a.spins, WAIT_NS, a.holdoff, a.holdoffSpins);
    const t = nowNs();
    if (n > 0) {
      tEnd = t;
      for (const s of a.streams) ctl.collect(s, page.delivered(s), t, record);
    }
    if (watch.done(t)) break;
  }
  return { tStart, tEnd, hist: encode(h) };
}
