// Node 20's baseline wasm compiler (Liftoff) corrupts locals live across
// memory.atomic.wait32. Turning Liftoff off must happen before the first
// WebAssembly.Module is compiled in the process (compiled code is cached
// process-wide; worker threads share the flag). The canary (assembly/canary.ts)
// verifies it took effect.
import { setFlagsFromString } from 'node:v8';

let applied = false;

export function applyWasmFlags(): void {
  if (applied) return;
  applied = true;
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 22) setFlagsFromString('--no-liftoff');
}
