// Parties of the FIFO data-plane races (test/litmus/). Each runs on its own
// worker thread; hypervisor-side parties call the raise path exactly as a
// sending vCPU's hypercall would, guest-side parties run the guest driver.
//
// Exactly-once accounting per port p (slot s): a sender raises p only after
// delivered[s,p] == sent[s,p], bumping sent first; the receiver dispatches p
// only after acking PENDING, checks delivered < sent (else the event was
// duplicated or invented), then bumps delivered. So no raise ever coalesces
// with an undelivered one, and every raise must be delivered exactly once.
import type { PartyContext } from '../registry.ts';
import { nextEvent, rebind, type GuestRef } from './guest-ops.ts';
import {
  RAISE_SEQ_SENDERS, F_RAISE_SEQ, F_RAISE_DOM, F_RETARGETED, F_DRAIN_IN_RAISE, F_RAISE_IN_RAISE, F_TAIL_IN_RAISE,
  F_CHANGED_LINKED, raiseSeqs, overlappedRaise,
} from './race-evidence.ts';
import {
  EVTCHN_FIFO_MASKED, EVTCHN_FIFO_PENDING, EVTCHN_FIFO_LINKED, EVTCHN_FIFO_LINK_MASK,
} from '../../../assembly/shared/fifo-abi.ts';
import { ECS_INTERDOMAIN } from '../../../assembly/shared/evtchn-abi.ts';

export const PORTS_PER_SLOT = 1024;
export const SLOTS = 2;
export const F_SENDERS_DONE = 0;
export const F_DROPPED = 1;
export const F_DELIVERED_TOTAL = 2;  // + slot
export const F_LAST_RAISED = 4;      // + slot
export const F_SENT_TOTAL = 6;       // + slot: exact-accounted raises
export const F_SENT = 64;
export const F_DELIV = F_SENT + SLOTS * PORTS_PER_SLOT;
export const F_SEQ = F_DELIV + SLOTS * PORTS_PER_SLOT;
export const FIFO_CTL_WORDS = F_SEQ + SLOTS * PORTS_PER_SLOT;

/**
 * Exactly-once accounting of one delivery on accounting index `idx` (slot ×
 * PORTS_PER_SLOT + port): false if there was no send left to match it (the
 * caller decides whether that is a duplicate or a tolerated spurious event);
 * else it is counted, and a sender waiting for the credit is woken.
 */
export function countDelivery(ctl: PartyContext['ctl'], idx: number, slot: number): boolean {
  if (ctl.load(F_DELIV + idx) >= ctl.load(F_SENT + idx)) return false;
  ctl.add(F_DELIV + idx, 1);
  ctl.notify(F_DELIV + idx);
  ctl.add(F_DELIVERED_TOTAL + slot, 1);
  return true;
}

const RAISE_DROPPED = 2;
const VB_LATE = 2;
const BLOCK_TIMEOUT_NS = 500e6;
const MAX_DROP_RETRIES = 100_000;

export { rng } from '../../util/rng.ts';
import { rng } from '../../util/rng.ts';

export interface SenderGroup {
  dom: number;
  slot: number;
  ports: number[];
  /** target vCPU, or 'notify' to read the channel's notify vCPU at raise time (as send does) */
  vcpu: number | 'notify';
  /** exactly-once accounting (a well-behaved receiver) or fire-and-forget (a misbehaving one) */
  exact: boolean;
  /** queue priority of each port, for the FIFO-order check (index = port) */
  prioOf?: number[];
  /**
   * 'raise' (default): the hypervisor's set_pending on `dom`'s port directly;
   * 'send': EVTCHNOP_send from `dom` (the receiver is the peer, whose port
   * must have the same number for the accounting). The send returns 0 even
   * when the peer's set_pending dropped the event after three queue changes
   * inside it (spec §9.5): an exact sender takes a move of the peer's
   * lockGaveUp counter across its send as its own drop — checking that its
   * event was neither set nor delivered — and sends again (a wrong
   * attribution fails, at once or as a duplicated delivery, never passes).
   * So an exact 'send' sender must be the only raiser on the receiving
   * domain whose raises can meet queue changes.
   */
  via?: 'raise' | 'send';
}

export interface SenderArgs {
  groups: SenderGroup[];
  rounds: number;
  sender: number;
  /** end early once the first group's domain has seen a setLink give up (rounds is then a maximum) */
  untilLinkGaveUp?: boolean;
  /** go on past `rounds` (up to 100×) until the first group's domain has seen a setLink retry */
  untilLinkRetried?: boolean;
  /** end after this many milliseconds (rounds is then a maximum) */
  durationMs?: number;
  /** a background sender: end once this many other senders are done (and do not count as one) */
  untilSendersDone?: number;
  /** start only once ctl word [index] is non-zero (another party got going) */
  startAfter?: number;
}

export function fifoSender(ctx: PartyContext): { raises: number; dropped: number } {
  const { dp, ctl } = ctx;
  const args = ctx.args as SenderArgs;
  const x = dp.x;
  const seq = new Map<number, number>();
  let raises = 0;
  let dropped = 0;
  if (args.startAfter !== undefined) {
    while (ctl.load(args.startAfter) === 0 && !ctl.stopped) ctl.waitWhile(args.startAfter, 0, 1);
  }
  const deadline = args.durationMs === undefined ? Infinity : Date.now() + args.durationMs;
  const retried = () => dp.stats(args.groups[0].dom).linkTries.slice(2).some((n) => n > 0);
  const maxRounds = args.untilLinkRetried ? args.rounds * 100 : args.rounds;
  const me = args.sender;
  if (me >= RAISE_SEQ_SENDERS) throw new Error(`sender ${me}: only ${RAISE_SEQ_SENDERS} raise sequence words`);
  const before: number[] = [];
  const after: number[] = [];
  const beginRaise = (dom: number) => { ctl.store(F_RAISE_DOM + me, dom); ctl.add(F_RAISE_SEQ + me, 1); raiseSeqs(ctl, before); };
  const endRaise = () => { raiseSeqs(ctl, after); ctl.add(F_RAISE_SEQ + me, 1); if (overlappedRaise(before, after, me)) ctl.add(F_RAISE_IN_RAISE, 1); };
  // 'send' groups: the receiving domain of each port (whose give-up counter tells a dropped raise), read
  // once: the peer of an interdomain port, the sender's own domain for an IPI (no remote domain)
  const receiverOf = (dom: number, q: number) => { const c = dp.channel(dom, q); return c.state === ECS_INTERDOMAIN ? c.remoteDom : dom; };
  const peers = new Map(args.groups.map((g) => [g, new Map(g.via === 'send' ? g.ports.map((q) => [q, receiverOf(g.dom, q)]) : [])]));
  for (let r = 0; r < maxRounds; r++) {
    if (r >= args.rounds && (!args.untilLinkRetried || retried())) break;
    if (args.untilLinkGaveUp && dp.stats(args.groups[0].dom).linkGaveUp > 0) break;
    if (Date.now() > deadline) break;
    if (args.untilSendersDone !== undefined && ctl.load(F_SENDERS_DONE) >= args.untilSendersDone) break;
    for (const g of args.groups) {
      for (const p of g.ports) {
        const idx = g.slot * PORTS_PER_SLOT + p;
        if (g.exact) {
          for (;;) {
            const d = ctl.load(F_DELIV + idx);
            if (d === ctl.load(F_SENT + idx)) break;
            if (ctl.stopped) return { raises, dropped };
            ctl.waitWhile(F_DELIV + idx, d, 1);
          }
          if (g.prioOf) {
            const key = g.slot * 16 + g.prioOf[p];
            const n = (seq.get(key) ?? 0) + 1;
            seq.set(key, n);
            ctl.store(F_SEQ + idx, n);
          }
          ctl.add(F_SENT + idx, 1);
          ctl.add(F_SENT_TOTAL + g.slot, 1);
        }
        if (g.via === 'send') {
          const peer = peers.get(g)!.get(p)!;
          for (let tries = 0; ; tries++) {
            const gaveUp = dp.lockGaveUp(peer);
            beginRaise(g.dom);
            const rc = x.evtchnSend(g.dom, p);
            endRaise();
            if (rc !== 0) throw new Error(`EVTCHNOP_send(domain ${g.dom}, port ${p}) returned ${rc} on a port that stays bound`);
            raises++;
            if (!g.exact || dp.lockGaveUp(peer) === gaveUp) break;
            // the give-up must be this send's: its event was never set (a give-up that was
            // another raise's, with ours set and since taken, shows later as a duplicated delivery)
            if (((dp.eventWord(peer, p) ?? 0) & EVTCHN_FIFO_PENDING) !== 0 || ctl.load(F_DELIV + idx) !== ctl.load(F_SENT + idx) - 1) {
              throw new Error(`port ${p}: domain ${peer}'s queue-lock give-up came during this send, but the send's event was set`);
            }
            dropped++;
            ctl.add(F_DROPPED, 1);
            if (tries > MAX_DROP_RETRIES) throw new Error(`port ${p}: send dropped ${tries} times in a row`);
          }
          ctl.store(F_LAST_RAISED + g.slot, p);
          ctl.progress(ctx.index);
          continue;
        }
        for (let tries = 0; ; tries++) {
          const vcpu = g.vcpu === 'notify' ? dp.notifyVcpu(g.dom, p) : g.vcpu;
          beginRaise(g.dom);
          const rc = x.fifoSetPending(g.dom, vcpu, p);
          endRaise();
          if (g.vcpu === 'notify' && dp.notifyVcpu(g.dom, p) !== vcpu) ctl.add(F_RETARGETED, 1);
          raises++;
          if (!(rc & RAISE_DROPPED)) break;
          dropped++;
          ctl.add(F_DROPPED, 1);
          if (tries > MAX_DROP_RETRIES) throw new Error(`port ${p}: raise dropped ${tries} times in a row`);
        }
        ctl.store(F_LAST_RAISED + g.slot, p); // the queue's tail now: what the next raise links behind
        ctl.progress(ctx.index);
      }
    }
  }
  if (args.untilSendersDone === undefined) ctl.add(F_SENDERS_DONE, 1);
  return { raises, dropped };
}

export interface ReceiverArgs extends GuestRef {
  dom: number;
  slot: number;
  vcpu: number;
  gsGfn: number;
  /** stop when the slot's delivered total reaches this; -1: when `senders` are done and everything sent was delivered */
  expected: number;
  senders?: number;
  /** vCPUs of the domain (the first receiver to finish kicks the others) */
  vcpus: number;
  /** FIFO-order check within (sender's slot, queue): priority of each port */
  prioOf?: number[];
  /** mask and unmask the most recently raised port after every event (unmask vs set_pending) */
  maskUnmaskLastRaised?: boolean;
  /** ports ≥ this are churned (closed and re-bound meanwhile): counted, not held to exactly-once */
  exactBelow?: number;
}

export function fifoReceiver(ctx: PartyContext): { delivered: number; upcalls: number; maskUnmasks: number; unmaskHypercalls: number; churned: number } {
  const { dp, ctl } = ctx;
  const a = ctx.args as ReceiverArgs;
  const x = dp.x;
  const lastSeq = new Map<number, number>();
  let delivered = 0;
  let upcalls = 0;
  let maskUnmasks = 0;
  let unmaskHypercalls = 0;
  let churned = 0;
  const handle = (p: number) => {
    if (a.exactBelow !== undefined && p >= a.exactBelow) { churned++; return; }
    const idx = a.slot * PORTS_PER_SLOT + p;
    if (p >= PORTS_PER_SLOT) throw new Error(`dispatched port ${p} outside the scenario's ports`);
    const d = ctl.load(F_DELIV + idx);
    const s = ctl.load(F_SENT + idx);
    if (d >= s) throw new Error(`domain ${a.dom} port ${p}: delivery ${d + 1} but only ${s} sent (duplicated or invented event)`);
    if (a.prioOf) {
      const key = a.slot * 16 + a.prioOf[p];
      const n = ctl.load(F_SEQ + idx);
      const last = lastSeq.get(key) ?? 0;
      if (n <= last) throw new Error(`domain ${a.dom} queue ${a.prioOf[p]}: event #${n} (port ${p}) delivered after #${last}: FIFO order violated`);
      lastSeq.set(key, n);
    }
    countDelivery(ctl, idx, a.slot);
    delivered++;
    ctl.progress(ctx.index);
    if (a.maskUnmaskLastRaised) {
      const v = ctl.load(F_LAST_RAISED + a.slot);
      if (v !== 0) {
        x.guestFifoMask(a.dom, a.gsGfn, v);
        maskUnmasks++;
        if (x.guestFifoUnmask(a.dom, a.gsGfn, v) === 1) { x.fifoUnmask(a.dom, v); unmaskHypercalls++; }
      }
    }
  };
  const done = a.expected >= 0
    ? () => ctl.load(F_DELIVERED_TOTAL + a.slot) >= a.expected
    : () => ctl.load(F_SENDERS_DONE) >= (a.senders ?? 1) && ctl.load(F_DELIVERED_TOTAL + a.slot) === ctl.load(F_SENT_TOTAL + a.slot);
  const before: number[] = [];
  const after: number[] = [];
  const next = () => {
    raiseSeqs(ctl, before);
    const p = nextEvent(dp, a, a.vcpu);
    if (p !== 0 && overlappedRaise(before, raiseSeqs(ctl, after))) ctl.add(F_DRAIN_IN_RAISE, 1);
    return p;
  };
  while (!done()) {
    if (ctl.stopped) break;
    // a long sleep: a lost wake-up shows as VB_LATE, not as a slow run
    if (x.vcpuBlock(a.dom, a.vcpu, BLOCK_TIMEOUT_NS) === VB_LATE) {
      throw new Error(`domain ${a.dom} vCPU ${a.vcpu}: slept into its ${BLOCK_TIMEOUT_NS / 1e6} ms timeout with an upcall pending: lost wake-up (I3)`);
    }
    do {
      x.clearUpcallPending(a.dom, a.vcpu);
      upcalls++;
      for (let p = next(); p !== 0; p = next()) handle(p);
    } while (x.upcallPending(a.dom, a.vcpu) !== 0);
  }
  // wake the domain's other vCPUs, asleep waiting for events that will not come
  for (let v = 0; v < a.vcpus; v++) if (v !== a.vcpu) x.kickVcpu(a.dom, v);
  return { delivered, upcalls, maskUnmasks, unmaskHypercalls, churned };
}

export interface HammerArgs {
  dom: number;
  /** ctl slot whose last-raised port is the likely tail: hammered 3 times in 4 */
  slot: number;
  gsGfn: number;
  vcpu: number;
  ports: number[];
  seed: number;
  garbage: boolean;
  /** only toggle MASKED on the likely tail, as fast as possible (defeats the LINK update) */
  flipOnly?: boolean;
  /** run until this many senders are done */
  senders: number;
}

/**
 * A misbehaving guest: keeps rewriting its own event words — every change a
 * guest may legally make to a LINKED word, plus (with `garbage`) arbitrary
 * values — and now and then consumes its queue as a guest would.
 */
export function tailHammer(ctx: PartyContext): { ops: number } {
  const { dp, ctl } = ctx;
  const a = ctx.args as HammerArgs;
  const x = dp.x;
  const next = rng(a.seed);
  const wordOf: number[] = [];
  for (const p of a.ports) wordOf[p] = x.guestEventWordAddr(a.dom, a.gsGfn, p) >>> 2;
  const u32 = dp.u32;
  const kinds = a.garbage ? 7 : 5;
  const before: number[] = [];
  const after: number[] = [];
  let ops = 0;
  if (a.flipOnly) {
    while (ctl.load(F_SENDERS_DONE) < a.senders && !ctl.stopped) {
      const w = wordOf[ctl.load(F_LAST_RAISED + a.slot)];
      if (w !== undefined) for (let i = 0; i < 64; i++) Atomics.xor(u32, w, EVTCHN_FIFO_MASKED);
      if ((++ops & 255) === 0) {
        // consume, so that the sender's next round links the ports again
        x.clearUpcallPending(a.dom, a.vcpu);
        for (let i = 0; i < 64 && x.guestFifoNext(a.dom, a.gsGfn, a.vcpu) !== 0; i++);
        ctl.progress(ctx.index);
      }
    }
    return { ops };
  }
  while (ctl.load(F_SENDERS_DONE) < a.senders && !ctl.stopped) {
    // an adversary knows its tail: the LINKED word whose LINK is 0, i.e. the port raised last
    const last = ctl.load(F_LAST_RAISED + a.slot);
    const onTail = (next() & 3) !== 0 && wordOf[last] !== undefined;
    const w = wordOf[onTail ? last : a.ports[next() % a.ports.length]];
    const kind = next() % kinds;
    if (kind === 4) {
      x.clearUpcallPending(a.dom, a.vcpu);
      for (let i = 0; i < 8 && x.guestFifoNext(a.dom, a.gsGfn, a.vcpu) !== 0; i++);
    } else {
      raiseSeqs(ctl, before);
      switch (kind) {
        case 0: Atomics.or(u32, w, EVTCHN_FIFO_MASKED); break;
        case 1: Atomics.and(u32, w, ~EVTCHN_FIFO_MASKED); break;
        case 2: Atomics.and(u32, w, ~EVTCHN_FIFO_PENDING); break;
        case 3: Atomics.and(u32, w, ~(EVTCHN_FIFO_LINKED | EVTCHN_FIFO_LINK_MASK)); break;
        default: Atomics.store(u32, w, next()); break;
      }
      raiseSeqs(ctl, after);
      // a rewrite of the tail that landed inside one raise on this domain (the raise that links behind it)
      for (let i = 0; onTail && i < RAISE_SEQ_SENDERS; i++) {
        if ((before[i] & 1) !== 0 && before[i] === after[i] && ctl.load(F_RAISE_DOM + i) === a.dom) { ctl.add(F_TAIL_IN_RAISE, 1); break; }
      }
    }
    if ((++ops & 255) === 0) ctl.progress(ctx.index);
  }
  return { ops };
}

export interface ChangerArgs {
  dom: number;
  ports: number[];
  seed: number;
  senders: number;
  /** 'priority': set_priority to random priorities; 'vcpu': bind_vcpu to random vCPUs */
  what: 'priority' | 'vcpu';
  vcpus: number;
  /** through the hypercalls (EVTCHNOP_set_priority / bind_vcpu) instead of the FIFO hooks */
  hypercall?: boolean;
  /** re-target as the guest does (mask, bind_vcpu, route, unmask): needed under 2-level */
  guest?: GuestRef;
}

/** Keeps changing the queue future raises of `ports` go to (set_priority or bind_vcpu). */
export function queueChanger(ctx: PartyContext): { changes: number } {
  const { dp, ctl } = ctx;
  const a = ctx.args as ChangerArgs;
  const next = rng(a.seed);
  let changes = 0;
  while (ctl.load(F_SENDERS_DONE) < a.senders && !ctl.stopped) {
    const p = a.ports[next() % a.ports.length];
    const linkedBefore = ((dp.eventWord(a.dom, p) ?? 0) & EVTCHN_FIFO_LINKED) !== 0;
    let rc: number;
    if (a.guest && a.what === 'vcpu') {
      rc = rebind(dp, a.guest, p, next() % a.vcpus);
    } else if (a.hypercall) {
      rc = a.what === 'priority' ? dp.x.evtchnSetPriority(a.dom, p, next() % 16) : dp.x.evtchnBindVcpu(a.dom, p, next() % a.vcpus);
    } else if (a.what === 'priority') {
      rc = dp.x.fifoSetPriority(a.dom, p, next() % 16);
    } else {
      dp.x.channelSetNotifyVcpu(a.dom, p, next() % a.vcpus);
      rc = 0;
    }
    if (rc !== 0) throw new Error(`${a.what} change on bound port ${p} of domain ${a.dom} returned ${rc}`);
    // the change met a raised, not yet consumed event: the case I14 keeps from moving queues
    if (linkedBefore && ((dp.eventWord(a.dom, p) ?? 0) & EVTCHN_FIFO_LINKED) !== 0) ctl.add(F_CHANGED_LINKED, 1);
    if ((++changes & 63) === 0) ctl.progress(ctx.index);
  }
  return { changes };
}

export interface PhasedArgs {
  dom: number;
  vcpu: number;
  gsGfn: number;
  rounds: number;
  parties: number;
  /** sender: ports raised per round, in order */
  ports?: number[];
  /** receiver: port → [sender, priority] */
  owner?: Record<number, [number, number]>;
  total?: number;
}

/** Raises its ports once per round between two barriers, concurrently with other phased senders. */
export function phasedSender(ctx: PartyContext): { rounds: number } {
  const a = ctx.args as PhasedArgs;
  for (let r = 0; r < a.rounds; r++) {
    if (!ctx.ctl.barrier(a.parties)) break;
    for (const p of a.ports!) ctx.dp.x.fifoSetPending(a.dom, a.vcpu, p);
    ctx.ctl.progress(ctx.index);
    if (!ctx.ctl.barrier(a.parties) || !ctx.ctl.barrier(a.parties)) break;
  }
  return { rounds: a.rounds };
}

/**
 * After each raise phase drains everything and checks priority order across
 * queues and each sender's order within a queue (I15).
 */
export function phasedReceiver(ctx: PartyContext): { rounds: number } {
  const a = ctx.args as PhasedArgs;
  const x = ctx.dp.x;
  for (let r = 0; r < a.rounds; r++) {
    if (!ctx.ctl.barrier(a.parties) || !ctx.ctl.barrier(a.parties)) break;
    const got: number[] = [];
    do {
      x.clearUpcallPending(a.dom, a.vcpu);
      for (let p = x.guestFifoNext(a.dom, a.gsGfn, a.vcpu); p !== 0; p = x.guestFifoNext(a.dom, a.gsGfn, a.vcpu)) got.push(p);
    } while (x.upcallPending(a.dom, a.vcpu) !== 0);
    if (got.length !== a.total) throw new Error(`round ${r}: drained ${got.length} events, expected ${a.total}: [${got.join(',')}]`);
    const lastIdx = new Map<string, number>();
    let lastPrio = -1;
    got.forEach((p, i) => {
      const [sender, prio] = a.owner![p];
      if (prio < lastPrio) throw new Error(`round ${r}: port ${p} (priority ${prio}) came after priority ${lastPrio}: [${got.join(',')}]`);
      lastPrio = prio;
      const key = `${sender}:${prio}`;
      if ((lastIdx.get(key) ?? -1) > p) throw new Error(`round ${r}: sender ${sender} queue ${prio} out of order at ${i}: [${got.join(',')}]`);
      lastIdx.set(key, p);
    });
    ctx.ctl.progress(ctx.index);
    if (!ctx.ctl.barrier(a.parties)) break;
  }
  return { rounds: a.rounds };
}
