// The only code that compiles build/*.wasm (its bytes come from the platform
// layer: a file in Node, a fetch in a browser). Compile once per process (in
// the main thread), post the WebAssembly.Module and the shared memory to
// workers, and instantiate per thread on that memory.
import { RuntimeCheckError } from '../errors.ts';
import { wasmBytes, wasmLocation, prepareWasmEngine, engineName } from '../platform/host.ts';
import type { DataPlaneExports, WasmBuild } from './exports.ts';
import { G_CANARY } from '../../assembly/shared/layout.ts';

/** waitCanary's result computed by hand (assembly/canary.ts). */
export const CANARY_EXPECT = 168;

const compiled = new Map<WasmBuild, WebAssembly.Module>();

/** Where build `build` is: a file path in Node, a URL in a browser. */
export function wasmFile(build: WasmBuild): string {
  return wasmLocation(build);
}

/** The compiled data plane for `build`, compiled at most once per process. */
export function compileDataPlane(build: WasmBuild = 'release'): WebAssembly.Module {
  let mod = compiled.get(build);
  if (!mod) {
    prepareWasmEngine();
    mod = new WebAssembly.Module(wasmBytes(build));
    compiled.set(build, mod);
  }
  return mod;
}

/**
 * Instantiate `mod` on `memory` in the calling thread and run the wait canary
 * in the global header's scratch area. Throws RuntimeCheckError if this V8
 * miscompiles wasm atomics waits (Liftoff on Node 20 without --no-liftoff).
 */
export function instantiateDataPlane(mod: WebAssembly.Module, memory: WebAssembly.Memory): DataPlaneExports {
  const instance = new WebAssembly.Instance(mod, { env: { memory } });
  const x = instance.exports as unknown as DataPlaneExports;
  const got = x.waitCanary(G_CANARY);
  if (got !== CANARY_EXPECT) {
    throw new RuntimeCheckError(
      `this V8 (${engineName()}) miscompiles wasm atomic waits ` +
      `(canary returned ${got}, expected ${CANARY_EXPECT}); run node with --no-liftoff or use Node >= 22`,
    );
  }
  return x;
}
