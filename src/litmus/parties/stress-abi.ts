// `wasmxen stress` scenarios across ABI changes, one round per iteration:
//  - reset: EVTCHNOP_reset from vCPU 0 against every other operation (and,
//    now and then, a second reset) from vCPU 1; the domain re-enters FIFO for
//    the next round;
//  - abi-switch: the guest switches from 2-level to FIFO while its other vCPU
//    sends IPIs; EVTCHNOP_reset takes it back to 2-level for the next round.
import type { RoundDef, RoundArgs, RoundEnv, OutcomeDef } from './stress-core.ts';
import { sw, jitter } from './stress-core.ts';
import { unmask, upcallFifo, drainFifo, fmtWord, wordAddr, step } from './stress-ops.ts';
import { DOMID_SELF, EVTCHNOP_reset } from '../../../assembly/shared/evtchn-abi.ts';
import { EAGAIN, EBUSY, EINVAL, ERESTART, ENOSPC, ENOSYS, EACCES } from '../../../assembly/shared/errno.ts';
import { SI_EVTCHN_PENDING } from '../../../assembly/shared/layout.ts';

const ECS_FREE = 0;

const fail = (env: RoundEnv<unknown>, outcome: number, detail: string): number => {
  env.out.fail(outcome, detail, env.round);
  return -1;
};

export interface AbiGuestArgs extends RoundArgs {
  dom: number;
  vcpus: number;
  gsGfn: number;
  gs2Gfn: number;
  cbGfns: number[];
  arrayGfns: number[];
  /** ports bound per round */
  ports: number;
}

/** The guest's FIFO boot (spec §10.2): driver state, init_control on every vCPU, the event array. */
function enterFifo(env: RoundEnv<AbiGuestArgs>): void {
  const a = env.args;
  const x = env.x;
  step(env, 'switch to FIFO', 0, 0, () => {
    let rc = x.guestFifoSetup(a.dom, a.gsGfn);
    for (let v = 0; v < a.vcpus && rc === 0; v++) rc = x.guestFifoInitVcpu(a.dom, a.gsGfn, v, a.cbGfns[v], 0);
    for (const g of a.arrayGfns) if (rc === 0) rc = x.guestFifoAddArrayPage(a.dom, a.gsGfn, g);
    if (rc !== 0) throw new Error(`domain ${a.dom}: entering FIFO failed with ${rc}`);
    return rc;
  });
}

/** EVTCHNOP_reset of the caller's own domain, following -ERESTART with reset_cont. */
function resetSelf(env: RoundEnv<AbiGuestArgs>, dom: number): { rc: number; conts: number } {
  let conts = 0;
  const rc = step(env, 'reset', 0, 0, () => {
    let r = env.x.evtchnReset(dom, DOMID_SELF, EVTCHNOP_reset);
    while (r === -ERESTART) { conts++; r = env.x.evtchnReset(dom, DOMID_SELF, env.x.continuationArg0Lo()); }
    return r;
  });
  return { rc, conts };
}

// ============================================================================ reset

export const RESET_OUTCOMES: OutcomeDef[] = [
  { id: 'completed', kind: 'acceptable', text: 'the reset completed (every port closed, back to 2-level) with no other operation in between' },
  { id: 'completed-raced', kind: 'acceptable', text: 'the reset completed while the other vCPU\'s operations ran' },
  { id: 'eagain', kind: 'interesting', text: 'ports were opened during the reset: -EAGAIN' },
  { id: 'ebusy', kind: 'interesting', text: 'the other vCPU\'s reset was in progress: -EBUSY' },
  { id: 'errno', kind: 'forbidden', text: 'an operation returned an errno Xen never gives for it' },
  { id: 'state', kind: 'forbidden', text: 'afterwards the active-channel count disagrees with the channel table, or a completed reset left FIFO on' },
];
const RS_DONE = 0;
const RS_OPS = 1;
const RS_SECOND = 2; // the other vCPU reset too (its completion may change the ABI)

interface ResetState { rc: number }

/** reset: EVTCHNOP_reset from vCPU 0 while vCPU 1 binds, sends, unmasks, closes, re-targets and resets. */
export const resetRace: RoundDef<AbiGuestArgs, ResetState> = {
  roles: 2,
  setup() { return { rc: 0 }; },
  prepare(_st, env) {
    const a = env.args;
    const x = env.x;
    if (env.dp.abi(a.dom) === '2l') enterFifo(env);
    for (let i = 0; i < a.ports; i++) {
      const p = i % 3 === 2 ? x.evtchnAllocUnbound(a.dom, DOMID_SELF, a.dom) : x.evtchnBindIpi(a.dom, i % a.vcpus);
      if (p < 0) break; // -ENOSPC: ports from earlier rounds still open
      unmask(env, a.dom, a.gsGfn, p, wordAddr(env, a.dom, p));
      if (env.next() % 4 === 0) x.evtchnSend(a.dom, p); // some pending and LINKED when the reset comes
    }
    for (let i = 0; i < 3; i++) env.ctl.store(sw(i), 0);
  },
  act(st, env) {
    const a = env.args;
    const x = env.x;
    if (env.role === 0) {
      st.rc = resetSelf(env, a.dom).rc;
      env.ctl.store(sw(RS_DONE), 1);
      return;
    }
    const max = 2 * a.ports + 8;
    const bad = (what: string, rc: number) => env.out.fail(4, `${what} during a reset returned ${rc}`, env.round);
    while (env.ctl.load(sw(RS_DONE)) === 0 && !env.ctl.stopped) {
      const q = 1 + (env.next() % max);
      let rc: number;
      switch (env.next() % 16) {
        case 0: case 1:
          rc = step(env, 'send', q, 0, () => x.evtchnSend(a.dom, q), a.dom);
          if (rc !== 0 && rc !== -EINVAL) bad(`send(${q})`, rc);
          break;
        case 2: case 3:
          rc = step(env, 'bind', 0, 0, () => x.evtchnBindIpi(a.dom, 1), a.dom);
          if (rc < 0 && rc !== -ENOSPC) bad('bind_ipi', rc);
          break;
        case 4: case 5:
          rc = step(env, 'close', q, 0, () => x.evtchnClose(a.dom, q), a.dom);
          if (rc !== 0 && rc !== -EINVAL) bad(`close(${q})`, rc);
          break;
        case 6: case 7:
          rc = step(env, 'EVTCHNOP_unmask', q, 0, () => x.evtchnUnmask(a.dom, q), a.dom);
          if (rc !== 0 && rc !== -EINVAL) bad(`unmask(${q})`, rc);
          break;
        case 8: case 9:
          rc = step(env, 'alloc_unbound', 0, 0, () => x.evtchnAllocUnbound(a.dom, DOMID_SELF, a.dom), a.dom);
          if (rc < 0 && rc !== -ENOSPC) bad('alloc_unbound', rc);
          break;
        case 10: case 11:
          rc = step(env, 'bind_vcpu', q, 0, () => x.evtchnBindVcpu(a.dom, q, env.next() % a.vcpus), a.dom);
          if (rc !== 0 && rc !== -EINVAL) bad(`bind_vcpu(${q})`, rc);
          break;
        case 12: case 13: case 14:
          rc = step(env, 'set_priority', q, 0, () => x.evtchnSetPriority(a.dom, q, env.next() % 16), a.dom);
          if (rc !== 0 && rc !== -EINVAL && rc !== -ENOSYS && rc !== -EACCES) bad(`set_priority(${q})`, rc);
          break;
        default: {
          if (env.next() % 4 !== 0) break;
          env.ctl.store(sw(RS_SECOND), 1);
          rc = resetSelf(env, a.dom).rc;
          if (rc !== 0 && rc !== -EAGAIN && rc !== -EBUSY) bad('a second reset', rc);
        }
      }
      env.ctl.add(sw(RS_OPS), 1);
    }
  },
  check(st, env) {
    const a = env.args;
    if (st.rc !== 0 && st.rc !== -EAGAIN && st.rc !== -EBUSY) return fail(env, 4, `reset returned ${st.rc}: only 0, -EAGAIN or -EBUSY are allowed`);
    // the channel table and the counter agree once nothing runs
    const valid = env.dp.validEvtchns(a.dom);
    let open = 0;
    for (let p = 1; p < valid; p++) if (env.dp.channel(a.dom, p).state !== ECS_FREE) open++;
    const active = env.dp.activeEvtchns(a.dom);
    if (open !== active) return fail(env, 5, `active_evtchns = ${active}, but ${open} ports are not FREE`);
    const second = env.ctl.load(sw(RS_SECOND)) !== 0;
    if (st.rc === 0 && !second && env.dp.abi(a.dom) !== '2l') return fail(env, 5, 'a completed reset left the domain in FIFO');
    if (env.dp.abi(a.dom) === 'fifo') for (let v = 0; v < a.vcpus; v++) drainFifo(env, a.dom, a.gsGfn, v, () => {});
    if (st.rc === -EAGAIN) return 2;
    if (st.rc === -EBUSY) return 3;
    return env.ctl.load(sw(RS_OPS)) === 0 ? 0 : 1;
  },
};

// ======================================================================= abi-switch

export interface AbiSwitchArgs extends AbiGuestArgs {
  /** the domain's regions (src/wasm/memory-map.ts): each round re-creates it, so no state of an earlier round survives */
  region: { guestBase: number; frames: number; privBase: number; privBytes: number; maxPort: number; width: number; capacity: number };
}

export const ABI_SWITCH_OUTCOMES: OutcomeDef[] = [
  { id: 'all-2l', kind: 'acceptable', text: 'every IPI arrived through the 2-level ABI, before the switch' },
  { id: 'all-fifo', kind: 'acceptable', text: 'every IPI arrived through FIFO, after the switch' },
  { id: 'straddled', kind: 'interesting', text: 'the switch happened mid-storm: some IPIs before it, some after' },
  { id: 'carried-over', kind: 'interesting', text: 'an IPI raised before the event array existed (pending in 2-level at the switch, or sent between init_control and expand_array) became a sticky flag replayed by expand_array (I19)' },
  { id: 'lost', kind: 'forbidden', text: 'an IPI never delivered: a raise crossed the switch (I19)' },
  { id: 'duplicated', kind: 'forbidden', text: 'an IPI delivered twice' },
  { id: 'missed', kind: 'forbidden', text: 'an IPI found only by the final drain, after the guest saw the sender done and no upcall' },
  { id: 'errno', kind: 'forbidden', text: 'a send on a bound IPI port failed' },
];
const AS_DONE = 0;
const AS_PORTS = 8; // + i

interface SwitchState { ports: number[]; before: Map<number, number>; after: Map<number, number> }

/**
 * abi-switch: a freshly created domain boots 2-level and binds IPIs to its
 * vCPU 0; vCPU 0 then moves it to FIFO (init_control, expand_array, unmask)
 * while vCPU 1 sends it those IPIs.
 */
export const abiSwitch: RoundDef<AbiSwitchArgs, SwitchState> = {
  roles: 2,
  setup() { return { ports: [], before: new Map(), after: new Map() }; },
  prepare(st, env) {
    const a = env.args;
    const x = env.x;
    const r = a.region;
    x.domainDestroy(a.dom);
    x.domainCreate(a.dom, r.guestBase, r.frames, r.privBase, r.privBytes, a.vcpus, r.maxPort, r.width, r.capacity);
    if (x.guestTwoLevelSetup(a.dom, a.gs2Gfn) !== 0) throw new Error('2-level guest setup failed');
    st.ports = [];
    for (let i = 0; i < a.ports; i++) {
      const p = x.evtchnBindIpi(a.dom, 0);
      if (p < 0) throw new Error(`bind_ipi returned ${p}`);
      x.guestTwoLevelRoute(a.dom, a.gs2Gfn, p, 0);
      if (x.guestTwoLevelUnmask(a.dom, a.gs2Gfn, 0, p) === 1) x.evtchnUnmask(a.dom, p);
      st.ports.push(p);
      env.ctl.store(sw(AS_PORTS + i), p);
    }
    st.before.clear();
    st.after.clear();
    env.ctl.store(sw(AS_DONE), 0);
  },
  act(st, env) {
    const a = env.args;
    const x = env.x;
    if (env.role === 1) {
      const ports = Array.from({ length: a.ports }, (_, i) => env.ctl.load(sw(AS_PORTS + i)));
      for (let i = ports.length - 1; i > 0; i--) { const j = env.next() % (i + 1); [ports[i], ports[j]] = [ports[j], ports[i]]; }
      for (const p of ports) {
        const rc = step(env, 'send', p, 0, () => x.evtchnSend(a.dom, p), a.dom);
        if (rc !== 0) { env.out.fail(7, `IPI send on port ${p} returned ${rc}`, env.round); break; }
        jitter(env.next, 512);
      }
      env.ctl.store(sw(AS_DONE), 1);
      return;
    }
    const count = (m: Map<number, number>) => (p: number) => { m.set(p, (m.get(p) ?? 0) + 1); };
    // one 2-level upcall, then the switch
    x.clearUpcallPending(a.dom, 0);
    for (let p = x.guestTwoLevelNext(a.dom, a.gs2Gfn, 0) >>> 0; p !== 0; p = x.guestTwoLevelNext(a.dom, a.gs2Gfn, 0) >>> 0) count(st.before)(p);
    jitter(env.next, 2048);
    enterFifo(env);
    for (const p of st.ports) unmask(env, a.dom, a.gsGfn, p, wordAddr(env, a.dom, p));
    for (;;) {
      const done = env.ctl.load(sw(AS_DONE)) === 1;
      if (x.upcallPending(a.dom, 0) !== 0) { upcallFifo(env, a.dom, a.gsGfn, 0, count(st.after)); continue; }
      if (done || env.ctl.stopped) break;
    }
  },
  check(st, env) {
    const a = env.args;
    const late = new Map<number, number>();
    drainFifo(env, a.dom, a.gsGfn, 0, (p) => { late.set(p, (late.get(p) ?? 0) + 1); });
    for (const p of st.ports) {
      const n = (st.before.get(p) ?? 0) + (st.after.get(p) ?? 0) + (late.get(p) ?? 0);
      if (n === 0) return fail(env, 4, `IPI port ${p} sent, never delivered (2-level pending bit ${env.dp.u8[(env.x.addrGfn(a.dom, 0) >>> 0) + SI_EVTCHN_PENDING + (p >> 3)] >> (p & 7) & 1}, sticky ${env.dp.channel(a.dom, p).stickyPending}, FIFO word ${fmtWord(env, a.dom, p)})`);
      if (n > 1) return fail(env, 5, `IPI port ${p} delivered ${n}× (2-level ${st.before.get(p) ?? 0}, FIFO ${st.after.get(p) ?? 0}, final drain ${late.get(p) ?? 0})`);
    }
    for (const [p] of [...st.before, ...st.after, ...late]) if (!st.ports.includes(p)) return fail(env, 5, `port ${p} dispatched, never bound`);
    if (late.size > 0) return fail(env, 6, `IPI ports ${[...late.keys()]} found only by the final drain`);
    if (st.ports.some((p) => env.dp.channel(a.dom, p).stickyPending)) return 3;
    const nb = [...st.before.values()].reduce((s, v) => s + v, 0);
    const na = [...st.after.values()].reduce((s, v) => s + v, 0);
    return na === 0 ? 0 : nb === 0 ? 1 : 2;
  },
};
