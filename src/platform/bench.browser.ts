// The platform pieces of the bench harness in a browser (scripts/build.mjs
// puts this file in place of bench.ts): parties are module Web Workers
// (/assets/bench.worker.js, src/browser/bench.worker.ts) started with the
// same first message as the vCPU workers (worker.browser.ts), their
// MessagePorts transferred with it; a channel is the browser's
// MessageChannel. A page has no way to read CPU time (no process.cpuUsage,
// and performance.measureUserAgentSpecificMemory is about memory): the CPU
// figures of a browser report are null, never estimated.
import type { WorkerHandle } from './types.ts';
import { spawnWorker } from './host.browser.ts';

/** Start a bench party (/assets/bench.worker.js) with `data`, `transfer` (its MessagePorts) moved to it. */
export function spawnBenchParty(data: unknown, transfer: unknown[]): WorkerHandle {
  return spawnWorker('bench', data, transfer);
}

export function partyChannel(): { port1: unknown; port2: unknown } {
  return new MessageChannel();
}

/** A page cannot read CPU time: null (the report's CPU figures are null). */
export function processCpuSeconds(): number | null {
  return null;
}

