// The self-contained HTML report of `wasmxen bench --html FILE`: the results
// as JSON in the page and a small script (html-script.ts) that draws three
// SVG charts from them: throughput per workload and implementation, latency
// distributions, and fan-in scaling with senders. No external resources.
import { CONTENDED_FRACTION, type BenchReport } from './bench.ts';
import { rate, duration, ratio, percent, paramsLabel, coresBusy, referenceLabel } from './format.ts';
import { engineLabel, memoryLabel, loadLabel } from './machine-info.ts';
import { CHART_SCRIPT } from './html-script.ts';

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** JSON that can sit inside a <script> element. */
function scriptJson(v: unknown): string {
  return JSON.stringify(v).replace(/</g, '\\u003c');
}

export function resultsTable(r: BenchReport): string {
  const head = ['workload', 'impl', 'events/s', 'spread', '×postMessage', '×comlink', '×JS ref', 'p50', 'p99', 'p99.9', 'max', 'CPU/event', 'cores busy', '×reference'];
  const rows = r.results.map((x) => [
    x.workload + (Object.keys(x.params).length ? ` ${paramsLabel(x.params)}` : ''), x.impl, rate(x.events_per_s), percent(x.spread),
    ratio(x.vs.postmessage), ratio(x.vs.comlink), ratio(x.vs['js-reference']), duration(x.latency_ns.p50), duration(x.latency_ns.p99),
    duration(x.latency_ns.p999), duration(x.latency_ns.max), duration(x.cpu_ns_per_event),
    `${coresBusy(x.cores_busy)}${x.contended ? ' CONTENDED' : ''}`, referenceLabel(x),
  ]);
  const extras = r.results.filter((x) => x.extra).map((x) => `<p class="note">${esc(`${x.workload} ${paramsLabel(x.params)}: ${
    Object.entries(x.extra!).map(([k, v]) => `${k.replace(/_/g, ' ')} ${Number.isInteger(v) ? v.toLocaleString('en-US') : v.toFixed(1)}`).join(', ')}`)}</p>`).join('');
  const contended = r.results.filter((x) => x.contended).length;
  const noCpu = r.machine.browser ? `<p class="note">${esc(`Measured in ${r.machine.browser}: a page cannot read CPU time, so CPU/event, cores busy and contention are not known (n/a).`)}</p>` : '';
  const warn = noCpu + (contended ? `<p class="contended">${esc(`CONTENDED: ${contended} result(s) kept fewer cores busy than their spinning threads need (cores busy < ${CONTENDED_FRACTION} × min(threads, cores)): another process took cores, their figures are low.`)}</p>` : '');
  return `${warn}<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${
    rows.map((row, i) => `<tr${r.results[i].contended ? ' class="contended"' : ''}>${row.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>${extras}`;
}

/** A self-contained HTML page of a bench report, with charts (`wasmxen bench --html`). */
export function renderHtml(r: BenchReport): string {
  const m = r.machine;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>wasmxen bench</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222;max-width:1100px}
h1{font-size:1.4em}h2{font-size:1.1em;margin-top:2em}
table{border-collapse:collapse;font-size:12px}td,th{border-bottom:1px solid #ddd;padding:3px 8px;text-align:right}
td:nth-child(-n+2),th:nth-child(-n+2){text-align:left}
.chart svg{display:block;margin:.5em 0}.chart text{font:11px system-ui,sans-serif;fill:#333}
.legend span{display:inline-block;margin-right:1em}.legend i{display:inline-block;width:10px;height:10px;margin-right:4px}
.note{color:#666}.contended{color:#b00}
</style></head><body>
<h1>wasmxen bench</h1>
<p>${esc(`${m.cores} × ${m.cpu_model}, ${memoryLabel(m)}, ${m.platform}/${m.arch}; ${engineLabel(m)}; commit ${m.commit}; ${m.date}; ${loadLabel(m)}`)}<br>
${esc(`${r.config.runs} run(s) × ${r.config.seconds} s after a ${r.config.warmup_seconds} s warm-up per workload and implementation; events/s is the median of the runs (dma: transfers/s).`)}</p>
<div class="legend" id="legend"></div>
<h2>Throughput per workload and implementation</h2>
<p class="note">events per second, median of the runs (log scale)</p>
<div class="chart" id="chart-throughput"></div>
<h2>Latency distributions</h2>
<p class="note">latency by percentile (log scale); one-way samples under load, round trips for fifo-pingpong</p>
<div class="chart" id="chart-latency"></div>
<h2>Scaling with senders (fifo-fanin)</h2>
<p class="note">events per second against the number of sender vCPUs</p>
<div class="chart" id="chart-scaling"></div>
<h2>Results</h2>
${resultsTable(r)}
<script type="application/json" id="bench-data">${scriptJson(r)}</script>
<script>${CHART_SCRIPT}</script>
</body></html>
`;
}
