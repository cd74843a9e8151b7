// The scenarios of `wasmxen stress`: what races, what one iteration is, what
// must never happen, the outcome classes, the scheduling noise that widens
// the race window, and how to set up the machine and the parties. The
// parties themselves run on worker threads (src/litmus/parties/stress-*.ts).
import { InternalError } from '../errors.ts';
import { CONSUMER_OUTCOMES, type ConsumerStressArgs } from '../litmus/parties/stress-consumer.ts';
import { consumerId } from '../consumers/types.ts';
import { MONITOR_STATE_WORDS } from '../consumers/monitor-ring.ts';
import { createMachine, type Machine } from '../wasm/data-plane.ts';
import type { WasmBuild } from '../wasm/exports.ts';
import { guestLayout, type GuestLayout } from '../guest/layout.ts';
import { bootGuest, type GuestAbi } from '../guest/kernel.ts';
import { dumpFifoQueues } from '../wasm/decode.ts';
import type { PartySpec } from '../harness/run.ts';
import type { OutcomeDef, StressArgs } from '../litmus/parties/stress-core.ts';
import {
  RAISE_DRAIN_OUTCOMES, MASK_UNMASK_OUTCOMES, UNMASK_TAIL_OUTCOMES, PRIORITY_OUTCOMES, VCPU_MOVE_OUTCOMES,
} from '../litmus/parties/stress-fifo.ts';
import { TAIL_HAMMER_OUTCOMES, HAMMER_MAX_GOOD } from '../litmus/parties/stress-hammer.ts';
import {
  CLOSE_SEND_OUTCOMES, BIND_VCPU_OUTCOMES, CLOSE_BOTH_OUTCOMES, IPI_STORM_OUTCOMES,
} from '../litmus/parties/stress-channels.ts';
import { RESET_OUTCOMES, ABI_SWITCH_OUTCOMES } from '../litmus/parties/stress-abi.ts';
import { CONTINUATION_OUTCOMES, type ContinuationArgs } from '../litmus/parties/stress-memory.ts';
import { DESTROY_OUTCOMES, type DestroyArgs } from '../litmus/parties/stress-destroy.ts';
import { MC_FIXED_BYTES } from '../../assembly/shared/dm-layout.ts';
import {
  NP_LINK_BEFORE_CAS, NP_RAISE_AFTER_PENDING, NP_RAISE_AFTER_LINKED, NP_RAISE_BEFORE_READY, NP_GUEST_CLEAR_LINKED,
  NP_GUEST_UNMASK, NP_GUEST_HEAD, NP_RAISE_ABI, NP_RAISE_BEFORE_HEAD, NP_BLOCK_BEFORE_WAIT, NP_UPCALL_BEFORE_KICK,
  NP_CLOSE_LOCKED,
} from '../../assembly/stress/points.ts';
import { DOMID_SELF } from '../../assembly/shared/evtchn-abi.ts';
import type { Evidence } from './verdict.ts';
import { DM_MAPCACHE_SCENARIO } from './dm-scenario.ts';

/** Scheduling noise of the stress build: a point delays with probability rate/65536 by up to `spins`, 1 in 2^yieldLog2 delays also sleeps ~20 µs. */
export interface NoiseSpec {
  rate: number;
  /** a delay spins a random 0..spins-1 iterations (< 65536) … */
  spins: number;
  /** … plus this minimum (< 65536; default 0) */
  minSpins?: number;
  yieldLog2: number;
  /** noise only at these points (assembly/stress/points.ts); all if absent */
  points?: number[];
}

/** What a scenario's build step gets: the machine's seed and noise. */
export interface BuildOptions {
  build: WasmBuild;
  /** the common arguments every party gets (seed, trace ring, epoch) */
  common: StressArgs;
}

/** A scenario ready to run: its parties and watchdog policy. */
export interface BuiltScenario {
  machine: Machine;
  parties: PartySpec[];
  /** queues and words decoded, for a failure report */
  dump(): string;
  /** 'each': a round scenario, every party progresses every round; 'all': only a global stall is one */
  stallPolicy: 'all' | 'each';
}

/** A stress scenario: its parties, what one iteration is, its outcomes (acceptable, interesting, forbidden). */
export interface ScenarioDef {
  name: string;
  /** what races, in one line */
  race: string;
  /** what one iteration is */
  iteration: string;
  /** what must never happen */
  never: string;
  outcomes: OutcomeDef[];
  /** what proves the race happened in a run (src/stress/verdict.ts): without it a clean-looking run is inconclusive */
  evidence: Evidence;
  noise: NoiseSpec;
  /** a round scenario: the machine and its parties, run by src/stress/runner.ts */
  setup?(o: BuildOptions): BuiltScenario;
  /** a scenario with its own runner (the device model's), counting into the same outcome classes */
  run?(o: CustomRunOptions): Promise<CustomRunResult>;
}

export interface CustomRunOptions {
  seconds: number;
  /** stop once this many iterations ran */
  iterations?: number;
  seed: number;
  build: WasmBuild;
  noise: boolean;
  /** names of injected bugs this scenario implements */
  inject?: string;
  onProgress?: (iterations: number, outcomes: number[]) => void;
  /** stop early (a forbidden outcome is final) */
  stopped?: () => boolean;
}

export interface CustomRunResult {
  iterations: number;
  /** per def.outcomes */
  outcomes: number[];
  forbidden: number;
  watchdog: number;
  /** seconds the parties ran */
  seconds: number;
  failure?: { kind: 'forbidden' | 'watchdog' | 'error'; outcome: string; detail: string; iteration?: number; atSeconds: number };
}

// ------------------------------------------------------------------ machines

interface Booted { m: Machine; layout: Map<number, GuestLayout> }

/** Domains booted by our guest kernel into `abi` (as test/helpers/abi-machine.ts). */
function boot(domains: { domid: number; vcpus: number }[], build: WasmBuild, abi: GuestAbi = 'fifo'): Booted {
  const layout = new Map<number, GuestLayout>();
  for (const d of domains) layout.set(d.domid, guestLayout(d.vcpus, 1023));
  const m = createMachine(domains.map((d) => ({ domid: d.domid, vcpus: d.vcpus, frames: layout.get(d.domid)!.freeGfn + 2, maxEvtchnPort: 1023 })), build);
  for (const d of domains) bootGuest(m.dp, d.domid, d.vcpus, layout.get(d.domid)!, abi);
  return { m, layout };
}

/** `n` UNBOUND ports of `dom` (usable: raisable, movable), unmasked by the guest, at the given priorities. */
function unboundPorts(b: Booted, dom: number, prios: number[], vcpuOf: (i: number) => number = () => 0): number[] {
  const x = b.m.dp.x;
  const gs = b.layout.get(dom)!.gsGfn;
  return prios.map((prio, i) => {
    const p = x.evtchnAllocUnbound(dom, DOMID_SELF, dom);
    if (p < 0) throw new InternalError(`stress setup: alloc_unbound in domain ${dom} returned ${p}`);
    if (x.evtchnSetPriority(dom, p, prio) !== 0) throw new InternalError(`stress setup: set_priority of port ${p} in domain ${dom} failed`);
    const v = vcpuOf(i);
    if (v !== 0 && x.evtchnBindVcpu(dom, p, v) !== 0) throw new InternalError(`stress setup: bind_vcpu of port ${p} in domain ${dom} to vCPU ${v} failed`);
    if (x.guestFifoUnmask(dom, gs, p) === 1) x.evtchnUnmask(dom, p);
    return p;
  });
}

const dumpOf = (b: Booted) => () => b.m.plan.domains.map((d) => dumpFifoQueues(b.m.dp, d.domid, d.vcpus)).join('\n');

type RoundArgsBase = StressArgs & { scenario: string; role: number; roles: number };

const roles = (n: number, scenario: string, common: StressArgs, args: object, jitter: number): PartySpec[] =>
  Array.from({ length: n }, (_, role) => ({ party: 'stressRound', args: { ...common, jitter, ...args, scenario, role, roles: n } }));

// ------------------------------------------------------------------ scenarios

/** Every stress scenario. */
export const SCENARIOS: readonly ScenarioDef[] = [
  {
    name: 'raise-drain',
    race: 'set_pending of two events (same or different queues) × the guest\'s upcall loop on that vCPU',
    iteration: 'one round: 2 raises by a hypervisor-side sender while the vCPU polls its upcall flag and drains',
    never: 'an event lost, duplicated, or found only after the guest saw the sender done and no upcall (I11, I15)',
    outcomes: RAISE_DRAIN_OUTCOMES,
    evidence: { outcomes: ['two-upcalls', 'spurious-upcall'], text: 'the guest draining between or during the raises (two-upcalls, spurious-upcall)' },
    noise: { rate: 3000, spins: 3000, yieldLog2: 2, points: [NP_RAISE_BEFORE_READY, NP_RAISE_BEFORE_HEAD, NP_GUEST_HEAD, NP_GUEST_CLEAR_LINKED] },
    setup({ build, common }) {
      const b = boot([{ domid: 1, vcpus: 1 }], build);
      const ports = unboundPorts(b, 1, [7, 7, 7, 3, 3, 7]);
      return { machine: b.m, dump: dumpOf(b), stallPolicy: 'each', parties: roles(2, 'raise-drain', common, { dom: 1, gsGfn: b.layout.get(1)!.gsGfn, ports }, 0) };
    },
  },
  {
    name: 'mask-unmask',
    race: 'the guest masking and unmasking a port (fast path, EVTCHNOP_unmask when pending) × set_pending of it',
    iteration: 'one round: 1 raise against 1 mask + unmask',
    never: 'the event pending and unmasked on no queue (lost), or delivered twice (I16)',
    outcomes: MASK_UNMASK_OUTCOMES,
    evidence: { outcomes: ['unmask-hypercall'], text: 'a raise landing while the guest had the port masked (unmask-hypercall)' },
    noise: { rate: 8000, spins: 2000, yieldLog2: 0, points: [NP_GUEST_UNMASK, NP_RAISE_AFTER_PENDING, NP_RAISE_AFTER_LINKED] },
    setup({ build, common }) {
      const b = boot([{ domid: 1, vcpus: 1 }], build);
      const ports = unboundPorts(b, 1, [7, 7, 7, 7]);
      return { machine: b.m, dump: dumpOf(b), stallPolicy: 'each', parties: roles(2, 'mask-unmask', common, { dom: 1, gsGfn: b.layout.get(1)!.gsGfn, ports }, 512) };
    },
  },
  {
    name: 'unmask-tail',
    race: 'the guest masking and unmasking the tail of a queue × set_pending linking a new event behind it',
    iteration: 'one round: 1 LINK update behind the tail while the guest flips MASKED on it until the raise returns',
    never: 'the LINK update giving up on (or exceeding its bound against) a guest that only masks and unmasks legally; a lost or duplicated event (I10, I16)',
    outcomes: UNMASK_TAIL_OUTCOMES,
    evidence: { outcomes: ['busy-retry'], text: 'the guest changing the tail during a LINK update (busy-retry)' },
    // a yield in 2 attempts: on a machine where the two parties share one core, the guest flips only while the sender sleeps
    noise: { rate: 65535, spins: 4000, yieldLog2: 1, points: [NP_LINK_BEFORE_CAS] },
    setup({ build, common }) {
      const b = boot([{ domid: 1, vcpus: 1 }], build);
      const ports = unboundPorts(b, 1, [7, 7, 7, 7]);
      const pairs = [[ports[0], ports[1]], [ports[2], ports[3]], [ports[1], ports[2]], [ports[3], ports[0]]];
      return { machine: b.m, dump: dumpOf(b), stallPolicy: 'each', parties: roles(2, 'unmask-tail', common, { dom: 1, gsGfn: b.layout.get(1)!.gsGfn, pairs }, 256) };
    },
  },
  {
    name: 'tail-hammer',
    race: 'a misbehaving guest toggling MASKED on its queue tail without pause × LINK updates behind it; a well-behaved domain served by the same sender',
    iteration: 'one raise on the misbehaving domain (linked behind the hammered tail when it is LINKED)',
    never: 'a LINK update beyond 1 + 4 cmpxchg attempts, a sender stuck in Xen (watchdog), a lost or duplicated event of the well-behaved domain (I5, I10)',
    outcomes: TAIL_HAMMER_OUTCOMES,
    evidence: { outcomes: ['busy-retry', 'gave-up'], text: 'a LINK update retried against the hammered tail (busy-retry, gave-up)' },
    // every cmpxchg attempt waits a little: the guest rewrites the tail in between
    noise: { rate: 65535, spins: 2000, minSpins: 200, yieldLog2: 0, points: [NP_LINK_BEFORE_CAS] },
    setup({ build, common }) {
      const b = boot([{ domid: 1, vcpus: 1 }, { domid: 2, vcpus: 1 }], build);
      const bad = unboundPorts(b, 1, [7, 7, 7, 7]);
      const good = unboundPorts(b, 2, Array.from({ length: 16 }, (_, i) => [7, 3][i % 2]));
      if (good.length > HAMMER_MAX_GOOD) throw new InternalError(`stress setup: ${good.length} good ports, more than HAMMER_MAX_GOOD`);
      const args = { ...common, bad: { dom: 1, gsGfn: b.layout.get(1)!.gsGfn, ports: bad }, good: { dom: 2, gsGfn: b.layout.get(2)!.gsGfn, ports: good } };
      return {
        machine: b.m, dump: dumpOf(b), stallPolicy: 'all', parties: [
          { party: 'stressHammerSender', args },
          { party: 'stressTailFlipper', args, background: true },
          { party: 'stressGoodReceiver', args },
        ],
      };
    },
  },
  {
    name: 'priority-change',
    race: 'EVTCHNOP_set_priority moving a port between two queues × set_pending of it and of ports on both queues, while the guest drains',
    iteration: 'one round: 1 set_priority + 3 raises (the moved port, one on its old queue, one on its new) + the upcall loop',
    never: 'an event lost or duplicated: a LINK written into a word of another queue (I12, I13, I14)',
    outcomes: PRIORITY_OUTCOMES,
    evidence: { outcomes: ['before-change', 'after-change'], all: true, text: 'the raise landing both before and after set_priority (before-change and after-change)' },
    noise: { rate: 4000, spins: 2000, yieldLog2: 0, points: [NP_RAISE_AFTER_LINKED, NP_LINK_BEFORE_CAS, NP_GUEST_CLEAR_LINKED, NP_GUEST_HEAD] },
    setup({ build, common }) {
      const b = boot([{ domid: 1, vcpus: 1 }], build);
      const [p, r, s] = unboundPorts(b, 1, [7, 7, 3]);
      return { machine: b.m, dump: dumpOf(b), stallPolicy: 'each', parties: roles(2, 'priority-change', common, { dom: 1, gsGfn: b.layout.get(1)!.gsGfn, p, r, s, a: 7, b: 3 }, 256) };
    },
  },
  {
    name: 'vcpu-move',
    race: 'EVTCHNOP_bind_vcpu moving a pending port to the other vCPU × set_pending of it and of ports bound to each vCPU, while vCPU 0 drains',
    iteration: 'one round: a raise before the release, then 1 bind_vcpu + 3 raises + vCPU 0\'s upcall loop',
    never: 'an event delivered on a vCPU its port was never bound to, lost or duplicated (I13, I14)',
    outcomes: VCPU_MOVE_OUTCOMES,
    evidence: { outcomes: ['coalesced', 'relinked-new'], all: true, text: 'bind_vcpu landing both before and after the drain (coalesced and relinked-new)' },
    noise: { rate: 4000, spins: 2000, yieldLog2: 0, points: [NP_RAISE_AFTER_LINKED, NP_LINK_BEFORE_CAS, NP_GUEST_CLEAR_LINKED, NP_GUEST_HEAD] },
    setup({ build, common }) {
      const b = boot([{ domid: 1, vcpus: 2 }], build);
      const [p, r, s] = unboundPorts(b, 1, [7, 7, 7], (i) => (i === 2 ? 1 : 0));
      return { machine: b.m, dump: dumpOf(b), stallPolicy: 'each', parties: roles(2, 'vcpu-move', common, { dom: 1, gsGfn: b.layout.get(1)!.gsGfn, p, r, s }, 256) };
    },
  },
  {
    name: 'close-send',
    race: 'EVTCHNOP_close of one end of an interdomain channel × EVTCHNOP_send from the other end',
    iteration: 'one round: 1 send against 1 close (the channel is rebuilt before the next round)',
    never: 'send or close failing, the closed port pending or dispatched after its close returned (spec §5.6)',
    outcomes: CLOSE_SEND_OUTCOMES,
    evidence: { outcomes: ['discarded-by-close'], text: 'a close landing between the send and its delivery (discarded-by-close)' },
    noise: { rate: 5000, spins: 2000, yieldLog2: 0, points: [NP_RAISE_ABI, NP_RAISE_AFTER_PENDING, NP_RAISE_BEFORE_READY] },
    setup({ build, common }) {
      const b = boot([{ domid: 1, vcpus: 1 }, { domid: 2, vcpus: 1 }], build);
      const peers = { a: { dom: 1, gsGfn: b.layout.get(1)!.gsGfn }, b: { dom: 2, gsGfn: b.layout.get(2)!.gsGfn, vcpus: 1 } };
      return { machine: b.m, dump: dumpOf(b), stallPolicy: 'each', parties: roles(2, 'close-send', common, peers, 1024) };
    },
  },
  {
    name: 'bind-vcpu-send',
    race: 'the guest re-targeting its end of an interdomain channel (mask, EVTCHNOP_bind_vcpu, unmask) × EVTCHNOP_send from the peer',
    iteration: 'one round: 1 send against 1 re-target, then both vCPUs drained',
    never: 'the event lost or delivered twice, send or bind_vcpu failing (I14, I16, I22)',
    outcomes: BIND_VCPU_OUTCOMES,
    evidence: { outcomes: ['via-unmask'], text: 'a send landing while the guest had the port masked for the move (via-unmask)' },
    noise: { rate: 5000, spins: 2000, yieldLog2: 0, points: [NP_RAISE_ABI, NP_RAISE_AFTER_PENDING, NP_GUEST_UNMASK, NP_LINK_BEFORE_CAS] },
    setup({ build, common }) {
      const b = boot([{ domid: 1, vcpus: 1 }, { domid: 2, vcpus: 2 }], build);
      const peers = { a: { dom: 1, gsGfn: b.layout.get(1)!.gsGfn }, b: { dom: 2, gsGfn: b.layout.get(2)!.gsGfn, vcpus: 2 } };
      return { machine: b.m, dump: dumpOf(b), stallPolicy: 'each', parties: roles(2, 'bind-vcpu-send', common, peers, 1024) };
    },
  },
  {
    name: 'close-both-ends',
    race: 'EVTCHNOP_close from both ends of one interdomain channel at once',
    iteration: 'one round: 2 closes (the channel is rebuilt before the next round)',
    never: 'a close failing, an end left bound, unbalanced channel counts, a deadlock (I17)',
    outcomes: CLOSE_BOTH_OUTCOMES,
    evidence: { outcomes: ['overlapped'], text: 'the two closes running at the same time (overlapped)' },
    // a close holding its event lock now and then sleeps: the other end's close then starts, even on a shared core
    noise: { rate: 8000, spins: 1000, yieldLog2: 2, points: [NP_CLOSE_LOCKED] },
    setup({ build, common }) {
      const b = boot([{ domid: 1, vcpus: 1 }, { domid: 2, vcpus: 1 }], build);
      const peers = { a: { dom: 1, gsGfn: b.layout.get(1)!.gsGfn }, b: { dom: 2, gsGfn: b.layout.get(2)!.gsGfn, vcpus: 1 } };
      return { machine: b.m, dump: dumpOf(b), stallPolicy: 'each', parties: roles(2, 'close-both-ends', common, peers, 2048) };
    },
  },
  {
    name: 'ipi-storm',
    race: 'three vCPUs each sending an IPI to every other at once, then blocking until their own arrive',
    iteration: 'one round: 6 IPIs sent, each vCPU spinning or sleeping until its 2 arrive',
    never: 'a vCPU asleep with an upcall pending (lost wake-up), an IPI lost, duplicated or on the wrong vCPU (I3)',
    outcomes: IPI_STORM_OUTCOMES,
    evidence: { outcomes: ['woken'], text: 'a blocked vCPU woken by an IPI\'s kick (woken)' },
    noise: { rate: 6000, spins: 6000, yieldLog2: 3, points: [NP_UPCALL_BEFORE_KICK, NP_BLOCK_BEFORE_WAIT, NP_RAISE_BEFORE_READY] },
    setup({ build, common }) {
      const V = 3;
      const b = boot([{ domid: 1, vcpus: V }], build);
      const x = b.m.dp.x;
      const gs = b.layout.get(1)!.gsGfn;
      const out: number[][] = [];
      for (let v = 0; v < V; v++) {
        out.push([]);
        for (let w = 0; w < V; w++) {
          if (v === w) { out[v].push(0); continue; }
          const p = x.evtchnBindIpi(1, w);
          if (x.guestFifoUnmask(1, gs, p) === 1) x.evtchnUnmask(1, p);
          out[v].push(p);
        }
      }
      return { machine: b.m, dump: dumpOf(b), stallPolicy: 'each', parties: roles(V, 'ipi-storm', common, { dom: 1, gsGfn: gs, vcpus: V, out, blockMs: 25 }, 512) };
    },
  },
  {
    name: 'reset',
    race: 'EVTCHNOP_reset (with its continuations) × send, bind, close, unmask, bind_vcpu, set_priority and a second reset from the other vCPU',
    iteration: 'one round: 1 reset of a domain with ~24 open ports while the other vCPU issues operations until it returns',
    never: 'an errno Xen never gives, active_evtchns disagreeing with the channel table, a completed reset leaving FIFO on, a deadlock (I17, I19)',
    outcomes: RESET_OUTCOMES,
    evidence: { outcomes: ['completed-raced', 'eagain', 'ebusy'], text: 'an operation landing during the reset (completed-raced, eagain, ebusy)' },
    noise: { rate: 4000, spins: 2000, yieldLog2: 4, points: [NP_RAISE_ABI, NP_RAISE_AFTER_PENDING] },
    setup({ build, common }) {
      const b = boot([{ domid: 1, vcpus: 2 }], build);
      const l = b.layout.get(1)!;
      const args = { dom: 1, vcpus: 2, gsGfn: l.gsGfn, gs2Gfn: l.twoLevelGfn, cbGfns: [l.cbGfn(0), l.cbGfn(1)], arrayGfns: l.arrayGfns, ports: 24 };
      return { machine: b.m, dump: dumpOf(b), stallPolicy: 'each', parties: roles(2, 'reset', common, args, 4096) };
    },
  },
  {
    name: 'abi-switch',
    race: 'the 2-level → FIFO switch (init_control, expand_array, unmask) × IPIs sent by the other vCPU',
    iteration: 'one round: a fresh domain boots 2-level with 8 IPI ports and switches to FIFO during the storm',
    never: 'an IPI lost across the switch, delivered twice, or found only after the guest saw no upcall (I9, I19)',
    outcomes: ABI_SWITCH_OUTCOMES,
    evidence: { outcomes: ['straddled', 'carried-over'], text: 'IPIs crossing the switch (straddled, carried-over)' },
    noise: { rate: 4000, spins: 2000, yieldLog2: 0, points: [NP_RAISE_ABI, NP_RAISE_AFTER_PENDING, NP_RAISE_BEFORE_READY] },
    setup({ build, common }) {
      const b = boot([{ domid: 1, vcpus: 2 }], build, '2l');
      const l = b.layout.get(1)!;
      const r = b.m.domain(1);
      const args = {
        dom: 1, vcpus: 2, gsGfn: l.gsGfn, gs2Gfn: l.twoLevelGfn, cbGfns: [l.cbGfn(0), l.cbGfn(1)], arrayGfns: l.arrayGfns, ports: 8,
        region: { guestBase: r.guestBase, frames: r.frames, privBase: r.privBase, privBytes: r.privBytes, maxPort: r.maxEvtchnPort, width: r.guestWidth, capacity: r.channelCapacity },
      };
      return { machine: b.m, dump: dumpOf(b), stallPolicy: 'each', parties: roles(2, 'abi-switch', common, args, 512) };
    },
  },
  {
    name: 'continuations',
    race: 'continued memory_op calls (decrease_reservation, then populate_physmap, a continuation after every extent of a 32-bit domain) on both vCPUs of one domain',
    iteration: 'one round: each vCPU gives back 1..24 random frames of its own and takes them again, re-issuing every continuation from its register context',
    never: 'a continued call ending otherwise than an uninterrupted run: an extent done twice or never, a frame not removed or not back as zeroed RAM, tot_pages off (I40, I41)',
    outcomes: CONTINUATION_OUTCOMES,
    evidence: { outcomes: ['continued'], text: 'a round whose calls on both vCPUs were continued and re-issued (continued)' },
    noise: { rate: 2000, spins: 1000, yieldLog2: 4 },
    setup({ build, common }) {
      const layout = guestLayout(2, 1023);
      const own = 64;
      const listGfns = [layout.freeGfn, layout.freeGfn + 1];
      const ownBases = [layout.freeGfn + 2, layout.freeGfn + 2 + own];
      const m = createMachine([{ domid: 1, vcpus: 2, frames: layout.freeGfn + 2 + 2 * own, maxEvtchnPort: 1023, guestWidth: 32 }], build);
      bootGuest(m.dp, 1, 2, layout, '2l');
      const args: Omit<ContinuationArgs, keyof RoundArgsBase> = {
        dom: 1, scratchGfn: layout.scratchGfn, listGfns, ownBases, ownFrames: own, maxExtents: 24,
        totPages: m.dp.x.domainTotPages(1) >>> 0,
      };
      return { machine: m, dump: () => `domain 1: tot_pages ${m.dp.x.domainTotPages(1) >>> 0}`, stallPolicy: 'each', parties: roles(2, 'continuations', common, args, 256) };
    },
  },
  {
    name: 'destroy',
    race: 'domain destruction (kill, preemptible evtchn_destroy, the mapcache letting go, release) × a peer sending to it, binding to it and closing, a consumer callback on its Xen-owned channel, notify_via_xen and VIRQs into it, and DMA into its memory',
    iteration: 'one round: D (2 vCPUs, 2-level) is re-created with the same id in the same space, given 6 channels, 4 offered ports, a Xen-owned port, a VIRQ and a mapcache, and destroyed in random batches of 1..16 ports while the others use it',
    never: 'an event between the survivors lost or duplicated, a raise on a closed port of D, a consumer callback after evtchn_destroy returned, a DMA half done, anything of D left behind (I17, I23, I27, I29, I30)',
    outcomes: DESTROY_OUTCOMES,
    evidence: { outcomes: ['send-raced', 'dma-raced'], all: true, text: 'a send and a DMA into D landing after it was marked dying (send-raced, dma-raced)' },
    noise: { rate: 3000, spins: 3000, yieldLog2: 3, points: [NP_RAISE_ABI, NP_RAISE_AFTER_PENDING] },
    setup({ build, common }) {
      const D = 2;
      const l1 = guestLayout(1, 1023);
      const lD = guestLayout(2, 1023);
      const l3 = guestLayout(1, 1023);
      const dmPages = MC_FIXED_BYTES / 4096 + 1; // the fixed part and one page of grant bitmap
      const m = createMachine([
        { domid: 1, vcpus: 1, frames: l1.freeGfn + 2, maxEvtchnPort: 1023 },
        { domid: D, vcpus: 2, frames: lD.freeGfn + 8, maxEvtchnPort: 1023 },
        { domid: 3, vcpus: 1, frames: l3.freeGfn + dmPages, maxEvtchnPort: 1023 },
      ], build);
      bootGuest(m.dp, 1, 1, l1, 'fifo');
      bootGuest(m.dp, D, 2, lD, 'fifo');
      bootGuest(m.dp, 3, 1, l3, 'fifo');
      const x = m.dp.x;
      const survivorPorts: number[] = [];
      const survivorTargets: number[] = [];
      for (let i = 0; i < 8; i++) {
        const t = x.evtchnAllocUnbound(3, DOMID_SELF, 1);
        const p = x.evtchnBindInterdomain(1, 3, t);
        if (t < 0 || p < 0) throw new InternalError(`stress setup: survivor channel ${i}: alloc_unbound ${t}, bind_interdomain ${p}`);
        if (x.guestFifoUnmask(3, l3.gsGfn, t) === 1) x.evtchnUnmask(3, t);
        survivorPorts.push(p);
        survivorTargets.push(t);
      }
      const slot = x.xenConsumerRegister(0xde57, 1);
      if (slot < 0) throw new InternalError('stress setup: no Xen consumer slot free on a fresh machine');
      const r = m.domain(D);
      const args: Omit<DestroyArgs, keyof StressArgs | 'scenario' | 'role' | 'roles'> = {
        dom: D, peer: 1, survivor: 3, vcpus: 2, maxPort: 1023,
        region: { guestBase: r.guestBase, frames: r.frames, privBase: r.privBase, privBytes: r.privBytes, width: r.guestWidth, capacity: r.channelCapacity },
        dm: x.addrGfn(3, l3.freeGfn) >>> 0, dmaGfn: lD.freeGfn,
        survivorPorts, survivorTargets, survivorGsGfn: l3.gsGfn, peerGsGfn: l1.gsGfn, consumerSlot: slot,
        channels: 6, offers: 4,
      };
      const dump = () => [1, 3].map((d) => dumpFifoQueues(m.dp, d, 1)).join('\n');
      return { machine: m, dump, stallPolicy: 'each', parties: roles(3, 'destroy', common, args, 2048) };
    },
  },
  {
    name: 'consumer-teardown',
    race: 'two guest vCPUs flooding a channel whose far end is the monitor consumer × the toolstack closing it (consumer lock held over the first half of the free) and freeing the ring at once',
    iteration: 'one open / flood / close / poison cycle',
    never: 'a callback starting after close returned or touching the freed ring, a leaked port, a deadlock (I23)',
    outcomes: CONSUMER_OUTCOMES,
    evidence: { outcomes: ['drained'], text: 'a close with callbacks in flight (drained)' },
    noise: { rate: 4000, spins: 2000, yieldLog2: 4 },
    setup({ build, common }) {
      const m = createMachine([{ domid: 1, vcpus: 2, frames: 16 }], build);
      const slot = m.dp.x.xenConsumerRegister(consumerId('monitor'), 1);
      const state = new SharedArrayBuffer(MONITOR_STATE_WORDS * 4);
      const args: ConsumerStressArgs = { ...common, dom: 1, slot, state, ringGfn: 8, cycles: Number.MAX_SAFE_INTEGER, callsPerCycle: 2 };
      return {
        machine: m, stallPolicy: 'all',
        dump: () => `monitor state: ${Array.from(new Int32Array(state, 0, 8)).join(' ')}`,
        parties: [
          { party: 'stressConsumerCloser', args },
          { party: 'consumerFlooder', args, background: true },
          { party: 'consumerFlooder', args, background: true },
        ],
      };
    },
  },
  DM_MAPCACHE_SCENARIO,
];

/** The scenario named `name`, if any. */
export function scenarioByName(name: string): ScenarioDef | undefined {
  return SCENARIOS.find((s) => s.name === name);
}

/** The noise word of stressConfigure: rate in the low 16 bits, the point mask in the high 16. */
function noiseRateWord(n: NoiseSpec): number {
  let mask = 0;
  for (const p of n.points ?? []) {
    // points 1..15 fit the mask (assembly/stress/noise.ts); a wider one would silently mean "all points"
    if (!Number.isInteger(p) || p < 1 || p > 15) throw new InternalError(`noise point ${p} is outside 1..15, the points G_NOISE_RATE's mask can name`);
    mask |= 1 << p;
  }
  return ((mask << 16) | Math.min(n.rate, 0xffff)) >>> 0;
}

/** The spins word of stressConfigure: the random part in the low 16 bits, the minimum in the high 16. */
function noiseSpinsWord(n: NoiseSpec): number {
  return (((Math.min(n.minSpins ?? 0, 0xffff)) << 16) | Math.min(n.spins, 0xffff)) >>> 0;
}

/** Set the stress build's noise to `n` and its injected-bug bits to `inject` (stressConfigure's words). */
export function configureNoise(x: { stressConfigure(rate: number, spins: number, yieldLog2: number, inject: number): void }, n: NoiseSpec, inject = 0): void {
  x.stressConfigure(noiseRateWord(n), noiseSpinsWord(n), n.yieldLog2, inject);
}
