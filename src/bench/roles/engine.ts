// The two implementations of the FIFO protocol the stream parties can drive:
// wasmxen (the data plane's wasm, loops batched in wasm) and the JS
// reference (src/bench/js-fifo, the same protocol with JS Atomics). Both take
// the same arguments; timeouts are in ns, 0 for "do not block". Spin counts
// are rounds of the wasm loops; the JS reference spins for the same time
// (a JS round of Atomics.load costs about ten wasm rounds here), scaled by a
// calibration made once per worker, so that neither spins longer before
// blocking than the other.
import type { RoleContext } from './context.ts';
import { JsXen } from '../js-fifo/xen.ts';
import { JsGuest, BLOCK_SPINS } from '../js-fifo/guest.ts';
import { JsBenchLoops } from '../js-fifo/loops.ts';
import { BH_ZERO } from '../../../assembly/bench/layout.ts';
import { nowNs } from '../../harness/ctl.ts';

export type EngineKind = 'wasm' | 'js';

export interface Engine {
  send(mode: number, dom: number, vcpu: number, arg: number, gpa: number, first: number, count: number,
    max: number, spins: number, timeoutNs: number): number;
  receive(dom: number, gsGfn: number, vcpu: number, max: number, spins: number, timeoutNs: number,
    holdoff: number, holdoffSpins: number): number;
  /** one round trip (port 0: only wait): the port answered on, 0 on timeout, -errno */
  ping(dom: number, vcpu: number, arg: number, gpa: number, port: number, gsGfn: number, spins: number, timeoutNs: number): number;
  echo(dom: number, vcpu: number, arg: number, gpa: number, gsGfn: number, expect: number, reply: number,
    max: number, spins: number, timeoutNs: number): number;
}

let jsRoundsPerWasmRound: number | undefined;

/** JS spin rounds that last as long as one wasm spin round, measured on this thread. */
function calibrate(ctx: RoleContext): number {
  if (jsRoundsPerWasmRound !== undefined) return jsRoundsPerWasmRound;
  const zero = ctx.page.addr + BH_ZERO;
  const i32 = ctx.page.i32;
  const zi = BH_ZERO >> 2;
  const jsSpin = (n: number) => { let k = 0; for (; k < n; k++) if (Atomics.load(i32, zi) !== 0) break; return k; };
  let best = Infinity;
  for (let round = 0; round < 5; round++) {
    const t0 = nowNs();
    ctx.bx!.benchSpin(zero, 400_000);
    const t1 = nowNs();
    jsSpin(40_000);
    const t2 = nowNs();
    const wasmNs = (t1 - t0) / 400_000;
    const jsNs = (t2 - t1) / 40_000;
    best = Math.min(best, wasmNs / jsNs);
  }
  jsRoundsPerWasmRound = Math.min(1, Math.max(0.01, best));
  return jsRoundsPerWasmRound;
}

export function engine(ctx: RoleContext, kind: EngineKind): Engine {
  if (!ctx.dp) throw new Error(`bench: the ${kind} engine needs the machine's memory`);
  if (kind === 'wasm') {
    const bx = ctx.bx!;
    const page = ctx.page.addr;
    return {
      send: (mode, dom, vcpu, arg, gpa, first, count, max, spins, t) => bx.benchSend(page, mode, dom, vcpu, arg, gpa, first, count, max, spins, t),
      receive: (dom, gs, vcpu, max, spins, t, h, hs) => bx.benchReceive(page, dom, gs, vcpu, max, spins, t, h, hs),
      ping: (dom, vcpu, arg, gpa, port, gs, spins, t) => bx.benchPing(dom, vcpu, arg, gpa, port, gs, spins, t),
      echo: (dom, vcpu, arg, gpa, gs, expect, reply, max, spins, t) => bx.benchEcho(page, dom, vcpu, arg, gpa, gs, expect, reply, max, spins, t),
    };
  }
  const scale = calibrate(ctx);
  const r = (spins: number) => Math.max(spins > 0 ? 1 : 0, Math.round(spins * scale));
  const buf = ctx.dp.memory.buffer;
  const guest = new JsGuest(buf, ctx.dp.layout);
  guest.blockSpins = r(BLOCK_SPINS);
  const loops = new JsBenchLoops(ctx.page, new JsXen(buf, ctx.dp.layout), guest);
  const ms = (ns: number) => ns / 1e6;
  return {
    send: (mode, dom, vcpu, arg, gpa, first, count, max, spins, t) => loops.send(mode, dom, vcpu, arg, gpa, first, count, max, r(spins), ms(t)),
    receive: (dom, gs, vcpu, max, spins, t, h, hs) => loops.receive(dom, gs, vcpu, max, r(spins), ms(t), h, r(hs)),
    ping: (dom, vcpu, arg, gpa, port, gs, spins, t) => loops.ping(dom, vcpu, arg, gpa, port, gs, r(spins), ms(t)),
    echo: (dom, vcpu, arg, gpa, gs, expect, reply, max, spins, t) => loops.echo(dom, vcpu, arg, gpa, gs, expect, reply, max, r(spins), ms(t)),
  };
}
