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
export function summary(r: ScenarioResult): string {
  return `${r.name}: ${r.iterations} iterations, ${JSON.stringify(r.outcomes)}, forbidden ${r.forbidden}, watchdog ${r.watchdog}, verdict ${r.verdict}`
    + (r.failure ? `\n${r.failure.kind} ${r.failure.outcome}: ${r.failure.detail}` : '');
}

export interface Accumulated extends ScenarioResult {
  chunks: number;
}

/**
 * Run `def` in chunks (seed SEED + chunk) until its summed counts give a
 * verdict other than inconclusive — the race happened (clean) or something
 * forbidden was seen — and at least `minIterations` ran; or until MAX_CHUNKS.
 */
export async function runUntilDecided(def: ScenarioDef, o: Omit<StressOptions, 'seconds' | 'seed'>, minIterations = 1): Promise<Accumulated> {
  const acc: Accumulated = {
    name: def.name, iterations: 0, outcomes: Object.fromEntries(def.outcomes.map((d) => [d.id, 0])), forbidden: 0, watchdog: 0,
    seconds: 0, rate: 0, verdict: 'inconclusive', chunks: 0,
  };
  let verdict: Verdict = 'inconclusive';
  while (acc.chunks < MAX_CHUNKS && (verdict === 'inconclusive' || (verdict === 'clean' && acc.iterations < minIterations))) {
    const r = await runScenario(def, { ...o, seconds: CHUNK_SECONDS, seed: (SEED + acc.chunks) >>> 0 });
    acc.chunks++;
    acc.iterations += r.iterations;
    acc.forbidden += r.forbidden;
    acc.watchdog += r.watchdog;
    acc.seconds += r.seconds;
    for (const [k, v] of Object.entries(r.outcomes)) acc.outcomes[k] += v;
    if (r.failure) acc.failure = r.failure;
    verdict = verdictOf(def, acc);
  }
  acc.verdict = verdict;
  // the margin left to the bound, in the log: a race that needs many chunks is one to make more likely
  console.log(`race evidence: ${def.name} [${o.build ?? 'stress'}${o.inject ? `, ${o.inject}` : ''}]: ${verdict} after ${acc.chunks} of ${MAX_CHUNKS} chunks (${acc.iterations} iterations)`);
  return acc;
}
