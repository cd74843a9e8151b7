// The browser demo in a real browser: `wasmxen serve`'s server in this
// process, headless Chromium (Debian's) loading its page. The default
// scenario runs to completion on Web Workers and accounts for every event
// exactly once; a page that is not cross-origin isolated says so on the page;
// nothing is fetched from another origin. Screenshots are kept under
// test-artifacts/browser/ (gitignored).
import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { browserHarness, ARTIFACTS } from './harness.ts';

/** Bound on a whole page run (boot of 5 workers, 1 s of sending, drain) on a loaded two-core machine. */
const RUN_LIMIT_MS = 90_000;

const h = browserHarness();

/** A page that records its errors and every request that leaves the demo server's origin. */
async function openPage(): Promise<{ page: Page; errors: string[]; foreign: string[] }> {
  const page = await h.browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  const foreign: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('request', (r) => { if (!r.url().startsWith(h.base) && !r.url().startsWith('data:')) foreign.push(r.url()); });
  return { page, errors, foreign };
}

/** Wait until the page has finished (done or error); on a timeout, fail with what the page showed. */
async function finished(page: Page, what: string): Promise<string> {
  try {
    await page.waitForFunction(() => ['done', 'error'].includes(document.body.dataset.state ?? ''), null, { timeout: RUN_LIMIT_MS });
  } catch {
    await page.screenshot({ path: join(ARTIFACTS, `${what}-timeout.png`), fullPage: true });
    throw new Error(`${what}: the page did not finish within ${RUN_LIMIT_MS / 1000} s; it showed: ${await page.textContent('#status')}`);
  }
  return (await page.textContent('#report')) ?? '';
}

describe('wasmxen serve', () => {
  it('serves the page, its assets and the wasm with the cross-origin isolation headers; nothing else', async () => {
    for (const path of ['/', '/assets/page.js', '/assets/runner.worker.js', '/assets/vcpu.worker.js', '/assets/bench.worker.js', '/assets/guests/frontend.js',
      '/wasm/wasmxen.wasm', '/build-info.json']) {
      const r = await fetch(new URL(path, h.base));
      expect(r.status, path).toBe(200);
      expect(r.headers.get('cross-origin-opener-policy'), path).toBe('same-origin');
      expect(r.headers.get('cross-origin-embedder-policy'), path).toBe('require-corp');
      await r.arrayBuffer();
    }
    expect((await fetch(new URL('/wasm/wasmxen.wasm', h.base))).headers.get('content-type')).toBe('application/wasm');
    for (const path of ['/assets/../../package.json', '/assets/%2e%2e/%2e%2e/package.json', '/wasm/../package.json', '/build/wasmxen.wasm', '/package.json']) {
      const r = await fetch(new URL(path, h.base));
      expect(r.status, path).toBe(404);
      await r.arrayBuffer();
    }
  });
});

describe('the demo page in headless Chromium', () => {
  it('/?run=default&seconds=1 runs the default scenario on Web Workers: every event delivered exactly once', async () => {
    const { page, errors, foreign } = await openPage();
    await page.goto(new URL('/?run=default&seconds=1', h.base).href);
    // live latency percentiles while the run goes on, each window saying how long it covers
    const live = page.locator('#live-latency');
    await live.waitFor({ timeout: RUN_LIMIT_MS });
    expect(await live.locator('caption').textContent()).toMatch(/^One-way latency of every delivered event .*: over the last [\d.]+ s and over the whole [\d.]+ s so far$/);
    expect(await live.locator('tbody tr td:first-child').allTextContents()).toEqual([expect.stringMatching(/^last [\d.]+ s$/), expect.stringMatching(/^since the start \([\d.]+ s\)$/)]);
    const text = await finished(page, 'default');
    await page.screenshot({ path: join(ARTIFACTS, 'default.png'), fullPage: true });
    const r = JSON.parse(text) as {
      live_latency: { samples: number; p50: number; p99: number; max: number; seconds: number };
      run: string; engine: string; error?: string; sent: number; delivered: number; lost: number; duplicated: number;
      flows: { pingpong: number; fanin: number; ipi: number }; monitor: { requests: number; answers: number }; console: string[];
    };
    expect(r.error).toBeUndefined();
    expect(r.run).toBe('default');
    expect(r.engine).toMatch(/^Chromium/);
    expect(r.sent).toBeGreaterThan(0);
    expect([r.delivered, r.lost, r.duplicated]).toEqual([r.sent, 0, 0]);
    // the live histogram counted every delivered event exactly once, and its percentiles are ordered
    expect(r.live_latency.samples).toBe(r.delivered);
    expect(r.live_latency.p50).toBeGreaterThan(0);
    expect(r.live_latency.p50).toBeLessThanOrEqual(r.live_latency.p99);
    expect(r.live_latency.p99).toBeLessThanOrEqual(r.live_latency.max);
    // every flow ran: events crossed domains, stayed inside them, and reached Xen's consumers
    expect(r.flows.pingpong).toBeGreaterThan(0);
    expect(r.flows.fanin).toBeGreaterThan(0);
    expect(r.flows.ipi).toBeGreaterThan(0);
    expect(r.monitor.answers).toBe(r.monitor.requests);
    expect(r.console).toEqual(['domain 1: booted on the FIFO ABI, 2 vCPUs']);
    // the live view drew the watched domain's vCPUs, queues and decoded event words
    expect(await page.locator('#domain-body table caption').allTextContents()).toEqual(expect.arrayContaining([
      expect.stringMatching(/^vCPU 0 queues/), expect.stringMatching(/^vCPU 1 queues/), expect.stringMatching(/^Bound ports of domain 2/),
    ]));
    // …read through the layout: domain 2's interdomain ports with the priorities its guest gave them (ping 0, fan-in 2..15)
    const prios = await page.$$eval('#domain-body > table tbody tr', (rows) => rows
      .filter((r) => r.children[1].textContent === 'interdomain').map((r) => Number(r.children[3].textContent)));
    expect(prios.sort((a, b) => a - b)).toEqual([0, 2, 4, 7, 7, 9, 11, 13, 15]);
    expect(await page.textContent('#rate-caption')).toMatch(/^Chart: delivered events per second .* measured over one update interval/);
    expect(await page.textContent('#summary')).toContain(`Every one of ${r.sent.toLocaleString('en-US')} events was delivered exactly once.`);
    expect(errors).toEqual([]);
    expect(foreign).toEqual([]);
    await page.close();
  }, RUN_LIMIT_MS + 30_000);

  it('/?run=stress&scenario=raise-drain&inject=ready-before-head: the injected bug is caught, on Web Workers', async () => {
    const { page, errors, foreign } = await openPage();
    await page.goto(new URL('/?run=stress&scenario=raise-drain&inject=ready-before-head&seconds=30&seed=1', h.base).href);
    const text = await finished(page, 'stress-inject');
    await page.screenshot({ path: join(ARTIFACTS, 'stress-inject.png'), fullPage: true });
    const r = JSON.parse(text) as {
      error?: string; run: string; verdict: string; inject: string; detected: boolean; seed: number;
      scenarios: { name: string; iterations: number; forbidden: number; outcomes: Record<string, number>; failure?: { kind: string; outcome: string } }[];
    };
    expect(r.error).toBeUndefined();
    expect([r.run, r.inject, r.detected, r.verdict, r.seed]).toEqual(['stress', 'ready-before-head', true, 'forbidden', 1]);
    expect(r.scenarios.map((s) => [s.name, s.forbidden, s.failure?.kind])).toEqual([['raise-drain', 1, 'forbidden']]);
    // the run stopped at its first forbidden outcome: the histogram counts it, beside the rounds before it
    const s = r.scenarios[0];
    expect(s.outcomes[s.failure!.outcome]).toBe(1);
    expect(Object.values(s.outcomes).reduce((a, b) => a + b, 0)).toBe(s.iterations);
    const row = await page.$$eval('#stress-body tbody tr', (rows, id) => rows.filter((x) => x.children[0].textContent === id)
      .map((x) => [x.children[1].textContent, x.children[2].textContent]), s.failure!.outcome);
    expect(row).toEqual([['FORBIDDEN', '1']]);
    expect(await page.textContent('#stress-verdict')).toContain('The injected bug ready-before-head was caught.');
    expect(errors).toEqual([]);
    expect(foreign).toEqual([]);
    await page.close();
  }, RUN_LIMIT_MS + 30_000);

  it('an unknown scenario or bug is a page-level error naming the ones there are', async () => {
    const { page } = await openPage();
    await page.goto(new URL('/?run=stress&inject=no-such-bug', h.base).href);
    const text = await finished(page, 'stress-unknown');
    expect((JSON.parse(text) as { error: string }).error).toMatch(/no injectable bug 'no-such-bug' \(have: .*ready-before-head/);
    expect(await page.isVisible('#error')).toBe(true);
    await page.close();
  });

  it('a page that is not cross-origin isolated says so on the page, and in #report', async () => {
    const { page, foreign } = await openPage();
    // the same server, its isolation headers dropped on the way
    await page.route('**/*', async (route) => {
      const res = await route.fetch();
      const headers = { ...res.headers() };
      delete headers['cross-origin-opener-policy'];
      delete headers['cross-origin-embedder-policy'];
      await route.fulfill({ response: res, headers });
    });
    await page.goto(new URL('/?run=default&seconds=1', h.base).href);
    const text = await finished(page, 'not-isolated');
    await page.screenshot({ path: join(ARTIFACTS, 'not-isolated.png'), fullPage: true });
    expect(await page.evaluate(() => self.crossOriginIsolated)).toBe(false);
    expect(await page.isVisible('#error')).toBe(true);
    expect(await page.textContent('#error')).toMatch(/not cross-origin isolated.*Cross-Origin-Opener-Policy: same-origin.*Cross-Origin-Embedder-Policy: require-corp/);
    expect((JSON.parse(text) as { error: string }).error).toMatch(/not cross-origin isolated/);
    expect(foreign).toEqual([]);
    await page.close();
  }, RUN_LIMIT_MS);
});
