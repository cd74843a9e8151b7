// Build what is missing (wasm, safety gate, worker bundles) before any test:
// code under test spawns dist/*.worker.js, which vitest does not transform.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const script = fileURLToPath(new URL('../scripts/build.mjs', import.meta.url));
  const r = spawnSync(process.execPath, [script, '--if-needed'], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('build failed: see the output above');
}
