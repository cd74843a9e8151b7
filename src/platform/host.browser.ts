// The platform layer in a browser page (scripts/build.mjs puts this file in
// place of host.ts in the browser bundle). The server (src/cli/serve.ts)
// serves the browser bundle under /assets/ and the wasm builds under /wasm/;
// the wasm bytes are fetched before the first hypervisor is made
// (preloadWasm), because compiling the data plane stays synchronous.
// Web Workers need a cross-origin-isolated page for the shared memory.
import { BuildMissingError, RuntimeCheckError } from '../errors.ts';
import type { WasmBuild } from '../wasm/exports.ts';
import type { WorkerHandle } from './types.ts';
import { START_TAG } from './worker.browser.ts';
import { nextMacrotask } from './macrotask.ts';

export const PLATFORM = 'browser' as const;

const assets = () => new URL('/assets/', self.location.href);
const fetched = new Map<WasmBuild, Uint8Array<ArrayBuffer>>();

/** Start worker `name` (/assets/<name>.worker.js, a module worker) and post it `data`. */
export function spawnWorker(name: string, data: unknown, transfer: unknown[] = []): WorkerHandle {
  if (!self.crossOriginIsolated) {
    throw new RuntimeCheckError('this page is not cross-origin isolated (COOP/COEP headers missing): vCPU workers cannot share the memory');
  }
  const worker = new Worker(new URL(`${name}.worker.js`, assets()), { type: 'module', name: `wasmxen ${name}` });
  worker.postMessage({ tag: START_TAG, data }, transfer as Transferable[]);
  // A Web Worker has no exit event: it ends only when terminated, and then the exit callbacks run (code 1, as Node reports a terminated worker).
  const exits: ((code: number) => void)[] = [];
  let ended = false;
  return {
    endpoint: worker,
    onError: (cb) => {
      let once = false;
      const fire = (e: unknown) => { if (!once) { once = true; cb(e); } };
      worker.addEventListener('error', (ev) => { ev.preventDefault(); fire(new Error(`worker ${name}: ${ev.message || 'failed to load'}`)); });
      worker.addEventListener('messageerror', () => fire(new Error(`worker ${name}: a message could not be deserialized`)));
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

/** Where build `build` of the data plane is served. */
export function wasmLocation(build: WasmBuild): string {
  return new URL(`/wasm/${build === 'release' ? 'wasmxen.wasm' : `wasmxen.${build}.wasm`}`, self.location.href).href;
}

/** Fetch build `build` so that the synchronous compile (compileDataPlane) finds it. */
export async function preloadWasm(build: WasmBuild = 'release'): Promise<void> {
  if (fetched.has(build)) return;
  const res = await fetch(wasmLocation(build));
  if (!res.ok) throw new BuildMissingError(wasmLocation(build), `the ${build} wasm build (HTTP ${res.status})`);
  fetched.set(build, new Uint8Array(await res.arrayBuffer()));
}

/** The bytes of build `build`, fetched earlier by preloadWasm. */
export function wasmBytes(build: WasmBuild): Uint8Array<ArrayBuffer> {
  const b = fetched.get(build);
  if (!b) throw new BuildMissingError(wasmLocation(build), `the ${build} wasm build (call preloadWasm('${build}') first)`);
  return b;
}

/** Nothing to set: Chromium's Liftoff compiles wasm atomic waits right (the wait canary still checks). */
export function prepareWasmEngine(): void {}

/** The JavaScript engine, for messages and bench records: "Chromium 156.0.0.0". */
export function engineName(): string {
  const ua = self.navigator.userAgent;
  const m = /(HeadlessChrome|Chrome|Chromium|Firefox|Version)\/([\d.]+)/.exec(ua);
  if (!m) return ua;
  const name = m[1] === 'HeadlessChrome' ? 'Chromium (headless)' : m[1] === 'Version' ? 'Safari' : m[1];
  return `${name} ${m[2]}`;
}

/** The built-in guest module `name`, as a URL. */
export function builtinGuest(name: string): string {
  return new URL(`guests/${name}.js`, assets()).href;
}

/** The built-in consumer `name` as a URL (a name with a slash or .js is taken as a URL already). */
export function builtinConsumer(name: string): string {
  if (name.includes('/') || name.endsWith('.js')) return new URL(name, self.location.href).href;
  return new URL(`consumers/${name}.js`, assets()).href;
}

/** A module location as import() takes it: resolved against the page. */
export function moduleUrl(location: string): string {
  return new URL(location, self.location.href).href;
}

/** A browser cannot check a URL synchronously: a module that fails to load crashes its vCPU (reported at once). */
export function moduleProblem(location: string): string | undefined {
  try {
    void new URL(location, self.location.href);
    return undefined;
  } catch {
    return `${location} is not a URL`;
  }
}

/** Let queued work (comlink calls, other timers) run before continuing (macrotask.ts: not a clamped setTimeout). */
export function yieldToEventLoop(): Promise<void> {
  return new Promise<void>((resolve) => nextMacrotask(resolve));
}

/** A page has no process to keep alive: nothing to do. */
export function unrefTimer(_t: ReturnType<typeof setTimeout>): void {}

/** A failure the library survived and has nobody to give it to: the console. */
export function warn(e: Error | string): void {
  console.warn(e);
}

/** The cores this page may run workers on (0 if unknown). */
export function hostCores(): number {
  return navigator.hardwareConcurrency ?? 0;
}
