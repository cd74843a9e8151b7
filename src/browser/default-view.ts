// The default scenario's live figures: progress, exactly-once accounting,
// delivered events per second per flow (over the last update interval and
// since the start), one-way latency percentiles (over the last interval and
// since the start), a chart of the total rate with its text equivalent, and
// the final report.
import type { RunProgress } from '../scenarios/default.ts';
import type { PageRunReport } from './runner-api.ts';
import { $, h, table, show, fmt, us } from './dom.ts';

type Flow = keyof RunProgress['flows'];
const FLOWS: [Flow, string][] = [['pingpong', 'ping-pong (interdomain, priority 0)'], ['fanin', 'fan-in (8 ports, mixed priorities)'], ['ipi', 'IPIs (inside each domain)']];

export class DefaultView {
  private prev: RunProgress | undefined;
  private readonly rates: { t: number; rate: number }[] = [];

  constructor(private readonly seconds: number) {
    $('live').hidden = false;
  }

  update(p: RunProgress): void {
    const prev = this.prev;
    this.prev = p;
    const dt = prev ? p.elapsed - prev.elapsed : 0;
    const rate = (now: number, before: number | undefined) => (prev && dt > 0 && before !== undefined ? (now - before) / dt : 0);
    if (prev && dt > 0) this.rates.push({ t: p.elapsed, rate: (p.delivered - prev.delivered) / dt });
    const inFlight = p.sent - p.delivered;
    const head = h('p', {}, `Phase: ${p.phase}. Elapsed ${p.elapsed.toFixed(1)} s of ${this.seconds} s of sending `
      + '(then the run waits until every vCPU has booted and every event in flight is delivered).');
    const acct = table('Exactly-once accounting so far (every event sent is counted when sent and when its handler runs)',
      ['figure', 'value'], [['sent', fmt(p.sent)], ['delivered', fmt(p.delivered)], ['in flight (sent − delivered)', fmt(inFlight)]]);
    const flows = table(`Delivered events per flow: per second over the last ${dt.toFixed(2)} s, and in total over ${p.elapsed.toFixed(1)} s`,
      ['flow', 'events/s (last interval)', 'events/s (since start)', 'delivered'],
      FLOWS.map(([k, name]) => [name, fmt(rate(p.flows[k], prev?.flows[k])), fmt(p.elapsed > 0 ? p.flows[k] / p.elapsed : 0), fmt(p.flows[k])]));
    const l = p.latency;
    const row = (name: string, w: typeof l.total) => [name, fmt(w.samples), w.samples ? us(w.p50) : '–', w.samples ? us(w.p90) : '–',
      w.samples ? us(w.p99) : '–', w.samples ? us(w.max) : '–'];
    const lat = table(`One-way latency of every delivered event (ping-pong, fan-in, IPIs): over the last ${l.interval.seconds.toFixed(2)} s `
      + `and over the whole ${l.total.seconds.toFixed(1)} s so far`, ['window', 'events', 'p50', 'p90', 'p99', 'max'],
    [row(`last ${l.interval.seconds.toFixed(2)} s`, l.interval), row(`since the start (${l.total.seconds.toFixed(1)} s)`, l.total)]);
    lat.id = 'live-latency';
    const latNote = h('p', { class: 'note' }, 'Live latencies are read from a shared histogram whose buckets are 1/16 of a power of two wide: '
      + 'each figure is its bucket\'s upper bound (at most 6.25 % above the true value). The final report\'s percentiles come from the guests\' '
      + 'exact histograms. The clock of a cross-origin-isolated Chromium page has a 5 µs resolution.');
    show($('figures'), head, acct, flows, lat, latNote);
    this.chart();
    $('status').textContent = `Running the default scenario: ${p.phase}, ${p.elapsed.toFixed(1)} s, ${fmt(p.delivered)} events delivered.`;
  }

  private chart(): void {
    const svg = $('rate-chart') as unknown as SVGSVGElement;
    const W = 640, H = 140, pad = 4;
    const rs = this.rates;
    if (rs.length < 1) return;
    const tMax = Math.max(this.seconds, rs[rs.length - 1].t);
    const rMax = Math.max(1, ...rs.map((r) => r.rate));
    const pts = rs.map((r) => `${(pad + (r.t / tMax) * (W - 2 * pad)).toFixed(1)},${(H - pad - (r.rate / rMax) * (H - 2 * pad)).toFixed(1)}`).join(' ');
    const ns = 'http://www.w3.org/2000/svg';
    const line = document.createElementNS(ns, 'polyline');
    line.setAttribute('points', pts);
    line.setAttribute('fill', 'none');
    line.setAttribute('stroke', '#1565c0');
    line.setAttribute('stroke-width', '1.5');
    svg.replaceChildren(line);
    const vals = rs.map((r) => r.rate);
    $('rate-caption').textContent = `Chart: delivered events per second (all flows), each point measured over one update interval (about 0.1 s), `
      + `${rs.length} intervals from ${rs[0].t.toFixed(1)} s to ${rs[rs.length - 1].t.toFixed(1)} s; `
      + `lowest ${fmt(Math.min(...vals))}, highest ${fmt(Math.max(...vals))}, last ${fmt(vals[vals.length - 1])} events/s (vertical scale 0 to ${fmt(rMax)}).`;
  }

  final(r: PageRunReport, engine: string): void {
    $('final').hidden = false;
    const exact = r.lost === 0 && r.duplicated === 0 && r.sent === r.delivered;
    const verdict = !exact ? `EVENTS LOST (${r.lost}) OR DUPLICATED (${r.duplicated}).`
      : r.sent === 0 ? 'No event was sent: the run says nothing about delivery.'
        : `Every one of ${fmt(r.sent)} events was delivered exactly once.`;
    show($('summary'),
      h('p', { class: exact && r.sent > 0 ? 'ok' : 'bad' }, verdict),
      table(`Default scenario on ${engine}, ${r.abi === 'fifo' ? 'FIFO' : '2-level'} ABI, measured over ${r.seconds.toFixed(2)} s (sending, then draining)`,
        ['figure', 'value'], [
          ['events sent', fmt(r.sent)], ['events delivered', fmt(r.delivered)], ['lost', r.lost], ['duplicated', r.duplicated],
          ['delivered events/s (from the last vCPU\'s boot to the end of sending; n/a under 0.2 s)', Number.isFinite(r.events_per_s) && r.events_per_s !== null ? fmt(r.events_per_s) : 'n/a'],
          ['one-way latency p50 (ping-pong, fan-in, IPIs; whole run)', us(r.latency_ns.p50)],
          ['one-way latency p90', us(r.latency_ns.p90)], ['one-way latency p99', us(r.latency_ns.p99)], ['one-way latency max', us(r.latency_ns.max)],
          ['VIRQ_TIMER ticks handled', fmt(r.timer_ticks)], ['spurious events', r.spurious], ['lost wake-ups', r.late_wakeups],
          ['monitor requests answered in Xen', fmt(r.monitor.requests)],
          ['events counted by the live latency histogram (must equal events delivered)', fmt(r.live_latency.samples)],
        ]),
      h('p', { class: 'note' }, 'Latencies are stamped with performance.timeOrigin + performance.now(), which a cross-origin-isolated '
        + 'Chromium page coarsens to 5 µs: values below that resolution read as 0 or 5 µs.'),
      ...r.console.map((l) => h('p', {}, `console: ${l}`)));
  }
}
