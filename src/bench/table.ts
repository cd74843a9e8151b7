// The terminal report of `wasmxen bench`.
import { CONTENDED_FRACTION, type BenchReport } from './bench.ts';
import { rate, duration, ratio, percent, paramsLabel, coresBusy, referenceLabel } from './format.ts';
import { engineLabel, loadLabel } from './machine-info.ts';

function pad(cells: string[][]): string {
  const widths = cells[0].map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  return cells.map((r) => r.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd()).join('\n');
}

/** The text table of a bench report (what `wasmxen bench` prints). */
export function formatTable(r: BenchReport): string {
  const m = r.machine;
  const head = [
    `wasmxen bench: ${m.cores} × ${m.cpu_model}, ${engineLabel(m)}, commit ${m.commit.slice(0, 12)}, ${loadLabel(m)}`,
    `${r.config.runs} run(s) × ${r.config.seconds} s after a ${r.config.warmup_seconds} s warm-up; events/s is the median, spread = (max − min) / median;`,
    'latency: sampled one-way under load, round trip for the ping-pongs; ×X = events/s ÷ X\'s events/s on the same shape; dma: an event is a transfer;',
    '×reference: a guest-path result ÷ its reference\'s wasmxen result in this run (events/s; round trips: p50);',
    m.browser ? 'CPU/event and cores busy: n/a — a page cannot read CPU time'
      : 'cores busy: CPU time ÷ wall time (wasmxen and JS-reference parties spin, keeping a core each: fewer means another process took one)',
    '',
  ];
  const rows: string[][] = [[
    'workload', 'impl', 'events/s', 'spread', '×postMessage', '×comlink', '×JS ref', 'p50', 'p90', 'p99', 'p99.9', 'max', 'CPU/event', 'cores busy', '×reference',
  ]];
  for (const x of r.results) {
    const name = x.workload + (Object.keys(x.params).length ? ` ${paramsLabel(x.params)}` : '');
    const l = x.latency_ns;
    rows.push([
      name, x.impl, rate(x.events_per_s), percent(x.spread), ratio(x.vs.postmessage), ratio(x.vs.comlink), ratio(x.vs['js-reference']),
      duration(l.p50), duration(l.p90), duration(l.p99), duration(l.p999), duration(l.max), duration(x.cpu_ns_per_event),
      `${coresBusy(x.cores_busy)}${x.contended ? ' CONTENDED' : ''}`, referenceLabel(x),
    ]);
  }
  const contended = r.results.filter((x) => x.contended).length;
  const extras = r.results.filter((x) => x.extra).map((x) => `${x.workload} ${paramsLabel(x.params)}: ${
    Object.entries(x.extra!).map(([k, v]) => `${k.replace(/_/g, ' ')} ${Number.isInteger(v) ? v.toLocaleString('en-US') : v.toFixed(1)}`).join(', ')}`);
  const sent = r.results.reduce((a, x) => a + x.sent, 0);
  const delivered = r.results.reduce((a, x) => a + x.delivered, 0);
  return [...head, pad(rows), ...extras.map((e) => `  ${e}`),
    ...(contended ? ['', `CONTENDED: ${contended} result(s) kept fewer cores busy than their spinning threads need (cores busy < ${CONTENDED_FRACTION} × min(threads, cores)): another process took cores, their figures are low`] : []),
    '', `every run balanced: ${delivered.toLocaleString('en-US')} events sent and delivered exactly once (of ${sent.toLocaleString('en-US')} sent)`].join('\n');
}
