// The hypervisor's thread in a browser (see runner-api.ts): fetches the wasm
// builds, runs the scenarios the page asks for, and posts live updates.
import * as Comlink from 'comlink';
import { preloadWasm, engineName } from '../platform/host.browser.ts';
import { runDefaultScenario, type RunProgress } from '../scenarios/default.ts';
import type { DataPlane } from '../wasm/data-plane.ts';
import { ConfigError } from '../errors.ts';
import { snapshotDomain } from './domain-snapshot.ts';
import { resolveScenarios, runStress } from '../stress/runner.ts';
import { injectionByName, INJECTIONS } from '../stress/inject.ts';
import { runBench, benchShapes } from '../bench/bench.ts';
import { WORKLOADS } from '../bench/workloads/index.ts';
import { IMPLS } from '../bench/workloads/types.ts';
import { WHOLE } from '../campaign/shard.ts';
import type { RunnerApi, DefaultUpdate, StressPlanEntry } from './runner-api.ts';

function plan(scenario: string | undefined, inject: string | undefined): StressPlanEntry[] {
  if (inject && !injectionByName(inject)) throw new ConfigError(`no injectable bug '${inject}' (have: ${INJECTIONS.map((i) => i.name).join(', ')})`);
  return resolveScenarios(scenario, inject).map((d) => ({
    name: d.name, race: d.race, iteration: d.iteration, never: d.never, evidence: d.evidence.text,
    outcomes: d.outcomes.map((o) => ({ id: o.id, kind: o.kind, text: o.text })),
  }));
}

const api: RunnerApi = {
  engine: () => engineName(),
  async runDefault(seconds, watch, onUpdate) {
    await preloadWasm('release');
    let dp: DataPlane | undefined;
    let vcpus = 0;
    let last: RunProgress | undefined;
    const report = await runDefaultScenario({
      seconds,
      onStart: (hv) => { dp = hv.machine.dp; vcpus = hv.domain(watch).vcpus; },
      onProgress: (progress) => {
        last = progress;
        const u: DefaultUpdate = { progress };
        if (dp) u.domain = snapshotDomain(dp, watch, vcpus);
        void onUpdate(u);
      },
    });
    // the last progress is sampled after every vCPU stopped: the whole run
    return { ...report, live_latency: last!.latency.total };
  },
  stressPlan: plan,
  async runStress(req, onProgress) {
    plan(req.scenario, req.inject);
    await Promise.all([preloadWasm('stress'), preloadWasm('release'), preloadWasm('debug')]);
    const report = await runStress(resolveScenarios(req.scenario, req.inject), {
      seconds: req.seconds, seed: req.seed, inject: req.inject, onProgress: (p) => void onProgress(p),
    });
    // the scenarios' traces are off (no trace mode in the page); everything else is plain data
    return report;
  },
  benchWorkloads: () => WORKLOADS.map((w) => ({ name: w.name, summary: w.summary, latency: w.latency, impls: [...(w.impls ?? IMPLS)] })),
  async runBench(req, onProgress) {
    if (!WORKLOADS.some((w) => w.name === req.workload)) {
      throw new ConfigError(`no browser bench workload '${req.workload}' (have: ${WORKLOADS.map((w) => w.name).join(', ')}; dma runs with the Node package only)`);
    }
    await preloadWasm('release');
    // as `wasmxen bench` (src/cli/bench.ts): warm-up min(0.5, seconds), the whole campaign as shard 1/1
    const warmup = Math.min(0.5, req.seconds);
    const t0 = performance.now();
    const report = await runBench({
      workloads: [req.workload], seconds: req.seconds, runs: req.runs, impls: req.impls, warmupSeconds: warmup, planCores: req.cores, shard: WHOLE,
      onRun: (done, total, label) => void onProgress({ done, total, label, elapsed: (performance.now() - t0) / 1000 }),
    });
    const campaign = {
      kind: 'bench' as const, shapes: benchShapes([req.workload], req.cores), impls: [...req.impls], runs: req.runs, seconds: req.seconds,
      warmup_seconds: warmup, cores: req.cores,
    };
    return { report, campaign };
  },
};

Comlink.expose(api);
