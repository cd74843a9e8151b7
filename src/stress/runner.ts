// Runs `wasmxen stress` scenarios: sets up the machine, configures the stress
// build's noise and injected bug, runs the parties on worker threads for the
// given time (or until the first forbidden outcome / watchdog hit), and
// collects the outcome histogram — plus, in trace mode, the Chrome trace of
// the rounds around a failure.
import { Ctl, CTL_MAX_PARTIES } from '../harness/ctl.ts';
import { runParties, LitmusFailure, START_LIMIT_MS } from '../harness/run.ts';
import {
  STRESS_CTL_WORDS, S_ITER, S_FORBIDDEN, S_FAIL_ITER, S_FAIL_PARTY, S_FAIL_TIME, S_FAIL_OUTCOME, S_OUTCOMES,
  MAX_OUTCOMES, type StressArgs, type StressPartyResult,
} from '../litmus/parties/stress-core.ts';
import type { WasmBuild } from '../wasm/exports.ts';
import { ConfigError, InternalError } from '../errors.ts';
import { SCENARIOS, scenarioByName, configureNoise, type ScenarioDef } from './scenarios.ts';
import { injectionByName, INJECTIONS } from './inject.ts';
import { createTraceBuffer, chromeTrace, TRACE_ENTRIES, type TraceEvent } from './trace.ts';
import type { StressExports } from './exports.ts';
import { verdictOf, overallVerdict, inconclusiveHint, type Verdict } from './verdict.ts';

/**
 * Longest run of one scenario: the iteration and outcome counters are 32-bit
 * control words (read unsigned: 2^32), and the fastest scenario counts
 * ~300 000 iterations a second on an idle 2-core machine — 4 hours fill them.
 * A longer campaign is several runs with different seeds.
 */
export const MAX_SCENARIO_SECONDS = 3600;

/** How long, with which seed, build noise and injected bug a stress run goes. */
export interface StressOptions {
  /** seconds per scenario */
  seconds: number;
  /** stop once this many iterations ran (tests: detection within a number of iterations, not seconds) */
  iterations?: number;
  seed: number;
  /** name of a bug to re-inject (stress build only) */
  inject?: string;
  /** record the parties' steps and keep the trace of a failure */
  trace?: boolean;
  /** 'stress' (default: noise and injection compiled in) or 'release' (no noise: the product as shipped) */
  build?: WasmBuild;
  /** scheduling noise on (default) or off */
  noise?: boolean;
  /** watchdog: a party without progress for this long is stuck (default 3000) */
  stallMs?: number;
  /** merged into every party's arguments (tests: e.g. { blockMs: -1 } makes ipi-storm's vCPUs sleep without a bound) */
  overrides?: Record<string, unknown>;
  /** trace: the Chrome trace's process id of this scenario */
  tracePid?: number;
  /** called about every 100 ms while a scenario runs */
  onProgress?: (p: StressProgress) => void;
}

/** Progress of the running scenario, for a live display. */
export interface StressProgress {
  scenario: string;
  iterations: number;
  forbidden: number;
  elapsed: number;
  seconds: number;
  outcomes: number[];
}

/** The first forbidden outcome or watchdog hit of a scenario, with what reproduces it. */
export interface ScenarioFailure {
  kind: 'forbidden' | 'watchdog' | 'error';
  /** outcome id (forbidden), 'watchdog' or 'error' */
  outcome: string;
  detail: string;
  /** iteration (forbidden) */
  iteration?: number;
  /** seconds into the scenario */
  atSeconds: number;
}

/** One scenario's iterations, outcome histogram and verdict. */
export interface ScenarioResult {
  name: string;
  iterations: number;
  outcomes: Record<string, number>;
  forbidden: number;
  watchdog: number;
  seconds: number;
  /** iterations per second */
  rate: number;
  verdict: Verdict;
  /** inconclusive: why, and what to do */
  hint?: string;
  failure?: ScenarioFailure;
  /** Chrome trace events around the failure (trace mode) */
  trace?: { traceEvents: TraceEvent[]; metadata: Record<string, unknown> };
}

/** The scenarios `--scenario NAME` (and `--inject BUG`) select. */
export function resolveScenarios(name: string | undefined, inject?: string): ScenarioDef[] {
  if (!name || name === 'all') {
    if (!name && inject) return [scenarioByName(injectionByName(inject)!.scenario)!];
    return [...SCENARIOS];
  }
  const s = scenarioByName(name);
  if (!s) throw new ConfigError(`no stress scenario '${name}': use one of ${SCENARIOS.map((d) => d.name).join(', ')}, or all`);
  return [s];
}

function judged(def: ScenarioDef, r: Omit<ScenarioResult, 'verdict'>): ScenarioResult {
  const verdict = verdictOf(def, r);
  return { ...r, verdict, ...(verdict === 'inconclusive' ? { hint: inconclusiveHint(def, r) } : {}) };
}

async function runCustom(def: ScenarioDef, o: StressOptions, build: WasmBuild): Promise<ScenarioResult> {
  // (no trace: --trace records the data plane's parties only)
  const t0 = performance.now();
  const r = await def.run!({
    seconds: o.seconds, iterations: o.iterations, seed: o.seed >>> 0, build, noise: o.noise !== false,
    inject: o.inject && injectionByName(o.inject)?.scenario === def.name ? o.inject : undefined,
    onProgress: o.onProgress && ((iterations, outcomes) => o.onProgress!({
      scenario: def.name, iterations, forbidden: 0, elapsed: (performance.now() - t0) / 1000, seconds: o.seconds, outcomes,
    })),
  });
  return judged(def, {
    name: def.name, iterations: r.iterations, forbidden: r.forbidden, watchdog: r.watchdog, seconds: r.seconds,
    rate: r.iterations / Math.max(r.seconds, 1e-6), outcomes: Object.fromEntries(def.outcomes.map((d, i) => [d.id, r.outcomes[i]])),
    ...(r.failure ? { failure: r.failure } : {}),
  });
}

/** Run one scenario round after round for the configured time. */
export async function runScenario(def: ScenarioDef, o: StressOptions): Promise<ScenarioResult> {
  const build: WasmBuild = o.build ?? 'stress';
  const inj = o.inject ? injectionByName(o.inject) : undefined;
  if (o.inject && !inj) throw new ConfigError(`no injectable bug '${o.inject}': use one of ${INJECTIONS.map((i) => i.name).join(', ')}`);
  if (inj && build !== 'stress') throw new ConfigError(`injecting '${o.inject}' needs the stress build: drop build '${build}' (--build)`);
  if (!(o.seconds > 0 && o.seconds <= MAX_SCENARIO_SECONDS)) throw new RangeError(`seconds must be in (0, ${MAX_SCENARIO_SECONDS}]`);
  if (def.run) return runCustom(def, o, build);
  const setup = def.setup!;
  const epochMs = performance.timeOrigin + performance.now();
  const traceSab = o.trace ? createTraceBuffer(CTL_MAX_PARTIES) : undefined;
  const common: StressArgs = { seed: o.seed >>> 0, epochMs, trace: traceSab, traceEntries: TRACE_ENTRIES };
  const built = setup({ build, common });
  if (o.overrides) for (const p of built.parties) p.args = { ...(p.args as object), ...o.overrides };
  const x = built.machine.dp.x as unknown as StressExports;
  if (build === 'stress') {
    const n = o.noise === false ? { rate: 0, spins: 0, yieldLog2: 0 } : def.noise;
    configureNoise(x, n, inj && inj.target !== 'device-model' ? inj.bit : 0);
  }
  const ctl = Ctl.create(STRESS_CTL_WORDS);
  const nowUs = () => (performance.timeOrigin + performance.now() - epochMs) * 1000;
  // the scenario's time counts from its first iteration: worker start-up and compilation on a loaded
  // machine are not part of it (the watchdog bounds them)
  const launched = performance.now();
  let started = launched;
  let running = false;
  // failure times count from the first iteration, or from the launch if none ran
  const startedWall = () => performance.timeOrigin + (running ? started : launched);
  // from the first iteration; from the launch if none ran (a failure before it)
  const elapsed = () => (performance.now() - (running ? started : launched)) / 1000;
  const read = (i: number) => ctl.load(i) >>> 0;
  const outcomeCounts = () => def.outcomes.map((_, i) => read(S_OUTCOMES + i));
  if (def.outcomes.length > MAX_OUTCOMES) throw new InternalError(`stress scenario ${def.name}: ${def.outcomes.length} outcomes, more than MAX_OUTCOMES`);

  let stopTimer: NodeJS.Timeout | undefined;
  const startWatch = setInterval(() => {
    if (ctl.stopped) { clearInterval(startWatch); return; } // stopped (a failure) before the first iteration
    if (read(S_ITER) === 0 && performance.now() - launched < START_LIMIT_MS) return;
    clearInterval(startWatch);
    started = performance.now();
    running = true;
    stopTimer = setTimeout(() => ctl.stop(), o.seconds * 1000);
  }, 2);
  const iterWatch = o.iterations !== undefined ? setInterval(() => { if (read(S_ITER) >= o.iterations!) ctl.stop(); }, 2) : undefined;
  const progressTimer = o.onProgress ? setInterval(() => o.onProgress!({
    scenario: def.name, iterations: read(S_ITER), forbidden: read(S_FORBIDDEN), elapsed: elapsed(), seconds: o.seconds, outcomes: outcomeCounts(),
  }), 100) : undefined;

  let failure: ScenarioFailure | undefined;
  let watchdog = 0;
  let stuck: number[] = [];
  let results: unknown[] = [];
  let failedAtUs = 0;
  try {
    results = await runParties({
      module: built.machine.module, memory: built.machine.memory, ctl, parties: built.parties,
      timeoutMs: o.seconds * 1000 + START_LIMIT_MS + 60_000, stallMs: o.stallMs ?? 3000, stallPolicy: built.stallPolicy,
      dump: built.dump, seed: o.seed >>> 0,
    });
  } catch (e) {
    if (!(e instanceof LitmusFailure)) throw e;
    failedAtUs = nowUs() - (Date.now() - e.at) * 1000;
    const firstLine = e.message.split('\n')[0];
    if (e.kind === 'watchdog') {
      watchdog = 1;
      stuck = e.stuck;
      failure = { kind: 'watchdog', outcome: 'watchdog', detail: `${firstLine}\n${e.dumpText}`, atSeconds: (e.at - startedWall()) / 1000 };
    } else {
      failure = { kind: 'error', outcome: 'error', detail: e.message, atSeconds: (e.at - startedWall()) / 1000 };
    }
  } finally {
    clearInterval(startWatch);
    if (iterWatch) clearInterval(iterWatch);
    clearTimeout(stopTimer);
    if (progressTimer) clearInterval(progressTimer);
  }
  const seconds = elapsed();
  const counts = outcomeCounts();
  const forbidden = read(S_FORBIDDEN) + (failure?.kind === 'error' ? 1 : 0);
  if (!failure && read(S_FORBIDDEN) > 0) {
    const reports = results.flatMap((r) => (r as StressPartyResult | undefined)?.forbidden ?? []);
    const first = reports.sort((a, b) => a.iteration - b.iteration)[0];
    const oi = read(S_FAIL_OUTCOME) - 1;
    failure = {
      kind: 'forbidden', outcome: def.outcomes[first?.outcome ?? oi]?.id ?? 'forbidden', detail: first?.detail ?? '(no detail)',
      iteration: read(S_FAIL_ITER) - 1, atSeconds: (read(S_FAIL_TIME) / 1e6) - ((running ? started : launched) - (epochMs - performance.timeOrigin)) / 1000,
    };
    failedAtUs = read(S_FAIL_TIME);
  }
  const iterations = read(S_ITER);
  const result = judged(def, {
    name: def.name, iterations, forbidden, watchdog, seconds, rate: iterations / Math.max(seconds, 1e-6),
    outcomes: Object.fromEntries(def.outcomes.map((d, i) => [d.id, counts[i]])),
    ...(failure ? { failure } : {}),
  });
  if (traceSab) {
    // the window: the last ~20 iterations before the failure (or the end of a clean run), at least 2 ms, at most 200 ms
    const party = failure?.kind === 'forbidden' ? read(S_FAIL_PARTY) - 1 : -1;
    const perIter = iterations > 0 ? (seconds * 1e6) / iterations : 1000;
    const spanUs = Math.min(200_000, Math.max(2000, 20 * perIter));
    const label = failure ? `${failure.kind === 'forbidden' ? 'FORBIDDEN' : failure.kind.toUpperCase()}: ${failure.outcome}` : '';
    result.trace = chromeTrace(traceSab, built.parties.map((p) => (p.party === 'stressRound' ? `${def.name} role ${(p.args as { role: number }).role}` : p.party)),
      TRACE_ENTRIES, { atUs: failure ? failedAtUs : nowUs(), spanUs, label, party, stuck },
      { scenario: def.name, seed: o.seed, inject: o.inject ?? null, failure: failure?.detail.split('\n')[0] ?? null }, o.tracePid ?? 1);
  }
  return result;
}

/** The report of a stress run (the `wasmxen stress --json` schema). */
export interface StressReport {
  scenarios: ScenarioResult[];
  inject: string | null;
  detected: boolean;
  /** overall: forbidden if any scenario's is, else inconclusive if any is, else clean */
  verdict: Verdict;
  seed: number;
}

/** Run the scenarios one after another (`wasmxen stress`); each stops at its first forbidden outcome. */
export async function runStress(names: ScenarioDef[], o: StressOptions): Promise<StressReport> {
  const scenarios: ScenarioResult[] = [];
  for (const [i, def] of names.entries()) scenarios.push(await runScenario(def, { ...o, tracePid: i + 1 }));
  return {
    scenarios, inject: o.inject ?? null, seed: o.seed,
    detected: scenarios.some((s) => s.forbidden > 0 || s.watchdog > 0),
    verdict: overallVerdict(scenarios.map((s) => s.verdict)),
  };
}

