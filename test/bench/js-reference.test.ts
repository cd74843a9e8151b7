// The JS reference implementation (src/bench/js-fifo) is a baseline only if
// it runs the same protocol as the wasm data plane: on one machine, events
// the JS reference sends are consumed by the wasm guest driver and the other
// way round, in FIFO and priority order, with the same statistics and the
// same state left behind.
import { describe, it, expect } from 'vitest';
import { createBenchMachine, bindInterdomainStreams, bindTimerVirq } from '../../src/bench/machine.ts';
import { JsXen } from '../../src/bench/js-fifo/xen.ts';
import { JsGuest } from '../../src/bench/js-fifo/guest.ts';
import { EVTCHNOP_send } from '../../assembly/shared/evtchn-abi.ts';

function setup(priority?: (s: number) => number) {
  const bm = createBenchMachine([{ domid: 1, vcpus: 1 }, { domid: 2, vcpus: 1 }], 1023, 2);
  const ports = bindInterdomainStreams(bm, { sendDom: 1, recvDom: 2, streams: 4, ports: 8, priority });
  bm.drainAll();
  const buf = bm.m.memory.buffer;
  const arg = bm.arg(1, 0);
  const x = bm.m.dp.x;
  const gs = bm.layout(2).gsGfn;
  return {
    bm, ports, x, gs, xen: new JsXen(buf, bm.m.dp.layout), guest: new JsGuest(buf, bm.m.dp.layout),
    jsSend(port: number) {
      new Uint32Array(buf)[arg.addr >>> 2] = port;
      return new JsXen(buf, bm.m.dp.layout).eventChannelOp(1, 0, EVTCHNOP_send, arg.gpa);
    },
    wasmSend(port: number) {
      new Uint32Array(buf)[arg.addr >>> 2] = port;
      return x.eventChannelOp(1, 0, EVTCHNOP_send, arg.gpa, 0);
    },
    wasmDrain(): number[] {
      const out: number[] = [];
      do {
        x.clearUpcallPending(2, 0);
        for (let p = x.guestFifoNext(2, gs, 0); p !== 0; p = x.guestFifoNext(2, gs, 0)) out.push(p >>> 0);
      } while (x.upcallPending(2, 0) !== 0);
      return out;
    },
    jsDrain(guest: JsGuest): number[] {
      const out: number[] = [];
      do {
        guest.clearUpcallPending(2, 0);
        for (let p = guest.next(2, gs, 0); p !== 0; p = guest.next(2, gs, 0)) out.push(p);
      } while (guest.upcallPending(2, 0) !== 0);
      return out;
    },
  };
}

describe('JS reference implementation of the FIFO send path', () => {
  it('JS sends, the wasm guest consumes: FIFO order, one upcall, stats as the release build keeps them (I11, I15)', () => {
    const t = setup();
    const before = t.bm.m.dp.stats(2);
    const sent: number[] = [];
    for (let i = 0; i < 32; i++) {
      expect(t.jsSend(t.ports.sendFirst + i)).toBe(0);
      sent.push(t.ports.recvFirst + i);
    }
    expect(t.x.upcallPending(2, 0)).toBe(1);
    expect(t.wasmDrain()).toEqual(sent);
    const after = t.bm.m.dp.stats(2);
    // the release build keeps only the rare counters (layout.ts): one upcall, no LINK retry
    expect(after.upcalls - before.upcalls).toBe(1);
    expect(after.linkTries.slice(2).reduce((n, v) => n + v, 0) - before.linkTries.slice(2).reduce((n, v) => n + v, 0)).toBe(0);
    expect(after.linkGaveUp - before.linkGaveUp).toBe(0);
  });

  it('wasm sends, the JS guest consumes; interleaved senders share one queue', () => {
    const t = setup();
    const sent: number[] = [];
    for (let i = 0; i < 32; i++) {
      expect(i % 2 ? t.wasmSend(t.ports.sendFirst + i) : t.jsSend(t.ports.sendFirst + i)).toBe(0);
      sent.push(t.ports.recvFirst + i);
    }
    expect(t.jsDrain(t.guest)).toEqual(sent);
    // everything consumed: a new event becomes a new head again (I13)
    expect(t.wasmSend(t.ports.sendFirst)).toBe(0);
    expect(t.wasmDrain()).toEqual([t.ports.recvFirst]);
  });

  it('priorities: higher-priority queues are served first whoever raised (I15)', () => {
    const t = setup((s) => [9, 1, 5, 3][s]);
    for (let i = 0; i < 32; i++) expect(t.jsSend(t.ports.sendFirst + i)).toBe(0);
    const got = t.wasmDrain();
    const stream = (p: number) => Math.floor((p - t.ports.recvFirst) / 8);
    expect(got.map(stream)).toEqual([1, 3, 2, 0].flatMap((s) => Array(8).fill(s)));
  });

  it('a re-raise of a pending event coalesces; errors are Xen\'s', () => {
    const t = setup();
    expect(t.jsSend(t.ports.sendFirst)).toBe(0);
    expect(t.jsSend(t.ports.sendFirst)).toBe(0);
    expect(t.wasmDrain()).toEqual([t.ports.recvFirst]);
    expect(t.jsSend(5000)).toBe(-22); // -EINVAL: not a valid port
    expect(t.xen.eventChannelOp(1, 0, EVTCHNOP_send, 1 << 30)).toBe(-14); // -EFAULT: struct outside guest memory
  });

  it('a per-vCPU VIRQ raised by the JS reference reaches the wasm guest', () => {
    const bm = createBenchMachine([{ domid: 1, vcpus: 1 }], 1023, 1);
    const port = bindTimerVirq(bm, 1, 0, 0);
    bm.drainAll();
    const x = bm.m.dp.x;
    expect(new JsXen(bm.m.memory.buffer, bm.m.dp.layout).raiseVirq(1, 0, 0)).toBe(1);
    x.clearUpcallPending(1, 0);
    expect(x.guestFifoNext(1, bm.layout(1).gsGfn, 0)).toBe(port);
    expect(x.guestFifoNext(1, bm.layout(1).gsGfn, 0)).toBe(0);
  });
});
