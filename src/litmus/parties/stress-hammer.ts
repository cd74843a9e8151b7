// `wasmxen stress` scenario tail-hammer: continuously running parties, one
// iteration per raise on the misbehaving domain.
//  - stressHammerSender (hypervisor side): raises the misbehaving domain's
//    ports in batches, each linked behind the previous one — the tail the
//    guest is rewriting — and classifies every raise by the attempts its LINK
//    update made; between batches it raises the well-behaved domain's ports
//    (exactly-once accounting, one event in flight per port).
//  - stressTailFlipper (the misbehaving guest, background): rewrites its
//    current tail word without pause — LINKED kept set, MASKED toggled, the
//    LINK and reserved bits counting, so the word never takes the same value
//    twice in 2^28 writes — and between batches resets its words and consumes
//    its queue. A LINK update that does not give up never returns.
//  - stressGoodReceiver: the well-behaved domain's vCPU, blocked until an
//    upcall; every event exactly once, no lost wake-up.
import type { PartyContext } from '../registry.ts';
import type { Ctl } from '../../harness/ctl.ts';
import type { OutcomeDef, StressArgs, StressPartyResult } from './stress-core.ts';
import { stressEnv, sw, LinkStats, linkDelta, S_FORBIDDEN } from './stress-core.ts';
import { raise, upcallFifo, wordAddr, step } from './stress-ops.ts';
import { EVTCHN_FIFO_MASKED, EVTCHN_FIFO_LINKED, EVTCHN_FIFO_BUSY } from '../../../assembly/shared/fifo-abi.ts';

export const TAIL_HAMMER_OUTCOMES: OutcomeDef[] = [
  { id: 'no-link', kind: 'acceptable', text: 'no LINK update: the tail was not LINKED or the event was masked (release build: also a first-try link, which it does not count)' },
  { id: 'first-try', kind: 'acceptable', text: 'linked behind the hammered tail on the first cmpxchg' },
  { id: 'busy-retry', kind: 'interesting', text: 'linked after retries under BUSY' },
  { id: 'gave-up', kind: 'interesting', text: 'gave up after 1 + 4 attempts: the misbehaving guest loses its own event (spec §9.6)' },
  { id: 'link-unbounded', kind: 'forbidden', text: 'a LINK update made more than 1 + 4 cmpxchg attempts (I10)' },
  { id: 'good-lost', kind: 'forbidden', text: 'the well-behaved domain lost an event' },
  { id: 'good-duplicated', kind: 'forbidden', text: 'the well-behaved domain got an event twice' },
  { id: 'lost-wakeup', kind: 'forbidden', text: 'the well-behaved vCPU slept through an upcall (I3)' },
];

// scratch words
const H_LAST = 0;         // the bad port raised last: the tail the guest hammers
const H_BATCH = 1;        // batches the sender finished
const H_SENDER_DONE = 2;  // the sender returned normally
const H_ACK = 3;          // batches the flipper has cleaned up after
const H_HAMMERING = 4;    // the port whose word the flipper is rewriting now
const H_READY = 5;        // the flipper is warmed up
const H_FLIPS = 6;        // write bursts of 64 the flipper finished (wraps)
const H_NAP = 7;          // always 0, never notified: the sender's timed sleeps
const H_SENT = 16;        // + i: raises of good port i (one in flight)
const H_DELIV = 144;      // + i: deliveries of good port i
export const HAMMER_MAX_GOOD = 128;

const VB_LATE = 2;

export interface HammerArgs extends StressArgs {
  bad: { dom: number; gsGfn: number; ports: number[] };
  good: { dom: number; gsGfn: number; ports: number[] };
}

export function stressHammerSender(ctx: PartyContext): StressPartyResult {
  const env = stressEnv(ctx);
  const a = ctx.args as HammerArgs;
  const { ctl } = env;
  const link = new LinkStats(env.dp, a.bad.dom);
  const badWords = a.bad.ports.map((p) => wordAddr(env, a.bad.dom, p));
  const goodWords = a.good.ports.map((p) => wordAddr(env, a.good.dom, p));
  let iter = 0;
  while (ctl.load(sw(H_READY)) === 0 && !ctl.stopped) ctl.waitWhile(sw(H_READY), 0, 5);
  while (!ctl.stopped) {
    for (let i = 0; i < a.bad.ports.length && !ctl.stopped; i++) {
      const before = link.snapshot();
      if (env.tr) env.tr.iter = iter;
      const t0 = env.nowUs();
      raise(env, a.bad.dom, 0, a.bad.ports[i], badWords[i]);
      const d = linkDelta(before, link.snapshot());
      if (d.maxTries > 5) {
        env.out.fail(4, `setLink behind the hammered tail ${i > 0 ? a.bad.ports[i - 1] : '?'} made ${d.maxTries === 7 ? '7 or more' : d.maxTries} cmpxchg attempts `
          + `(bound: 1 + 4) and held the sender in Xen for ${Math.round(env.nowUs() - t0)} µs`, iter);
      } else {
        env.out.hit(d.calls === 0 || d.maxTries === 0 ? 0 : d.gaveUp > 0 ? 3 : d.maxTries === 1 ? 1 : 2);
      }
      env.out.iteration();
      ctl.progress(ctx.index);
      iter++;
      ctl.store(sw(H_LAST), a.bad.ports[i]);
      // the next raise links behind this one: let the guest start rewriting it first, so the race really happens
      if (i + 1 < a.bad.ports.length) awaitHammering(ctl, a.bad.ports[i]);
    }
    const batch = ctl.add(sw(H_BATCH), 1) + 1;
    for (let i = 0; i < a.good.ports.length; i++) {
      if (ctl.load(sw(H_DELIV + i)) !== ctl.load(sw(H_SENT + i))) continue;
      ctl.add(sw(H_SENT + i), 1);
      raise(env, a.good.dom, 0, a.good.ports[i], goodWords[i]);
    }
    // the next batch starts once the guest has cleaned up after this one
    while (ctl.load(sw(H_ACK)) < batch && !ctl.stopped) ctl.waitWhile(sw(H_ACK), batch - 1, 5);
  }
  ctl.store(sw(H_SENDER_DONE), 1);
  ctl.notify(sw(H_SENDER_DONE));
  return { forbidden: env.out.forbidden };
}

/** Spins between looks at the flipper's words before the sender sleeps once (~1 ms) and looks again. */
const HAMMER_SPINS = 20_000;
/** Sleeps before the sender raises anyway (the race is then only less likely; the verdict says whether it happened). */
const HAMMER_SLEEPS = 200;

/**
 * Returns once the flipper is rewriting the tail `port` *now*: H_HAMMERING names
 * it and H_FLIPS has moved since — a write burst that began after the sender
 * looked. The wait spins rather than sleeping on a futex: a futex wake-up from
 * the flipper tends to put the sender on the flipper's core and preempt it
 * (wake-affine placement), so on a loaded machine the raise would then run
 * while the flipper waits for a core, and its LINK update would never race.
 */
function awaitHammering(ctl: Ctl, port: number): void {
  for (let sleeps = 0; sleeps < HAMMER_SLEEPS && !ctl.stopped; sleeps++) {
    let flips = -1;
    for (let k = 0; k < HAMMER_SPINS; k++) {
      if (ctl.load(sw(H_HAMMERING)) !== port) continue;
      const f = ctl.load(sw(H_FLIPS));
      if (flips === -1) flips = f;
      else if (f !== flips) return;
    }
    ctl.waitWhile(sw(H_NAP), 0, 1);
  }
}

/** 64 rewrites of word index `w`: LINKED kept, MASKED toggled, LINK + reserved bits counting (never the same value twice). */
function rewrite(u32: Uint32Array, w: number, ctr: number): number {
  for (let i = 0; i < 64; i++) {
    ctr = (ctr + 1) & 0x0fffffff;
    Atomics.store(u32, w, (EVTCHN_FIFO_LINKED | (ctr & 1 ? EVTCHN_FIFO_MASKED : 0) | (ctr >>> 1)) >>> 0);
  }
  return ctr;
}

export function stressTailFlipper(ctx: PartyContext): { writes: number } {
  const env = stressEnv(ctx);
  const a = ctx.args as HammerArgs;
  const { ctl, dp, x } = env;
  const wordOf = new Map<number, number>();
  for (const p of a.bad.ports) wordOf.set(p, (x.guestEventWordAddr(a.bad.dom, a.bad.gsGfn, p) >>> 0) >> 2);
  // warm up (JIT) on a word of its own, then let the sender start: from the first batch on,
  // every LINK update races a hammer that is running at full speed
  const first = wordOf.get(a.bad.ports[0])!;
  let ctr = 0;
  for (let i = 0; i < 20_000 && !ctl.stopped; i++) ctr = rewrite(dp.u32, first, ctr);
  Atomics.store(dp.u32, first, 0);
  ctl.store(sw(H_READY), 1);
  ctl.notify(sw(H_READY));
  let writes = 0;
  let batch = 0;
  while (!ctl.stopped) {
    const b = ctl.load(sw(H_BATCH));
    if (b !== batch) {
      // between batches: reset the words, consume, and let the sender go on
      batch = b;
      for (const w of wordOf.values()) Atomics.store(dp.u32, w, 0);
      ctl.store(sw(H_HAMMERING), 0);
      for (let i = 0; i < 4 && upcallFifo(env, a.bad.dom, a.bad.gsGfn, 0, () => {}) > 0; i++);
      ctl.store(sw(H_ACK), b);
      ctl.notify(sw(H_ACK));
      ctl.progress(ctx.index);
      continue;
    }
    const t = ctl.load(sw(H_LAST));
    const w = wordOf.get(t);
    if (w === undefined) continue;
    const s = env.tr?.begin('flip MASKED', t, w << 2, a.bad.dom);
    ctr = rewrite(dp.u32, w, ctr);
    if (env.tr && s !== undefined) env.tr.end(s, w << 2, 64);
    ctl.store(sw(H_FLIPS), (ctl.load(sw(H_FLIPS)) + 1) | 0);
    if (ctl.load(sw(H_HAMMERING)) !== t) ctl.store(sw(H_HAMMERING), t);
    writes += 64;
  }
  return { writes };
}

export function stressGoodReceiver(ctx: PartyContext): StressPartyResult {
  const env = stressEnv(ctx);
  const a = ctx.args as HammerArgs;
  const { ctl, x } = env;
  const g = a.good;
  const index = new Map<number, number>(g.ports.map((p, i) => [p, i]));
  let delivered = 0;
  const handle = (p: number) => {
    const i = index.get(p);
    if (i === undefined) { env.out.fail(6, `port ${p} dispatched, never raised`, delivered); return; }
    const d = ctl.load(sw(H_DELIV + i));
    if (d >= ctl.load(sw(H_SENT + i))) { env.out.fail(6, `port ${p}: delivery ${d + 1}, only ${d} raised`, delivered); return; }
    ctl.store(sw(H_DELIV + i), d + 1);
    delivered++;
    ctl.progress(ctx.index);
  };
  while (!ctl.stopped) {
    const r = step(env, 'block', 0, 0, () => x.vcpuBlock(g.dom, 0, 50e6), g.dom);
    if (r === VB_LATE) env.out.fail(7, `vCPU 0 of domain ${g.dom} slept 50 ms with an upcall pending`, delivered);
    do upcallFifo(env, g.dom, g.gsGfn, 0, handle);
    while (x.upcallPending(g.dom, 0) !== 0);
  }
  // a clean stop: once the sender has returned, everything it raised must arrive
  // (a sender stuck in the hypervisor never returns: no final accounting then)
  ctl.waitWhile(sw(H_SENDER_DONE), 0, 200);
  if (ctl.load(sw(H_SENDER_DONE)) === 1 && ctl.load(S_FORBIDDEN) === 0) {
    do upcallFifo(env, g.dom, g.gsGfn, 0, handle);
    while (x.upcallPending(g.dom, 0) !== 0);
    for (let i = 0; i < g.ports.length; i++) {
      const s = ctl.load(sw(H_SENT + i));
      const d = ctl.load(sw(H_DELIV + i));
      if (d < s) { env.out.fail(5, `port ${g.ports[i]} of the well-behaved domain: raised ${s}×, delivered ${d}×`, delivered); break; }
    }
  }
  return { forbidden: env.out.forbidden, info: { delivered } };
}

export interface StuckGuestArgs extends StressArgs {
  dom: number;
  gsGfn: number;
  port: number;
}

/**
 * A guest that wrote BUSY into its own event word and then unmasks the port:
 * the unmask fast path waits for Xen to drop BUSY, which nothing will do, so
 * this vCPU spins in a wasm loop forever — it only stalls itself (I5). The
 * fixture for the watchdog's "stuck inside the data plane" case: the loop
 * never sees the stop flag; only worker.terminate() ends it.
 */
export function stressStuckGuest(ctx: PartyContext): never {
  const env = stressEnv(ctx);
  const a = ctx.args as StuckGuestArgs;
  const w = (env.x.guestEventWordAddr(a.dom, a.gsGfn, a.port) >>> 0) >> 2;
  Atomics.store(env.dp.u32, w, EVTCHN_FIFO_MASKED | EVTCHN_FIFO_BUSY);
  env.ctl.progress(ctx.index);
  const rc = env.x.guestFifoUnmask(a.dom, a.gsGfn, a.port);
  throw new Error(`the unmask fast path returned ${rc} with BUSY set`);
}
