// The two implementations of the FIFO protocol the stream parties can drive:
// wasmxen (the data plane's wasm, loops batched in wasm) and the JS
// reference (src/bench/js-fifo, the same protocol with JS Atomics). Both take
// the same arguments; timeouts are in ns, 0 for "do not block".
import type { RoleContext } from './context.ts';
import { JsXen } from '../js-fifo/xen.ts';
import { JsGuest } from '../js-fifo/guest.ts';
import { JsBenchLoops } from '../js-fifo/loops.ts';

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
  const buf = ctx.dp.memory.buffer;
  const loops = new JsBenchLoops(ctx.page, new JsXen(buf), new JsGuest(buf));
  const ms = (ns: number) => ns / 1e6;
  return {
    send: (mode, dom, vcpu, arg, gpa, first, count, max, spins, t) => loops.send(mode, dom, vcpu, arg, gpa, first, count, max, spins, ms(t)),
    receive: (dom, gs, vcpu, max, spins, t, h, hs) => loops.receive(dom, gs, vcpu, max, spins, ms(t), h, hs),
    ping: (dom, vcpu, arg, gpa, port, gs, spins, t) => loops.ping(dom, vcpu, arg, gpa, port, gs, spins, ms(t)),
    echo: (dom, vcpu, arg, gpa, gs, expect, reply, max, spins, t) => loops.echo(dom, vcpu, arg, gpa, gs, expect, reply, max, spins, ms(t)),
  };
}
