// The machinery every `wasmxen stress` party shares (worker side): the stress
// words of the control block, a fast round barrier, outcome counters, the
// per-thread step trace, and the round engine that runs a jcstress-style
// scenario — roles released together by a barrier, one round per iteration,
// the outcome of each round classified by role 0 after a second barrier.
//
// Control block words (Ctl user words from S, after every litmus party's):
// ┌ S+0 iterations ┬ +1 forbidden ┬ +2 first failing iteration + 1 ┬ +3 its party + 1 ┬
// │ +4 barrier state (generation, closed, count) ┬ +6 barrier sleepers ┬ +8 failure time (µs) ┬ +9 its outcome + 1 ┐
// ├ S+16 outcome counters (MAX_OUTCOMES) ┬ S+64.. scenario scratch (per scenario) ┘
import type { PartyContext } from '../registry.ts';
import type { Ctl } from '../../harness/ctl.ts';
import { CTL_USER, barrierWait } from '../../harness/ctl.ts';
import type { DataPlane } from '../../wasm/data-plane.ts';
import { rng } from './fifo.ts';
import { LINK_TRIES_BUCKETS } from '../../../assembly/shared/layout.ts';

export const S = 8192;
export const S_ITER = S;
export const S_FORBIDDEN = S + 1;
export const S_FAIL_ITER = S + 2;
export const S_FAIL_PARTY = S + 3;
export const S_BAR_STATE = S + 4;
export const S_BAR_SLEEPERS = S + 6;
export const S_FAIL_TIME = S + 8;
export const S_FAIL_OUTCOME = S + 9;
export const S_OUTCOMES = S + 16;
export const MAX_OUTCOMES = 40;
export const S_SCRATCH = S + 64;
export const S_SCRATCH_WORDS = 4096;
export const STRESS_CTL_WORDS = S_SCRATCH + S_SCRATCH_WORDS;

export type OutcomeKind = 'acceptable' | 'interesting' | 'forbidden';

export interface OutcomeDef {
  /** short id used in --json */
  id: string;
  kind: OutcomeKind;
  /** what it means, for the histogram */
  text: string;
}

/** A forbidden outcome's report, returned by the party that saw it. */
export interface ForbiddenReport {
  outcome: number;
  detail: string;
  iteration: number;
  party: number;
}

export interface StressPartyResult {
  forbidden: ForbiddenReport[];
  /** anything the scenario wants to report (counts, …) */
  info?: Record<string, number>;
}

// ------------------------------------------------------------------ barrier

const BARRIER_SPINS = 20_000;

/**
 * Release `n` (≤ 255) parties together, or none of them: every party that
 * reached one barrier gets the same answer (src/harness/ctl.ts,
 * barrierArrive). Roles that disagree hang a round: a role that runs `act`
 * alone may wait for a partner that left (the destroy scenario's peers loop
 * until role 0 releases D). Spins first (two parties on two cores meet
 * within a microsecond), then sleeps in 2 ms slices so a stop is noticed.
 */
export function roundBarrier(ctl: Ctl, n: number): boolean {
  return barrierWait({ i32: ctl.i32, state: CTL_USER + S_BAR_STATE, sleepers: CTL_USER + S_BAR_SLEEPERS, stopped: () => ctl.stopped }, n, BARRIER_SPINS, 2);
}

/** A random pause of up to `max` spin iterations: sweeps the parties' relative timing over a race window. */
export function jitter(next: () => number, max: number): void {
  if (max <= 0) return;
  let n = next() % max;
  let x = 0;
  while (n-- > 0) x = (x + n) | 0;
  if (x === 0x7fffffff) throw new Error('unreachable');
}

// ------------------------------------------------------------------ outcomes

/** Outcome counters and the forbidden-outcome protocol of one party. */
export class Outcomes {
  readonly forbidden: ForbiddenReport[] = [];
  constructor(private readonly ctl: Ctl, private readonly party: number, private readonly epochUs: () => number) {}

  hit(outcome: number): void {
    Atomics.add(this.ctl.i32, CTL_USER + S_OUTCOMES + outcome, 1);
  }

  /**
   * Count a forbidden outcome, remember the first one's iteration and time
   * (for the trace window) and stop the run: a forbidden outcome may leave
   * the machine in a state later rounds cannot classify.
   */
  fail(outcome: number, detail: string, iteration: number): void {
    this.hit(outcome);
    const a = this.ctl.i32;
    Atomics.add(a, CTL_USER + S_FORBIDDEN, 1);
    if (Atomics.compareExchange(a, CTL_USER + S_FAIL_ITER, 0, iteration + 1) === 0) {
      Atomics.store(a, CTL_USER + S_FAIL_PARTY, this.party + 1);
      Atomics.store(a, CTL_USER + S_FAIL_TIME, Math.round(this.epochUs()) | 0);
      Atomics.store(a, CTL_USER + S_FAIL_OUTCOME, outcome + 1);
    }
    if (this.forbidden.length < 8) this.forbidden.push({ outcome, detail, iteration, party: this.party });
    this.ctl.stop();
  }

  iteration(): void {
    Atomics.add(this.ctl.i32, CTL_USER + S_ITER, 1);
  }
}

// --------------------------------------------------------------------- trace

/** Step names of the trace (index = code in the ring). */
export const STEPS = [
  'raise', 'send', 'mask', 'unmask (fast path)', 'EVTCHNOP_unmask', 'consume', 'upcall', 'block',
  'bind_vcpu', 'set_priority', 'close', 'reset', 'clear_pending', 'flip MASKED', 'bind', 'switch to FIFO',
  'drain (check)', 'op', 'round', 'alloc_unbound', 'bind_interdomain',
] as const;
export type StepName = typeof STEPS[number];
const STEP_CODE = new Map<string, number>(STEPS.map((s, i) => [s, i]));

/** Fields of one ring entry (Float64). */
export const TR_TS = 0;      // µs since the run's epoch
export const TR_DUR = 1;     // µs, NaN while the step runs (a step that never returned keeps NaN)
export const TR_STEP = 2;
export const TR_ITER = 3;
export const TR_PORT = 4;
export const TR_READ = 5;    // event word before the step (NaN: none)
export const TR_WROTE = 6;   // event word after the step
export const TR_RC = 7;      // return value
export const TR_DOM = 8;     // the domain the step acted on (NaN: none)
export const TR_FIELDS = 9;
/** Ring header: Int32 [writes] per party at the start of the buffer, 16 parties. */
export const TR_HEADER_BYTES = 64;
export const TR_MAX_PARTIES = 16;

export function traceBufferBytes(parties: number, entries: number): number {
  return TR_HEADER_BYTES + parties * entries * TR_FIELDS * 8;
}

/**
 * This thread's step log: a ring in a SharedArrayBuffer (trace mode only),
 * read by the main thread after a failure. Each step records the event word
 * it read before and the value it left after, so a failure's last rounds can
 * be replayed by eye in Perfetto.
 */
export class Tracer {
  private readonly f64: Float64Array;
  private readonly head: Int32Array;
  private readonly base: number;
  private n = 0;
  iter = 0;

  constructor(sab: SharedArrayBuffer, private readonly party: number, private readonly entries: number,
    private readonly epochUs: () => number, private readonly dp: DataPlane) {
    this.head = new Int32Array(sab, 0, TR_MAX_PARTIES);
    this.f64 = new Float64Array(sab, TR_HEADER_BYTES);
    this.base = party * entries * TR_FIELDS;
  }

  /** Start a step on `port` whose event word is at byte address `wordAddr` (0: none); returns its slot. */
  begin(step: StepName, port: number, wordAddr: number, dom = NaN): number {
    const slot = this.base + (this.n % this.entries) * TR_FIELDS;
    const f = this.f64;
    f[slot + TR_TS] = this.epochUs();
    f[slot + TR_DUR] = NaN;
    f[slot + TR_STEP] = STEP_CODE.get(step)!;
    f[slot + TR_ITER] = this.iter;
    f[slot + TR_PORT] = port;
    f[slot + TR_READ] = wordAddr ? this.dp.load32(wordAddr) : NaN;
    f[slot + TR_WROTE] = NaN;
    f[slot + TR_RC] = NaN;
    f[slot + TR_DOM] = dom;
    this.n++;
    Atomics.store(this.head, this.party, this.n);
    return slot;
  }

  end(slot: number, wordAddr: number, rc: number): void {
    const f = this.f64;
    f[slot + TR_WROTE] = wordAddr ? this.dp.load32(wordAddr) : NaN;
    f[slot + TR_RC] = rc;
    f[slot + TR_DUR] = this.epochUs() - f[slot + TR_TS];
  }
}

// ------------------------------------------------------------- the environment

/** What every stress party receives besides its own arguments. */
export interface StressArgs {
  seed: number;
  /** trace ring (trace mode only) */
  trace?: SharedArrayBuffer;
  traceEntries?: number;
  /** wall-clock ms of the run's epoch (the main thread's time origin + now at start) */
  epochMs: number;
  /** max random pre-act spin of a round (0: none) */
  jitter?: number;
}

export interface StressEnv {
  ctx: PartyContext;
  dp: DataPlane;
  x: DataPlane['x'];
  ctl: Ctl;
  index: number;
  next: () => number;
  out: Outcomes;
  tr?: Tracer;
  /** µs since the run's epoch, comparable across threads */
  nowUs: () => number;
}

export function stressEnv(ctx: PartyContext): StressEnv {
  const a = ctx.args as StressArgs;
  // performance.timeOrigin differs per thread; the difference to the epoch is computed once
  const offset = performance.timeOrigin - a.epochMs;
  const nowUs = () => (offset + performance.now()) * 1000;
  const out = new Outcomes(ctx.ctl, ctx.index, nowUs);
  const tr = a.trace ? new Tracer(a.trace, ctx.index, a.traceEntries ?? 4096, nowUs, ctx.dp) : undefined;
  return {
    ctx, dp: ctx.dp, x: ctx.dp.x, ctl: ctx.ctl, index: ctx.index,
    next: rng((Math.imul(a.seed >>> 0, 0x85ebca6b) ^ Math.imul(ctx.index + 1, 0xc2b2ae35)) >>> 0),
    out, tr, nowUs,
  };
}

/** Ctl scratch word `i` of the scenario. */
export const sw = (i: number): number => S_SCRATCH + i;

// --------------------------------------------------------- bound of setLink (I10)

/** Reads of a domain's setLink statistics, to attribute attempts to one raise (single raiser per domain). */
export class LinkStats {
  constructor(private readonly dp: DataPlane, private readonly dom: number) {}
  /** [attempts histogram…, gave up] */
  snapshot(): number[] {
    const out: number[] = [];
    for (let i = 0; i < LINK_TRIES_BUCKETS; i++) out.push(this.dp.linkTries(this.dom, i));
    out.push(this.dp.linkGaveUp(this.dom));
    return out;
  }
  /** setLink calls beyond 1 + 4 attempts so far (buckets 6 and 7): must stay 0 (I10). */
  beyondBound(): number {
    return this.dp.linkTries(this.dom, 6) + this.dp.linkTries(this.dom, 7);
  }
  gaveUp(): number {
    return this.dp.linkGaveUp(this.dom);
  }
}

/** The attempts of the setLink calls between two snapshots: max attempts, calls, gave up. */
export function linkDelta(before: number[], after: number[]): { maxTries: number; calls: number; gaveUp: number } {
  let maxTries = 0;
  let calls = 0;
  for (let i = 0; i < LINK_TRIES_BUCKETS; i++) {
    const d = after[i] - before[i];
    if (d > 0) { calls += d; maxTries = i; }
  }
  return { maxTries, calls, gaveUp: after[LINK_TRIES_BUCKETS] - before[LINK_TRIES_BUCKETS] };
}

// --------------------------------------------------------------- round engine

export interface RoundEnv<A> extends StressEnv {
  args: A;
  role: number;
  roles: number;
  round: number;
}

/**
 * A jcstress-style scenario: `roles` parties, each round released together
 * by a barrier. Role 0 prepares the round (before the first barrier) and
 * classifies it (after the second): `check` returns an outcome index, or
 * calls env.out.fail for a forbidden outcome.
 */
export interface RoundDef<A, St> {
  roles: number;
  /** per-thread state (addresses, views) */
  setup(env: RoundEnv<A>): St;
  /** role 0, before the round's release */
  prepare?(st: St, env: RoundEnv<A>): void;
  /** every role, between the barriers */
  act(st: St, env: RoundEnv<A>): void;
  /** role 0, after the round: the outcome index (env.out.fail for forbidden ones) */
  check(st: St, env: RoundEnv<A>): number;
}

export interface RoundArgs extends StressArgs {
  scenario: string;
  role: number;
  roles: number;
}

export type AnyRoundDef = RoundDef<any, any>;

/** Run rounds of `def` as role args.role until the run stops. */
export function runRounds(ctx: PartyContext, def: AnyRoundDef): StressPartyResult {
  const a = ctx.args as RoundArgs;
  const base = stressEnv(ctx);
  const env: RoundEnv<RoundArgs> = { ...base, args: a, role: a.role, roles: a.roles, round: 0 };
  const st = def.setup(env);
  const max = a.jitter ?? 0;
  const tr = env.tr;
  for (let round = 0; ; round++) {
    env.round = round;
    if (tr) tr.iter = round;
    if (env.ctl.stopped) break;
    if (a.role === 0 && def.prepare) def.prepare(st, env);
    if (!roundBarrier(env.ctl, a.roles)) break;
    const slot = tr?.begin('round', 0, 0);
    jitter(env.next, max);
    def.act(st, env);
    if (tr && slot !== undefined) tr.end(slot, 0, round);
    if (!roundBarrier(env.ctl, a.roles)) break;
    if (a.role === 0) {
      const o = def.check(st, env);
      if (o >= 0) env.out.hit(o);
      env.out.iteration();
    }
    env.ctl.progress(ctx.index);
  }
  return { forbidden: env.out.forbidden };
}
