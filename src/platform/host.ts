// The platform layer, Node side (the browser bundle swaps in host.browser.ts,
// scripts/build.mjs): everything the core does that differs between Node and
// a browser — starting threads, finding the wasm bytes, guest and consumer
// modules, reporting survived failures — is a function here with the same
// signature in both files. Only files under src/platform/ and src/paths.ts
// import Node's built-ins for the core.
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { readFileSync, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { workerPath, guestModulePath, consumerModulePath, projectRoot } from '../paths.ts';
import { BuildMissingError } from '../errors.ts';
import { applyWasmFlags } from '../wasm/flags.ts';
import type { WasmBuild } from '../wasm/exports.ts';
import type { WorkerHandle } from './types.ts';

export const PLATFORM = 'node' as const;

/** Start the bundled worker `name` (dist/<name>.worker.js) with `data` as its workerData. */
export function spawnWorker(name: string, data: unknown, transfer: unknown[] = []): WorkerHandle {
  const worker = new Worker(workerPath(name), { workerData: data, transferList: transfer as never[] });
  return {
    endpoint: nodeEndpoint(worker),
    onError: (cb) => void worker.once('error', cb),
    onExit: (cb) => void worker.once('exit', cb),
    terminate: async () => { await worker.terminate(); },
  };
}

/** Where build `build` of the data plane is (a file path). */
export function wasmLocation(build: WasmBuild): string {
  return `${projectRoot()}/build/${build === 'release' ? 'wasmxen.wasm' : `wasmxen.${build}.wasm`}`;
}

/** The bytes of build `build` of the data plane; BuildMissingError when it was not built. */
export function wasmBytes(build: WasmBuild): Uint8Array<ArrayBuffer> {
  try {
    return new Uint8Array(readFileSync(wasmLocation(build)));
  } catch {
    throw new BuildMissingError(wasmLocation(build), `the ${build} wasm build`);
  }
}

/** Engine flags that must be set before the first module is compiled (Node 20: --no-liftoff, src/wasm/flags.ts). */
export function prepareWasmEngine(): void {
  applyWasmFlags();
}

/** The JavaScript engine, for messages: "Node 22.3.0". */
export function engineName(): string {
  return `Node ${process.versions.node}`;
}

/** The built-in guest module `name` as DomainSpec.guest takes it (a file path). */
export function builtinGuest(name: string): string {
  return guestModulePath(name);
}

/** The built-in consumer `name` (or `name` itself if it is a path) as a loadable module location. */
export function builtinConsumer(name: string): string {
  return consumerModulePath(name);
}

/** A module location (file path or file: URL) as import() takes it. */
export function moduleUrl(location: string): string {
  return location.startsWith('file:') ? location : pathToFileURL(location).href;
}

/** Why module `location` cannot be loaded (not a file: URL, no such file), or undefined if it looks loadable. */
export function moduleProblem(location: string): string | undefined {
  let file: string;
  try {
    file = location.startsWith('file:') ? fileURLToPath(location) : resolve(location);
  } catch {
    return `${location} is not a file: URL`;
  }
  return existsSync(file) ? undefined : `${file} does not exist`;
}

/** Let queued work (comlink calls, other timers) run before continuing. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}

/** Let `t` not keep the process alive (a watchdog's late look must not delay exit). */
export function unrefTimer(t: ReturnType<typeof setTimeout>): void {
  t.unref();
}

/** A failure the library survived and has nobody to give it to: a process warning. */
export function warn(e: Error | string): void {
  process.emitWarning(e);
}

/** The cores this process may run threads on (0 if unknown). */
export function hostCores(): number {
  return availableParallelism();
}
