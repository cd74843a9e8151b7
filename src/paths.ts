// Locating the project's build outputs from source (src/…) and from bundles
// (dist/…) alike: walk up from the calling module to the package root.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cachedRoot: string | undefined;

export function projectRoot(): string {
  if (cachedRoot) return cachedRoot;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'asconfig.json')) && existsSync(join(dir, 'package.json'))) {
      cachedRoot = dir;
      return dir;
    }
    const up = dirname(dir);
    if (up === dir) throw new Error('wasmxen: cannot find the package root (asconfig.json) above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
}

/** Path of a bundled worker, e.g. workerPath('vcpu') → dist/vcpu.worker.js. */
export function workerPath(name: string): string {
  const p = join(projectRoot(), 'dist', `${name}.worker.js`);
  if (!existsSync(p)) throw new Error(`wasmxen: ${p} is missing; run \`npm run build\``);
  return p;
}

/** Path of a built-in guest module, e.g. guestModulePath('frontend') → dist/guests/frontend.js. */
export function guestModulePath(name: string): string {
  const p = join(projectRoot(), 'dist', 'guests', `${name}.js`);
  if (!existsSync(p)) throw new Error(`wasmxen: no built-in guest module '${name}' (${p}); run \`npm run build\``);
  return p;
}

/** Path of a built-in Xen consumer module ('monitor', 'console'), or `name` itself if it is a path. */
export function consumerModulePath(name: string): string {
  if (name.includes('/') || name.endsWith('.js')) return name;
  const p = join(projectRoot(), 'dist', 'consumers', `${name}.js`);
  if (!existsSync(p)) throw new Error(`wasmxen: no built-in consumer '${name}' (${p}); run \`npm run build\``);
  return p;
}
