// Locating the package's shipped files (build/*.wasm, dist/*.worker.js …)
// from source (src/…), from the ESM bundles (dist/*.js) and from the
// CommonJS bundle (dist/index.cjs) alike: walk up from this module to the
// directory whose package.json names the package.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BuildMissingError, RuntimeCheckError } from './errors.ts';

let cachedRoot: string | undefined;

function isPackageRoot(dir: string): boolean {
  const pkg = join(dir, 'package.json');
  if (!existsSync(pkg)) return false;
  try {
    return (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'wasmxen';
  } catch {
    return false;
  }
}

/** The package's root directory (where package.json, build/ and dist/ are). */
export function projectRoot(): string {
  if (cachedRoot) return cachedRoot;
  const self = fileURLToPath(import.meta.url);
  for (let dir = dirname(self); ; ) {
    if (isPackageRoot(dir)) return (cachedRoot = dir);
    const up = dirname(dir);
    if (up === dir) throw new RuntimeCheckError(`cannot find the wasmxen package root (its package.json) above ${self}`);
    dir = up;
  }
}

/** Path of a bundled worker, e.g. workerPath('vcpu') → dist/vcpu.worker.js. */
export function workerPath(name: string): string {
  const p = join(projectRoot(), 'dist', `${name}.worker.js`);
  if (!existsSync(p)) throw new BuildMissingError(p, `the ${name} worker bundle`);
  return p;
}

/** Path of a built-in guest module, e.g. guestModulePath('frontend') → dist/guests/frontend.js. */
export function guestModulePath(name: string): string {
  const p = join(projectRoot(), 'dist', 'guests', `${name}.js`);
  if (!existsSync(p)) throw new BuildMissingError(p, `the built-in guest module '${name}'`);
  return p;
}

/** Path of a built-in Xen consumer module ('monitor', 'console'), or `name` itself if it is a path. */
export function consumerModulePath(name: string): string {
  if (name.includes('/') || name.endsWith('.js')) return name;
  const p = join(projectRoot(), 'dist', 'consumers', `${name}.js`);
  if (!existsSync(p)) throw new BuildMissingError(p, `the built-in consumer '${name}'`);
  return p;
}
