// The page's script: checks that the page is cross-origin isolated (the
// shared memory needs COOP/COEP), starts the run the URL names
// (?run=default&seconds=S, ?run=stress&scenario=NAME&inject=BUG,
// ?run=bench&workload=NAME&seconds=S&runs=N) in the runner worker, draws its
// live updates and puts the final report, as JSON, in #report (a bench run's
// in the `wasmxen bench --json` schema).
import * as Comlink from 'comlink';
import type { RunnerApi } from './runner-api.ts';
import { DefaultView } from './default-view.ts';
import { drawDomain } from './domain-view.ts';
import { StressView } from './stress-view.ts';
import { BenchView } from './bench-view.ts';
import { IMPLS, type ImplName } from '../bench/workloads/types.ts';
import type { BuildInfo } from '../campaign/provenance.ts';
import { $ } from './dom.ts';

const MAX_SECONDS = 3600;
const WATCHED_DOMAIN = 2;

function fail(message: string): void {
  const e = $('error');
  e.textContent = message;
  e.setAttribute('data-shown', '');
  $('status').textContent = 'Stopped: see the error above.';
  if ($('engine').textContent === 'Engine: (checking)') $('engine').textContent = 'Engine: not started.';
  $('report').textContent = JSON.stringify({ error: message });
  document.body.dataset.state = 'error';
}

async function runDefault(runner: Comlink.Remote<RunnerApi>, engine: string, seconds: number): Promise<void> {
  const view = new DefaultView(seconds);
  $('status').textContent = `Starting the default scenario for ${seconds} s…`;
  const report = await runner.runDefault(seconds, WATCHED_DOMAIN, Comlink.proxy((u) => {
    view.update(u.progress);
    if (u.domain) drawDomain(u.domain, u.progress.elapsed);
  }));
  view.final(report, engine);
  $('report').textContent = JSON.stringify({ run: 'default', engine, ...report }, null, 2);
  $('status').textContent = `Done: default scenario, ${report.seconds.toFixed(2)} s, ${report.delivered.toLocaleString('en-US')} events delivered.`;
  document.body.dataset.state = 'done';
}

async function runStressPage(runner: Comlink.Remote<RunnerApi>, engine: string, q: URLSearchParams): Promise<void> {
  const seconds = Number(q.get('seconds') ?? '2');
  if (!(seconds > 0 && seconds <= MAX_SECONDS)) { fail(`seconds must be a number in (0, ${MAX_SECONDS}], not ${q.get('seconds')}`); return; }
  const seedParam = q.get('seed');
  const seed = seedParam === null ? crypto.getRandomValues(new Uint32Array(1))[0] : Number(seedParam);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) { fail(`seed must be a whole number in 0..4294967295, not ${seedParam}`); return; }
  const req = { scenario: q.get('scenario') ?? undefined, inject: q.get('inject') ?? undefined, seconds, seed };
  const plan = await runner.stressPlan(req.scenario, req.inject);
  const view = new StressView(plan, req);
  const r = await runner.runStress(req, Comlink.proxy((p) => view.update(p)));
  view.final(r);
  $('report').textContent = JSON.stringify({
    run: 'stress', engine, verdict: r.verdict, inject: r.inject, detected: r.detected, seed: r.seed, seconds_requested: seconds,
    scenarios: r.scenarios.map((s) => ({
      name: s.name, verdict: s.verdict, ...(s.hint ? { hint: s.hint } : {}), iterations: s.iterations, outcomes: s.outcomes,
      forbidden: s.forbidden, watchdog: s.watchdog, seconds: Number(s.seconds.toFixed(3)), rate: Math.round(s.rate),
      ...(s.failure ? { failure: { kind: s.failure.kind, outcome: s.failure.outcome, detail: s.failure.detail.split('\n')[0], iteration: s.failure.iteration, at_seconds: Number(s.failure.atSeconds.toFixed(3)) } } : {}),
    })),
  }, null, 2);
  $('status').textContent = `Done: stress, verdict ${r.verdict}${r.inject ? `, injected bug ${r.detected ? 'caught' : 'not caught'}` : ''}.`;
  document.body.dataset.state = 'done';
}

/** `wasmxen bench`'s bounds (src/cli/bench.ts): each run's counters are 32-bit; a median needs no more runs. */
const BENCH_MAX_SECONDS = 60;
const BENCH_MAX_RUNS = 1000;
const BENCH_MAX_CORES = 256;

async function runBenchPage(runner: Comlink.Remote<RunnerApi>, engine: string, q: URLSearchParams): Promise<void> {
  const workloads = await runner.benchWorkloads();
  const name = q.get('workload') ?? 'fifo-1to1';
  const w = workloads.find((x) => x.name === name);
  if (!w) { fail(`no browser bench workload '${name}' (have: ${workloads.map((x) => x.name).join(', ')}; dma runs with the Node package only)`); return; }
  const seconds = Number(q.get('seconds') ?? '1');
  if (!(seconds > 0 && seconds <= BENCH_MAX_SECONDS)) { fail(`seconds must be a number in (0, ${BENCH_MAX_SECONDS}], not ${q.get('seconds')}`); return; }
  const runs = Number(q.get('runs') ?? '3');
  if (!Number.isInteger(runs) || runs < 1 || runs > BENCH_MAX_RUNS) { fail(`runs must be a whole number in 1..${BENCH_MAX_RUNS}, not ${q.get('runs')}`); return; }
  const cores = Number(q.get('cores') ?? String(navigator.hardwareConcurrency));
  if (!Number.isInteger(cores) || cores < 1 || cores > BENCH_MAX_CORES) { fail(`cores must be a whole number in 1..${BENCH_MAX_CORES}, not ${q.get('cores')}`); return; }
  const implParam = q.get('impls');
  const impls = (implParam === null ? [...IMPLS] : implParam.split(',').map((s) => s.trim()).filter(Boolean)) as ImplName[];
  const unknown = impls.filter((i) => !(IMPLS as readonly string[]).includes(i));
  if (impls.length === 0 || unknown.length) { fail(`impls must name some of ${IMPLS.join(', ')}, not ${implParam}`); return; }
  const res = await fetch(new URL('/build-info.json', location.href));
  if (!res.ok) { fail(`the server did not say which build it serves (/build-info.json: HTTP ${res.status}); serve the page with \`wasmxen serve\``); return; }
  const wasmxen = await res.json() as BuildInfo;
  const req = { workload: name, seconds, runs, impls, cores };
  const view = new BenchView(w, req, engine);
  $('status').textContent = `Starting bench ${name}…`;
  const { report, campaign } = await runner.runBench(req, Comlink.proxy((p) => view.update(p)));
  // the same object `wasmxen bench --json` prints (src/cli/bench.ts), the machine being this browser
  const exported = { kind: 'bench', ...report, machine: { ...report.machine, commit: wasmxen.commit }, campaign, shard: { index: 1, count: 1 }, wasmxen };
  const file = `wasmxen-bench-${name}-${engine.replace(/[^\w.]+/g, '-')}.json`;
  view.final(report, exported, file);
  $('report').textContent = JSON.stringify(exported, null, 2);
  $('status').textContent = `Done: bench ${name}, ${report.results.length} result(s), every event delivered exactly once.`;
  document.body.dataset.state = 'done';
}

async function main(): Promise<void> {
  if (!self.crossOriginIsolated) {
    fail('This page is not cross-origin isolated, so it cannot share WebAssembly memory with Web Workers. '
      + 'Serve it with `wasmxen serve` (which sends Cross-Origin-Opener-Policy: same-origin and '
      + 'Cross-Origin-Embedder-Policy: require-corp), and open it from that server\'s address.');
    return;
  }
  const runner = Comlink.wrap<RunnerApi>(new Worker(new URL('/assets/runner.worker.js', location.href), { type: 'module', name: 'wasmxen hypervisor' }));
  const engine = await runner.engine();
  $('engine').textContent = `Engine: ${engine}; hypervisor in a Web Worker, one Web Worker per vCPU, one shared WebAssembly.Memory.`;
  // the bench form offers every workload the runner has (each option's title is its summary)
  const select = $('bench-workload') as HTMLSelectElement;
  for (const w of await runner.benchWorkloads()) {
    const o = document.createElement('option');
    o.value = w.name;
    o.textContent = w.name;
    o.title = `${w.summary}; latency: ${w.latency}`;
    select.append(o);
  }
  const q = new URLSearchParams(location.search);
  const run = q.get('run');
  if (run === null) { document.body.dataset.state = 'idle'; return; }
  if (run === 'default') {
    const seconds = Number(q.get('seconds') ?? '5');
    if (!(seconds > 0 && seconds <= MAX_SECONDS)) { fail(`seconds must be a number in (0, ${MAX_SECONDS}], not ${q.get('seconds')}`); return; }
    await runDefault(runner, engine, seconds);
    return;
  }
  if (run === 'stress') { await runStressPage(runner, engine, q); return; }
  if (run === 'bench') { await runBenchPage(runner, engine, q); return; }
  fail(`unknown run '${run}': use run=default, run=stress or run=bench`);
}

main().catch((e: unknown) => fail(`The run failed: ${e instanceof Error ? e.message : String(e)}`));
