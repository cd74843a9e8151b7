// Thin entry point of a litmus/stress party: attach to the shared memory,
// run the named party to completion, report its result or its error.
import { workerStart } from '../src/platform/worker.ts';
import { DataPlane } from '../src/wasm/data-plane.ts';
import { Ctl } from '../src/harness/ctl.ts';
import { PARTIES } from '../src/litmus/registry.ts';

const { data, endpoint } = await workerStart<{
  module: WebAssembly.Module; memory: WebAssembly.Memory; ctl: SharedArrayBuffer;
  party: string; args: unknown; index: number; seed: number; holdStart?: SharedArrayBuffer;
}>();
const { module, memory, ctl, party, args, index, seed, holdStart } = data;

try {
  const fn = PARTIES[party];
  if (!fn) throw new Error(`unknown party '${party}'`);
  const dp = DataPlane.attach(module, memory);
  dp.x.stressSeed((Math.imul(seed, 0x9e3779b1) + index + 1) >>> 0); // this thread's noise stream
  if (holdStart) { // a test staging a slow start (PartySpec.holdStart): word 1 says the hold began, word 0 ends it
    const w = new Int32Array(holdStart);
    Atomics.store(w, 1, 1);
    Atomics.notify(w, 1);
    while (Atomics.load(w, 0) === 0) Atomics.wait(w, 0, 0, 100);
  }
  endpoint.postMessage({ started: true, ok: true }); // the watchdog's stall clock starts when every party has
  const result = await fn({ dp, ctl: new Ctl(ctl), args, index });
  endpoint.postMessage({ ok: true, result });
} catch (e) {
  endpoint.postMessage({ ok: false, error: e instanceof Error ? e.stack ?? e.message : String(e) });
}
