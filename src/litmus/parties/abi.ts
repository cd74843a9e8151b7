// Parties of the ABI races (issue: 2-level, switch, poll, reset): the
// 2-level→FIFO switch under load, reset racing other operations, SCHEDOP_poll
// racing send and mask/unmask, and a guest scribbling over its 2-level state.
import type { PartyContext } from '../registry.ts';
import {
  rng, F_SENDERS_DONE, F_SENT, F_DELIV, F_DELIVERED_TOTAL, PORTS_PER_SLOT, countDelivery,
} from './fifo.ts';
import { listenOn } from './guest-ops.ts';
import { F_RAISE_DOM, RAISE_SEQ_SENDERS, raiseSeqs, overlappedRaise } from './race-evidence.ts';
import { EAGAIN, EBUSY, EINVAL, ERESTART, EOPNOTSUPP, ENOSPC } from '../../../assembly/shared/errno.ts';
import { DOMID_SELF, EVTCHNOP_reset } from '../../../assembly/shared/evtchn-abi.ts';
import { SI_EVTCHN_PENDING, SI_EVTCHN_MASK_64 } from '../../../assembly/shared/layout.ts';
import { EVTCHN_FIFO_PENDING } from '../../../assembly/shared/fifo-abi.ts';

export const A_RESET_RCS = 7400;   // [0] 0, [1] -EAGAIN, [2] -EBUSY, [3] continuations
export const A_SWITCHED = 7404;    // the receiver has switched to FIFO
// race evidence (the tests repeat runs until it is non-zero)
export const A_SWITCH_RACED = 7405;     // init_control (the 2-level → FIFO conversion) overlapped a sender's raise
export const A_RESET_SEQ = 7406;        // + resetter (0 the counted one, 1 the background one): odd while its reset runs, continuations included
export const A_OPS_IN_RESET = 7408;     // victim operations that overlapped a reset
export const A_RESETS_OVERLAPPED = 7409; // resets that overlapped the other resetter's
export const A_POLL_WOKEN = 7410;       // SCHEDOP_poll sleeps ended by a kick (an event arrived while the poller slept)
export const A_SCRIBBLE_IN_RAISE = 7411; // 2-level scribbles made inside one raise on the scribbler's domain
export const A_VICTIM_STARTED = 7412;   // the reset victim has finished its first operation
export const ABI_CTL_WORDS = 7420;

export interface SwitchArgs {
  dom: number;
  gsGfn: number;
  gs2Gfn: number;
  cbGfn: number;
  arrayGfns: number[];
  ports: number[];
  expected: number;
  /** switch to FIFO after this many events */
  switchAfter: number;
  /** ports ≥ this are raised fire-and-forget: dispatched, not counted */
  exactBelow: number;
}

/**
 * A single-vCPU guest that runs 2-level, then — between two upcalls, with
 * senders running — moves to FIFO (init_control, expand_array, unmask its
 * ports) and goes on. Every event exactly once across the switch (I19).
 */
export function switchingReceiver(ctx: PartyContext): { before: number; after: number } {
  const { dp, ctl } = ctx;
  const a = ctx.args as SwitchArgs;
  const x = dp.x;
  let fifo = false;
  let before = 0;
  let after = 0;
  const next = () => (fifo ? x.guestFifoNext(a.dom, a.gsGfn, 0) : x.guestTwoLevelNext(a.dom, a.gs2Gfn, 0)) >>> 0;
  while (ctl.load(F_DELIVERED_TOTAL) < a.expected && !ctl.stopped) {
    x.vcpuBlock(a.dom, 0, 2e6);
    do {
      x.clearUpcallPending(a.dom, 0);
      for (let p = next(); p !== 0; p = next()) {
        if (p >= PORTS_PER_SLOT) throw new Error(`event on port ${p} out of range`);
        if (p >= a.exactBelow) continue;
        if (!countDelivery(ctl, p, 0)) throw new Error(`port ${p} delivered more often than sent (${fifo ? 'after' : 'before'} the switch)`);
        if (fifo) after++; else before++;
        ctl.progress(ctx.index);
      }
    } while (x.upcallPending(a.dom, 0) !== 0);
    if (!fifo && before >= a.switchAfter) {
      if (x.guestFifoSetup(a.dom, a.gsGfn) !== 0) throw new Error('guest FIFO setup failed');
      const seqBefore = raiseSeqs(ctl, []);
      const rc = x.guestFifoInitVcpu(a.dom, a.gsGfn, 0, a.cbGfn, 0);
      if (overlappedRaise(seqBefore, raiseSeqs(ctl, []))) ctl.store(A_SWITCH_RACED, 1);
      if (rc !== 0) throw new Error(`init_control returned ${rc}`);
      for (const gfn of a.arrayGfns) {
        const r = x.guestFifoAddArrayPage(a.dom, a.gsGfn, gfn);
        if (r !== 0) throw new Error(`expand_array returned ${r}`);
      }
      fifo = true;
      ctl.store(A_SWITCHED, 1);
      for (const p of a.ports) if (x.guestFifoUnmask(a.dom, a.gsGfn, p) === 1) x.evtchnUnmask(a.dom, p);
    }
  }
  return { before, after };
}

export interface ResetterArgs {
  dom: number;
  rounds: number;
  /** re-enter FIFO after each completed reset (the guest's frames) */
  fifo?: { gsGfn: number; cbGfn: number; arrayGfns: number[] };
  /** run until the other party's rounds are done instead (a second resetter) */
  untilDone?: boolean;
  /**
   * Begin only once the second resetter has begun its first reset and the
   * victim has finished its first operation: worker start-up skew otherwise
   * lets every round end before either starts (seen in most runs).
   */
  awaitPeers?: boolean;
}

/** Resets its own domain over and over: every call ends 0, -EAGAIN or -EBUSY (continuations followed). */
export function resetter(ctx: PartyContext): { resets: number } {
  const { dp, ctl } = ctx;
  const a = ctx.args as ResetterArgs;
  const x = dp.x;
  let resets = 0;
  const me = a.untilDone ? 1 : 0;
  // sleeps on whichever peer word is still 0 (nobody notifies: the 1 ms slice bounds each look)
  while (a.awaitPeers && !ctl.stopped) {
    const waitOn = ctl.load(A_VICTIM_STARTED) === 0 ? A_VICTIM_STARTED : ctl.load(A_RESET_SEQ + 1) === 0 ? A_RESET_SEQ + 1 : -1;
    if (waitOn < 0) break;
    ctl.waitWhile(waitOn, 0, 1);
  }
  for (let r = 0; a.untilDone ? ctl.load(F_SENDERS_DONE) === 0 : r < a.rounds; r++) {
    if (ctl.stopped) break;
    ctl.add(A_RESET_SEQ + me, 1);
    const other = ctl.load(A_RESET_SEQ + 1 - me);
    let rc = x.evtchnReset(a.dom, DOMID_SELF, EVTCHNOP_reset);
    // re-issue the continuation's command word, which carries the position (I42)
    while (rc === -ERESTART) { ctl.add(A_RESET_RCS + 3, 1); rc = x.evtchnReset(a.dom, DOMID_SELF, x.continuationArg0Lo()); }
    if ((other & 1) !== 0 || ctl.load(A_RESET_SEQ + 1 - me) !== other) ctl.add(A_RESETS_OVERLAPPED, 1);
    ctl.add(A_RESET_SEQ + me, 1);
    if (rc === 0) ctl.add(A_RESET_RCS, 1);
    else if (rc === -EAGAIN) ctl.add(A_RESET_RCS + 1, 1);
    else if (rc === -EBUSY) ctl.add(A_RESET_RCS + 2, 1);
    else throw new Error(`reset returned ${rc}: only 0, -EAGAIN or -EBUSY are allowed`);
    if (rc === 0 && a.fifo) {
      // back into FIFO: the other resetter may switch us back meanwhile (XSA-505 territory)
      x.guestFifoSetup(a.dom, a.fifo.gsGfn);
      const ic = x.guestFifoInitVcpu(a.dom, a.fifo.gsGfn, 0, a.fifo.cbGfn, 0);
      if (ic !== 0 && ic !== -EINVAL) throw new Error(`init_control after reset returned ${ic}`);
      for (const gfn of a.fifo.arrayGfns) {
        const e = x.guestFifoAddArrayPage(a.dom, a.fifo.gsGfn, gfn);
        if (e !== 0 && e !== -EOPNOTSUPP && e !== -ENOSPC) throw new Error(`expand_array after reset returned ${e}`);
      }
    }
    resets++;
    ctl.progress(ctx.index);
  }
  if (!a.untilDone) ctl.add(F_SENDERS_DONE, 1);
  return { resets };
}

export interface OpsArgs {
  dom: number;
  seed: number;
}

/** Opens, sends on, unmasks and closes ports of the domain being reset: only the errnos Xen gives. */
export function resetVictim(ctx: PartyContext): { ops: number } {
  const { dp, ctl } = ctx;
  const a = ctx.args as OpsArgs;
  const x = dp.x;
  const next = rng(a.seed);
  let ops = 0;
  // each check follows its operation: the operation overlapped a reset if one was running when the previous check ran or one began or ended since
  let seq0 = ctl.load(A_RESET_SEQ);
  let seq1 = ctl.load(A_RESET_SEQ + 1);
  const ok = (rc: number, allowed: number[], what: string) => {
    const s0 = ctl.load(A_RESET_SEQ);
    const s1 = ctl.load(A_RESET_SEQ + 1);
    if (((seq0 | seq1) & 1) !== 0 || s0 !== seq0 || s1 !== seq1) ctl.add(A_OPS_IN_RESET, 1);
    seq0 = s0;
    seq1 = s1;
    if (!allowed.includes(rc)) throw new Error(`${what} during reset returned ${rc}`);
  };
  while (ctl.load(F_SENDERS_DONE) === 0 && !ctl.stopped) {
    const p = x.evtchnBindIpi(a.dom, 0);
    ok(p < 0 ? p : 0, [0, -ENOSPC], 'bind_ipi');
    const q = 1 + (next() % 200);
    ok(x.evtchnSend(a.dom, q), [0, -EINVAL], 'send');
    ok(x.evtchnUnmask(a.dom, q), [0, -EINVAL], 'unmask');
    ok(x.evtchnClose(a.dom, 1 + (next() % 200)), [0, -EINVAL], 'close');
    const u = x.evtchnAllocUnbound(a.dom, DOMID_SELF, DOMID_SELF);
    ok(u < 0 ? u : 0, [0, -ENOSPC], 'alloc_unbound');
    if (ops === 0) ctl.store(A_VICTIM_STARTED, 1);
    if ((++ops & 31) === 0) ctl.progress(ctx.index);
  }
  return { ops };
}

export interface PollArgs {
  dom: number;
  vcpu: number;
  port: number;
  abi: '2l' | 'fifo';
  gsGfn: number;
  gs2Gfn: number;
  /** guest-physical address of a u32 holding `port` (SCHEDOP_poll's array) */
  portsGpa: number;
  rounds: number;
}

/**
 * A vCPU that sleeps in SCHEDOP_poll on one port (no timeout), consumes the
 * event itself (clears PENDING in its own memory) and counts it. A lost
 * wake-up leaves it asleep with the port pending: the watchdog reports it (I20).
 */
export function poller(ctx: PartyContext): { polls: number; spurious: number } {
  const { dp, ctl } = ctx;
  const a = ctx.args as PollArgs;
  const x = dp.x;
  const kick = dp.vcpuKickIndex(a.dom, a.vcpu);
  const fifoWord = a.abi === 'fifo' ? (x.guestEventWordAddr(a.dom, a.gsGfn, a.port) >>> 0) >> 2 : 0;
  const pendWord = ((x.addrGfn(a.dom, 0) >>> 0) + SI_EVTCHN_PENDING + ((a.port >> 5) << 2)) >> 2;
  const bit = 1 << (a.port & 31);
  // the guest's own acknowledgement: take PENDING, report whether it was set
  const take = () => a.abi === 'fifo'
    ? (Atomics.and(dp.u32, fifoWord, ~EVTCHN_FIFO_PENDING) & EVTCHN_FIFO_PENDING) !== 0
    : (Atomics.and(dp.u32, pendWord, ~bit) & bit) !== 0;
  let polls = 0;
  let spurious = 0;
  while (ctl.load(F_DELIVERED_TOTAL) < a.rounds && !ctl.stopped) {
    const rc = x.schedPollPrepare(a.dom, a.vcpu, a.portsGpa >>> 0, 0, 1);
    if (rc < 0) throw new Error(`SCHEDOP_poll returned ${rc}`);
    if (rc === 1) {
      // the 1 s bound only lets a stopped run end; running into it with the
      // port pending and a send outstanding is a lost wake-up (I20)
      const r = Atomics.wait(dp.i32, kick, x.schedPollKick(), 1000);
      x.schedPollFinish(a.dom, a.vcpu);
      if (r === 'ok') ctl.add(A_POLL_WOKEN, 1);
      if (r === 'timed-out' && x.evtchnIsPending(a.dom, a.port) === 1
        && ctl.load(F_SENT + a.port) !== ctl.load(F_DELIV + a.port)) {
        throw new Error(`vCPU ${a.vcpu} slept in SCHEDOP_poll for 1 s with port ${a.port} pending: lost wake-up (I20)`);
      }
      polls++;
    }
    x.clearUpcallPending(a.dom, a.vcpu);
    if (take()) {
      // FIFO's EVTCHNOP_unmask re-raises an event whose PENDING it saw just
      // before we took it (spec §9.7, as Xen): a spurious event, counted
      if (!countDelivery(ctl, a.port, 0)) { spurious++; continue; }
      ctl.progress(ctx.index);
    }
  }
  return { polls, spurious };
}

export interface MaskerArgs {
  dom: number;
  port: number;
  abi: '2l' | 'fifo';
  gsGfn: number;
  gs2Gfn: number;
  vcpu: number;
  untilDelivered: number;
}

/** Keeps masking and unmasking the polled port as the guest does (the hypercall when pending). */
export function masker(ctx: PartyContext): { flips: number } {
  const { dp, ctl } = ctx;
  const a = ctx.args as MaskerArgs;
  const x = dp.x;
  let flips = 0;
  while (ctl.load(F_DELIVERED_TOTAL) < a.untilDelivered && !ctl.stopped) {
    if (a.abi === 'fifo') x.guestFifoMask(a.dom, a.gsGfn, a.port); else x.guestTwoLevelMask(a.dom, a.port);
    listenOn(dp, { dom: a.dom, gsGfn: a.gsGfn, gs2Gfn: a.gs2Gfn, abi: a.abi }, a.port, a.vcpu);
    if ((++flips & 63) === 0) ctl.progress(ctx.index);
  }
  return { flips };
}

export interface Scribble2LArgs {
  dom: number;
  gs2Gfn: number;
  seed: number;
  senders: number;
}

/** A guest writing garbage over its own shared_info bitmaps, selector and upcall flag, and scanning. */
export function scribble2L(ctx: PartyContext): { writes: number } {
  const { dp, ctl } = ctx;
  const a = ctx.args as Scribble2LArgs;
  const x = dp.x;
  const next = rng(a.seed);
  const si = (x.addrGfn(a.dom, 0) >>> 0) >> 2;
  const spots = [
    ...Array.from({ length: 128 }, (_, i) => si + SI_EVTCHN_PENDING / 4 + i),
    ...Array.from({ length: 128 }, (_, i) => si + SI_EVTCHN_MASK_64 / 4 + i),
    si, si + 2, si + 3, // vcpu_info[0]: upcall word and the selector
  ];
  let writes = 0;
  const before: number[] = [];
  const after: number[] = [];
  while (ctl.load(F_SENDERS_DONE) < a.senders && !ctl.stopped) {
    raiseSeqs(ctl, before);
    Atomics.store(dp.u32, spots[next() % spots.length], next());
    raiseSeqs(ctl, after);
    for (let i = 0; i < RAISE_SEQ_SENDERS; i++) {
      if ((before[i] & 1) !== 0 && before[i] === after[i] && ctl.load(F_RAISE_DOM + i) === a.dom) { ctl.add(A_SCRIBBLE_IN_RAISE, 1); break; }
    }
    if ((++writes & 15) === 0) {
      x.clearUpcallPending(a.dom, 0);
      for (let i = 0; i < 64 && x.guestTwoLevelNext(a.dom, a.gs2Gfn, 0) !== 0; i++);
    }
    if ((writes & 255) === 0) ctl.progress(ctx.index);
  }
  return { writes };
}

