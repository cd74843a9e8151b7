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
 * `shown` (the rounded figure of `value` ÷ `scale`, e.g. "0.50×" or "15.0 M")
 * unless a target `ok` would judge it otherwise than `value` itself (0.497×
 * against ≥ 0.5 must not print 0.50×; 14.96 M against ≥ 15 M not 15.0 M):
 * then with as many digits, from `digits` up, as it takes.
 */
function judged(value: number, shown: string, scale: number, unit: string, digits: number, ok: (x: number) => boolean): string {
  if (ok(parseFloat(shown) * scale) === ok(value)) return shown;
  for (let d = digits; d <= 6; d++) {
    const t = (value / scale).toFixed(d);
    if (ok(parseFloat(t) * scale) === ok(value)) return `${t}${unit}`;
  }
  return `${value / scale}${unit}`;
}

/** A ratio judged by `ok` (a target): see judged(). */
export function judgedRatio(r: number | undefined, ok: (x: number) => boolean): string {
  const s = ratio(r);
  return r === undefined || !Number.isFinite(r) ? s : judged(r, s, 1, '×', 3, ok);
}

/** A rate judged by `ok` (a target), in M when it is one: see judged(). */
export function judgedRate(n: number, ok: (x: number) => boolean): string {
  const s = rate(n);
  return !Number.isFinite(n) || n < 1e6 ? s : judged(n, s, 1e6, ' M', 2, ok);
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
