// Builds everything: the wasm data plane (release and debug targets), the
// safety gate on both, and the esbuild bundles for workers, the CLI and the
// library. `--if-needed` skips the build when every output is newer than
// every input (used by `npm test`).
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, existsSync, mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { checkWasm } from './check-wasm.mjs';
import { readFileSync } from 'node:fs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const wasmOutputs = {
  release: 'build/wasmxen.wasm',
  debug: 'build/wasmxen.debug.wasm',
  stress: 'build/wasmxen.stress.wasm',
};
const wasmTargets = Object.keys(wasmOutputs);

function walk(dir, out = []) {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (/\.(ts|mjs|json)$/.test(name)) out.push(p);
  }
  return out;
}

function newest(files) {
  return Math.max(0, ...files.map((f) => statSync(f).mtimeMs));
}

function entryPoints() {
  const entries = {};
  for (const f of readdirSync(join(root, 'workers'))) {
    if (f.endsWith('.worker.ts')) entries[f.replace(/\.ts$/, '')] = join(root, 'workers', f);
  }
  if (existsSync(join(root, 'src/cli/main.ts'))) entries.cli = join(root, 'src/cli/main.ts');
  // built-in guest modules: every src/guests/*.ts that is not a shared piece (demo-*)
  for (const f of readdirSync(join(root, 'src/guests'))) {
    if (f.endsWith('.ts') && !f.startsWith('demo-')) entries[`guests/${f.replace(/\.ts$/, '')}`] = join(root, 'src/guests', f);
  }
  entries.index = join(root, 'src/index.ts');
  return entries;
}

function outputsOf(entries) {
  return [
    ...Object.values(wasmOutputs).map((f) => join(root, f)),
    ...Object.keys(entries).map((k) => join(root, 'dist', `${k}.js`)),
  ];
}

const ifNeeded = process.argv.includes('--if-needed');
const entries = entryPoints();
const inputs = [
  ...walk(join(root, 'assembly')), ...walk(join(root, 'src')), ...walk(join(root, 'workers')),
  join(root, 'asconfig.json'), join(root, 'scripts/build.mjs'), join(root, 'package.json'),
];
const outputs = outputsOf(entries);
if (ifNeeded && outputs.every(existsSync) && Math.min(...outputs.map((f) => statSync(f).mtimeMs)) > newest(inputs)) {
  process.exit(0);
}

mkdirSync(join(root, 'build'), { recursive: true });
const asc = join(root, 'node_modules/assemblyscript/bin/asc.js');
for (const target of wasmTargets) {
  const r = spawnSync(process.execPath, [asc, '--config', 'asconfig.json', '--target', target], {
    cwd: root, stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (r.status !== 0) {
    console.error(`build: asc --target ${target} failed`);
    process.exit(1);
  }
  const problems = checkWasm(new Uint8Array(readFileSync(join(root, wasmOutputs[target]))));
  if (problems.length > 0) {
    for (const p of problems) console.error(`build: ${wasmOutputs[target]}: ${p}`);
    process.exit(1);
  }
}

await esbuild.build({
  entryPoints: entries,
  outdir: join(root, 'dist'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  mainFields: ['module', 'main'],
  sourcemap: true,
  logLevel: 'warning',
  banner: { js: "import { createRequire as __wasmxenCreateRequire } from 'node:module'; const require = __wasmxenCreateRequire(import.meta.url);" },
});
