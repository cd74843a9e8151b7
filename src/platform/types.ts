// The one interface the core sees over a thread of its own: a Node
// `worker_threads` Worker or a browser Web Worker (src/platform/host.ts and
// host.browser.ts make them). comlink speaks to both through `endpoint`.
import type { Endpoint } from 'comlink';

export interface WorkerHandle {
  /** comlink's view of the worker (Node: the adapted Worker; browser: the Worker itself) */
  readonly endpoint: Endpoint;
  /** `cb` once, if the worker's code throws uncaught (or its module fails to load) */
  onError(cb: (e: unknown) => void): void;
  /** `cb` once, if the thread ends (Node: its exit code; a Web Worker has no exit event and never calls it) */
  onExit(cb: (code: number) => void): void;
  /** End the thread; resolves once it has ended (or, in a browser, once it was told to) */
  terminate(): Promise<void>;
}
