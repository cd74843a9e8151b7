// A bench run in the page: what runs and for how long, its progress, and at
// the end every implementation's figures with what each measured (median
// events/s over the runs of S s, latency percentiles of the kind the workload
// times, ratios to the baselines measured in the same run), the report in
// the `wasmxen bench --json` schema in #report, and a button that downloads it.
import type { BenchReport } from '../bench/bench.ts';
import type { BenchProgress, BenchRequest, BenchWorkloadInfo } from './runner-api.ts';
import { $, h, table, show, fmt, us } from './dom.ts';

const ratio = (r: number | undefined) => (r === undefined || !Number.isFinite(r) ? '–' : `${r.toFixed(2)}×`);
const rate = (n: number) => `${fmt(n)}/s`;

export class BenchView {
  constructor(private readonly w: BenchWorkloadInfo, req: BenchRequest, engine: string) {
    $('bench').hidden = false;
    $('bench-h').textContent = `Bench: ${w.name} on ${engine}`;
    show($('bench-plan'),
      h('p', {}, `${w.summary}. Implementations: ${req.impls.filter((i) => w.impls.includes(i)).join(', ')}. `
        + `Each runs one warm-up of ${Math.min(0.5, req.seconds)} s, then ${req.runs} measured run(s) of ${req.seconds} s of sending `
        + `(then the receivers drain); shapes planned for ${req.cores} core(s). Latency: ${w.latency}.`),
      h('p', { class: 'note' }, 'Every run must account for every event exactly once (sent = delivered, each in order) or the run fails. '
        + 'CPU time per event and cores busy are not measured here: a page cannot read CPU time (they are null in the JSON).'));
  }

  update(p: BenchProgress): void {
    show($('bench-progress'), h('p', {}, `${p.done} of ${p.total} runs finished (warm-ups included) after ${p.elapsed.toFixed(1)} s; last: ${p.label}.`));
    $('status').textContent = `Running bench ${this.w.name}: ${p.done} of ${p.total} runs, ${p.label}.`;
  }

  final(r: BenchReport, exported: object, fileName: string): void {
    const c = r.config;
    const rows = r.results.map((x) => [
      x.impl, Object.entries(x.params).map(([k, v]) => `${k}=${v}`).join(' ') || '(one shape)',
      rate(x.events_per_s), x.events_per_s_runs.map((v) => fmt(v)).join(', '),
      x.spread === null || !Number.isFinite(x.spread) ? 'n/a (one run)' : `${(x.spread * 100).toFixed(1)}%`,
      fmt(x.latency_samples), x.latency_samples ? us(x.latency_ns.p50) : '–', x.latency_samples ? us(x.latency_ns.p90) : '–',
      x.latency_samples ? us(x.latency_ns.p99) : '–', x.latency_samples ? us(x.latency_ns.max) : '–',
      ratio(x.vs.postmessage), ratio(x.vs.comlink), ratio(x.vs['js-reference']), fmt(x.delivered),
    ]);
    const btn = h('button', { type: 'button', id: 'bench-download' }, `Download the report (${fileName})`);
    btn.addEventListener('click', () => {
      const url = URL.createObjectURL(new Blob([JSON.stringify(exported, null, 2)], { type: 'application/json' }));
      const a = h('a', { href: url, download: fileName });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    });
    show($('bench-results'),
      table(`${this.w.name}: median delivered events/s over ${c.runs} run(s) of ${c.seconds} s each (after a ${c.warmup_seconds} s warm-up), `
        + `latency (${this.w.latency}) over all measured runs, ratios to the baselines measured in this run on the same shape`,
      ['implementation', 'shape', 'events/s (median)', 'events/s of each run', 'spread', 'latency samples', 'p50', 'p90', 'p99', 'max',
        '×postMessage', '×comlink', '×JS reference', 'events delivered (all runs)'], rows),
      h('p', { class: 'note' }, 'Latencies are stamped with performance.timeOrigin + performance.now(), which a cross-origin-isolated Chromium '
        + 'page coarsens to 5 µs: values below that read as 0 or 5 µs. Ratios are this run\'s own; compare other machines side by side with '
        + '`wasmxen merge node.json browser.json --html report.html`, never by dividing.'),
      h('p', {}, btn, ' — the bench JSON schema of `wasmxen bench --json` (machine: this browser and its version).'));
  }
}
