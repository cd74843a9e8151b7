// `wasmxen bench` as a user runs it: every workload on every implementation,
// briefly. Checks behaviour, not speed: the JSON schema, that every run
// balanced, that every result carries its ratios to the baselines, and that
// the HTML page draws its charts in a real browser (headless Chromium).
import { describe, it, expect, beforeAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir, availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const bin = fileURLToPath(new URL('../../bin/wasmxen.mjs', import.meta.url));
const wasmxen = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 120_000 });

const WORKLOADS = ['fifo-1to1', '2l-1to1', 'fifo-fanin', 'fifo-pingpong', '2l-pingpong', 'ipi-storm', 'virq-timer', 'mixed-priority',
  'guest-stream', 'guest-pingpong', 'service-stream', 'guest-fanin', 'oversubscribed'];
const GUEST = ['wasmxen', 'postmessage'];
/** Workloads some implementation can not express (the JS reference speaks FIFO only). */
const IMPLS_OF: Record<string, string[]> = {
  '2l-1to1': ['wasmxen', 'postmessage', 'comlink'],
  '2l-pingpong': ['wasmxen', 'postmessage', 'comlink'],
  'guest-stream': GUEST, 'guest-pingpong': GUEST, 'service-stream': GUEST, 'guest-fanin': GUEST, oversubscribed: GUEST,
};
/** Variants per workload: fan-in for k = 1..cores, oversubscribed on 2 and 8 vCPUs. */
const VARIANTS: Record<string, number> = { 'fifo-fanin': availableParallelism(), 'guest-fanin': availableParallelism(), oversubscribed: 2 };
const IMPLS = ['wasmxen', 'js-reference', 'postmessage', 'comlink'];
const CHROMIUM = '/usr/bin/chromium';

interface Result {
  workload: string; impl: string; params: Record<string, number>; events_per_s: number;
  latency_ns: Record<'p50' | 'p90' | 'p99' | 'p999' | 'max', number>; runs: number; spread: number | null;
  vs: Record<string, number>; sent: number; delivered: number; cpu_ns_per_event: number; cores_busy: number;
  threads: number; contended: boolean | null; latency: string; latency_samples: number; extra?: Record<string, number>;
}

let report: { machine: Record<string, unknown>; config: Record<string, unknown>; results: Result[] };
let html: string;

beforeAll(() => {
  html = join(mkdtempSync(join(tmpdir(), 'wasmxen-bench-')), 'bench.html');
  const r = wasmxen('bench', '--workload', 'all', '--seconds', '0.2', '--runs', '1', '--json', '--html', html);
  // the only line on stderr says where the page went
  expect(r.stderr).toBe(`wasmxen bench: wrote the HTML report to ${html}\n`);
  expect(r.status).toBe(0);
  report = JSON.parse(r.stdout);
}, 120_000);

describe('wasmxen bench --json', () => {
  it('records the machine, versions, commit and configuration', () => {
    expect(report.machine).toMatchObject({ cores: availableParallelism(), node: process.versions.node, v8: process.versions.v8 });
    expect(typeof report.machine.cpu_model).toBe('string');
    expect(report.machine.commit).toMatch(/^([0-9a-f]{40}|unknown)/);
    expect(report.config).toMatchObject({ seconds: 0.2, runs: 1, build: 'release' });
  });

  it('has the device model\'s dma workload in the same schema (an event is a transfer), on wasmxen alone', () => {
    const dma = report.results.filter((r) => r.workload === 'dma');
    expect(dma).toHaveLength(1);
    expect(dma[0]).toMatchObject({ impl: 'wasmxen', runs: 1, latency: 'not measured', latency_samples: 0, spread: null, vs: {} });
    expect(dma[0].params).toEqual({ workers: 2, slots: 32 });
    expect(dma[0].extra!.mb_per_s).toBeGreaterThan(0);
    expect(dma[0].extra!.mapcache_misses).toBeGreaterThan(0);
    expect(report.config.workloads).toContain('dma');
  });

  it('has a result for every workload × implementation (fan-in for k = 1..cores)', () => {
    for (const w of WORKLOADS) {
      for (const impl of IMPLS) {
        const rs = report.results.filter((r) => r.workload === w && r.impl === impl);
        const expected = IMPLS_OF[w] && !IMPLS_OF[w].includes(impl) ? 0 : VARIANTS[w] ?? 1;
        expect(rs.length, `${w} ${impl}`).toBe(expected);
      }
    }
    const ks = report.results.filter((r) => r.workload === 'fifo-fanin' && r.impl === 'wasmxen').map((r) => r.params.senders);
    expect(ks).toEqual(Array.from({ length: availableParallelism() }, (_, i) => i + 1));
  });

  it('every result follows the schema, balanced its runs and is compared with every baseline', () => {
    for (const r of report.results) {
      const what = `${r.workload} ${JSON.stringify(r.params)} ${r.impl}`;
      expect(r.events_per_s, what).toBeGreaterThan(0);
      expect(r.runs, what).toBe(1);
      expect(r.spread, `${what}: a spread from one run is n/a`).toBeNull();
      expect(r.sent, what).toBeGreaterThan(0);
      expect(r.delivered, what).toBe(r.sent);
      expect(r.cpu_ns_per_event, what).toBeGreaterThan(0);
      expect(r.cores_busy, what).toBeGreaterThan(0);
      expect(r.threads, what).toBeGreaterThan(0);
      // only parties that spin can be judged by cores busy: the sleeping ones (dma, the guest path) say null
      const sleeps = r.workload === 'dma' || /^(guest-|service-|oversubscribed)/.test(r.workload);
      expect(r.contended === null, what).toBe(sleeps);
      if (r.workload === 'dma') continue;
      const l = r.latency_ns;
      expect(Object.keys(l).sort(), what).toEqual(['max', 'p50', 'p90', 'p99', 'p999']);
      expect(l.p50, what).toBeGreaterThan(0);
      expect(l.p50 <= l.p90 && l.p90 <= l.p99 && l.p99 <= l.p999 && l.p999 <= l.max, what).toBe(true);
      const baselines = ['comlink', 'js-reference', 'postmessage'].filter((b) => !IMPLS_OF[r.workload] || IMPLS_OF[r.workload].includes(b));
      expect(Object.keys(r.vs).sort(), what).toEqual(baselines);
      for (const v of Object.values(r.vs)) expect(v, what).toBeGreaterThan(0);
      if (r.impl !== 'wasmxen') expect(r.vs[r.impl], what).toBe(1);
    }
  });
});

describe('wasmxen bench --html', () => {
  it('renders in headless Chromium with every chart drawn', async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} is missing: install Debian's Chromium (apt-get update && apt-get install -y chromium) to run this test`);
    }
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
      const requests: string[] = [];
      page.on('request', (r) => { if (!r.url().startsWith('file:')) requests.push(r.url()); });
      await page.goto(pathToFileURL(html).href);
      const charts = await page.evaluate(() => {
        const out: Record<string, { marks: number; drawn: number }> = {};
        for (const id of ['chart-throughput', 'chart-latency', 'chart-scaling']) {
          const marks = [...document.querySelectorAll(`#${id} svg .mark`)] as SVGGraphicsElement[];
          out[id] = {
            marks: marks.length,
            drawn: marks.filter((m) => { const b = m.getBBox(); const r = m.getBoundingClientRect(); return (b.width > 0 || b.height > 0) && r.width + r.height > 0; }).length,
          };
        }
        return out;
      });
      expect(errors).toEqual([]);
      expect(requests).toEqual([]); // self-contained
      const results = report.results.length;
      expect(charts['chart-throughput']).toEqual({ marks: results, drawn: results });
      const curves = report.results.filter((r) => r.latency_samples > 0).length; // every workload but dma
      expect(curves).toBe(results - 1);
      expect(charts['chart-latency']).toEqual({ marks: curves, drawn: curves }); // one per workload × implementation
      const fanin = availableParallelism() * IMPLS.length;
      expect(charts['chart-scaling'].marks).toBe(IMPLS.length + fanin); // a line per implementation and a dot per k
      expect(charts['chart-scaling'].drawn).toBe(charts['chart-scaling'].marks);
      const text = readFileSync(html, 'utf8');
      expect(text).toMatch(/<script type="application\/json" id="bench-data">/);
      expect(text).toMatch(/<td>dma workers=2 slots=32<\/td><td>wasmxen<\/td>/); // the dma row in the table
      expect(text).toMatch(/mb per s [\d.]+/);
    } finally {
      await browser.close();
    }
  });
});

describe('wasmxen bench (table)', () => {
  it('prints a table with every implementation and its ratios; a one-run spread is n/a', () => {
    const r = wasmxen('bench', '--workload', 'virq-timer', '--seconds', '0.1', '--runs', '1');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/virq-timer\s+wasmxen\s+[\d.]+ [kM]?\s+n\/a\s/);
    for (const impl of IMPLS) expect(r.stdout).toMatch(new RegExp(`virq-timer\\s+${impl}\\s`));
    expect(r.stdout).toMatch(/×postMessage/);
    expect(r.stdout).toMatch(/every run balanced/);
  });

  it('a run whose accounting does not balance fails with a non-zero exit and says why', () => {
    const r = spawnSync(process.execPath, [bin, 'bench', '--workload', 'fifo-1to1', '--impl', 'wasmxen', '--seconds', '0.1', '--runs', '1'], {
      encoding: 'utf8', timeout: 60_000, env: { ...process.env, WASMXEN_BENCH_INJECT: 'misroute' },
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/accounting violation/);
    expect(r.stdout).not.toMatch(/every run balanced/);
  });

  it('rejects bad options with one line and a non-zero exit', () => {
    for (const args of [['bench', '--workload', 'nope'], ['bench', '--seconds', '0'], ['bench', '--runs', '1.5'], ['bench', '--impl', 'carrier-pigeon'],
      ['bench', '--runs', '1e12'], ['bench', '--seconds', '1e9']]) {
      const r = wasmxen(...args);
      expect(r.status, args.join(' ')).toBe(3);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
    }
  });

  it('checks an output path before the run: an unwritable --html fails at once with one line, writing nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wasmxen-bench-'));
    for (const [file, why] of [[join(dir, 'missing', 'x.html'), /--html .*missing.*: cannot create a file/], [dir, /--html .*: is a directory/]] as const) {
      const r = wasmxen('bench', '--workload', 'dma', '--seconds', '60', '--runs', '1000', '--html', file);
      expect(r.status).toBe(3);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(why);
      expect(r.stdout).toBe(''); // nothing ran (60 s × 1000 runs would not have returned)
    }
  });
});

describe('wasmxen bench --workload dma', () => {
  it('measures the device model\'s overlapping DMA in the one schema, every transfer checked; --html writes the page', () => {
    const page = join(mkdtempSync(join(tmpdir(), 'wasmxen-bench-')), 'dma.html');
    const r = spawnSync(process.execPath, [bin, 'bench', '--workload', 'dma', '--seconds', '0.1', '--runs', '2', '--json', '--html', page], {
      encoding: 'utf8', timeout: 120_000,
    });
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(Object.keys(j).sort()).toEqual(['campaign', 'config', 'kind', 'machine', 'results', 'shard', 'wasmxen']);
    expect(j.results).toHaveLength(1);
    const dma = j.results[0];
    expect(dma).toMatchObject({ workload: 'dma', impl: 'wasmxen', runs: 2, params: { workers: 2 } });
    expect(dma.events_per_s).toBeGreaterThan(0);
    expect(dma.spread).toBeGreaterThanOrEqual(0); // two runs: a spread
    expect(dma.extra.mb_per_s).toBeGreaterThan(0);
    expect(dma.delivered).toBeGreaterThanOrEqual(4000);
    expect(dma.extra.mapcache_misses).toBeGreaterThan(0);
    expect(r.stderr).toBe(`wasmxen bench: wrote the HTML report to ${page}\n`);
    expect(readFileSync(page, 'utf8')).toMatch(/<td>dma workers=2 slots=32<\/td>/);
  });
});
