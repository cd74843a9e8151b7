// The one interface the core sees over a thread of its own: a Node
// `worker_threads` Worker or a browser Web Worker (src/platform/host.ts and
// host.browser.ts make them). comlink speaks to both through `endpoint`.
import type { Endpoint } from 'comlink';

export interface WorkerHandle {
  /** comlink's view of the worker (Node: the adapted Worker; browser: the Worker itself) */
  readonly endpoint: Endpoint;
  /** `cb` once, if the worker's code throws uncaught (or its module fails to load) */
  onError(cb: (e: unknown) => void): void;
  /** `cb` once, when the thread ends, with its exit code (a Web Worker, which has no exit event, ends only by terminate(): code 1, as Node's terminate) */
  onExit(cb: (code: number) => void): void;
  /** End the thread; resolves once it has ended (or, in a browser, once it was told to) */
  terminate(): Promise<void>;
}
