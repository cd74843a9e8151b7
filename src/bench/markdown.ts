// The benchmark's figures as Markdown, for the documentation
// (`npm run docs:figures` writes them into bench/README.md and README.md):
// the results table, the issue's targets checked against this run, and the
// one-sentence summary. Same numbers and formatting as the terminal table.
import type { BenchReport, BenchResult } from './bench.ts';
import { rate, duration, ratio, judgedRatio, judgedRate, percent, paramsLabel, coresBusy, referenceLabel } from './format.ts';

export function markdownTable(r: BenchReport): string {
  const rows = [
    '| workload | impl | events/s | spread | ×postMessage | ×comlink | ×JS ref | p50 | p90 | p99 | p99.9 | max | CPU/event | cores busy | ×reference |',
    '|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
  ];
  for (const x of r.results) {
    const l = x.latency_ns;
    rows.push(`| ${x.workload}${Object.keys(x.params).length ? ` ${paramsLabel(x.params)}` : ''} | ${x.impl} | ${rate(x.events_per_s)} | ${percent(x.spread)} | `
      + `${ratio(x.vs.postmessage)} | ${ratio(x.vs.comlink)} | ${ratio(x.vs['js-reference'])} | ${duration(l.p50)} | ${duration(l.p90)} | ${duration(l.p99)} | `
      + `${duration(l.p999)} | ${duration(l.max)} | ${duration(x.cpu_ns_per_event)} | ${coresBusy(x.cores_busy)}${x.contended ? ' **contended**' : ''} | ${referenceLabel(x)} |`);
  }
  const sent = r.results.reduce((a, x) => a + x.sent, 0);
  const dma = r.results.find((x) => x.workload === 'dma');
  const contended = r.results.filter((x) => x.contended).length;
  return `${rows.join('\n')}\n\nEvery run balanced: ${sent.toLocaleString('en-US')} events sent and delivered exactly once.`
    + (dma?.extra ? ` dma (an event is one transfer, checked end to end): ${dma.extra.mb_per_s.toFixed(0)} MB/s; mapcache hits `
      + `${dma.extra.mapcache_hits.toLocaleString('en-US')}, misses ${dma.extra.mapcache_misses.toLocaleString('en-US')}, remaps ${dma.extra.mapcache_remaps.toLocaleString('en-US')} (last run).` : '')
    + (contended ? ` **${contended} result(s) contended**: their spinning threads kept fewer cores busy than they need (another process took cores); their figures are low.` : '');
}

const find = (r: BenchReport, w: string, impl: string, params: Record<string, number> = {}): BenchResult | undefined =>
  r.results.find((x) => x.workload === w && x.impl === impl && JSON.stringify(x.params) === JSON.stringify(params));

/** The issue's performance targets, checked against this run. */
export function targetsTable(r: BenchReport): string {
  // a target is judged only on results whose spinning threads had their cores: a contended one says "not judged"
  // undefined: a figure the target needs was not measured in this run (its implementation not selected)
  const met = (ok: boolean | undefined, ...on: (BenchResult | undefined)[]) =>
    (ok === undefined ? 'not measured' : on.some((x) => x?.contended) ? 'not judged: contended' : ok ? 'met' : '**missed**');
  const atLeast = (x: number | undefined, target: number) => (x === undefined ? undefined : x >= target);
  const t = ['| target | this run | |', '|---|---|---|'];
  const one = find(r, 'fifo-1to1', 'wasmxen');
  if (one) {
    t.push(`| \`fifo-1to1\` ≥ 20× postMessage | ${judgedRatio(one.vs.postmessage, (x) => x >= 20)} | ${met(atLeast(one.vs.postmessage, 20), one)} |`);
    t.push(`| \`fifo-1to1\` ≥ 2× the JS reference | ${judgedRatio(one.vs['js-reference'], (x) => x >= 2)} | ${met(atLeast(one.vs['js-reference'], 2), one, find(r, 'fifo-1to1', 'js-reference'))} |`);
    t.push(`| \`fifo-1to1\` ≥ 15 M events/s | ${judgedRate(one.events_per_s, (x) => x >= 15e6)}/s | ${met(one.events_per_s >= 15e6, one)} |`);
  }
  const pp = find(r, 'fifo-pingpong', 'wasmxen');
  const pm = find(r, 'fifo-pingpong', 'postmessage');
  if (pp && pm) {
    t.push(`| \`fifo-pingpong\` p50 ≤ 0.1× postMessage's | ${duration(pp.latency_ns.p50)} against ${duration(pm.latency_ns.p50)} `
      + `(${(pp.latency_ns.p50 / pm.latency_ns.p50).toFixed(3)}×) | ${met(pp.latency_ns.p50 <= 0.1 * pm.latency_ns.p50, pp)} |`);
  }
  const k1 = find(r, 'fifo-fanin', 'wasmxen', { senders: 1 });
  const k2 = find(r, 'fifo-fanin', 'wasmxen', { senders: 2 });
  if (k1 && k2) {
    t.push(`| \`fifo-fanin\` k=2 ≥ 0.8× k=1 | ${rate(k2.events_per_s)} / ${rate(k1.events_per_s)} = ${judgedRatio(k2.events_per_s / k1.events_per_s, (x) => x >= 0.8)} | ${met(k2.events_per_s >= 0.8 * k1.events_per_s, k1, k2)} |`);
  }
  // the guest path (issue 15): each against its reference measured in the same run
  const ref = (w: string, params: Record<string, number> = {}) => {
    const x = find(r, w, 'wasmxen', params);
    const [key, v] = Object.entries((x?.latency === 'round trip' ? x.vs_reference_latency_p50 : x?.vs_reference) ?? {})[0] ?? [];
    return x && key !== undefined ? { x, v } : undefined;
  };
  const gs = ref('guest-stream');
  if (gs) t.push(`| \`guest-stream\` ≥ 0.5× \`fifo-1to1\` | ${rate(gs.x.events_per_s)} = ${judgedRatio(gs.v, (x) => x >= 0.5)} | ${met(gs.v >= 0.5, one)} |`);
  const gp = ref('guest-pingpong');
  if (gp) t.push(`| \`guest-pingpong\` p50 ≤ 3× \`fifo-pingpong\`'s | ${duration(gp.x.latency_ns.p50)} = ${judgedRatio(gp.v, (x) => x <= 3)} | ${met(gp.v <= 3, pp)} |`);
  const ss = find(r, 'service-stream', 'wasmxen');
  if (ss?.vs.postmessage !== undefined) t.push(`| \`service-stream\` ≥ 20× postMessage | ${rate(ss.events_per_s)} = ${judgedRatio(ss.vs.postmessage, (x) => x >= 20)} | ${met(ss.vs.postmessage >= 20)} |`);
  const os = ref('oversubscribed', { vcpus: 8 });
  if (os) t.push(`| \`oversubscribed\` (8 vCPUs) ≥ 0.5× the same flows on 2 vCPUs | ${rate(os.x.events_per_s)} = ${judgedRatio(os.v, (x) => x >= 0.5)} | ${met(os.v >= 0.5)} |`);
  return t.join('\n');
}

/** One sentence for the README. */
export function benchSummary(r: BenchReport): string {
  const one = find(r, 'fifo-1to1', 'wasmxen');
  const pp = find(r, 'fifo-pingpong', 'wasmxen');
  const pm = find(r, 'fifo-pingpong', 'postmessage');
  if (!one || !pp || !pm) return '';
  return `\`fifo-1to1\` ${rate(one.events_per_s)} events/s through the full \`EVTCHNOP_send\` hypercall (${ratio(one.vs['js-reference'])} the plain-JS `
    + `protocol, ${ratio(one.vs.postmessage)} postMessage), \`fifo-pingpong\` round trip p50 ${duration(pp.latency_ns.p50)} (postMessage ${duration(pm.latency_ns.p50)})`;
}
