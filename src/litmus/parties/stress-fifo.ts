// `wasmxen stress` scenarios on the FIFO data plane, one round per iteration:
// hypervisor-side raises against the guest's own operations on its event
// words. Every round starts from a known state prepared by role 0 (the guest
// vCPU), releases both roles together, and ends with role 0 draining what is
// left and classifying the round. Ports are UNBOUND channels of the domain:
// usable, so raises go through Xen's set_pending behind the usable filter, and
// set_priority / bind_vcpu work as hypercalls.
import type { RoundDef, RoundArgs, RoundEnv, OutcomeDef } from './stress-core.ts';
import { sw, jitter, LinkStats, linkDelta } from './stress-core.ts';
import { raise, unmask, mask, upcallFifo, drainFifo, fmtWord, wordAddr, step } from './stress-ops.ts';

/** A round's deliveries, per port of the scenario (index into `ports`). */
class Tally {
  readonly n: Int32Array;
  readonly where: Int32Array; // vCPU of the last delivery
  constructor(readonly ports: number[]) {
    this.n = new Int32Array(ports.length);
    this.where = new Int32Array(ports.length);
  }
  reset(): void { this.n.fill(0); this.where.fill(-1); }
  /** returns false for a port outside the scenario */
  add(p: number, vcpu = 0): boolean {
    const i = this.ports.indexOf(p);
    if (i < 0) return false;
    this.n[i]++;
    this.where[i] = vcpu;
    return true;
  }
  of(p: number): number { return this.n[this.ports.indexOf(p)]; }
}

const fail = (env: RoundEnv<unknown>, outcome: number, detail: string): number => {
  env.out.fail(outcome, detail, env.round);
  return -1;
};

/** Spin until `word` of the scratch holds `want`, or the run stops. */
function untilDone(env: RoundEnv<unknown>, word: number, want: number): boolean {
  return env.ctl.load(sw(word)) === want;
}

// ======================================================================= raise-drain

export interface RaiseDrainArgs extends RoundArgs {
  dom: number;
  gsGfn: number;
  ports: number[];
}

export const RAISE_DRAIN_OUTCOMES: OutcomeDef[] = [
  { id: 'one-upcall', kind: 'acceptable', text: 'both events taken by one upcall' },
  { id: 'two-upcalls', kind: 'acceptable', text: 'the queue drained between the raises: the second raise made a new HEAD and upcall' },
  { id: 'spurious-upcall', kind: 'interesting', text: 'an upcall found nothing new (the event was taken by the previous drain)' },
  { id: 'missed', kind: 'forbidden', text: 'a finished raise was found only after the guest saw no upcall: HEAD, READY, upcall out of order (I11)' },
  { id: 'lost', kind: 'forbidden', text: 'an event never delivered' },
  { id: 'duplicated', kind: 'forbidden', text: 'an event delivered twice, or one never raised' },
  { id: 'link-unbounded', kind: 'forbidden', text: 'a LINK update made more than 1 + 4 cmpxchg attempts (I10)' },
];
const RD_DONE = 0;

interface RaiseDrainState { tally: Tally; words: number[]; late: number[]; upcalls: number; empty: number; link: LinkStats; beyond: number }

/**
 * raise-drain: a hypervisor-side sender raises two ports (rotating over
 * queues of two priorities) while the guest vCPU runs its upcall loop,
 * polling evtchn_upcall_pending until the sender is done.
 */
export const raiseDrain: RoundDef<RaiseDrainArgs, RaiseDrainState> = {
  roles: 2,
  setup(env) {
    const a = env.args;
    return {
      tally: new Tally(a.ports), words: a.ports.map((p) => wordAddr(env, a.dom, p)), late: [], upcalls: 0, empty: 0,
      link: new LinkStats(env.dp, a.dom), beyond: 0,
    };
  },
  prepare(st) {
    st.tally.reset();
    st.late.length = 0;
    st.upcalls = 0;
    st.empty = 0;
  },
  act(st, env) {
    const a = env.args;
    const x = env.x;
    const n = a.ports.length;
    const i1 = (2 * env.round) % n;
    const i2 = (2 * env.round + 1) % n;
    if (env.role === 1) {
      raise(env, a.dom, 0, a.ports[i1], st.words[i1]);
      jitter(env.next, 64);
      raise(env, a.dom, 0, a.ports[i2], st.words[i2]);
      env.ctl.store(sw(RD_DONE), env.round + 1);
      return;
    }
    for (;;) {
      const done = untilDone(env, RD_DONE, env.round + 1);
      if (x.upcallPending(a.dom, 0) !== 0) {
        st.upcalls++;
        if (upcallFifo(env, a.dom, a.gsGfn, 0, (p) => { if (!st.tally.add(p)) st.late.push(-p); }) === 0) st.empty++;
        continue;
      }
      if (done || env.ctl.stopped) break;
    }
  },
  check(st, env) {
    const a = env.args;
    const n = a.ports.length;
    const p1 = a.ports[(2 * env.round) % n];
    const p2 = a.ports[(2 * env.round + 1) % n];
    const before = st.tally.n.slice();
    drainFifo(env, a.dom, a.gsGfn, 0, (p) => { if (!st.tally.add(p)) st.late.push(-p); else st.late.push(p); });
    const beyond = st.link.beyondBound();
    if (beyond !== st.beyond) { st.beyond = beyond; return fail(env, 6, `setLink made more than 5 attempts (${beyond} calls so far)`); }
    for (let i = 0; i < n; i++) {
      const p = a.ports[i];
      const want = p === p1 || p === p2 ? 1 : 0;
      if (st.tally.n[i] > want) return fail(env, 5, `port ${p} delivered ${st.tally.n[i]} times, raised ${want}`);
      if (st.tally.n[i] < want) return fail(env, 4, `port ${p} raised and never delivered; word ${fmtWord(env, a.dom, p)}`);
    }
    if (st.late.some((p) => p < 0)) return fail(env, 5, `a port outside the scenario was dispatched: ${st.late.map((p) => -p)}`);
    const missed = a.ports.filter((p, i) => st.tally.n[i] > before[i]);
    if (missed.length) return fail(env, 3, `port ${missed.join(', ')} found only by the final drain, after the guest saw the sender done and no upcall pending`);
    if (st.empty > 0) return 2;
    return st.upcalls - st.empty <= 1 ? 0 : 1;
  },
};

// ====================================================================== mask-unmask

export interface MaskUnmaskArgs extends RoundArgs {
  dom: number;
  gsGfn: number;
  ports: number[];
}

export const MASK_UNMASK_OUTCOMES: OutcomeDef[] = [
  { id: 'unmask-local', kind: 'acceptable', text: 'the unmask stayed local (the raise came before the mask or after the unmask); delivered once' },
  { id: 'unmask-hypercall', kind: 'interesting', text: 'the raise landed while masked: the fast path saw PENDING, EVTCHNOP_unmask linked it; delivered once' },
  { id: 'lost', kind: 'forbidden', text: 'the event is pending and unmasked on no queue: never delivered (I16)' },
  { id: 'duplicated', kind: 'forbidden', text: 'the event delivered twice' },
];

interface MaskUnmaskState { tally: Tally; words: number[]; viaHypercall: boolean }

/** mask-unmask: the guest masks and unmasks a port while a sender raises it (unmask vs set_pending). */
export const maskUnmask: RoundDef<MaskUnmaskArgs, MaskUnmaskState> = {
  roles: 2,
  setup(env) {
    return { tally: new Tally(env.args.ports), words: env.args.ports.map((p) => wordAddr(env, env.args.dom, p)), viaHypercall: false };
  },
  prepare(st) { st.tally.reset(); st.viaHypercall = false; },
  act(st, env) {
    const a = env.args;
    const i = env.round % a.ports.length;
    const p = a.ports[i];
    if (env.role === 1) {
      raise(env, a.dom, 0, p, st.words[i]);
      return;
    }
    mask(env, a.dom, a.gsGfn, p, st.words[i]);
    jitter(env.next, 256);
    st.viaHypercall = unmask(env, a.dom, a.gsGfn, p, st.words[i]);
  },
  check(st, env) {
    const a = env.args;
    const p = a.ports[env.round % a.ports.length];
    drainFifo(env, a.dom, a.gsGfn, 0, (q) => { st.tally.add(q); });
    const n = st.tally.of(p);
    if (n === 0) return fail(env, 2, `port ${p} raised, guest unmasked it (${st.viaHypercall ? 'via EVTCHNOP_unmask' : 'fast path'}), never delivered; word ${fmtWord(env, a.dom, p)}`);
    if (n > 1) return fail(env, 3, `port ${p} delivered ${n} times`);
    return st.viaHypercall ? 1 : 0;
  },
};

// ====================================================================== unmask-tail

export interface UnmaskTailArgs extends RoundArgs {
  dom: number;
  gsGfn: number;
  /** [tail, linked behind it] pairs, one per round in turn, all on one queue */
  pairs: [number, number][];
}

export const UNMASK_TAIL_OUTCOMES: OutcomeDef[] = [
  { id: 'first-try', kind: 'acceptable', text: 'linked behind the tail on the first cmpxchg' },
  { id: 'busy-retry', kind: 'interesting', text: 'the guest changed the tail mid-update: linked after retries under BUSY' },
  { id: 'tail-pending', kind: 'acceptable', text: 'the tail was pending: its unmasks went to Xen (EVTCHNOP_unmask); linked' },
  { id: 'gave-up', kind: 'forbidden', text: 'setLink gave up on a well-behaved guest: its event is lost (I10, I16)' },
  { id: 'lost', kind: 'forbidden', text: 'an event never delivered' },
  { id: 'duplicated', kind: 'forbidden', text: 'an event delivered twice' },
  { id: 'link-unbounded', kind: 'forbidden', text: 'a LINK update made more than 1 + 4 cmpxchg attempts (I10)' },
];
const UT_DONE = 0;
const UT_FLIPPING = 1; // round + 1 once the guest has flipped the tail this round
const UT_SPIN_LOOKS = 2000; // the sender's looks at UT_FLIPPING before it sleeps between them

interface UnmaskTailState { link: LinkStats; before: number[]; tailPending: boolean; flips: number; hypercalls: number; tally: Map<number, number> }

/**
 * unmask-tail: the tail of a queue is LINKED (and, every other round, not
 * pending, as after Linux's clear_evtchn); the guest keeps masking and
 * unmasking it — legally, the fast path waiting while BUSY — while the
 * sender links a new event behind it.
 */
export const unmaskTail: RoundDef<UnmaskTailArgs, UnmaskTailState> = {
  roles: 2,
  setup(env) {
    return { link: new LinkStats(env.dp, env.args.dom), before: [], tailPending: false, flips: 0, hypercalls: 0, tally: new Map() };
  },
  prepare(st, env) {
    const a = env.args;
    const [q] = a.pairs[env.round % a.pairs.length];
    const qw = wordAddr(env, a.dom, q);
    raise(env, a.dom, 0, q, qw);
    st.tailPending = (env.next() & 3) === 0;
    if (!st.tailPending) step(env, 'clear_pending', q, qw, () => { env.x.fifoClearPending(a.dom, q); return 0; }, a.dom);
    st.before = st.link.snapshot();
    st.flips = 0;
    st.hypercalls = 0;
    st.tally.clear();
  },
  act(st, env) {
    const a = env.args;
    const [q, p] = a.pairs[env.round % a.pairs.length];
    if (env.role === 1) {
      // The raise starts only once the guest is flipping: the barrier releases
      // a sleeping party late on a loaded machine, and a raise that finished
      // before the guest's first flip races nothing (CI saw 0 busy-retry in 75k rounds).
      // (a few looks, then short sleeps: on a shared core the guest flips only while the sender sleeps)
      for (let looks = 0; !untilDone(env, UT_FLIPPING, env.round + 1) && !env.ctl.stopped; looks++) {
        if (looks >= UT_SPIN_LOOKS) env.ctl.waitWhile(sw(UT_FLIPPING), env.round, 0.01);
      }
      raise(env, a.dom, 0, p, wordAddr(env, a.dom, p));
      env.ctl.store(sw(UT_DONE), env.round + 1);
      return;
    }
    const qw = wordAddr(env, a.dom, q);
    do {
      mask(env, a.dom, a.gsGfn, q, qw);
      if (unmask(env, a.dom, a.gsGfn, q, qw)) st.hypercalls++;
      if (st.flips++ === 0) env.ctl.store(sw(UT_FLIPPING), env.round + 1);
    } while (!untilDone(env, UT_DONE, env.round + 1) && !env.ctl.stopped && st.flips < 100_000);
  },
  check(st, env) {
    const a = env.args;
    const [q, p] = a.pairs[env.round % a.pairs.length];
    const d = linkDelta(st.before, st.link.snapshot());
    drainFifo(env, a.dom, a.gsGfn, 0, (r) => { st.tally.set(r, (st.tally.get(r) ?? 0) + 1); });
    if (d.maxTries > 5) return fail(env, 6, `setLink behind port ${q} made ${d.maxTries}+ attempts`);
    if (d.gaveUp > 0) return fail(env, 3, `setLink behind tail ${q} gave up after 1 + 4 attempts while the guest only masked and unmasked it (${st.flips} flips); port ${p} word ${fmtWord(env, a.dom, p)}`);
    const np = st.tally.get(p) ?? 0;
    const nq = st.tally.get(q) ?? 0;
    const wantQ = st.tailPending ? 1 : 0;
    if (np === 0) return fail(env, 4, `port ${p} (linked behind ${q}) never delivered; word ${fmtWord(env, a.dom, p)}`);
    if (nq < wantQ) return fail(env, 4, `pending tail ${q} never delivered; word ${fmtWord(env, a.dom, q)}`);
    if (np > 1 || nq > wantQ) return fail(env, 5, `port ${p} delivered ${np}×, tail ${q} ${nq}× (pending: ${st.tailPending})`);
    for (const [r] of st.tally) if (r !== p && r !== q) return fail(env, 5, `port ${r} dispatched, never raised`);
    if (d.maxTries >= 2) return 1;
    return st.tailPending ? 2 : 0;
  },
};

// ================================================================== priority-change

export interface PriorityArgs extends RoundArgs {
  dom: number;
  gsGfn: number;
  /** p moves between priorities a and b; r stays at a, s at b */
  p: number; r: number; s: number;
  a: number; b: number;
}

export const PRIORITY_OUTCOMES: OutcomeDef[] = [
  { id: 'before-change', kind: 'acceptable', text: 'the raise linked the port on its old queue (it came before set_priority)' },
  { id: 'after-change', kind: 'acceptable', text: 'the raise linked the port on its new queue, resetting its stale tail in the old one' },
  { id: 'lock-retry', kind: 'interesting', text: 'set_priority moved the port while the raise held the queue locks: the 3-try loop re-validated (I12)' },
  { id: 'lost', kind: 'forbidden', text: 'an event never delivered (a LINK written into a word of another queue, I13)' },
  { id: 'duplicated', kind: 'forbidden', text: 'an event delivered more often than raised' },
  { id: 'errno', kind: 'forbidden', text: 'EVTCHNOP_set_priority failed on a bound port' },
  { id: 'link-unbounded', kind: 'forbidden', text: 'a LINK update made more than 1 + 4 cmpxchg attempts (I10)' },
];
const PC_DONE = 0;
const PC_EXPECT = 1; // + 0..2: newly-pending raises of p, r, s
const PC_DROPS = 4;

const ORDERS = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];

interface PriorityState { tally: Tally; words: number[]; prio: number; link: LinkStats; beyond: number }

/**
 * priority-change: the guest moves port p between two priorities
 * (EVTCHNOP_set_priority) and drains while the sender raises p, r (on one of
 * the two priorities) and s (on the other) in a random order — the raises
 * that would meet a stale tail of p in its old queue (I13, I14).
 */
export const priorityChange: RoundDef<PriorityArgs, PriorityState> = {
  roles: 2,
  setup(env) {
    const a = env.args;
    return { tally: new Tally([a.p, a.r, a.s]), words: [a.p, a.r, a.s].map((p) => wordAddr(env, a.dom, p)), prio: a.a, link: new LinkStats(env.dp, a.dom), beyond: 0 };
  },
  prepare(st, env) {
    st.tally.reset();
    for (let i = 0; i < 3; i++) env.ctl.store(sw(PC_EXPECT + i), 0);
    env.ctl.store(sw(PC_DROPS), 0);
  },
  act(st, env) {
    const a = env.args;
    const x = env.x;
    if (env.role === 1) {
      const ports = [a.p, a.r, a.s];
      let drops = 0;
      // a random order: the queue the moved port leaves must sometimes have it as its last-linked tail
      const order = ORDERS[env.next() % 6];
      for (const i of order) {
        const r = raise(env, a.dom, 0, ports[i], st.words[i]);
        if (r.newly) env.ctl.add(sw(PC_EXPECT + i), 1);
        drops += r.drops;
        jitter(env.next, 32);
      }
      env.ctl.store(sw(PC_DROPS), drops);
      env.ctl.store(sw(PC_DONE), env.round + 1);
      return;
    }
    const to = st.prio === a.a ? a.b : a.a;
    const rc = step(env, 'set_priority', a.p, st.words[0], () => x.evtchnSetPriority(a.dom, a.p, to), a.dom);
    if (rc !== 0) { env.out.fail(5, `EVTCHNOP_set_priority(${a.p}, ${to}) returned ${rc}`, env.round); return; }
    st.prio = to;
    jitter(env.next, 128);
    for (;;) {
      const done = untilDone(env, PC_DONE, env.round + 1);
      if (x.upcallPending(a.dom, 0) !== 0) { upcallFifo(env, a.dom, a.gsGfn, 0, (p) => { st.tally.add(p); }); continue; }
      if (done || env.ctl.stopped) break;
    }
  },
  check(st, env) {
    const a = env.args;
    const strays: number[] = [];
    drainFifo(env, a.dom, a.gsGfn, 0, (p) => { if (!st.tally.add(p)) strays.push(p); });
    if (strays.length) return fail(env, 4, `port ${strays} dispatched, never raised`);
    const beyond = st.link.beyondBound();
    if (beyond !== st.beyond) { st.beyond = beyond; return fail(env, 6, `setLink made more than 5 attempts`); }
    const ports = [a.p, a.r, a.s];
    for (let i = 0; i < 3; i++) {
      const want = env.ctl.load(sw(PC_EXPECT + i));
      const got = st.tally.n[i];
      if (got < want) return fail(env, 3, `port ${ports[i]} (priority ${i === 0 ? st.prio : i === 1 ? a.a : a.b}) raised, never delivered; word ${fmtWord(env, a.dom, ports[i])}; p moved to priority ${st.prio}`);
      if (got > want) return fail(env, 4, `port ${ports[i]} delivered ${got}×, newly raised ${want}×`);
    }
    if (env.ctl.load(sw(PC_DROPS)) > 0) return 2;
    return env.dp.channel(a.dom, a.p).lastq.prio === st.prio ? 1 : 0;
  },
};

// ======================================================================== vcpu-move

export interface VcpuMoveArgs extends RoundArgs {
  dom: number;
  gsGfn: number;
  /** p moves between vCPUs 0 and 1; r is bound to vCPU 0, s to vCPU 1 */
  p: number; r: number; s: number;
}

export const VCPU_MOVE_OUTCOMES: OutcomeDef[] = [
  { id: 'coalesced', kind: 'acceptable', text: 'moved while pending: the re-raise coalesced and the event stayed on its old vCPU (I14)' },
  { id: 'relinked-new', kind: 'acceptable', text: 'consumed, then re-raised on its new vCPU (the old queue\'s stale tail reset, I13)' },
  { id: 'relinked-old', kind: 'acceptable', text: 'consumed, then re-raised on its old vCPU (the raise read notify_vcpu before bind_vcpu)' },
  { id: 'wrong-vcpu', kind: 'forbidden', text: 'an event delivered on a vCPU its port was never bound to: spliced into another queue (I13)' },
  { id: 'lost', kind: 'forbidden', text: 'an event never delivered' },
  { id: 'duplicated', kind: 'forbidden', text: 'an event delivered more often than raised' },
  { id: 'errno', kind: 'forbidden', text: 'EVTCHNOP_bind_vcpu failed on a bound port' },
  { id: 'link-unbounded', kind: 'forbidden', text: 'a LINK update made more than 1 + 4 cmpxchg attempts (I10)' },
];
const VM_DONE = 0;
const VM_EXPECT = 1;     // + 0..2
const VM_P_RAISED = 4;   // vCPU the round's raise of p targeted + 1
const VM_P_NEWLY = 5;

interface VcpuMoveState { tally: Tally; words: number[]; cur: number; link: LinkStats; beyond: number; onV: number[][] }

/**
 * vcpu-move: port p is pending on one vCPU when the guest moves it to the
 * other (bind_vcpu) while draining vCPU 0; the sender raises p again (on the
 * vCPU named at raise time, as send does), then r (vCPU 0) and s (vCPU 1).
 */
export const vcpuMove: RoundDef<VcpuMoveArgs, VcpuMoveState> = {
  roles: 2,
  setup(env) {
    const a = env.args;
    return { tally: new Tally([a.p, a.r, a.s]), words: [a.p, a.r, a.s].map((p) => wordAddr(env, a.dom, p)), cur: env.dp.notifyVcpu(a.dom, a.p), link: new LinkStats(env.dp, a.dom), beyond: 0, onV: [[], []] };
  },
  prepare(st, env) {
    const a = env.args;
    st.tally.reset();
    st.onV = [[], []];
    for (let i = 0; i < 6; i++) env.ctl.store(sw(i), 0);
    // p pending on its current vCPU as the round starts
    if (raise(env, a.dom, st.cur, a.p, st.words[0]).newly) env.ctl.add(sw(VM_EXPECT), 1);
  },
  act(st, env) {
    const a = env.args;
    const x = env.x;
    if (env.role === 1) {
      const v = env.dp.notifyVcpu(a.dom, a.p);
      const rp = raise(env, a.dom, v, a.p, st.words[0]);
      env.ctl.store(sw(VM_P_RAISED), v + 1);
      if (rp.newly) { env.ctl.add(sw(VM_EXPECT), 1); env.ctl.store(sw(VM_P_NEWLY), 1); }
      jitter(env.next, 32);
      if (raise(env, a.dom, 0, a.r, st.words[1]).newly) env.ctl.add(sw(VM_EXPECT + 1), 1);
      if (raise(env, a.dom, 1, a.s, st.words[2]).newly) env.ctl.add(sw(VM_EXPECT + 2), 1);
      env.ctl.store(sw(VM_DONE), env.round + 1);
      return;
    }
    const to = 1 - st.cur;
    const rc = step(env, 'bind_vcpu', a.p, st.words[0], () => x.evtchnBindVcpu(a.dom, a.p, to), a.dom);
    if (rc !== 0) { env.out.fail(6, `EVTCHNOP_bind_vcpu(${a.p}, ${to}) returned ${rc}`, env.round); return; }
    st.cur = to;
    jitter(env.next, 128);
    for (;;) {
      const done = untilDone(env, VM_DONE, env.round + 1);
      if (x.upcallPending(a.dom, 0) !== 0) { upcallFifo(env, a.dom, a.gsGfn, 0, (p) => { st.tally.add(p, 0); st.onV[0].push(p); }); continue; }
      if (done || env.ctl.stopped) break;
    }
  },
  check(st, env) {
    const a = env.args;
    for (const v of [0, 1]) drainFifo(env, a.dom, a.gsGfn, v, (p) => { st.tally.add(p, v); st.onV[v].push(p); });
    const beyond = st.link.beyondBound();
    if (beyond !== st.beyond) { st.beyond = beyond; return fail(env, 7, `setLink made more than 5 attempts`); }
    if (st.onV[1].includes(a.r)) return fail(env, 3, `port ${a.r}, bound to vCPU 0, delivered on vCPU 1 (p=${a.p} moved to vCPU ${st.cur}): vCPU 0 ${st.onV[0]}, vCPU 1 ${st.onV[1]}`);
    if (st.onV[0].includes(a.s)) return fail(env, 3, `port ${a.s}, bound to vCPU 1, delivered on vCPU 0 (p=${a.p} moved to vCPU ${st.cur}): vCPU 0 ${st.onV[0]}, vCPU 1 ${st.onV[1]}`);
    const ports = [a.p, a.r, a.s];
    for (let i = 0; i < 3; i++) {
      const want = env.ctl.load(sw(VM_EXPECT + i));
      const got = st.tally.n[i];
      if (got < want) return fail(env, 4, `port ${ports[i]} raised ${want}×, delivered ${got}×; word ${fmtWord(env, a.dom, ports[i])}`);
      if (got > want) return fail(env, 5, `port ${ports[i]} delivered ${got}×, newly raised ${want}×`);
    }
    if (env.ctl.load(sw(VM_P_NEWLY)) === 0) return 0;
    return env.ctl.load(sw(VM_P_RAISED)) - 1 === st.cur ? 1 : 2;
  },
};
