// Shared pieces of the stress-harness tests. They assert behaviour, never the
// clock: a clean run keeps going (in chunks, within a bound scaled by
// WASMXEN_STRESS_SCALE) until its race has really happened, and fails saying
// so if it never does; an injected bug must be detected within a number of
// iterations.
import { stressScale } from '../helpers/litmus.ts';
import { runScenario, type ScenarioResult, type StressOptions } from '../../src/stress/runner.ts';
import type { ScenarioDef } from '../../src/stress/scenarios.ts';
import { verdictOf, type Verdict } from '../../src/stress/verdict.ts';

/** Length of one chunk of a clean run. */
export const CHUNK_SECONDS = 0.3;
/** Chunks before a clean run gives up on its race ever happening. */
export const MAX_CHUNKS = Math.ceil(20 * stressScale());
export const SEED = Number(process.env.WASMXEN_SEED ?? 20261122) >>> 0;
/** Wall-clock safety bound of an iteration-bounded run (the watchdog bounds a hang much sooner). */
export const SAFETY_SECONDS = 600;

/** The outcome histogram in one line, for failure messages. */
export function summary(r: ScenarioResult | Accumulated): string {
  const chunks = 'chunks' in r ? ` in ${r.chunks} chunks (seeds ${SEED}..${SEED + r.chunks - 1})` : '';
  return `${r.name}: ${r.iterations} iterations${chunks}, ${JSON.stringify(r.outcomes)}, forbidden ${r.forbidden}, watchdog ${r.watchdog}, verdict ${r.verdict}`
    + (r.failure ? `\n${r.failure.kind} ${r.failure.outcome}: ${r.failure.detail}` : '');
}

export interface Accumulated extends ScenarioResult {
  chunks: number;
}

/** A run's name in the race-evidence log: scenario, build (the runner's default: stress) and injected bug. */
function label(def: ScenarioDef, o: Pick<StressOptions, 'build' | 'inject'>): string {
  return `${def.name} [${o.build ?? 'stress'}${o.inject ? `, ${o.inject}` : ''}]`;
}

/** No chunk run yet: zero counts for every outcome of `def`, inconclusive. */
function emptyAccumulated(def: ScenarioDef): Accumulated {
  return {
    name: def.name, iterations: 0, outcomes: Object.fromEntries(def.outcomes.map((d) => [d.id, 0])), forbidden: 0, watchdog: 0,
    seconds: 0, rate: 0, verdict: 'inconclusive', chunks: 0,
  };
}

/** Adds one chunk's counts (and its failure, if any) to `acc`. */
function accumulate(acc: Accumulated, r: ScenarioResult): void {
  acc.chunks++;
  acc.iterations += r.iterations;
  acc.forbidden += r.forbidden;
  acc.watchdog += r.watchdog;
  acc.seconds += r.seconds;
  for (const [k, v] of Object.entries(r.outcomes)) acc.outcomes[k] += v;
  if (r.failure) acc.failure = r.failure;
}

/**
 * Run `def` in chunks (seed SEED + chunk) until its summed counts give a
 * verdict other than inconclusive — the race happened (clean) or something
 * forbidden was seen — and at least `minIterations` ran; or until MAX_CHUNKS.
 */
export async function runUntilDecided(def: ScenarioDef, o: Omit<StressOptions, 'seconds' | 'seed'>, minIterations = 1): Promise<Accumulated> {
  const acc = emptyAccumulated(def);
  let verdict: Verdict = 'inconclusive';
  while (acc.chunks < MAX_CHUNKS && (verdict === 'inconclusive' || (verdict === 'clean' && acc.iterations < minIterations))) {
    const r = await runScenario(def, { ...o, seconds: CHUNK_SECONDS, seed: (SEED + acc.chunks) >>> 0 });
    accumulate(acc, r);
    verdict = verdictOf(def, acc);
  }
  acc.verdict = verdict;
  // the margin left to the bound, in the log: a race that needs many chunks is one to make more likely
  console.log(`race evidence: ${label(def, o)}: ${verdict} after ${acc.chunks} of ${MAX_CHUNKS} chunks (${acc.iterations} iterations, seeds ${SEED}..${SEED + acc.chunks - 1})`);
  return acc;
}

/** Chunks a detection run is split into: each starts fresh worker threads. */
export const DETECT_CHUNKS = 10;

/**
 * Run `def` with a bug injected until the first forbidden outcome or watchdog
 * hit, at most `bound` iterations in all, in up to DETECT_CHUNKS runs of fresh
 * workers (seed SEED + chunk). One long run keeps the threads where the OS
 * first put them: on a loaded machine both parties can share one core for the
 * whole run and never overlap (CI once ran 100,001 rounds of unmask-tail that
 * way); each chunk is placed anew. Returns the summed counts, the failure of
 * the chunk that detected it, and the chunks run.
 */
export async function runUntilDetected(def: ScenarioDef, o: Omit<StressOptions, 'seconds' | 'seed' | 'iterations'>, bound: number): Promise<Accumulated> {
  const acc = emptyAccumulated(def);
  const per = Math.max(1, Math.ceil(bound / DETECT_CHUNKS));
  while (acc.chunks < DETECT_CHUNKS && acc.iterations < bound && acc.forbidden + acc.watchdog === 0) {
    const r = await runScenario(def, { ...o, seconds: SAFETY_SECONDS, iterations: Math.min(per, bound - acc.iterations), seed: (SEED + acc.chunks) >>> 0 });
    accumulate(acc, r);
    if (r.iterations === 0 && !r.failure) break; // nothing ran: reported below, not looped on
  }
  acc.verdict = verdictOf(def, acc);
  // the detecting chunk's seed reproduces it: wasmxen stress --scenario NAME --inject BUG --seed S
  console.log(`race evidence: ${label(def, o)}: ${acc.verdict} after ${acc.chunks} of ${DETECT_CHUNKS} chunks (${acc.iterations} of ${bound} iterations, last seed ${SEED + acc.chunks - 1})`);
  return acc;
}
