// The platform pieces of the bench harness (src/bench/runner.ts), Node side:
// a party's thread started with MessagePorts handed over, a MessageChannel
// between two parties, and the process's CPU time. The browser bundle swaps
// in bench.browser.ts (Web Workers, the browser's MessageChannel, no CPU
// time: a page cannot read it).
import { MessageChannel } from 'node:worker_threads';
import { spawnWorker } from './host.ts';
import type { WorkerHandle } from './types.ts';

/** Start a bench party (dist/bench.worker.js) with `data` as its workerData, `transfer` (its MessagePorts) moved to it. */
export function spawnBenchParty(data: unknown, transfer: unknown[]): WorkerHandle {
  return spawnWorker('bench', data, transfer);
}

/** A channel between two parties: each end is handed to one of them. */
export function partyChannel(): { port1: unknown; port2: unknown } {
  return new MessageChannel();
}

/** User + system CPU seconds of this process so far (every thread); null where it cannot be read. */
export function processCpuSeconds(): number | null {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1e6;
}

