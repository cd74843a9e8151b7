// Number formatting shared by the terminal table and the HTML page.

export function rate(n: number): string {
  if (!Number.isFinite(n)) return '–';
  if (n >= 1e6) return `${(n / 1e6).toFixed(n >= 1e7 ? 1 : 2)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(n >= 1e4 ? 0 : 1)} k`;
  return n.toFixed(0);
}

/** null: not measured (a browser's CPU time). */
export function duration(ns: number | null): string {
  if (ns === null) return 'n/a';
  if (!Number.isFinite(ns) || ns <= 0) return '–';
  if (ns >= 1e9) return `${(ns / 1e9).toFixed(2)} s`;
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(ns >= 1e7 ? 0 : 1)} ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(ns >= 1e4 ? 0 : 1)} µs`;
  return `${ns.toFixed(0)} ns`;
}

export function ratio(r: number | undefined): string {
  if (r === undefined || !Number.isFinite(r)) return '–';
  return r >= 100 ? `${r.toFixed(0)}×` : r >= 10 ? `${r.toFixed(1)}×` : `${r.toFixed(2)}×`;
}

/**
 * A ratio judged by `ok` (a target): rounded as `ratio` does unless the
 * rounded figure would be judged otherwise than the ratio itself (0.497×
 * against ≥ 0.5 must not print 0.50×), then with as many digits as it takes.
 */
export function judgedRatio(r: number | undefined, ok: (x: number) => boolean): string {
  const s = ratio(r);
  if (r === undefined || !Number.isFinite(r) || ok(parseFloat(s)) === ok(r)) return s;
  for (let d = 3; d <= 6; d++) if (ok(parseFloat(r.toFixed(d))) === ok(r)) return `${r.toFixed(d)}×`;
  return `${r}×`;
}

/** A rate judged by `ok` (a target), with the digits that keep it from reading as the other verdict (14.96 M against ≥ 15 M must not print 15.0 M). */
export function judgedRate(n: number, ok: (x: number) => boolean): string {
  const s = rate(n);
  if (!Number.isFinite(n) || n < 1e6 || ok(parseFloat(s) * 1e6) === ok(n)) return s;
  for (let d = 2; d <= 6; d++) {
    const t = (n / 1e6).toFixed(d);
    if (ok(parseFloat(t) * 1e6) === ok(n)) return `${t} M`;
  }
  return String(n);
}

export function percent(x: number | null): string {
  if (x === null || !Number.isFinite(x)) return 'n/a';
  return `${(x * 100).toFixed(x < 0.1 ? 1 : 0)}%`;
}

/** Cores kept busy (CPU time ÷ wall time); 'n/a' where CPU time cannot be read (a browser). */
export function coresBusy(x: number | null): string {
  return x === null ? 'n/a' : x.toFixed(2);
}

export function paramsLabel(p: Record<string, number>): string {
  return Object.entries(p).map(([k, v]) => `${k}=${v}`).join(' ');
}

/**
 * A result's ratio to its workload's reference in the same run (e.g.
 * "0.42× fifo-1to1"; for a round trip: "p50 2.1× fifo-pingpong"), "–" if none.
 */
export function referenceLabel(x: { latency: string; vs_reference?: Record<string, number>; vs_reference_latency_p50?: Record<string, number> }): string {
  const lat = x.latency === 'round trip';
  const [k, v] = Object.entries((lat ? x.vs_reference_latency_p50 : x.vs_reference) ?? {})[0] ?? [];
  return k === undefined ? '–' : `${lat ? 'p50 ' : ''}${ratio(v)} ${k}`;
}
