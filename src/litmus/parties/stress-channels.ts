// `wasmxen stress` scenarios on the channel layer: hypercalls of different
// vCPUs (and domains) racing on the same channel, one round per iteration.
// Role 0 rebuilds what the round consumed (prepare) and classifies it (check).
import type { RoundDef, RoundArgs, RoundEnv, OutcomeDef } from './stress-core.ts';
import { sw, jitter } from './stress-core.ts';
import { unmask, mask, upcallFifo, drainFifo, fmtWord, wordAddr, step } from './stress-ops.ts';
import { DOMID_SELF } from '../../../assembly/shared/evtchn-abi.ts';

const ECS_FREE = 0;
const ECS_UNBOUND = 2;
const VB_LATE = 2;

const fail = (env: RoundEnv<unknown>, outcome: number, detail: string): number => {
  env.out.fail(outcome, detail, env.round);
  return -1;
};

export interface PeerArgs extends RoundArgs {
  /** sending domain A (1 vCPU) and receiving domain B, both FIFO-booted guests */
  a: { dom: number; gsGfn: number };
  b: { dom: number; gsGfn: number; vcpus: number };
}

/** A fresh interdomain channel: B offers a port to A, A binds it; A's guest consumes the bind's event; B listens. */
function bindPair(env: RoundEnv<PeerArgs>, vcpu = 0): { pa: number; pb: number } {
  const { a, b } = env.args;
  const x = env.x;
  const pb = step(env, 'alloc_unbound', 0, 0, () => x.evtchnAllocUnbound(b.dom, DOMID_SELF, a.dom), b.dom);
  if (pb < 0) throw new Error(`alloc_unbound in domain ${b.dom} returned ${pb}`);
  const pa = step(env, 'bind_interdomain', pb, 0, () => x.evtchnBindInterdomain(a.dom, b.dom, pb), a.dom);
  if (pa < 0) throw new Error(`bind_interdomain(${a.dom} → ${b.dom}:${pb}) returned ${pa}`);
  drainFifo(env, a.dom, a.gsGfn, 0, () => {}); // bind_interdomain raises the new local port once (spec §16.6)
  if (vcpu !== 0 && x.evtchnBindVcpu(b.dom, pb, vcpu) !== 0) throw new Error('bind_vcpu failed');
  unmask(env, b.dom, b.gsGfn, pb, wordAddr(env, b.dom, pb));
  return { pa, pb };
}

// ======================================================================== close-send

export const CLOSE_SEND_OUTCOMES: OutcomeDef[] = [
  { id: 'delivered-before-close', kind: 'acceptable', text: 'send first; the guest took the event before it closed the port' },
  { id: 'discarded-by-close', kind: 'interesting', text: 'send first; close cleared PENDING and left the word LINKED until consumed (spec §5.6)' },
  { id: 'dropped-unbound', kind: 'acceptable', text: 'close first; the send found its end UNBOUND and dropped the event (spec §16.7)' },
  { id: 'event-after-close', kind: 'forbidden', text: 'a closed port pending or dispatched after its close returned' },
  { id: 'errno', kind: 'forbidden', text: 'send or close returned an error (both ends stay valid: only 0 is allowed)' },
  { id: 'state', kind: 'forbidden', text: 'after the round the ends are not FREE and UNBOUND' },
];
const CS_PA = 0;
const CS_SEND_RC = 1;

interface CloseSendState { pa: number; pb: number; before: number; closeRc: number; wordAfter: number; drainFirst: boolean }

/** close-send: B's guest closes its end of an interdomain channel while A sends on it. */
export const closeSend: RoundDef<PeerArgs, CloseSendState> = {
  roles: 2,
  setup() { return { pa: 0, pb: 0, before: 0, closeRc: 0, wordAfter: 0, drainFirst: false }; },
  prepare(st, env) {
    const { a, b } = env.args;
    const x = env.x;
    if (st.pa !== 0) {
      const rc = x.evtchnClose(a.dom, st.pa); // UNBOUND since B closed: → FREE
      if (rc !== 0) throw new Error(`closing A's UNBOUND end ${st.pa} returned ${rc}`);
      drainFifo(env, b.dom, b.gsGfn, 0, () => {}); // consume the LINKED leftovers of B's closed port
    }
    ({ pa: st.pa, pb: st.pb } = bindPair(env));
    env.ctl.store(sw(CS_PA), st.pa);
    env.ctl.store(sw(CS_SEND_RC), 1);
    st.before = 0;
    st.drainFirst = (env.next() & 1) === 0;
  },
  act(st, env) {
    const { a, b } = env.args;
    const x = env.x;
    if (env.role === 1) {
      const pa = env.ctl.load(sw(CS_PA));
      env.ctl.store(sw(CS_SEND_RC), step(env, 'send', pa, 0, () => x.evtchnSend(a.dom, pa), a.dom));
      return;
    }
    const w = wordAddr(env, b.dom, st.pb);
    if (st.drainFirst) {
      jitter(env.next, 256);
      upcallFifo(env, b.dom, b.gsGfn, 0, (p) => { if (p === st.pb) st.before++; });
    }
    st.closeRc = step(env, 'close', st.pb, w, () => x.evtchnClose(b.dom, st.pb), b.dom);
    st.wordAfter = env.dp.load32(w);
  },
  check(st, env) {
    const { a, b } = env.args;
    const sendRc = env.ctl.load(sw(CS_SEND_RC));
    if (sendRc !== 0 || st.closeRc !== 0) return fail(env, 4, `send(${a.dom}:${st.pa}) returned ${sendRc}, close(${b.dom}:${st.pb}) returned ${st.closeRc}`);
    if (st.wordAfter & 0x80000000) return fail(env, 3, `port ${st.pb} PENDING right after its close returned: ${fmtWord(env, b.dom, st.pb)}`);
    let after = 0;
    drainFifo(env, b.dom, b.gsGfn, 0, (p) => { if (p === st.pb) after++; });
    if (after > 0) return fail(env, 3, `closed port ${st.pb} dispatched after its close returned`);
    if (env.dp.channel(b.dom, st.pb).state !== ECS_FREE || env.dp.channel(a.dom, st.pa).state !== ECS_UNBOUND) {
      return fail(env, 5, `states after the round: B:${st.pb}=${env.dp.channel(b.dom, st.pb).state}, A:${st.pa}=${env.dp.channel(a.dom, st.pa).state}`);
    }
    if (st.before > 0) return 0;
    return (st.wordAfter & 0x20000000) !== 0 ? 1 : 2;
  },
};

// =================================================================== bind-vcpu-send

export const BIND_VCPU_OUTCOMES: OutcomeDef[] = [
  { id: 'old-vcpu', kind: 'acceptable', text: 'delivered on the vCPU the port was bound to before (linked before bind_vcpu: pending state stays, I14)' },
  { id: 'new-vcpu', kind: 'acceptable', text: 'delivered on the vCPU it moved to' },
  { id: 'via-unmask', kind: 'interesting', text: 'sent while the guest had it masked for the move: EVTCHNOP_unmask linked it' },
  { id: 'lost', kind: 'forbidden', text: 'the event never delivered' },
  { id: 'duplicated', kind: 'forbidden', text: 'the event delivered twice' },
  { id: 'errno', kind: 'forbidden', text: 'send or bind_vcpu returned an error' },
];
const BV_SEND_RC = 0;
const BV_PA = 1;

interface BindVcpuState { pa: number; pb: number; cur: number; where: number[]; viaUnmask: boolean; bindRc: number }

/** bind-vcpu-send: B's guest re-targets its port to its other vCPU (mask, bind_vcpu, unmask) while A sends. */
export const bindVcpuSend: RoundDef<PeerArgs, BindVcpuState> = {
  roles: 2,
  setup() { return { pa: 0, pb: 0, cur: 0, where: [], viaUnmask: false, bindRc: 0 }; },
  prepare(st, env) {
    if (st.pa === 0) ({ pa: st.pa, pb: st.pb } = bindPair(env));
    env.ctl.store(sw(BV_PA), st.pa);
    st.where = [];
    st.viaUnmask = false;
    env.ctl.store(sw(BV_SEND_RC), 1);
  },
  act(st, env) {
    const { a, b } = env.args;
    const x = env.x;
    if (env.role === 1) {
      const pa = env.ctl.load(sw(BV_PA));
      env.ctl.store(sw(BV_SEND_RC), step(env, 'send', pa, 0, () => x.evtchnSend(a.dom, pa), a.dom));
      return;
    }
    const w = wordAddr(env, b.dom, st.pb);
    const to = 1 - st.cur;
    mask(env, b.dom, b.gsGfn, st.pb, w);
    st.bindRc = step(env, 'bind_vcpu', st.pb, w, () => x.evtchnBindVcpu(b.dom, st.pb, to), b.dom);
    st.viaUnmask = unmask(env, b.dom, b.gsGfn, st.pb, w);
    st.cur = to;
    jitter(env.next, 128);
    upcallFifo(env, b.dom, b.gsGfn, 0, (p) => { if (p === st.pb) st.where.push(0); });
  },
  check(st, env) {
    const { a, b } = env.args;
    const sendRc = env.ctl.load(sw(BV_SEND_RC));
    if (sendRc !== 0 || st.bindRc !== 0) return fail(env, 5, `send(${a.dom}:${st.pa}) returned ${sendRc}, bind_vcpu(${b.dom}:${st.pb}) returned ${st.bindRc}`);
    for (let v = 0; v < b.vcpus; v++) drainFifo(env, b.dom, b.gsGfn, v, (p) => { if (p === st.pb) st.where.push(v); });
    if (st.where.length === 0) return fail(env, 3, `port ${st.pb} sent, never delivered; word ${fmtWord(env, b.dom, st.pb)}`);
    if (st.where.length > 1) return fail(env, 4, `port ${st.pb} delivered ${st.where.length}× (vCPUs ${st.where})`);
    if (st.viaUnmask) return 2;
    return st.where[0] === st.cur ? 1 : 0;
  },
};

// ================================================================== close-both-ends

export const CLOSE_BOTH_OUTCOMES: OutcomeDef[] = [
  { id: 'a-first', kind: 'acceptable', text: 'A\'s close returned before B\'s started: B found its end UNBOUND' },
  { id: 'b-first', kind: 'acceptable', text: 'B\'s close returned before A\'s started: A found its end UNBOUND' },
  { id: 'overlapped', kind: 'interesting', text: 'the two closes ran at the same time (lock order, re-validation, I17)' },
  { id: 'errno', kind: 'forbidden', text: 'a close returned an error' },
  { id: 'state', kind: 'forbidden', text: 'an end not FREE afterwards, or the active-channel counts unbalanced' },
];
const CB_PA = 0;
const CB_PB = 1;
const CB_SEQ = 2;    // + role: odd while that role's close runs (a seqlock: 0, 1, 2 per round)
const CB_SAW = 4;    // + role: 1 if the other's close was running when this one began, or began or ended meanwhile
const CB_OTHER0 = 6; // + role: the other's CB_SEQ when this close began
const CB_RC = 8;     // + role: the close's return code

/** close-both-ends: both ends of an interdomain channel closed at once (EVTCHNOP_close from A and from B). */
export const closeBothEnds: RoundDef<PeerArgs, { pa: number; pb: number }> = {
  roles: 2,
  setup() { return { pa: 0, pb: 0 }; },
  prepare(st, env) {
    ({ pa: st.pa, pb: st.pb } = bindPair(env));
    env.ctl.store(sw(CB_PA), st.pa);
    env.ctl.store(sw(CB_PB), st.pb);
    for (const w of [CB_SEQ, CB_SEQ + 1]) env.ctl.store(sw(w), 0);
  },
  act(_st, env) {
    const { a, b } = env.args;
    const me = env.role;
    const dom = me === 0 ? a.dom : b.dom;
    const port = env.ctl.load(sw(me === 0 ? CB_PA : CB_PB));
    env.ctl.store(sw(CB_SEQ + me), 1);
    const other0 = env.ctl.load(sw(CB_SEQ + 1 - me));
    const rc = step(env, 'close', port, 0, () => env.x.evtchnClose(dom, port), dom);
    const other1 = env.ctl.load(sw(CB_SEQ + 1 - me));
    env.ctl.store(sw(CB_SEQ + me), 2);
    // sequentially consistent words: closes that overlapped in time make at least one of them see it
    env.ctl.store(sw(CB_SAW + me), (other0 & 1) !== 0 || other1 !== other0 ? 1 : 0);
    env.ctl.store(sw(CB_OTHER0 + me), other0);
    env.ctl.store(sw(CB_RC + me), rc);
  },
  check(st, env) {
    const { a, b } = env.args;
    const ra = env.ctl.load(sw(CB_RC));
    const rb = env.ctl.load(sw(CB_RC + 1));
    if (ra !== 0 || rb !== 0) return fail(env, 3, `close(${a.dom}:${st.pa}) returned ${ra}, close(${b.dom}:${st.pb}) returned ${rb}`);
    const sa = env.dp.channel(a.dom, st.pa).state;
    const sb = env.dp.channel(b.dom, st.pb).state;
    const na = env.dp.activeEvtchns(a.dom);
    const nb = env.dp.activeEvtchns(b.dom);
    if (sa !== ECS_FREE || sb !== ECS_FREE || na !== 0 || nb !== 0) {
      return fail(env, 4, `after both closes: A:${st.pa} state ${sa}, B:${st.pb} state ${sb}, active channels A ${na}, B ${nb}`);
    }
    // consume B's leftovers (nothing was sent, but keep the queues clean)
    drainFifo(env, b.dom, b.gsGfn, 0, () => {});
    if (env.ctl.load(sw(CB_SAW)) !== 0 || env.ctl.load(sw(CB_SAW + 1)) !== 0) return 2;
    // one after the other: B had finished when A began (b-first), or else A came first
    return env.ctl.load(sw(CB_OTHER0)) === 2 ? 1 : 0;
  },
};

// ======================================================================= ipi-storm

export interface IpiStormArgs extends RoundArgs {
  dom: number;
  gsGfn: number;
  vcpus: number;
  /** out[v][w]: v's IPI port to vCPU w (out[v][v] = 0) */
  out: number[][];
  /** sleep bound of a vCPU waiting for its IPIs: sleeping into it with an upcall pending is a lost wake-up */
  blockMs: number;
}

export const IPI_STORM_OUTCOMES: OutcomeDef[] = [
  { id: 'no-sleep', kind: 'acceptable', text: 'every vCPU found its IPIs without sleeping' },
  { id: 'woken', kind: 'interesting', text: 'a vCPU blocked and was woken by an IPI\'s kick' },
  { id: 'lost-wakeup', kind: 'forbidden', text: 'a vCPU slept into its timeout with an upcall pending: the kick was lost (I3)' },
  { id: 'lost', kind: 'forbidden', text: 'an IPI never delivered' },
  { id: 'duplicated', kind: 'forbidden', text: 'an IPI delivered twice' },
  { id: 'wrong-vcpu', kind: 'forbidden', text: 'an IPI delivered on a vCPU it does not target' },
  { id: 'errno', kind: 'forbidden', text: 'an IPI send returned an error' },
];
const IS_DELIV = 0;          // + port: deliveries this round

interface IpiState { inPorts: Set<number>; kicks: number; order: number[] }

/**
 * ipi-storm: every vCPU sends an IPI to every other at once, then blocks
 * (vcpuBlock, spin then sleep) until it has received its own; one round per
 * iteration. Each vCPU is a party.
 */
export const ipiStorm: RoundDef<IpiStormArgs, IpiState> = {
  roles: 3,
  setup(env) {
    const a = env.args;
    const inPorts = new Set<number>();
    for (let v = 0; v < a.vcpus; v++) if (v !== env.role) inPorts.add(a.out[v][env.role]);
    const order = Array.from({ length: a.vcpus }, (_, w) => w).filter((w) => w !== env.role);
    return { inPorts, kicks: env.dp.stats(a.dom).kicks, order };
  },
  act(st, env) {
    const a = env.args;
    const x = env.x;
    const me = env.role;
    // shuffle the send order
    const o = st.order;
    for (let i = o.length - 1; i > 0; i--) { const j = env.next() % (i + 1); [o[i], o[j]] = [o[j], o[i]]; }
    for (const w of o) {
      const p = a.out[me][w];
      const rc = step(env, 'send', p, wordAddr(env, a.dom, p), () => x.evtchnSend(a.dom, p), a.dom);
      if (rc !== 0) { env.out.fail(6, `vCPU ${me}: IPI send on port ${p} returned ${rc}`, env.round); return; }
    }
    let got = 0;
    while (got < a.vcpus - 1 && !env.ctl.stopped) {
      do {
        upcallFifo(env, a.dom, a.gsGfn, me, (p) => {
          if (!st.inPorts.has(p)) { env.out.fail(5, `vCPU ${me} got IPI port ${p}, which targets another vCPU`, env.round); return; }
          env.ctl.add(sw(IS_DELIV + p), 1);
          got++;
        });
      } while (x.upcallPending(a.dom, me) !== 0);
      if (got >= a.vcpus - 1 || env.ctl.stopped) break;
      const r = step(env, 'block', 0, 0, () => x.vcpuBlock(a.dom, me, a.blockMs * 1e6), a.dom);
      if (r === VB_LATE) env.out.fail(2, `vCPU ${me} slept ${a.blockMs} ms with an upcall pending (round ${env.round}, ${got}/${a.vcpus - 1} IPIs)`, env.round);
    }
  },
  check(st, env) {
    const a = env.args;
    let bad = -1;
    let detail = '';
    for (let v = 0; v < a.vcpus; v++) for (let w = 0; w < a.vcpus; w++) {
      if (v === w) continue;
      const p = a.out[v][w];
      const n = env.ctl.load(sw(IS_DELIV + p));
      env.ctl.store(sw(IS_DELIV + p), 0);
      if (n === 0 && bad < 0) { bad = 3; detail = `IPI ${v}→${w} (port ${p}) never delivered; word ${fmtWord(env, a.dom, p)}`; }
      if (n > 1 && bad < 0) { bad = 4; detail = `IPI ${v}→${w} (port ${p}) delivered ${n}×`; }
    }
    if (bad >= 0) return fail(env, bad, detail);
    const kicks = env.dp.stats(a.dom).kicks;
    const woken = kicks !== st.kicks;
    st.kicks = kicks;
    return woken ? 1 : 0;
  },
};
