// Shared pieces of the stress-harness tests.
import { stressScale } from '../helpers/litmus.ts';
import type { ScenarioResult } from '../../src/stress/runner.ts';

/** Seconds a clean run of one scenario lasts in the default suite (scaled by WASMXEN_STRESS_SCALE). */
export const CLEAN_SECONDS = 0.4 * stressScale();
/** Bound on the time an injected bug may take to be detected (the budget: 30 s on this machine). */
export const DETECT_BUDGET_S = 30;
export const SEED = Number(process.env.WASMXEN_SEED ?? 20261122) >>> 0;

/** The outcome histogram in one line, for failure messages. */
export function summary(r: ScenarioResult): string {
  return `${r.name}: ${r.iterations} iterations, ${JSON.stringify(r.outcomes)}, forbidden ${r.forbidden}, watchdog ${r.watchdog}`
    + (r.failure ? `\n${r.failure.kind} ${r.failure.outcome}: ${r.failure.detail}` : '');
}
