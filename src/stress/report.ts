// Text output of `wasmxen stress`: the scenario list, and per scenario a
// jcstress-like outcome histogram with what each outcome means.
import { SCENARIOS, type ScenarioDef } from './scenarios.ts';
import { INJECTIONS } from './inject.ts';
import type { ScenarioResult, StressReport } from './runner.ts';

const n = (v: number) => Math.round(v).toLocaleString('en-US');
const KIND = { acceptable: 'ACCEPTABLE', interesting: 'INTERESTING', forbidden: 'FORBIDDEN' } as const;

/** The text of `wasmxen stress --list`: scenarios, iterations, forbidden outcomes. */
export function formatList(): string {
  const lines: string[] = ['Scenarios (wasmxen stress --scenario NAME):', ''];
  for (const s of SCENARIOS) {
    const catches = INJECTIONS.filter((i) => i.scenario === s.name).map((i) => i.name);
    lines.push(`  ${s.name}`);
    lines.push(`      race       ${s.race}`);
    lines.push(`      iteration  ${s.iteration}`);
    lines.push(`      never      ${s.never}`);
    lines.push(`      evidence   ${s.evidence.text}`);
    if (catches.length) lines.push(`      catches    --inject ${catches.join(', --inject ')}`);
    lines.push('');
  }
  lines.push('Injectable bugs (wasmxen stress --inject BUG; stress build only):', '');
  for (const i of INJECTIONS) lines.push(`  ${i.name.padEnd(24)} ${i.bug} [${i.scenario}]`);
  return lines.join('\n');
}

/** One scenario's histogram and verdict, as `wasmxen stress` prints it. */
export function formatScenario(def: ScenarioDef, r: ScenarioResult): string {
  const lines: string[] = [];
  lines.push(`${def.name} — ${def.race}`);
  lines.push(`  iteration: ${def.iteration}`);
  lines.push(`  ${n(r.iterations)} iterations in ${r.seconds.toFixed(2)} s (${n(r.rate)}/s)`);
  const width = Math.max(7, ...Object.values(r.outcomes).map((v) => n(v).length));
  const idWidth = Math.max(...def.outcomes.map((o) => o.id.length));
  for (const o of def.outcomes) {
    const count = r.outcomes[o.id] ?? 0;
    if (count === 0 && o.kind !== 'forbidden') continue;
    lines.push(`  ${n(count).padStart(width)}  ${KIND[o.kind].padEnd(11)}  ${o.id.padEnd(idWidth)}  ${o.text}`);
  }
  const quiet = def.outcomes.filter((o) => o.kind !== 'forbidden' && (r.outcomes[o.id] ?? 0) === 0).map((o) => o.id);
  if (quiet.length) lines.push(`  ${'0'.padStart(width)}  (not seen)   ${quiet.join(', ')}`);
  if (r.watchdog) lines.push(`  ${'1'.padStart(width)}  WATCHDOG     a party made no progress: stuck or deadlocked`);
  if (r.failure) {
    const f = r.failure;
    const where = f.iteration !== undefined ? ` at iteration ${n(f.iteration)}` : '';
    lines.push(`  FAILED: ${f.kind === 'forbidden' ? `FORBIDDEN ${f.outcome}` : f.kind.toUpperCase()}${where} after ${f.atSeconds.toFixed(2)} s`);
    for (const l of f.detail.split('\n').slice(0, f.kind === 'forbidden' ? 3 : 40)) lines.push(`    ${l}`);
  } else if (r.verdict === 'clean') {
    lines.push(`  clean: the race happened (${def.evidence.text}); no forbidden outcome, no watchdog hit`);
  } else {
    lines.push(`  INCONCLUSIVE: ${r.hint}`);
  }
  return lines.join('\n');
}

/** The summary's last words: what the run found, never calling a thrown error a race. */
function summaryVerdict(report: StressReport): string {
  // a party that threw is counted forbidden (the run stops, the seed reproduces it), but it is an
  // error in a party or the data plane, not a classified outcome of the race
  const threw = report.scenarios.some((r) => r.failure?.kind === 'error');
  if (report.detected) {
    if (report.inject) return `injected bug '${report.inject}' DETECTED${threw ? ' (a party threw)' : ''}`;
    return threw ? 'A PARTY THREW (an error, not a race outcome: see its failure above)' : 'RACE FOUND';
  }
  return report.inject ? `injected bug '${report.inject}' NOT DETECTED (the race: ${report.verdict})` : report.verdict;
}

/** The whole text report of a stress run. */
export function formatReport(report: StressReport, defs: ScenarioDef[]): string {
  const parts = report.scenarios.map((r) => formatScenario(defs.find((d) => d.name === r.name)!, r));
  const forbidden = report.scenarios.reduce((s, r) => s + r.forbidden, 0);
  const watchdog = report.scenarios.reduce((s, r) => s + r.watchdog, 0);
  const iterations = report.scenarios.reduce((s, r) => s + r.iterations, 0);
  parts.push(`summary: ${report.scenarios.length} scenario${report.scenarios.length === 1 ? '' : 's'}, ${n(iterations)} iterations, `
    + `${forbidden} forbidden, ${watchdog} watchdog — ${summaryVerdict(report)}`);
  return parts.join('\n\n');
}
