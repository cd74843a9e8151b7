// The worker side of the platform layer, Node: a worker entry's data and the
// endpoint comlink exposes its API on (the browser bundle swaps in
// worker.browser.ts, where both come from the page's first message).
import { parentPort, workerData } from 'node:worker_threads';
import type { Endpoint } from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';

/** This worker's start data (what spawnWorker was given) and its endpoint to the spawning thread. */
export function workerStart<T>(): Promise<{ data: T; endpoint: Endpoint }> {
  return Promise.resolve({ data: workerData as T, endpoint: nodeEndpoint(parentPort!) });
}

/** Let queued messages (comlink calls) run between two stretches of blocking work. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}
