// `wasmxen stress --scenario continuations`: continued memory_op calls on
// both vCPUs of a 32-bit domain — which continues after every extent (I41) —
// one round per iteration. Each vCPU gives back a random set of its own
// frames with decrease_reservation and takes them again with
// populate_physmap, through its register context and the guest's re-issue
// loop, while the other vCPU does the same on the same domain. The final
// state of every call must be that of an uninterrupted run (I40): every
// extent done exactly once (result = nr_extents), exactly the listed frames
// removed and then back as zeroed RAM, tot_pages restored at the round's end.
// The continuation-mask-change injection decodes the start extent with a
// different shift than it was encoded with, and is caught here.
import type { RoundDef, RoundArgs, RoundEnv, OutcomeDef } from './stress-core.ts';
import { GuestHypercalls } from '../../guest/hypercalls.ts';
import { MemoryHypercalls } from '../../guest/memory-hypercalls.ts';
import { XENMEM_decrease_reservation, XENMEM_populate_physmap } from '../../../assembly/shared/memory-abi.ts';
import { P2M_INVALID, P2M_RAM_RW, PAGE_SIZE } from '../../../assembly/shared/layout.ts';

export interface ContinuationArgs extends RoundArgs {
  dom: number;
  scratchGfn: number;
  /** per role: the frame holding its extent list, and the first of its `ownFrames` frames */
  listGfns: number[];
  ownBases: number[];
  ownFrames: number;
  /** extents per call at most */
  maxExtents: number;
  /** tot_pages before the first round (restored at the end of every round) */
  totPages: number;
}

export const CONTINUATION_OUTCOMES: OutcomeDef[] = [
  { id: 'continued', kind: 'acceptable', text: 'a call of the round was preempted and re-issued, and the round ended as an uninterrupted run' },
  { id: 'single', kind: 'acceptable', text: 'no call of the round was preempted (a one-extent call never is): an uninterrupted run' },
  { id: 'result', kind: 'forbidden', text: 'a continued call did not do every extent exactly once (result ≠ nr_extents)' },
  { id: 'p2m', kind: 'forbidden', text: 'a frame\'s p2m state or contents differ from an uninterrupted run (not removed, not back, not zeroed)' },
  { id: 'tot-pages', kind: 'forbidden', text: 'tot_pages differs from an uninterrupted run after the round' },
];
const O_CONTINUED = 0, O_SINGLE = 1, O_RESULT = 2, O_P2M = 3, O_TOT = 4;
const MARK = 0x5a5a5a5a;

interface ContState {
  mem: MemoryHypercalls;
  list: DataView;
  guestBase: number;
  conts: number;
}

function pick(env: RoundEnv<ContinuationArgs>, n: number): number[] {
  const a = env.args;
  const chosen = new Set<number>();
  while (chosen.size < n) chosen.add(a.ownBases[env.role] + (env.next() % a.ownFrames));
  return [...chosen];
}

export const continuedMemoryOps: RoundDef<ContinuationArgs, ContState> = {
  roles: 2,
  setup(env) {
    const a = env.args;
    const hc = new GuestHypercalls(env.dp, a.dom, env.role, a.scratchGfn);
    const width = 32;
    const mem = new MemoryHypercalls(hc.stub, hc.args, hc.gpa, width);
    const guestBase = env.x.addrGuestBase(a.dom) >>> 0;
    const st: ContState = { mem, list: new DataView(env.dp.memory.buffer, guestBase + a.listGfns[env.role] * PAGE_SIZE, PAGE_SIZE), guestBase, conts: 0 };
    hc.stub.onPreempted = () => { st.conts++; };
    return st;
  },
  act(st, env) {
    const a = env.args;
    const x = env.x;
    const n = 1 + (env.next() % a.maxExtents);
    const gfns = pick(env, n);
    gfns.forEach((g, i) => {
      st.mem.setExtent(st.list, i, g);
      new DataView(env.dp.memory.buffer, st.guestBase + g * PAGE_SIZE, 4).setUint32(0, MARK, true); // the guest's own frame
    });
    st.conts = 0;
    const r = { extentStart: a.listGfns[env.role] * PAGE_SIZE, nrExtents: n };
    const dec = st.mem.reservation(XENMEM_decrease_reservation, r);
    if (dec.result !== n) {
      env.out.fail(O_RESULT, `vCPU ${env.role}: decrease_reservation of ${n} extents [${gfns}] returned ${dec.result} after ${dec.continuations} continuations`, env.round);
      return;
    }
    const notRemoved = gfns.filter((g) => x.p2mTypeOf(a.dom, g) !== P2M_INVALID);
    if (notRemoved.length) {
      env.out.fail(O_P2M, `vCPU ${env.role}: after decrease_reservation gfns [${notRemoved}] are still RAM`, env.round);
      return;
    }
    const pop = st.mem.reservation(XENMEM_populate_physmap, r);
    if (pop.result !== n) {
      env.out.fail(O_RESULT, `vCPU ${env.role}: populate_physmap of ${n} extents [${gfns}] returned ${pop.result} after ${pop.continuations} continuations`, env.round);
      return;
    }
    const wrong = gfns.filter((g) => x.p2mTypeOf(a.dom, g) !== P2M_RAM_RW || env.dp.load32(st.guestBase + g * PAGE_SIZE) !== 0);
    if (wrong.length) env.out.fail(O_P2M, `vCPU ${env.role}: after populate_physmap gfns [${wrong}] are not zeroed RAM`, env.round);
  },
  check(st, env) {
    const tot = env.x.domainTotPages(env.args.dom) >>> 0;
    if (tot !== env.args.totPages) {
      env.out.fail(O_TOT, `tot_pages is ${tot} after the round, ${env.args.totPages} before`, env.round);
      return -1;
    }
    // continued only if a call really was preempted and re-issued (the onPreempted count), not merely long enough to be
    return st.conts > 0 ? O_CONTINUED : O_SINGLE;
  },
};
