// A bench party in a browser: the Web Worker twin of workers/bench.worker.ts.
// It attaches to the machine's memory (wasmxen, JS reference) or to the
// baselines' page, then runs the named party once per request; control over
// comlink, never on the measured path. The message baselines' parties speak
// Node's MessagePort dialect (port.on('message', data), setImmediate): here
// each transferred browser MessagePort is wrapped into that dialect, and
// setImmediate is a MessageChannel macrotask — not setTimeout(0), which
// browsers clamp to 4 ms once nested — so both baselines measure what the
// browser's postMessage costs, not a timer.
import * as Comlink from 'comlink';
import { workerStart } from '../platform/worker.ts';
import { nextMacrotask } from '../platform/macrotask.ts';
import { runRole } from '../bench/roles/index.ts';
import { partyContext } from '../bench/party.ts';
import type { RoleContext, RoleResult } from '../bench/roles/context.ts';
import type { BenchWorkerData, BenchWorkerApi } from '../bench/protocol.ts';

type Listener = (data: unknown) => void;

/** A browser MessagePort as Node's: on/off('message', fn(data)), postMessage, start. */
function nodeDialect(port: MessagePort) {
  const wrapped = new Map<Listener, (ev: MessageEvent) => void>();
  return {
    postMessage: (v: unknown, transfer?: Transferable[]) => port.postMessage(v, transfer ?? []),
    on(_type: 'message', fn: Listener) {
      const l = (ev: MessageEvent) => fn(ev.data);
      wrapped.set(fn, l);
      port.addEventListener('message', l);
      port.start();
    },
    off(_type: 'message', fn: Listener) {
      const l = wrapped.get(fn);
      if (l) { port.removeEventListener('message', l); wrapped.delete(fn); }
    },
    start: () => port.start(),
  };
}

/** setImmediate for a Web Worker (the message baselines' parties use Node's): the next macrotask. */
function installSetImmediate(): void {
  const g = globalThis as unknown as { setImmediate?: (fn: () => void) => void };
  g.setImmediate ??= nextMacrotask;
}

installSetImmediate();
const { data: d, endpoint } = await workerStart<BenchWorkerData>();
const ctx = partyContext(d, (d.ports as unknown as MessagePort[]).map(nodeDialect) as unknown as RoleContext['ports']);

const api: BenchWorkerApi = {
  run: (role: string, args: unknown): Promise<RoleResult> => runRole(ctx, role, args),
};

Comlink.expose(api, endpoint);
