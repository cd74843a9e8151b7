// The platform pieces of the bench harness in a browser (scripts/build.mjs
// puts this file in place of bench.ts): parties are module Web Workers
// (/assets/bench.worker.js, src/browser/bench.worker.ts) started with the
// same first message as the vCPU workers (worker.browser.ts), their
// MessagePorts transferred with it; a channel is the browser's
// MessageChannel. A page has no way to read CPU time (no process.cpuUsage,
// and performance.measureUserAgentSpecificMemory is about memory): the CPU
// figures of a browser report are null, never estimated.
import type { WorkerHandle } from './types.ts';
import { START_TAG } from './worker.browser.ts';
import { RuntimeCheckError } from '../errors.ts';

export function spawnBenchParty(data: unknown, transfer: unknown[]): WorkerHandle {
  if (!self.crossOriginIsolated) {
    throw new RuntimeCheckError('this page is not cross-origin isolated (COOP/COEP headers missing): bench parties cannot share the memory');
  }
  const worker = new Worker(new URL('/assets/bench.worker.js', self.location.href), { type: 'module', name: 'wasmxen bench party' });
  worker.postMessage({ tag: START_TAG, data }, transfer as Transferable[]);
  const exits: ((code: number) => void)[] = [];
  let ended = false;
  return {
    endpoint: worker,
    onError: (cb) => {
      let once = false;
      const fire = (e: unknown) => { if (!once) { once = true; cb(e); } };
      worker.addEventListener('error', (ev) => { ev.preventDefault(); fire(new Error(`bench party: ${ev.message || 'failed to load'}`)); });
      worker.addEventListener('messageerror', () => fire(new Error('bench party: a message could not be deserialized')));
    },
    onExit: (cb) => { if (ended) cb(1); else exits.push(cb); },
    terminate: async () => {
      if (ended) return;
      ended = true;
      worker.terminate();
      for (const cb of exits.splice(0)) cb(1);
    },
  };
}

export function partyChannel(): { port1: unknown; port2: unknown } {
  return new MessageChannel();
}

/** A page cannot read CPU time: null (the report's CPU figures are null). */
export function processCpuSeconds(): number | null {
  return null;
}

export const CPU_TIME_SOURCE = 'not available in a browser (a page cannot read CPU time)';
