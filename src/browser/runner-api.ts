// What the page asks of its runner worker (src/browser/runner.worker.ts):
// the hypervisor's own thread in a browser. A page's main thread may not
// block (Atomics.wait traps there, and so would the wasm wait canary and the
// data plane's lock waits), so the hypervisor runs in a Web Worker and its
// vCPUs in nested Web Workers; the page only draws what the runner posts.
import type { RunProgress, RunReport } from '../scenarios/default.ts';
import type { DomainSnapshot } from './domain-snapshot.ts';

/** One live update of the default scenario: progress figures and a snapshot of the watched domain. */
export interface DefaultUpdate {
  progress: RunProgress;
  domain?: DomainSnapshot;
}

export interface RunnerApi {
  /** The engine the runner's data plane runs on, e.g. "Chromium (headless) 156.0.7632.0". */
  engine(): string;
  /** Run the default scenario for `seconds`, calling `onUpdate` about every 100 ms with domain `watch`'s state. */
  runDefault(seconds: number, watch: number, onUpdate: (u: DefaultUpdate) => void): Promise<RunReport>;
}
