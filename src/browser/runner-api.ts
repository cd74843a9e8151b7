// What the page asks of its runner worker (src/browser/runner.worker.ts):
// the hypervisor's own thread in a browser. A page's main thread may not
// block (Atomics.wait traps there, and so would the wasm wait canary and the
// data plane's lock waits), so the hypervisor runs in a Web Worker and its
// vCPUs in nested Web Workers; the page only draws what the runner posts.
import type { RunProgress } from '../scenarios/default.ts';
import type { RunReport } from '../scenarios/run-report.ts';
import type { LivePercentiles } from '../guests/demo-live-latency.ts';

/** The default scenario's report in the page: with the live histogram's reading over the whole run (its samples are the events delivered). */
export type PageRunReport = RunReport & { live_latency: LivePercentiles };
import type { DomainSnapshot } from './domain-snapshot.ts';
import type { StressProgress, StressReport } from '../stress/runner.ts';
import type { BenchReport } from '../bench/bench.ts';
import type { BenchCampaign } from '../campaign/bench-plan.ts';
import type { ImplName } from '../bench/workloads/types.ts';

/** What `?run=bench` asks for: one workload, as `wasmxen bench --workload NAME --seconds S --runs N --impl … --cores C` would. */
export interface BenchRequest {
  workload: string;
  seconds: number;
  runs: number;
  impls: ImplName[];
  /** the core count the scaling workloads are planned for (fan-in: 1..cores senders) */
  cores: number;
}

/** A bench run's progress: runs finished (warm-ups included) of the runs planned, and the cell running. */
export interface BenchProgress { done: number; total: number; label: string; elapsed: number }

/** The workloads a browser can run, with what they time. */
export interface BenchWorkloadInfo { name: string; summary: string; latency: string; impls: string[] }

/** One live update of the default scenario: progress figures and a snapshot of the watched domain. */
export interface DefaultUpdate {
  progress: RunProgress;
  domain?: DomainSnapshot;
}

/** A stress scenario as the page shows it (the definition minus its code). */
export interface StressPlanEntry {
  name: string;
  race: string;
  iteration: string;
  never: string;
  /** what proves the race happened */
  evidence: string;
  outcomes: { id: string; kind: 'acceptable' | 'interesting' | 'forbidden'; text: string }[];
}

/** What `?run=stress` asks for. */
export interface StressRequest {
  scenario?: string;
  inject?: string;
  seconds: number;
  seed: number;
}

export interface RunnerApi {
  /** The engine the runner's data plane runs on, e.g. "Chromium (headless) 156.0.7632.0". */
  engine(): string;
  /** Run the default scenario for `seconds`, calling `onUpdate` about every 100 ms with domain `watch`'s state. */
  runDefault(seconds: number, watch: number, onUpdate: (u: DefaultUpdate) => void): Promise<PageRunReport>;
  /** The scenarios a stress request runs (throws, with the names there are, on an unknown scenario or bug). */
  stressPlan(scenario: string | undefined, inject: string | undefined): StressPlanEntry[];
  /** Run them on the stress build (Web Workers as parties), calling `onProgress` about every 100 ms; failures' details cut to what is cloneable. */
  runStress(req: StressRequest, onProgress: (p: StressProgress) => void): Promise<StressReport>;
  /** The data-plane bench workloads (not dma: the device model's workload stays with the Node package). */
  benchWorkloads(): BenchWorkloadInfo[];
  /** Run one bench workload on Web Workers; resolves with the report (machine from navigator) and its campaign. */
  runBench(req: BenchRequest, onProgress: (p: BenchProgress) => void): Promise<{ report: BenchReport; campaign: BenchCampaign }>;
}
