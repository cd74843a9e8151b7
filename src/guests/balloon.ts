// A balloon-driver guest (Linux's drivers/xen/balloon.c, reduced): vCPU 0
// gives frames back to Xen with XENMEM_decrease_reservation and takes them
// again with XENMEM_populate_physmap, round after round, while vCPU 1 plays
// ping-pong with it over two IPIs. Every reservation call is issued through
// the vCPU's register context and re-issued while Xen continues it (a 32-bit
// domain: after every extent); between re-issues vCPU 0 runs its pending
// upcall, so pings are answered in the middle of a continued call.
//
// Checked on the guest side, every round: each call did every extent once
// (result = nr_extents), the ballooned frames are gone from the p2m and come
// back zeroed, tot_pages moves by exactly the frames given back, and every
// frame not ballooned keeps its contents. The ping-pong counts every event:
// one pong per ping, none lost or doubled.
//
// config: { width: 64 | 32, poolGfn, poolFrames, extents, rounds, minOverlap, maxRounds, seed }:
// at least `rounds` rounds, and on until `minOverlap` pings were answered
// between continuations (the race this guest exists for), at most `maxRounds`.
// g.shared: Int32Array words (BALLOON_* below).
import type { Guest } from '../guest/guest.ts';
import { MemoryHypercalls } from '../guest/memory-hypercalls.ts';
import { XENMEM_decrease_reservation, XENMEM_populate_physmap, XENMEM_current_reservation } from '../../assembly/shared/memory-abi.ts';
import { PAGE_SIZE } from '../../assembly/shared/layout.ts';
import { rng } from '../util/rng.ts';
import { ConfigError } from '../errors.ts';

export interface BalloonConfig {
  width: 64 | 32;
  /** the extent list frame, then `poolFrames` frames the balloon may take */
  poolGfn: number;
  poolFrames: number;
  /** extents per call at most */
  extents: number;
  rounds: number;
  /** pings that must have been answered inside continued calls before the balloon stops */
  minOverlap: number;
  maxRounds: number;
  seed: number;
}

// shared words (Int32) between the vCPUs and the toolstack
export const BALLOON_PING_PORT = 0;   // vCPU 0's IPI port (+1: published)
export const BALLOON_PONG_PORT = 1;   // vCPU 1's IPI port (+1)
export const BALLOON_DONE = 2;        // vCPU 0 finished its rounds
export const BALLOON_PINGS_SENT = 3;
export const BALLOON_PINGS_SEEN = 4;
export const BALLOON_PONGS_SEEN = 5;
export const BALLOON_ROUNDS = 6;
export const BALLOON_CONTINUATIONS = 7;
export const BALLOON_PINGS_IN_CONT = 8; // pings answered between the continuations of a call
export const BALLOON_FAILURES = 9;
export const BALLOON_FRAMES_MOVED = 10;
export const BALLOON_PINGER_DONE = 11; // vCPU 1 left its ping loop (its last pong counted)
export const BALLOON_WORDS = 16;

export interface BalloonReport { vcpu: number; failures: string[] }

const MARK = 0x6b6c6162;
let s: Int32Array;
let failures: string[] = [];
let inContinuation = false;

const fail = (what: string) => {
  if (failures.length < 16) failures.push(what);
  Atomics.add(s, BALLOON_FAILURES, 1);
};

const wait = (g: Guest, word: number) => {
  while (Atomics.load(s, word) === 0 && !g.stopping()) Atomics.wait(s, word, 0, 50);
  return Atomics.load(s, word) - 1;
};

export const handlers = (g: Guest) => ({
  ping: () => {
    Atomics.add(s, BALLOON_PINGS_SEEN, 1);
    if (inContinuation) Atomics.add(s, BALLOON_PINGS_IN_CONT, 1);
    g.send(Atomics.load(s, BALLOON_PONG_PORT) - 1);
  },
  pong: () => { Atomics.add(s, BALLOON_PONGS_SEEN, 1); },
});

function balloon(g: Guest, c: BalloonConfig): void {
  const mem = new MemoryHypercalls(g.hc.stub, g.hc.args, g.hc.gpa, c.width);
  const base = g.dp.x.addrGfn(g.dom, 0) >>> 0;
  const frame = (gfn: number) => new DataView(g.dp.memory.buffer, base + gfn * PAGE_SIZE, PAGE_SIZE);
  const list = frame(c.poolGfn);
  const first = c.poolGfn + 1;
  // every pool frame carries its own mark while it is ours
  for (let i = 0; i < c.poolFrames; i++) frame(first + i).setUint32(0, MARK ^ (first + i), true);
  g.hc.stub.onPreempted = () => { inContinuation = true; g.poll(); inContinuation = false; };
  const next = rng(c.seed >>> 0 || 1);
  const tot0 = mem.domainQuery(XENMEM_current_reservation);
  const enough = (round: number) => round >= c.rounds && Atomics.load(s, BALLOON_PINGS_IN_CONT) >= c.minOverlap;
  for (let round = 0; !enough(round) && !g.stopping(); round++) {
    if (round >= c.maxRounds) { fail(`only ${Atomics.load(s, BALLOON_PINGS_IN_CONT)} pings met a continuation in ${round} rounds`); break; }
    const n = 1 + (next() % c.extents);
    const chosen = new Set<number>();
    while (chosen.size < n) chosen.add(first + (next() % c.poolFrames));
    const gfns = [...chosen];
    gfns.forEach((gfn, i) => mem.setExtent(list, i, gfn));
    const r = { extentStart: c.poolGfn * PAGE_SIZE, nrExtents: n };
    const dec = mem.reservation(XENMEM_decrease_reservation, r);
    Atomics.add(s, BALLOON_CONTINUATIONS, dec.continuations);
    if (dec.result !== n) { fail(`round ${round}: decrease_reservation of ${n} returned ${dec.result}`); break; }
    if (mem.domainQuery(XENMEM_current_reservation) !== tot0 - n) fail(`round ${round}: tot_pages is not ${tot0 - n} after giving ${n} back`);
    const stillRam = gfns.filter((gfn) => g.dp.x.p2mTypeOf(g.dom, gfn) !== 0);
    if (stillRam.length) fail(`round ${round}: gfns [${stillRam}] still populated`);
    const pop = mem.reservation(XENMEM_populate_physmap, r);
    Atomics.add(s, BALLOON_CONTINUATIONS, pop.continuations);
    if (pop.result !== n) { fail(`round ${round}: populate_physmap of ${n} returned ${pop.result}`); break; }
    for (const gfn of gfns) {
      const f = frame(gfn);
      if (f.getUint32(0, true) !== 0 || f.getUint32(PAGE_SIZE - 4, true) !== 0) fail(`round ${round}: gfn ${gfn} is not zeroed after populate`);
      f.setUint32(0, MARK ^ gfn, true);
    }
    if (mem.domainQuery(XENMEM_current_reservation) !== tot0) fail(`round ${round}: tot_pages is not back at ${tot0}`);
    Atomics.add(s, BALLOON_FRAMES_MOVED, n);
    Atomics.add(s, BALLOON_ROUNDS, 1);
    g.poll(); // pings that came while no call was continued
  }
  g.hc.stub.onPreempted = undefined;
  for (let i = 0; i < c.poolFrames; i++) {
    if (frame(first + i).getUint32(0, true) !== (MARK ^ (first + i))) { fail(`gfn ${first + i} lost its contents`); break; }
  }
}

function pingPong(g: Guest): void {
  const ping = wait(g, BALLOON_PING_PORT);
  // one ping in flight: the next goes only after its pong, so every event is counted once
  while (Atomics.load(s, BALLOON_DONE) === 0 && !g.stopping()) {
    const seen = Atomics.load(s, BALLOON_PONGS_SEEN);
    Atomics.add(s, BALLOON_PINGS_SENT, 1);
    g.send(ping);
    while (Atomics.load(s, BALLOON_PONGS_SEEN) === seen && !g.stopping()) g.block(20);
  }
  Atomics.store(s, BALLOON_PINGER_DONE, 1);
  Atomics.notify(s, BALLOON_PINGER_DONE);
}

export function main(g: Guest): void {
  const c = g.config as BalloonConfig;
  if (!g.shared) throw new ConfigError('the balloon guest needs a shared buffer: give Hypervisor.create a `shared` SharedArrayBuffer of at least BALLOON_WORDS Int32 words');
  s = new Int32Array(g.shared, 0, BALLOON_WORDS);
  failures = [];
  if (g.vcpu === 0) {
    Atomics.store(s, BALLOON_PING_PORT, g.bindIpi(0, 'ping').port + 1);
    Atomics.notify(s, BALLOON_PING_PORT);
    wait(g, BALLOON_PONG_PORT);
    balloon(g, c);
    Atomics.store(s, BALLOON_DONE, 1);
  } else if (g.vcpu === 1) {
    Atomics.store(s, BALLOON_PONG_PORT, g.bindIpi(1, 'pong').port + 1);
    Atomics.notify(s, BALLOON_PONG_PORT);
    pingPong(g);
  }
}

export function report(g: Guest): BalloonReport {
  return { vcpu: g.vcpu, failures };
}
