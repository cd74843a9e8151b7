// Public API of `wasmxen/stress`: the race harness behind `wasmxen stress`.
// Depends on the core; the core never imports it.
export { runStress, runScenario, resolveScenarios } from './runner.ts';
export type { StressOptions, StressProgress, StressReport, ScenarioResult, ScenarioFailure } from './runner.ts';
export { SCENARIOS, scenarioByName } from './scenarios.ts';
export type { ScenarioDef, NoiseSpec, BuildOptions, BuiltScenario } from './scenarios.ts';
export { INJECTIONS, injectionByName } from './inject.ts';
export type { Injection } from './inject.ts';
export { formatList, formatScenario, formatReport } from './report.ts';
export type { TraceEvent } from './trace.ts';
export { LitmusFailure, runParties } from '../harness/run.ts';
export type { PartySpec, RunSpec, PartyContext, Party } from '../harness/run.ts';
export { Ctl } from '../harness/ctl.ts';
