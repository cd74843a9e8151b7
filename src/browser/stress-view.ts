// A stress run's outcome histogram as it grows: per outcome its class
// (acceptable, interesting, forbidden), its count and a bar; the table is the
// chart's text equivalent. Then the verdict, and whether an injected bug was
// caught.
import type { StressProgress, StressReport } from '../stress/runner.ts';
import type { StressPlanEntry, StressRequest } from './runner-api.ts';
import { $, h, show, fmt } from './dom.ts';

const KIND = { acceptable: 'acceptable', interesting: 'interesting (allowed; the race happened)', forbidden: 'FORBIDDEN' } as const;

export class StressView {
  private readonly last = new Map<string, StressProgress>();

  constructor(private readonly plan: StressPlanEntry[], req: StressRequest) {
    $('stress').hidden = false;
    $('stress-h').textContent = `Stress: ${plan.map((p) => p.name).join(', ')}, ${req.seconds} s each, seed ${req.seed}, stress build with scheduling noise, `
      + (req.inject ? `injected bug: ${req.inject}` : 'no injected bug');
    this.draw();
  }

  update(p: StressProgress): void {
    this.last.set(p.scenario, p);
    this.draw();
    $('status').textContent = `Running stress scenario ${p.scenario}: ${fmt(p.iterations)} iterations in ${p.elapsed.toFixed(1)} s, ${p.forbidden} forbidden.`;
  }

  private draw(): void {
    show($('stress-body'), ...this.plan.map((def) => {
      const p = this.last.get(def.name);
      const counts = def.outcomes.map((_, i) => p?.outcomes[i] ?? 0);
      const max = Math.max(1, ...counts);
      const rows = def.outcomes.map((o, i) => h('tr', {},
        h('td', { class: 'l' }, o.id), h('td', { class: 'l' }, KIND[o.kind]), h('td', {}, fmt(counts[i])),
        h('td', { class: 'l', 'aria-hidden': 'true' }, h('span', { class: `bar ${o.kind}`, style: `width:${(counts[i] / max * 16).toFixed(2)}rem` })),
        h('td', { class: 'l' }, o.text)));
      const what = p ? `${fmt(p.iterations)} iterations over ${p.elapsed.toFixed(1)} s of ${p.seconds} s (${fmt(p.iterations / Math.max(p.elapsed, 1e-3))}/s)` : 'not started';
      return h('section', { 'aria-label': `scenario ${def.name}` },
        h('h3', {}, `${def.name}: ${def.race}`),
        h('p', { class: 'note' }, `One iteration: ${def.iteration}. Must never happen: ${def.never}.`),
        h('table', {}, h('caption', {}, `Outcome histogram of ${def.name}: ${what}; bars are counts relative to the largest`),
          h('thead', {}, h('tr', {}, ...['outcome', 'class', 'count', 'bar', 'meaning'].map((t) => h('th', { scope: 'col', class: t === 'count' ? '' : 'l' }, t)))),
          h('tbody', {}, ...rows)));
    }));
  }

  final(r: StressReport): void {
    // the histograms as the run ended (the last live update is up to 100 ms older)
    for (const s of r.scenarios) {
      const def = this.plan.find((d) => d.name === s.name);
      if (!def) continue;
      this.last.set(s.name, {
        scenario: s.name, iterations: s.iterations, forbidden: s.forbidden, elapsed: s.seconds, seconds: this.last.get(s.name)?.seconds ?? s.seconds,
        outcomes: def.outcomes.map((o) => s.outcomes[o.id] ?? 0),
      });
    }
    this.draw();
    const lines = r.scenarios.map((s) => {
      const f = s.failure;
      const text = f
        ? `${s.name}: ${f.kind === 'forbidden' ? `FORBIDDEN outcome ${f.outcome}` : f.kind.toUpperCase()}${f.iteration !== undefined ? ` at iteration ${fmt(f.iteration)}` : ''} `
          + `after ${f.atSeconds.toFixed(2)} s (${fmt(s.iterations)} iterations in ${s.seconds.toFixed(2)} s): ${f.detail.split('\n')[0]}`
        : s.verdict === 'clean'
          ? `${s.name}: clean — ${fmt(s.iterations)} iterations in ${s.seconds.toFixed(2)} s, the race happened, no forbidden outcome, no watchdog hit`
          : `${s.name}: INCONCLUSIVE — ${s.hint ?? ''}`;
      return h('p', { class: f ? 'bad' : s.verdict === 'clean' ? 'ok' : '' }, text);
    });
    const caught = r.inject
      ? h('p', { class: r.detected ? 'ok' : 'bad' }, r.detected ? `The injected bug ${r.inject} was caught.` : `The injected bug ${r.inject} was NOT caught in this run.`)
      : h('p', {}, `Verdict: ${r.verdict}.`);
    show($('stress-verdict'), caught, ...lines);
  }
}
