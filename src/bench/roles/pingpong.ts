// Ping-pong parties over the FIFO protocol (wasmxen or the JS reference): the
// pinger times each round trip from TypeScript around one engine call; the
// echo answers in batches. Accounting on the bench page: stream 0 = pings
// (sent by the pinger, delivered to the echo), stream 1 = answers.
import { nowNs } from '../../harness/ctl.ts';
import { BP_STREAMS, BP_STREAM_BYTES, SS_SENT, SR_COUNT } from '../../../assembly/bench/layout.ts';
import { histogram, encode, DRAIN_LIMIT_NS, LostEventsError, type RoleContext, type RoleResult } from './context.ts';
import { engine, type EngineKind } from './engine.ts';
import type { BenchPage } from '../page.ts';

const WAIT_NS = 1e6;

/** Record the final counts of one side of a ping-pong on the page (the runner checks sent = delivered). */
export function settlePingPong(page: BenchPage, side: 'pinger' | 'echo', sent: number, delivered: number): void {
  const stream = (s: number, f: number) => BP_STREAMS + s * BP_STREAM_BYTES + f;
  page.set(stream(side === 'pinger' ? 0 : 1, SS_SENT), sent);
  page.set(stream(side === 'pinger' ? 1 : 0, SR_COUNT), delivered);
}

export interface PingArgs {
  engine: EngineKind;
  dom: number; vcpu: number; arg: number; gpa: number; gsGfn: number;
  /** sender-side port to ping on, receiver-side port the answer arrives on */
  port: number; expect: number;
  seconds: number; spins: number;
}

export function pinger(ctx: RoleContext, a: PingArgs): RoleResult {
  const { page, ctl } = ctx;
  const e = engine(ctx, a.engine);
  const h = histogram();
  ctl.startBarrier(ctx.parties);
  const tStart = nowNs();
  const deadline = tStart + a.seconds * 1e9;
  let pings = 0;
  let pongs = 0;
  let t = tStart;
  while (t < deadline && page.errors === 0 && !ctl.aborted) {
    let r = e.ping(a.dom, a.vcpu, a.arg, a.gpa, a.port, a.gsGfn, a.spins, WAIT_NS);
    pings++;
    while (r === 0) {
      if (nowNs() - t > DRAIN_LIMIT_NS) throw new LostEventsError(`ping-pong: no answer to ping ${pings} within ${DRAIN_LIMIT_NS / 1e9} s`);
      r = e.ping(a.dom, a.vcpu, a.arg, a.gpa, 0, a.gsGfn, a.spins, WAIT_NS);
    }
    const t1 = nowNs();
    if (r < 0) { page.fail(0, a.port, r); break; }
    if (r !== a.expect) page.fail(1, a.expect, r);
    pongs++;
    h.recordValue(Math.max(1, t1 - t));
    t = t1;
  }
  settlePingPong(page, 'pinger', pings, pongs);
  ctl.senderDone();
  return { tStart, tEnd: t, hist: encode(h) };
}

export interface EchoArgs {
  engine: EngineKind;
  dom: number; vcpu: number; arg: number; gpa: number; gsGfn: number;
  /** receiver-side port pings arrive on, sender-side port to answer on */
  expect: number; reply: number;
  spins: number;
}

export function echo(ctx: RoleContext, a: EchoArgs): RoleResult {
  const { page, ctl } = ctx;
  const e = engine(ctx, a.engine);
  ctl.startBarrier(ctx.parties);
  const tStart = nowNs();
  let tEnd = tStart;
  let last = tStart;
  for (;;) {
    const n = e.echo(a.dom, a.vcpu, a.arg, a.gpa, a.gsGfn, a.expect, a.reply, 1 << 20, a.spins, WAIT_NS);
    const t = nowNs();
    if (n > 0) { tEnd = t; last = t; }
    if (page.errors !== 0 || ctl.aborted) break;
    if (ctl.sendersDone > 0) {
      const pings = page.sent(0);
      if (page.echoes === pings) break;
      if (t - last > DRAIN_LIMIT_NS) throw new LostEventsError(`ping-pong: ${pings} pings, ${page.echoes} answered`);
    }
  }
  settlePingPong(page, 'echo', page.echoes, page.echoes);
  return { tStart, tEnd };
}
