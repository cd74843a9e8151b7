// The three verdicts of `wasmxen stress`, per scenario and overall — the
// product of the race harness, and what sharded campaigns merge:
//
//   forbidden     a forbidden outcome was observed or the watchdog fired
//                 (a party stuck); the seed reproduces it.
//   clean         the scenario ran iterations, its race really happened (the
//                 scenario's stated evidence that both parties overlapped was
//                 observed) and nothing forbidden was seen.
//   inconclusive  nothing forbidden, but no iteration ran or the race never
//                 happened: the run says nothing about the race.
//
// A verdict is a function of the outcome counts alone (plus watchdog and
// forbidden counts), so results of several runs of one scenario combine by
// adding their counts and judging the sum.
import type { ScenarioDef } from './scenarios.ts';
import { EXIT_VERDICT_BAD, EXIT_INCONCLUSIVE } from '../cli/exit.ts';

export type Verdict = 'clean' | 'forbidden' | 'inconclusive';

/**
 * What proves a scenario's race happened in a run: outcome ids of which at
 * least one (or, with `all`, each) was observed. Usually the INTERESTING
 * outcomes; for a scenario whose every order is acceptable, the outcomes that
 * only both orders together prove.
 */
export interface Evidence {
  outcomes: string[];
  all?: boolean;
  /** the evidence in words, for the inconclusive hint */
  text: string;
}

/** Exit status of `wasmxen stress` per overall verdict. */
export const EXIT_STATUS: Record<Verdict, number> = { clean: 0, forbidden: EXIT_VERDICT_BAD, inconclusive: EXIT_INCONCLUSIVE };

export interface Judged {
  iterations: number;
  outcomes: Record<string, number>;
  forbidden: number;
  watchdog: number;
}

export function raceHappened(ev: Evidence, outcomes: Record<string, number>): boolean {
  const seen = (id: string) => (outcomes[id] ?? 0) > 0;
  return ev.all ? ev.outcomes.every(seen) : ev.outcomes.some(seen);
}

export function verdictOf(def: Pick<ScenarioDef, 'evidence'>, r: Judged): Verdict {
  if (r.forbidden > 0 || r.watchdog > 0) return 'forbidden';
  if (r.iterations > 0 && raceHappened(def.evidence, r.outcomes)) return 'clean';
  return 'inconclusive';
}

/** Why a run is inconclusive, and what to do about it. */
export function inconclusiveHint(def: Pick<ScenarioDef, 'evidence'>, r: Judged): string {
  const why = r.iterations === 0 ? 'no iteration ran' : `the race never happened (not seen: ${def.evidence.text})`;
  return `${why}; run longer (--seconds) or with fewer other processes on the machine`;
}

/** The overall verdict: any forbidden wins, then any inconclusive, else clean. */
export function overallVerdict(vs: Verdict[]): Verdict {
  if (vs.includes('forbidden')) return 'forbidden';
  if (vs.length === 0 || vs.includes('inconclusive')) return 'inconclusive';
  return 'clean';
}
