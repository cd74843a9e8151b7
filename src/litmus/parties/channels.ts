// Parties of the channel-layer races (test/litmus/): hypercalls racing on
// the same ports from different threads. Each acts as a vCPU of the domain
// it names, calling the same wasm functions the struct ABI reaches.
import type { PartyContext } from '../registry.ts';
import { rng, F_SENDERS_DONE, PORTS_PER_SLOT, F_SENT, F_DELIV, F_DELIVERED_TOTAL, countDelivery } from './fifo.ts';
import { DOMID_SELF } from '../../../assembly/shared/evtchn-abi.ts';
import { EINVAL, ENOSPC } from '../../../assembly/shared/errno.ts';
import { nextEvent, listenOn, type GuestRef } from './guest-ops.ts';
import { F_RAISE_SEQ, F_RAISE_VCPU, F_DRAIN_IN_RAISE, RAISE_SEQ_SENDERS, raiseInFlightTo } from './race-evidence.ts';

/** Words of the churn and close races, after the FIFO parties' words. */
export const C_CHURN_PORT = 7000;   // + i: current port of churn pair i in the sending domain (0 = being rebuilt)
export const C_REBINDS = 7090;     // channels the churner has re-bound so far
export const C_ROUND_PORTS = 7100;  // [0] port in domain A, [1] port in domain B for the close-both-ends round
export const C_RESULTS = 7110;      // rc histogram of the close-both-ends race: [0] both 0, [1] anything else
export const C_CLOSE_SEQ = 7120;    // + role (a 0, b 1): odd while that party's close runs (a seqlock)
export const C_CLOSE_OVERLAPS = 7122; // closes that began while the other end's close was running (race evidence)
export const CHANNEL_CTL_WORDS = 7200;

export interface ChurnArgs {
  /** sending domain (its ports are published) and receiving domain */
  from: number;
  to: number;
  /** the receiving guest: new ports are routed to its vCPU 0 and unmasked so their events arrive */
  guestTo: GuestRef;
  pairs: number;
  seed: number;
  senders: number;
}

/**
 * Keeps closing and re-binding interdomain channels from both ends while
 * senders use them: close the receiver's end (the sender's end turns
 * UNBOUND), allocate a new unbound port, close the sender's end, bind anew.
 */
export function channelChurner(ctx: PartyContext): { rebinds: number } {
  const { dp, ctl } = ctx;
  const a = ctx.args as ChurnArgs;
  const x = dp.x;
  const next = rng(a.seed);
  let rebinds = 0;
  const toPort: number[] = new Array<number>(a.pairs).fill(0);
  while (ctl.load(F_SENDERS_DONE) < a.senders && !ctl.stopped) {
    const i = next() % a.pairs;
    const fromPort = ctl.load(C_CHURN_PORT + i);
    if (fromPort !== 0) {
      // the receiving end first, then the sender's now-UNBOUND end
      if (toPort[i] !== 0) expectRc(x.evtchnClose(a.to, toPort[i]), 0, `close(${a.to}:${toPort[i]})`);
      ctl.store(C_CHURN_PORT + i, 0);
      expectRc(x.evtchnClose(a.from, fromPort), 0, `close(${a.from}:${fromPort})`);
    }
    const p2 = x.evtchnAllocUnbound(a.to, DOMID_SELF, a.from);
    // closed ports still LINKED are busy until the receivers drain them: the
    // port space can run out for a while (spec §9.8); try again later
    if (p2 === -ENOSPC) { ctl.waitWhile(C_REBINDS, ctl.load(C_REBINDS), 0.1); continue; }
    if (p2 < 0) throw new Error(`alloc_unbound in domain ${a.to} returned ${p2}`);
    const p1 = x.evtchnBindInterdomain(a.from, a.to, p2);
    if (p1 < 0) throw new Error(`bind_interdomain(${a.from} → ${a.to}:${p2}) returned ${p1}`);
    listenOn(dp, a.guestTo, p2, 0);
    toPort[i] = p2;
    ctl.store(C_CHURN_PORT + i, p1);
    ctl.add(C_REBINDS, 1);
    rebinds++;
    if ((rebinds & 15) === 0) ctl.progress(ctx.index);
  }
  return { rebinds };
}

function expectRc(rc: number, want: number, what: string): void {
  if (rc !== want) throw new Error(`${what} returned ${rc}, expected ${want}`);
}

export interface ChurnSenderArgs {
  from: number;
  pairs: number;
  senders: number;
}

/** Sends between which the churn sender stalls once between reading a port and sending on it. */
const CHURN_STALL_EVERY = 64;
/** How long that stall lasts (ms): a guest vCPU preempted between its port table and the hypercall. */
const CHURN_STALL_MS = 0.05;

/**
 * Sends on the churned ports as fast as it can: each send returns 0 or
 * -EINVAL (port closed meanwhile), nothing else. Once in CHURN_STALL_EVERY
 * sends it stalls between reading the port and sending: the churner then
 * closes it meanwhile often enough, even where both share one core and the
 * read-to-send gap is otherwise a few instructions.
 */
export function churnSender(ctx: PartyContext): { sends: number; invalid: number } {
  const { dp, ctl } = ctx;
  const a = ctx.args as ChurnSenderArgs;
  let sends = 0;
  let invalid = 0;
  while (ctl.load(F_SENDERS_DONE) < a.senders && !ctl.stopped) {
    for (let i = 0; i < a.pairs; i++) {
      const p = ctl.load(C_CHURN_PORT + i);
      if (p === 0) continue;
      if (sends % CHURN_STALL_EVERY === CHURN_STALL_EVERY - 1) ctl.waitWhile(C_REBINDS, ctl.load(C_REBINDS), CHURN_STALL_MS);
      const rc = dp.x.evtchnSend(a.from, p);
      if (rc === -EINVAL) invalid++;
      else if (rc !== 0) throw new Error(`EVTCHNOP_send(${a.from}, ${p}) racing close returned ${rc}`);
      sends++;
    }
    if ((sends & 255) === 0) ctl.progress(ctx.index);
  }
  return { sends, invalid };
}

export interface CloseBothArgs {
  role: 'a' | 'b';
  domA: number;
  domB: number;
  /** domain A's guest, to drain the event bind_interdomain raises on A */
  guestA: GuestRef;
  rounds: number;
}

/**
 * Interdomain close from both ends at once: each round both parties are
 * released by a barrier and close their own end. Both must return 0 (one
 * finds its end INTERDOMAIN, the other finds it UNBOUND after the first
 * close, or both lock in order), with no deadlock; then A rebuilds the channel.
 */
export function closeBothEnds(ctx: PartyContext): { rounds: number } {
  const { dp, ctl } = ctx;
  const a = ctx.args as CloseBothArgs;
  const x = dp.x;
  for (let r = 0; r < a.rounds; r++) {
    if (a.role === 'a') {
      const pb = x.evtchnAllocUnbound(a.domB, DOMID_SELF, a.domA);
      const pa = x.evtchnBindInterdomain(a.domA, a.domB, pb);
      if (pb < 0 || pa < 0) throw new Error(`round ${r}: rebuilding the channel failed (${pb}, ${pa})`);
      ctl.store(C_ROUND_PORTS, pa);
      ctl.store(C_ROUND_PORTS + 1, pb);
    }
    if (!ctl.barrier(2)) break;
    const mine = ctl.load(C_ROUND_PORTS + (a.role === 'a' ? 0 : 1));
    const me = a.role === 'a' ? 0 : 1;
    ctl.add(C_CLOSE_SEQ + me, 1);
    const other = ctl.load(C_CLOSE_SEQ + (1 - me));
    const rc = x.evtchnClose(a.role === 'a' ? a.domA : a.domB, mine);
    // the other end's close was running when this one began, or began or ended during it
    if ((other & 1) !== 0 || ctl.load(C_CLOSE_SEQ + (1 - me)) !== other) ctl.add(C_CLOSE_OVERLAPS, 1);
    ctl.add(C_CLOSE_SEQ + me, 1);
    ctl.add(C_RESULTS + (rc === 0 ? 0 : 1), 1);
    if (rc !== 0) throw new Error(`round ${r}: close from ${a.role === 'a' ? 'A' : 'B'} returned ${rc}`);
    if (!ctl.barrier(2)) break;
    if (a.role === 'a') {
      // consume the event bind_interdomain raised, so the port is not busy (LINKED) next round
      x.clearUpcallPending(a.domA, 0);
      while (nextEvent(dp, a.guestA, 0) !== 0);
    }
    ctl.progress(ctx.index);
  }
  return { rounds: a.rounds };
}

export interface IpiVcpuArgs extends GuestRef {
  dom: number;
  vcpu: number;
  vcpus: number;
  /** out[w]: this vCPU's own IPI port delivering to vCPU w (out[vcpu] unused): one sender per port */
  out: number[];
  /** the ports that deliver to this vCPU */
  inPorts: number[];
  rounds: number;
}

/**
 * One vCPU of an IPI storm: sends an IPI to every other vCPU each round
 * (one in flight per port: exactly-once accounting on slot 0) and handles
 * its own, until every IPI of the storm has been delivered.
 */
export function ipiVcpu(ctx: PartyContext): { sent: number; handled: number } {
  const { dp, ctl } = ctx;
  const a = ctx.args as IpiVcpuArgs;
  const x = dp.x;
  const expected = a.rounds * a.vcpus * (a.vcpus - 1);
  let sent = 0;
  let handled = 0;
  let round = 0;
  if (a.vcpus > RAISE_SEQ_SENDERS) throw new Error(`IPI storm: only ${RAISE_SEQ_SENDERS} raise sequence words`);
  // race evidence: a consume that began while another vCPU's IPI to this one was in flight
  const next = () => {
    let raced = false;
    for (let i = 0; i < a.vcpus && !raced; i++) raced = i !== a.vcpu && raiseInFlightTo(ctl, i, F_RAISE_VCPU, a.vcpu + 1);
    const p = nextEvent(dp, a, a.vcpu);
    if (raced && p !== 0) ctl.add(F_DRAIN_IN_RAISE, 1);
    return p;
  };
  const drain = () => {
    x.clearUpcallPending(a.dom, a.vcpu);
    for (let p = next(); p !== 0; p = next()) {
      if (p >= PORTS_PER_SLOT) throw new Error(`IPI on port ${p} out of range`);
      if (!a.inPorts.includes(p)) throw new Error(`vCPU ${a.vcpu} got IPI port ${p}, which targets another vCPU`);
      if (!countDelivery(ctl, p, 0)) throw new Error(`vCPU ${a.vcpu}: IPI on port ${p} delivered more often than sent`);
      handled++;
    }
  };
  while (ctl.load(F_DELIVERED_TOTAL) < expected && !ctl.stopped) {
    const roundAtStart = round;
    if (round < a.rounds) {
      let all = true;
      for (let w = 0; w < a.vcpus; w++) {
        if (w === a.vcpu) continue;
        const p = a.out[w];
        if (ctl.load(F_DELIV + p) !== ctl.load(F_SENT + p)) { all = false; continue; }
      }
      if (all) {
        for (let w = 0; w < a.vcpus; w++) {
          if (w === a.vcpu) continue;
          const p = a.out[w];
          ctl.add(F_SENT + p, 1);
          ctl.store(F_RAISE_VCPU + a.vcpu, w + 1);
          ctl.add(F_RAISE_SEQ + a.vcpu, 1);
          const rc = x.evtchnSend(a.dom, p);
          ctl.add(F_RAISE_SEQ + a.vcpu, 1);
          if (rc !== 0) throw new Error(`IPI send on port ${p} returned ${rc}`);
          sent++;
        }
        round++;
        ctl.progress(ctx.index);
      }
    }
    const before = handled;
    drain();
    // nothing to do: sleep until an IPI arrives (briefly: credits free up without a kick)
    if (handled === before && round === roundAtStart) x.vcpuBlock(a.dom, a.vcpu, round >= a.rounds ? 1e6 : 1e5);
  }
  // wake the others: they may sleep waiting for the last IPIs
  for (let w = 0; w < a.vcpus; w++) if (w !== a.vcpu) x.kickVcpu(a.dom, w);
  return { sent, handled };
}
