// What `wasmxen merge` prints: the merged stress histogram and campaign
// verdict with every forbidden outcome's reproduce line; the bench results
// per machine and per shard, as each shard measured them (text and HTML).
import { scenarioByName } from '../stress/scenarios.ts';
import { formatScenario } from '../stress/report.ts';
import { formatTable } from '../bench/table.ts';
import { resultsTable } from '../bench/html.ts';
import type { MergedStress } from './merge-stress.ts';
import type { MergedBench } from './merge-bench.ts';
import { shardLabel } from './shard.ts';
import { engineLabel, memoryLabel, loadLabel } from '../bench/machine-info.ts';

const n = (v: number) => Math.round(v).toLocaleString('en-US');

export function formatMergedStress(m: MergedStress): string {
  const c = m.campaign;
  const count = m.shards[0]?.shard.count ?? 0;
  const parts = [
    `wasmxen merge: stress campaign of ${c.scenarios.length} scenario(s) × seeds ${c.seed0}…${c.seed0 + c.seeds - 1} `
    + `(${m.units.total} runs) in ${count} shard(s); wasmxen ${m.wasmxen.version} build ${m.wasmxen.build}`,
    ...m.shards.map((s) => `  shard ${shardLabel(s.shard).padEnd(7)} ${s.verdict.padEnd(12)} ${n(s.runs)} runs, ${n(s.iterations)} iterations`
      + `${s.skipped ? `, ${s.skipped} skipped` : ''} — ${s.machine.cores} × ${s.machine.cpu_model}, ${engineLabel(s.machine)}, ${loadLabel(s.machine)} (${s.file})`),
    '',
    ...m.scenarios.map((s) => formatScenario(scenarioByName(s.name)!, s)),
  ];
  const iterations = m.scenarios.reduce((a, s) => a + s.iterations, 0);
  parts.push('', `campaign verdict: ${m.verdict.toUpperCase()} — ${m.units.run} of ${m.units.total} runs, ${n(iterations)} iterations summed`
    + `${m.units.skipped ? ` (${m.units.skipped} skipped after a failure, --until-first-failure)` : ''}`);
  for (const f of m.forbidden_outcomes) {
    parts.push(`  ${f.kind === 'watchdog' ? 'WATCHDOG' : 'FORBIDDEN'} ${f.scenario} seed ${f.seed} (${f.outcome}, shard ${f.shard}): ${f.detail}`, `    reproduce: ${f.reproduce}`);
  }
  return parts.join('\n');
}

export function formatMergedBench(m: MergedBench): string {
  const count = m.machines.reduce((a, g) => a + g.shards.length, 0);
  const parts = [
    `wasmxen merge: bench campaign of ${m.campaign.shapes.length} shape(s) × ${m.campaign.impls.length} implementation(s) × ${m.campaign.runs} run(s) `
    + `(${m.units} units) in ${count} shard(s) on ${m.machines.length} machine(s); wasmxen ${m.wasmxen.version} build ${m.wasmxen.build}`,
    'ratios (×X) are each shard\'s own, measured on one machine in one run; figures of different machines are never divided by each other',
  ];
  for (const [i, g] of m.machines.entries()) {
    parts.push('', `=== machine ${i + 1}: ${g.machine.cores} × ${g.machine.cpu_model}, ${memoryLabel(g.machine)}, ${g.machine.platform}/${g.machine.arch}, ${engineLabel(g.machine)} ===`);
    for (const s of g.shards) parts.push('', `--- shard ${shardLabel(s.shard)} (${s.file}) ---`, formatTable(s.report));
  }
  return parts.join('\n');
}

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** A self-contained HTML page of a merged bench campaign: per machine, per shard, that shard's table. */
export function renderMergedBenchHtml(m: MergedBench): string {
  const sections = m.machines.map((g, i) => `<h2>${esc(`Machine ${i + 1}: ${g.machine.cores} × ${g.machine.cpu_model}, ${memoryLabel(g.machine)}, `
    + `${g.machine.platform}/${g.machine.arch}; ${engineLabel(g.machine)}`)}</h2>${g.shards.map((s) => `<h3>${esc(`Shard ${shardLabel(s.shard)}`)}</h3>`
    + `<p class="note">${esc(`${s.file}; ${s.report.machine.date}; ${loadLabel(s.report.machine)}`)}</p>${resultsTable(s.report)}`).join('')}`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>wasmxen bench campaign</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222;max-width:1100px}
h1{font-size:1.4em}h2{font-size:1.1em;margin-top:2em}h3{font-size:1em}
table{border-collapse:collapse;font-size:12px}td,th{border-bottom:1px solid #ddd;padding:3px 8px;text-align:right}
td:nth-child(-n+2),th:nth-child(-n+2){text-align:left}
.note{color:#666}.contended{color:#b00}
</style></head><body>
<h1>wasmxen bench campaign</h1>
<p>${esc(`${m.campaign.shapes.length} shape(s) × ${m.campaign.impls.join(', ')} × ${m.campaign.runs} run(s) of ${m.campaign.seconds} s, `
    + `${m.units} units in ${m.machines.reduce((a, g) => a + g.shards.length, 0)} shard(s) on ${m.machines.length} machine(s); wasmxen ${m.wasmxen.version} build ${m.wasmxen.build}.`)}<br>
${esc('Ratios (×X) are each shard\'s own: measured on one machine within one run. Figures of different machines are shown side by side, never divided by each other.')}</p>
${sections}
</body></html>
`;
}
