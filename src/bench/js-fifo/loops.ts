// The bench loops of assembly/bench/ (stream.ts, pingpong.ts) over the JS
// reference implementation: the same window, accounting, publishing and
// moderation rules, so that wasmxen and the reference differ only in who runs
// the protocol.
import {
  BH_STOP, BH_PORTS, BH_STREAMS, BH_PUBLISH, BH_SEND_FIRST, BH_RECV_FIRST, BH_VIRQ, BH_LATE, BH_PROGRESS,
  BH_WAITERS, BH_ECHOES, SS_SENT, SS_CURSOR, SS_SEEN, SR_EXPECT, SR_COUNT,
  SP_DELIVERED, SQ_SENT, BENCH_MODE_VIRQ,
} from '../../../assembly/bench/layout.ts';
import { EVTCHNOP_send } from '../../../assembly/shared/evtchn-abi.ts';
import { EPORT_PORT } from '../../../assembly/shared/evtchn-structs.ts';
import type { BenchPage } from '../page.ts';
import { publishAllDelivered, publishDelivered, backlog, sw } from '../roles/window.ts';
import type { JsXen } from './xen.ts';
import { type JsGuest, VB_IDLE, VB_LATE } from './guest.ts';

const W = (byte: number) => byte >> 2;

export class JsBenchLoops {
  private readonly p: Int32Array;

  constructor(readonly page: BenchPage, readonly xen: JsXen, readonly guest: JsGuest) {
    this.p = page.i32;
  }

  private windowOpen(s: number, n: number): boolean {
    const p = this.p;
    const sent = p[sw(s, SS_SENT)];
    if (sent - p[sw(s, SS_SEEN)] < n) return true;
    const seen = Atomics.load(p, sw(s, SP_DELIVERED));
    p[sw(s, SS_SEEN)] = seen;
    return sent - seen < n;
  }

  private anyOpen(first: number, count: number, n: number): boolean {
    for (let s = first; s < first + count; s++) if (this.windowOpen(s, n)) return true;
    return false;
  }

  /** benchSend. `arg` is the struct's byte address in the machine, `gpa` its guest-physical address. */
  send(mode: number, dom: number, vcpu: number, arg: number, gpa: number, first: number, count: number,
    max: number, spins: number, timeoutMs: number): number {
    const p = this.p;
    const n = p[W(BH_PORTS)];
    const base = p[W(BH_SEND_FIRST)];
    const virq = p[W(BH_VIRQ)];
    const mask = (1 << p[W(BH_PUBLISH)]) - 1;
    const argIndex = arg >>> 2;
    let sent = 0;
    let s = first;
    let full = 0;
    let spun = 0;
    while (sent < max) {
      const stream = s;
      if (++s === first + count) s = first;
      if (!this.windowOpen(stream, n)) {
        if (++full < count) continue;
        full = 0;
        if (spun < spins) { spun++; continue; }
        if (Atomics.load(p, W(BH_STOP)) !== 0) break;
        Atomics.add(p, W(BH_WAITERS), 1);
        const g = Atomics.load(p, W(BH_PROGRESS));
        if (!this.anyOpen(first, count, n) && Atomics.load(p, W(BH_STOP)) === 0) Atomics.wait(p, W(BH_PROGRESS), g, timeoutMs);
        Atomics.sub(p, W(BH_WAITERS), 1);
        if (!this.anyOpen(first, count, n)) break;
        continue;
      }
      full = 0;
      spun = 0;
      const cursor = p[sw(stream, SS_CURSOR)];
      const port = base + stream * n + cursor;
      let rc: number;
      if (mode === BENCH_MODE_VIRQ) {
        rc = this.xen.raiseVirq(dom, vcpu, virq) === 1 ? 0 : -1;
      } else {
        Atomics.store(this.xen.i32, argIndex, port);
        rc = this.xen.eventChannelOp(dom, vcpu, EVTCHNOP_send, gpa);
      }
      if (rc !== 0) { this.page.fail(stream, port, rc); break; }
      p[sw(stream, SS_CURSOR)] = cursor + 1 === n ? 0 : cursor + 1;
      const c = p[sw(stream, SS_SENT)] + 1;
      p[sw(stream, SS_SENT)] = c;
      if ((c & mask) === 0) Atomics.store(p, sw(stream, SQ_SENT), c);
      sent++;
    }
    for (let t = first; t < first + count; t++) {
      const c = p[sw(t, SS_SENT)];
      Atomics.store(p, sw(t, SS_SENT), c);
      Atomics.store(p, sw(t, SQ_SENT), c);
    }
    return sent;
  }

  publishAll(): void {
    publishAllDelivered(this.p);
  }

  private everyStream: number[] | undefined;

  /** The backlog over every stream of the page (this receiver takes them all). */
  private backlog(): number {
    this.everyStream ??= Array.from({ length: this.p[W(BH_STREAMS)] }, (_, s) => s);
    return backlog(this.p, this.everyStream);
  }

  private account(port: number, n: number, mask: number): void {
    const p = this.p;
    const first = p[W(BH_RECV_FIRST)];
    const off = port - first;
    if (off < 0 || off >= p[W(BH_STREAMS)] * n) { this.page.fail(-1, 0, port); return; }
    const s = (off / n) | 0;
    const expect = p[sw(s, SR_EXPECT)];
    const idx = off - s * n;
    if (idx !== expect) this.page.fail(s, first + s * n + expect, port);
    p[sw(s, SR_EXPECT)] = idx + 1 === n ? 0 : idx + 1;
    const c = p[sw(s, SR_COUNT)] + 1;
    p[sw(s, SR_COUNT)] = c;
    if ((c & mask) === 0) publishDelivered(p, s, c);
  }

  /** benchReceive. timeoutMs 0: return instead of blocking. */
  receive(dom: number, gsGfn: number, vcpu: number, max: number, spins: number, timeoutMs: number,
    holdoff: number, holdoffSpins: number): number {
    const p = this.p;
    const g = this.guest;
    const n = p[W(BH_PORTS)];
    const mask = (1 << p[W(BH_PUBLISH)]) - 1;
    let got = 0;
    let idle = true;
    while (got < max) {
      if (idle) {
        idle = false;
        if (holdoff !== 0) for (let i = 0; i < holdoffSpins && this.backlog() < holdoff; i++);
      }
      const port = g.next(dom, gsGfn, vcpu);
      if (port !== 0) { this.account(port, n, mask); got++; continue; }
      if (g.upcallPending(dom, vcpu) !== 0) { g.clearUpcallPending(dom, vcpu); continue; }
      this.publishAll();
      idle = true;
      if (g.spinForFlag(dom, vcpu, spins)) continue;
      if (timeoutMs === 0) break;
      const r = g.block(dom, vcpu, timeoutMs);
      if (r === VB_LATE) Atomics.add(p, W(BH_LATE), 1);
      if (r === VB_IDLE) break;
    }
    this.publishAll();
    return got;
  }

  /** benchWaitEvent. */
  waitEvent(dom: number, gsGfn: number, vcpu: number, spins: number, timeoutMs: number): number {
    const g = this.guest;
    for (;;) {
      const port = g.next(dom, gsGfn, vcpu);
      if (port !== 0) return port;
      if (g.upcallPending(dom, vcpu) !== 0) { g.clearUpcallPending(dom, vcpu); continue; }
      if (g.spinForFlag(dom, vcpu, spins)) continue;
      if (g.block(dom, vcpu, timeoutMs) === VB_IDLE) return 0;
    }
  }

  private sendPort(dom: number, vcpu: number, arg: number, gpa: number, port: number): number {
    Atomics.store(this.xen.i32, (arg + EPORT_PORT) >>> 2, port); // struct evtchn_send
    return this.xen.eventChannelOp(dom, vcpu, EVTCHNOP_send, gpa);
  }

  /** benchPing: port 0 only waits. */
  ping(dom: number, vcpu: number, arg: number, gpa: number, port: number, gsGfn: number, spins: number, timeoutMs: number): number {
    if (port !== 0) {
      const rc = this.sendPort(dom, vcpu, arg, gpa, port);
      if (rc !== 0) return rc;
    }
    return this.waitEvent(dom, gsGfn, vcpu, spins, timeoutMs);
  }

  /** benchEcho. */
  echo(dom: number, vcpu: number, arg: number, gpa: number, gsGfn: number, expect: number, reply: number,
    max: number, spins: number, timeoutMs: number): number {
    let done = 0;
    while (done < max) {
      const port = this.waitEvent(dom, gsGfn, vcpu, spins, timeoutMs);
      if (port === 0) break;
      if (port !== expect) this.page.fail(0, expect, port);
      const rc = this.sendPort(dom, vcpu, arg, gpa, reply);
      if (rc !== 0) { this.page.fail(1, reply, rc); break; }
      Atomics.add(this.p, W(BH_ECHOES), 1);
      done++;
    }
    return done;
  }
}
