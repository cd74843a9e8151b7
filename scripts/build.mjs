// Builds everything: the wasm data plane (release, debug and stress targets,
// and layout2: the release build with private-region layout version 2),
// the safety gate on each, the esbuild bundles (workers, the CLI, built-in
// guests and consumers, and the library: the core `wasmxen` as ESM and
// CommonJS, the harness subpaths as ESM sharing the core's chunks), and the
// type declarations (dist/types for import, dist/types-cjs for require).
// `--if-needed` skips the build when every output is newer than every input
// (used by `npm test`). The browser bundle (dist/browser/, served by
// `wasmxen serve`) is built from the same sources with src/platform/*.browser.ts
// in place of their Node siblings.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, existsSync, mkdirSync, rmSync, renameSync, readFileSync, writeFileSync, cpSync } from 'node:fs';
import { join, dirname, relative, resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { checkWasm } from './check-wasm.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const wasmOutputs = {
  release: 'build/wasmxen.wasm',
  debug: 'build/wasmxen.debug.wasm',
  stress: 'build/wasmxen.stress.wasm',
  layout2: 'build/wasmxen.layout2.wasm',
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
  // built-in Xen consumers: every src/consumers/builtin/*.ts
  for (const f of readdirSync(join(root, 'src/consumers/builtin'))) {
    if (f.endsWith('.ts')) entries[`consumers/${f.replace(/\.ts$/, '')}`] = join(root, 'src/consumers/builtin', f);
  }
  // built-in guest modules: every src/guests/*.ts that is not a shared piece (demo-*)
  for (const f of readdirSync(join(root, 'src/guests'))) {
    if (f.endsWith('.ts') && !f.startsWith('demo-')) entries[`guests/${f.replace(/\.ts$/, '')}`] = join(root, 'src/guests', f);
  }
  Object.assign(entries, libraryEntries);
  return entries;
}

// The package's library entry points (package.json "exports"): the core and the harness subpaths.
const libraryEntries = {
  index: join(root, 'src/index.ts'),
  bench: join(root, 'src/bench/index.ts'),
  stress: join(root, 'src/stress/index.ts'),
  dm: join(root, 'src/dm/index.ts'),
  model: join(root, 'src/model/index.ts'),
};

// The browser bundle's entry points (dist/browser/): the page, the vCPU
// worker, and the built-in guests and consumers the page's scenarios load.
const browserEntries = {
  page: join(root, 'src/browser/page.ts'),
  'runner.worker': join(root, 'src/browser/runner.worker.ts'),
  'vcpu.worker': join(root, 'workers/vcpu.worker.ts'),
  'bench.worker': join(root, 'src/browser/bench.worker.ts'),
  'litmus.worker': join(root, 'workers/litmus.worker.ts'),
  'dm.worker': join(root, 'workers/dm.worker.ts'),
  'guests/frontend': join(root, 'src/guests/frontend.ts'),
  'guests/backend': join(root, 'src/guests/backend.ts'),
  'consumers/monitor': join(root, 'src/consumers/builtin/monitor.ts'),
  'consumers/console': join(root, 'src/consumers/builtin/console.ts'),
};
const browserStatic = ['index.html'];

function outputsOf(entries) {
  return [
    ...Object.keys(browserEntries).map((k) => join(root, 'dist/browser', `${k}.js`)),
    ...browserStatic.map((f) => join(root, 'dist/browser', f)),
    ...Object.values(wasmOutputs).map((f) => join(root, f)),
    ...Object.keys(entries).map((k) => join(root, 'dist', `${k}.js`)),
    join(root, 'dist/index.cjs'),
    ...Object.keys(libraryEntries).map((k) => join(root, 'dist/types/src', k === 'index' ? 'index.d.ts' : `${k}/index.d.ts`)),
    join(root, 'dist/types-cjs/src/index.d.ts'),
  ];
}

// One build at a time (parallel test runs and tools share build/ and dist/):
// a lock directory, taken over when older than two minutes.
const lockDir = join(root, 'build', '.lock');
mkdirSync(join(root, 'build'), { recursive: true });
for (let waited = 0; ; waited += 100) {
  try {
    mkdirSync(lockDir);
    break;
  } catch {
    let age = 0;
    try { age = Date.now() - statSync(lockDir).mtimeMs; } catch { continue; }
    if (age > 120_000) { rmSync(lockDir, { recursive: true, force: true }); continue; }
    await new Promise((r) => setTimeout(r, 100));
  }
}
const releaseLock = () => rmSync(lockDir, { recursive: true, force: true });
process.on('exit', releaseLock);

const ifNeeded = process.argv.includes('--if-needed');
const entries = entryPoints();
const inputs = [
  ...walk(join(root, 'assembly')), ...walk(join(root, 'src')), ...walk(join(root, 'workers')),
  ...browserStatic.map((f) => join(root, 'src/browser', f)),
  join(root, 'asconfig.json'), join(root, 'scripts/build.mjs'), join(root, 'package.json'), join(root, 'tsconfig.build.json'),
];
const outputs = outputsOf(entries);
if (ifNeeded && outputs.every(existsSync) && Math.min(...outputs.map((f) => statSync(f).mtimeMs)) > newest(inputs)) {
  process.exit(0);
}

const asc = join(root, 'node_modules/assemblyscript/bin/asc.js');
const tmp = join(root, 'build', `.tmp-${process.pid}`);
mkdirSync(tmp, { recursive: true });
for (const target of wasmTargets) {
  // compile beside, check, then rename into place: a reader never sees a half-written module
  const out = join(tmp, 'out.wasm');
  const r = spawnSync(process.execPath, [asc, '--config', 'asconfig.json', '--target', target, '--outFile', out,
    '--textFile', join(tmp, 'out.wat')], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) {
    console.error(`build: asc --target ${target} failed`);
    process.exit(1);
  }
  const problems = checkWasm(new Uint8Array(readFileSync(out)));
  if (problems.length > 0) {
    for (const p of problems) console.error(`build: ${wasmOutputs[target]}: ${p}`);
    process.exit(1);
  }
  renameSync(join(tmp, 'out.wat'), join(root, wasmOutputs[target].replace(/\.wasm$/, '.wat')));
  renameSync(out, join(root, wasmOutputs[target]));
}
rmSync(tmp, { recursive: true, force: true });

// Bundles are written beside dist/ (at the same depth: the source maps'
// relative paths stay right) and swapped in whole: the chunk names carry
// hashes, so an in-place rebuild would leave stale chunks behind.
const next = join(root, `.dist-next-${process.pid}`);
rmSync(next, { recursive: true, force: true });
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  mainFields: ['module', 'main'],
  // maps stay beside the bundles for debugging here; they are not in the
  // package, so the bundles carry no sourceMappingURL that would point at nothing
  sourcemap: 'external',
  logLevel: 'warning',
};
// ESM: every entry; code shared by several entries lives in dist/chunks/, so
// `wasmxen/bench` and the core share one copy of the core (one class per error).
await esbuild.build({
  ...common,
  entryPoints: entries,
  outdir: next,
  format: 'esm',
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  banner: { js: "import { createRequire as __wasmxenCreateRequire } from 'node:module'; const require = __wasmxenCreateRequire(import.meta.url);" },
});
// CommonJS: the core alone (require('wasmxen')); import.meta.url becomes this file's URL.
await esbuild.build({
  ...common,
  entryPoints: { index: libraryEntries.index },
  outdir: next,
  outExtension: { '.js': '.cjs' },
  format: 'cjs',
  define: { 'import.meta.url': '__wasmxenModuleUrl' },
  banner: { js: "const __wasmxenModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
});

// The browser bundle: src/platform/<x>.ts becomes <x>.browser.ts where one
// exists; node:events is the `events` package (Node's EventEmitter for every
// engine); any other node: import reaching the bundle fails the build.
const browserPlatform = {
  name: 'wasmxen-browser-platform',
  setup(b) {
    b.onResolve({ filter: /\/platform\/[\w-]+\.ts$/ }, (args) => {
      const alt = resolvePath(args.resolveDir, args.path).replace(/\.ts$/, '.browser.ts');
      return existsSync(alt) ? { path: alt } : undefined;
    });
    b.onResolve({ filter: /^node:/ }, (args) => {
      if (args.path === 'node:events') return b.resolve('events', { kind: args.kind, resolveDir: root });
      return { errors: [{ text: `${args.path} (imported by ${relative(root, args.importer)}) must not reach the browser bundle: go through src/platform/` }] };
    });
  },
};
await esbuild.build({
  entryPoints: browserEntries,
  outdir: join(next, 'browser'),
  bundle: true,
  platform: 'browser',
  target: 'chrome120',
  format: 'esm',
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  sourcemap: 'external', // as above: the page must not ask the server for maps it does not have
  logLevel: 'warning',
  minify: true,
  plugins: [browserPlatform],
});
for (const f of browserStatic) cpSync(join(root, 'src/browser', f), join(next, 'browser', f));

// Declarations of the library entries and what they reach, emitted by tsc
// from the TSDoc'ed sources; their relative specifiers say .js (what a
// consumer's resolver maps to the .d.ts beside it).
const tsc = join(root, 'node_modules/typescript/bin/tsc');
const types = join(next, 'types');
const t = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', types], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
if (t.status !== 0) {
  console.error('build: tsc -p tsconfig.build.json (declarations) failed');
  process.exit(1);
}
// The WebAssembly types the declarations name: TypeScript's "dom" lib has
// the whole namespace, @types/node 20 none. Empty interfaces merge with the
// DOM's when a consumer has it and stand alone (opaque handles) when not.
const wasmGlobals = join(types, 'webassembly.d.ts');
writeFileSync(wasmGlobals, [
  '// WebAssembly.Memory and WebAssembly.Module as wasmxen\'s declarations name them (see scripts/build.mjs).',
  'declare global {', '  namespace WebAssembly {', '    interface Memory {}', '    interface Module {}', '  }', '}', 'export {};', '',
].join('\n'));
for (const f of walkDts(types)) {
  let src = readFileSync(f, 'utf8').replace(/((?:from|import)\s*\(?\s*['"])(\.{1,2}\/[^'"]*?)\.ts(['"])/g, '$1$2.js$3');
  if (f !== wasmGlobals && src.includes('WebAssembly.')) {
    src = `/// <reference path="${relative(dirname(f), wasmGlobals)}" />\n${src}`;
  }
  writeFileSync(f, src);
}
// the same declarations for `require('wasmxen')`: a CommonJS scope of their own
cpSync(types, join(next, 'types-cjs'), { recursive: true });
writeFileSync(join(next, 'types-cjs/package.json'), JSON.stringify({ type: 'commonjs' }) + '\n');

rmSync(join(root, 'dist'), { recursive: true, force: true });
renameSync(next, join(root, 'dist'));

function walkDts(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walkDts(p, out);
    else if (name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}
