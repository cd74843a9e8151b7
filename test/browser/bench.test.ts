// The bench in a real browser: `wasmxen serve`'s page runs the data-plane
// workloads and their baselines on Web Workers (headless Chromium), every run
// accounting for every event exactly once; its report is the `wasmxen bench
// --json` schema (bench/bench-report.schema.json) with the browser as the
// machine, downloadable, and the real `wasmxen merge` CLI puts it beside a
// Node run of the same campaign, in its text and its HTML. Behaviour only:
// no rate is asserted. Screenshots go to test-artifacts/browser/.
import { describe, it, expect, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import Ajv from 'ajv';
import { browserHarness, ARTIFACTS } from './harness.ts';
import { buildInfo } from '../../src/campaign/provenance.ts';

const bin = fileURLToPath(new URL('../../bin/wasmxen.mjs', import.meta.url));
const schema = JSON.parse(readFileSync(fileURLToPath(new URL('../../bench/bench-report.schema.json', import.meta.url)), 'utf8'));
/** Bound on one page's bench (workers spawned per cell, warm-up and runs of every implementation) on a loaded two-core machine. */
const RUN_LIMIT_MS = 120_000;
const IMPLS = ['wasmxen', 'js-reference', 'postmessage', 'comlink'];

const ajv = new Ajv({ allErrors: true, strict: true });
const validate = ajv.compile(schema);
const dir = mkdtempSync(join(tmpdir(), 'wasmxen-browser-bench-'));
const h = browserHarness();
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Open `query`, wait until the page finished (done or error), keep a screenshot; its #report, its errors and foreign requests. */
async function run(query: string, shot: string): Promise<{ page: Page; report: any; errors: string[]; foreign: string[] }> {
  const page = await h.browser.newPage({ viewport: { width: 1400, height: 900 }, acceptDownloads: true });
  const errors: string[] = [];
  const foreign: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('request', (r) => { if (!r.url().startsWith(h.base) && !r.url().startsWith('data:') && !r.url().startsWith('blob:')) foreign.push(r.url()); });
  await page.goto(new URL(query, h.base).href);
  try {
    await page.waitForFunction(() => ['done', 'error'].includes(document.body.dataset.state ?? ''), null, { timeout: RUN_LIMIT_MS });
  } catch {
    await page.screenshot({ path: join(ARTIFACTS, `${shot}-timeout.png`), fullPage: true });
    throw new Error(`${query}: the page did not finish within ${RUN_LIMIT_MS / 1000} s; it showed: ${await page.textContent('#status')}`);
  }
  await page.screenshot({ path: join(ARTIFACTS, `${shot}.png`), fullPage: true });
  return { page, report: JSON.parse((await page.textContent('#report')) ?? ''), errors, foreign };
}

/** What every result of a browser run must hold, whatever the rates. */
function expectSane(report: any, workload: string, runs: number): void {
  expect(report.error).toBeUndefined();
  expect(validate(report), ajv.errorsText(validate.errors)).toBe(true);
  expect(report.machine).toMatchObject({ browser: expect.stringMatching(/^Chromium/), node: '', memory_gib: null, load_average: null });
  expect(report.machine.user_agent).toMatch(/Chrome\//);
  expect(report.wasmxen).toEqual(buildInfo());
  expect(report.machine.commit).toBe(buildInfo().commit);
  for (const r of report.results) {
    expect(r.workload).toBe(workload);
    // every run balanced (the runner refuses one that does not): all runs' events, each delivered once
    expect(r.sent).toBeGreaterThan(0);
    expect(r.delivered).toBe(r.sent);
    expect(r.runs).toBe(runs);
    expect(r.events_per_s_runs).toHaveLength(runs);
    expect(r.events_per_s).toBeGreaterThan(0);
    // a page cannot read CPU time: said so, never estimated
    expect([r.cpu_ns_per_event, r.cores_busy, r.contended]).toEqual([null, null, null]);
    expect(r.latency_samples).toBeGreaterThan(0);
    expect(r.latency_ns.p50).toBeLessThanOrEqual(r.latency_ns.p99);
    expect(r.latency_ns.p99).toBeLessThanOrEqual(r.latency_ns.max);
  }
}

describe('the bench in headless Chromium', () => {
  it('/?run=bench&workload=fifo-pingpong: every implementation on Web Workers, exported in the bench schema, merged beside Node by `wasmxen merge`', async () => {
    const { page, report, errors, foreign } = await run('/?run=bench&workload=fifo-pingpong&seconds=0.2&runs=2&cores=2', 'bench-pingpong');
    expectSane(report, 'fifo-pingpong', 2);
    expect(report.results.map((r: any) => r.impl)).toEqual(IMPLS);
    expect(report.campaign).toEqual({ kind: 'bench', shapes: ['fifo-pingpong'], impls: IMPLS, runs: 2, seconds: 0.2, warmup_seconds: 0.2, cores: 2 });
    expect(report.shard).toEqual({ index: 1, count: 1 });
    // ratios are this run's own: each against the baseline measured beside it
    const pm = report.results.find((r: any) => r.impl === 'postmessage');
    for (const r of report.results) expect(r.vs.postmessage).toBeCloseTo(r.events_per_s / pm.events_per_s, 9);
    expect(report.results.every((r: any) => r.latency === 'round trip')).toBe(true);
    // the page's table, one row per implementation, its caption saying what was measured and for how long
    expect(await page.locator('#bench-results table tbody tr td:first-child').allTextContents()).toEqual(IMPLS);
    expect(await page.textContent('#bench-results caption')).toMatch(/^fifo-pingpong: median delivered events\/s over 2 run\(s\) of 0\.2 s each \(after a 0\.2 s warm-up\), latency \(round trip\)/);
    // the download is the report
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#bench-download')]);
    expect(download.suggestedFilename()).toMatch(/^wasmxen-bench-fifo-pingpong-Chromium.*\.json$/);
    const browserJson = join(dir, 'browser.json');
    await download.saveAs(browserJson);
    expect(JSON.parse(readFileSync(browserJson, 'utf8'))).toEqual(report);
    expect(errors).toEqual([]);
    expect(foreign).toEqual([]);
    await page.close();

    // the same campaign with Node on this machine, then the real merge CLI over both
    const node = spawnSync(process.execPath, [bin, 'bench', '--workload', 'fifo-pingpong', '--seconds', '0.2', '--runs', '2', '--cores', '2', '--json'],
      { encoding: 'utf8', timeout: 300_000 });
    expect(node.status, node.stderr).toBe(0);
    const nodeJson = join(dir, 'node.json');
    writeFileSync(nodeJson, node.stdout);
    expect(validate(JSON.parse(node.stdout)), ajv.errorsText(validate.errors)).toBe(true);
    const html = join(dir, 'merged.html');
    const m = spawnSync(process.execPath, [bin, 'merge', '--json', '--html', html, nodeJson, browserJson], { encoding: 'utf8', timeout: 60_000 });
    expect(m.status, m.stderr).toBe(0);
    const merged = JSON.parse(m.stdout);
    expect(merged.units).toBe(2 * 4 * 2);
    expect(merged.machines.map((g: any) => g.machine.browser ?? `Node ${g.machine.node}`)).toEqual([`Node ${process.versions.node}`, report.machine.browser]);
    expect(merged.machines[1].shards[0].report.results).toEqual(report.results);
    const page2 = await h.browser.newPage({ viewport: { width: 1400, height: 900 } });
    const mergedHtml = readFileSync(html, 'utf8');
    expect(mergedHtml).toMatch(new RegExp(`<h2>Machine 1: [^<]*Node ${process.versions.node.replace(/\./g, '\\.')}[^<]*</h2>[\\s\\S]*<table>[\\s\\S]*<h2>Machine 2: [^<]*Chromium[^<]*</h2>[\\s\\S]*<table>`));
    expect(mergedHtml).toContain(`Measured in ${report.machine.browser}: a page cannot read CPU time`);
    await page2.setContent(mergedHtml);
    await page2.screenshot({ path: join(ARTIFACTS, 'bench-merged.png'), fullPage: true });
    // both machines' tables list every implementation, the browser's CPU figures as n/a
    const tables = await page2.$$eval('table', (ts) => ts.map((t) => [...t.querySelectorAll('tbody tr')].map((r) => [...r.children].map((c) => c.textContent))));
    expect(tables.map((t) => t.map((r) => r[1]))).toEqual([IMPLS, IMPLS]);
    // the last columns: CPU/event, cores busy, ×reference (none for a data-plane workload)
    expect(tables[1].every((r) => r.at(-2) === 'n/a' && r.at(-3) === 'n/a')).toBe(true);
    await page2.close();
  }, RUN_LIMIT_MS + 300_000);

  it('the stream and IPI workloads run too (the message baselines on the browser\'s MessageChannel), every event once', async () => {
    for (const workload of ['fifo-1to1', 'ipi-storm', '2l-1to1']) {
      const { page, report, errors, foreign } = await run(`/?run=bench&workload=${workload}&seconds=0.1&runs=1&cores=2`, `bench-${workload}`);
      expectSane(report, workload, 1);
      // the JS reference speaks FIFO only: not a cell of the 2-level workload
      expect(report.results.map((r: any) => r.impl)).toEqual(workload.startsWith('2l') ? IMPLS.filter((i) => i !== 'js-reference') : IMPLS);
      expect(errors).toEqual([]);
      expect(foreign).toEqual([]);
      await page.close();
    }
  }, 3 * RUN_LIMIT_MS);

  it('the idle page offers every data-plane workload in its bench form, which starts the run the URL would', async () => {
    const page = await h.browser.newPage();
    await page.goto(h.base);
    await page.waitForFunction(() => document.body.dataset.state === 'idle', null, { timeout: 30_000 });
    const { WORKLOADS } = await import('../../src/bench/workloads/index.ts');
    expect(await page.locator('#bench-workload option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value))).toEqual(WORKLOADS.map((w) => w.name));
    await page.selectOption('#bench-workload', 'virq-timer');
    await page.fill('#bench-form input[name=seconds]', '0.1');
    await page.fill('#bench-form input[name=runs]', '1');
    await Promise.all([page.waitForURL(/\?run=bench&workload=virq-timer&seconds=0\.1&runs=1$/), page.click('#bench-form button[type=submit]')]);
    await page.waitForFunction(() => ['done', 'error'].includes(document.body.dataset.state ?? ''), null, { timeout: RUN_LIMIT_MS });
    const report = JSON.parse((await page.textContent('#report')) ?? '');
    expectSane(report, 'virq-timer', 1);
    expect(report.results.every((r: any) => r.latency === 'raise to handler')).toBe(true);
    await page.close();
  }, RUN_LIMIT_MS + 30_000);

  it('the guest path in the page: guest modules on Web Worker vCPUs, and a service domain on the page\'s runner thread', async () => {
    for (const workload of ['guest-pingpong', 'service-stream']) {
      const { page, report, errors } = await run(`/?run=bench&workload=${workload}&seconds=0.2&runs=1&impls=wasmxen&cores=2`, `bench-${workload}`);
      expect(report.error).toBeUndefined();
      const own = { ...report, results: report.results.filter((r: any) => r.workload === workload) };
      expectSane(own, workload, 1);
      // its same-run reference ran beside it and the ratio is there
      expect(Object.keys(own.results[0].vs_reference)).toHaveLength(1);
      expect(errors).toEqual([]);
      await page.close();
    }
  }, 2 * RUN_LIMIT_MS);

  it('a workload the page cannot run, or bad options, is a page-level error naming what there is', async () => {
    for (const [query, message] of [
      ['/?run=bench&workload=dma', /no browser bench workload 'dma' \(have: fifo-1to1, .*; dma runs with the Node package only\)/],
      ['/?run=bench&workload=fifo-1to1&impls=wasmxen,sockets', /impls must name some of wasmxen, js-reference, postmessage, comlink/],
      ['/?run=bench&workload=fifo-1to1&seconds=61', /seconds must be a number in \(0, 60\]/],
    ] as const) {
      const { page, report } = await run(query, 'bench-refused');
      expect(report.error).toMatch(message);
      expect(await page.isVisible('#error')).toBe(true);
      await page.close();
    }
  });
});
