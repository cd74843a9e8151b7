// The package as a user gets it: `npm pack`, the tarball installed into an
// empty project with the network off (`npm ci --offline`: the only other
// package, prom-client for the HTTP example, comes from the npm cache that
// installing this repository filled), then, there: the README's library
// example, examples/http-service.mjs, a TypeScript consumer type-checked
// under module nodenext and under moduleResolution bundler (skipLibCheck
// false; with this repository's TypeScript and with the TypeScript 6 that
// API Extractor brings), require('wasmxen') from CommonJS, and short runs of
// `npx wasmxen run`, `stress` and `bench`.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, rmSync, mkdirSync, existsSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runHttpService, checkHttpServiceRun } from '../helpers/http-service.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
let work: string;
let consumer: string;
let packed: { filename: string; version: string; integrity: string; unpackedSize: number; files: { path: string }[] };

function run(cmd: string, args: string[], cwd: string, timeout = 120_000, env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout, env: { ...process.env, ...env } });
}

function ok(r: SpawnSyncReturns<string>, what: string): string {
  if (r.error) throw new Error(`${what}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${what} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

type LockEntry = { version: string; dependencies?: Record<string, string>; [k: string]: unknown };

/**
 * The consumer's package-lock.json: the tarball, and prom-client with its
 * dependencies exactly as this repository's lockfile has them. `npm ci
 * --offline` then needs no registry metadata, only the tarballs that
 * installing this repository put in the npm cache (by integrity).
 */
function consumerLock(tgz: string, tgzIntegrity: string): { deps: Record<string, string>; lock: unknown } {
  const repo = (JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> }).packages;
  const packages: Record<string, unknown> = {};
  const add = (name: string) => {
    const key = `node_modules/${name}`;
    if (packages[key]) return;
    const e = repo[key];
    if (!e) throw new Error(`${name} is not in package-lock.json (hoisted)`);
    const { dev: _dev, devOptional: _devOptional, peer: _peer, ...entry } = e;
    // this repository's lockfile omits registry URLs; with one, npm ci reads the tarball from the cache by integrity
    entry.resolved ??= `https://registry.npmjs.org/${name}/-/${name.split('/').pop()}-${e.version}.tgz`;
    packages[key] = entry;
    for (const d of Object.keys(e.dependencies ?? {})) add(d);
  };
  add('prom-client');
  const deps = { wasmxen: `file:${tgz}`, 'prom-client': repo['node_modules/prom-client'].version };
  packages[''] = { name: 'consumer', dependencies: deps };
  packages['node_modules/wasmxen'] = {
    version: packed.version, resolved: `file:${tgz}`, integrity: tgzIntegrity, license: 'MIT',
    bin: { wasmxen: 'bin/wasmxen.mjs' }, engines: { node: '>=20.11' },
  };
  return { deps, lock: { name: 'consumer', lockfileVersion: 3, requires: true, packages } };
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'wasmxen-pack-'));
  // prepack builds what is stale (nothing, after the global setup)
  const out = ok(run(npm, ['pack', '--json', '--pack-destination', work], root), 'npm pack');
  packed = (JSON.parse(out.slice(out.indexOf('['))) as typeof packed[])[0];
  consumer = join(work, 'consumer');
  mkdirSync(consumer);
  const { deps, lock } = consumerLock(`../${packed.filename}`, packed.integrity);
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module', dependencies: deps }, null, 2));
  writeFileSync(join(consumer, 'package-lock.json'), JSON.stringify(lock, null, 2));
  ok(run(npm, ['ci', '--offline', '--no-audit', '--no-fund'], consumer), 'npm ci --offline');
}, 180_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('npm pack', () => {
  it('ships exactly what an installed package needs', () => {
    const files = packed.files.map((f) => f.path).sort();
    for (const needed of [
      'package.json', 'README.md', 'LICENSE', 'bin/wasmxen.mjs',
      'build/wasmxen.wasm', 'build/wasmxen.stress.wasm', 'build/wasmxen.debug.wasm', 'build/wasmxen.layout2.wasm',
      'dist/index.js', 'dist/index.cjs', 'dist/bench.js', 'dist/stress.js', 'dist/dm.js', 'dist/model.js', 'dist/cli.js',
      'dist/vcpu.worker.js', 'dist/litmus.worker.js', 'dist/bench.worker.js', 'dist/dm.worker.js',
      'dist/guests/frontend.js', 'dist/consumers/monitor.js',
      'dist/types/src/index.d.ts', 'dist/types-cjs/src/index.d.ts', 'dist/types-cjs/package.json',
      // the browser demo `wasmxen serve` serves from the installed package
      'dist/browser/index.html', 'dist/browser/page.js', 'dist/browser/runner.worker.js', 'dist/browser/vcpu.worker.js', 'dist/browser/bench.worker.js',
      'dist/browser/guests/frontend.js', 'dist/browser/guests/backend.js', 'dist/browser/consumers/monitor.js', 'dist/browser/consumers/console.js',
    ]) expect(files, needed).toContain(needed);
    const stray = files.filter((f) => /^(src|test|scripts|assembly|examples|docs|bench|\.ci)\//.test(f)
      || /\.(map|wat|tgz)$/.test(f) || /^(vitest\.config|tsconfig)/.test(f) || f.startsWith('dist/types/test'));
    expect(stray).toEqual([]);
    // the maps stay behind, so no shipped bundle may point at one (a browser would ask the server for it)
    const pointing = files.filter((f) => f.endsWith('.js') && readFileSync(join(root, f), 'utf8').includes('sourceMappingURL'));
    expect(pointing).toEqual([]);
  });

  it('has no runtime dependencies: everything the installed code imports is bundled or node:', () => {
    const pkg = JSON.parse(readFileSync(join(consumer, 'node_modules/wasmxen/package.json'), 'utf8')) as Record<string, unknown>;
    expect(pkg.dependencies).toBeUndefined();
    expect(existsSync(join(consumer, 'node_modules/playwright-core'))).toBe(false);
    expect(existsSync(join(consumer, 'node_modules/comlink'))).toBe(false);
  });

  it("the README states the install size, as measured (npm pack's unpacked size)", () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const m = readme.match(/installs? ([\d.]+) MB/);
    expect(m, 'README says "installs N MB"').not.toBeNull();
    const stated = Number(m![1]);
    const actual = packed.unpackedSize / 1e6;
    expect(Math.abs(stated - actual), `README says ${stated} MB, npm pack says ${actual.toFixed(2)} MB`).toBeLessThanOrEqual(0.1);
  });
});

describe('installed into an empty project, offline', () => {
  it("runs the README's library example", () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const code = readme.match(/<!-- example: (\S+) -->\n```js\n([\s\S]*?)```/)![2];
    writeFileSync(join(consumer, 'readme.mjs'), code);
    const r = run(process.execPath, ['readme.mjs'], consumer, 30_000);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/events received: 1/);
  });

  it('runs examples/http-service.mjs: every request answered, counters add up, clean SIGTERM', async () => {
    copyFileSync(join(root, 'examples/http-service.mjs'), join(consumer, 'http-service.mjs'));
    const r = await runHttpService('http-service.mjs', consumer, 500, 16);
    checkHttpServiceRun(r, 500, expect);
  });

  it("require('wasmxen') works from CommonJS", () => {
    writeFileSync(join(consumer, 'cjs.cjs'), `
const { Hypervisor, NoSuchDomainError, WasmxenError } = require('wasmxen');
(async () => {
  const hv = await Hypervisor.create({ domains: [{ id: 1, vcpus: 1 }, { id: 2, vcpus: 1 }] });
  const b = hv.domain(2).allocUnbound(1);
  const f = hv.domain(1).bindInterdomain(2, b);
  const got = new Promise((resolve) => hv.domain(2).on(b, resolve));
  hv.domain(1).send(f);
  console.log('event on port', await got);
  try { hv.domain(9); } catch (e) { console.log(e instanceof NoSuchDomainError && e instanceof WasmxenError, e.message); }
  await hv.shutdown();
  // a guest-module domain: vCPU worker threads found from the CommonJS bundle
  const gm = await Hypervisor.create({ domains: [{ id: 3, vcpus: 2, guest: __dirname + '/guest.mjs' }] });
  gm.start();
  const down = await gm.shutdown();
  console.log(JSON.stringify(down.vcpus.map((v) => v.guest).sort((a, b) => a.vcpu - b.vcpu)), down.crashed.length);
})();
`);
    writeFileSync(join(consumer, 'guest.mjs'), 'export function report(g) { return { dom: g.dom, vcpu: g.vcpu }; }\n');
    const r = run(process.execPath, ['cjs.cjs'], consumer, 30_000);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('event on port 1\ntrue no domain 9 (this hypervisor has domains 1, 2)\n' +
      '[{"dom":3,"vcpu":0},{"dom":3,"vcpu":1}] 0\n');
  });

  it('the layout-2 build loads from the installed package: a layout-1 image restores on it', () => {
    writeFileSync(join(consumer, 'layout2.mjs'), `
import { Hypervisor } from 'wasmxen';
const src = await Hypervisor.create({ domains: [{ id: 1, vcpus: 1 }] });
const image = await src.save(1);
await src.shutdown();
const { hv, domain } = await Hypervisor.restore(image, { build: 'layout2', domains: [{ id: 0, vcpus: 1 }], restore: { id: 1 } });
console.log(src.machine.dp.layout.LAYOUT_VERSION, hv.machine.dp.layout.LAYOUT_VERSION, domain.id);
await hv.shutdown();
`);
    const r = run(process.execPath, ['layout2.mjs'], consumer, 30_000);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('1 2 1\n');
  });

  const consumerTs = `
import { Hypervisor, HandlerError, VcpuCrashError, HypervisorClosedError, EvtchnError, EVTCHN_FIFO_MAX_QUEUES, type DomainSpec, type Binding } from 'wasmxen';
import { runBench, type BenchReport } from 'wasmxen/bench';
import { runStress, SCENARIOS } from 'wasmxen/stress';
import { planDeviceModel, MapCacheError } from 'wasmxen/dm';
import { ReferenceModel } from 'wasmxen/model';

const domains: DomainSpec[] = [{ id: 1, vcpus: 1 }, { id: 2, vcpus: 1 }];
export async function main(): Promise<number> {
  await using hv = await Hypervisor.create({
    domains,
    onError: (e: HandlerError | VcpuCrashError) => { console.error(e.domain, e.message); },
  });
  hv.on('error', (e) => { if (e instanceof HandlerError) console.error(e.port, e.cause); });
  const port: number = hv.domain(2).allocUnbound(1);
  const b: Binding = hv.domain(2).on(port, async (p: number) => { console.log(p); });
  hv.closed.catch((e: unknown) => { if (e instanceof VcpuCrashError) console.error(e.vcpu); });
  try { hv.domain(1).send(77); } catch (e) { if (e instanceof EvtchnError) console.log(e.errno); }
  const later = (): void => { try { hv.start(); } catch (e) { if (e instanceof HypervisorClosedError) console.log(e.code); } };
  later();
  const report: BenchReport | undefined = undefined;
  // the surface of the last changes: a paused restore, and the mapcache's errno on .rc (its .code is a string now)
  const restorePaused = async (img: Uint8Array) => { await hv.restoreDomain(img, { id: 3, paused: true }); hv.unpauseDomain(3); };
  const mapcacheRc = (e: unknown): number | undefined => (e instanceof MapCacheError ? e.rc : undefined);
  const mapcacheCode = (e: MapCacheError): 'WASMXEN_MAPCACHE' => e.code;
  void [runBench, runStress, SCENARIOS.length, planDeviceModel, ReferenceModel, report, b.port, EVTCHN_FIFO_MAX_QUEUES, restorePaused, mapcacheRc, mapcacheCode];
  return (await hv.shutdown()).vcpus.length;
}
`;
  const consumerCts = `
import wasmxen = require('wasmxen');
export async function main(): Promise<void> {
  const hv: wasmxen.Hypervisor = await wasmxen.Hypervisor.create({ domains: [{ id: 1, vcpus: 1 }] });
  await hv.shutdown();
}
`;
  const compilers: [string, string][] = [
    ['TypeScript 7 (this repository)', join(root, 'node_modules/typescript/bin/tsc')],
    ['TypeScript 6 (API Extractor\'s)', join(root, 'node_modules/@microsoft/api-extractor/node_modules/typescript/bin/tsc')],
  ];
  const settings: [string, Record<string, unknown>, string[]][] = [
    ['module nodenext', { module: 'nodenext', moduleResolution: 'nodenext' }, ['index.ts', 'cjs.cts']],
    // a bundler-resolved project usually has the DOM lib: wasmxen's WebAssembly types merge with it
    ['moduleResolution bundler', { module: 'esnext', moduleResolution: 'bundler', lib: ['es2022', 'esnext.disposable', 'dom'] }, ['index.ts']],
  ];
  for (const [compiler, tsc] of compilers) {
    for (const [name, options, files] of settings) {
      it(`a TypeScript consumer type-checks with zero errors: ${name}, skipLibCheck false, ${compiler}`, () => {
        expect(existsSync(tsc), tsc).toBe(true);
        const dir = join(consumer, `ts-${name.replace(/\W+/g, '-')}`);
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, 'index.ts'), consumerTs);
        writeFileSync(join(dir, 'cjs.cts'), consumerCts);
        writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
          compilerOptions: {
            target: 'es2022', lib: ['es2022', 'esnext.disposable'], ...options, strict: true, noEmit: true,
            skipLibCheck: false, types: ['node'], typeRoots: [join(root, 'node_modules/@types')],
          },
          files,
        }, null, 2));
        const r = run(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json')], consumer, 120_000);
        expect(r.stdout + r.stderr).toBe('');
        expect(r.status).toBe(0);
      }, 120_000);
    }
  }

  it('wasmxen serve serves the demo page, every script it loads and the wasm from the installed package, with COOP/COEP', async () => {
    const child = spawn(process.execPath, [join(consumer, 'node_modules/wasmxen/bin/wasmxen.mjs'), 'serve', '--port', '0'], { cwd: consumer, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let out = '';
      let err = '';
      child.stderr.on('data', (c: Buffer) => { err += c.toString(); });
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (c: Buffer) => {
          out += c.toString();
          const m = /demo at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
          if (m) resolve(m[1]);
        });
        child.once('exit', (code) => reject(new Error(`wasmxen serve exited ${code}: ${out}${err}`)));
      });
      const get = async (path: string) => {
        const r = await fetch(new URL(path, url));
        const body = await r.text();
        expect(r.status, path).toBe(200);
        expect([r.headers.get('cross-origin-opener-policy'), r.headers.get('cross-origin-embedder-policy')], path).toEqual(['same-origin', 'require-corp']);
        return body;
      };
      const page = await get('/');
      // the page's module script, and every module the bundle imports (statically or with import()), transitively
      const pending = [...page.matchAll(/src="(\/assets\/[^"]+)"/g)].map((m) => m[1]);
      expect(pending).toEqual(['/assets/page.js']);
      pending.push('/assets/runner.worker.js', '/assets/vcpu.worker.js', '/assets/guests/frontend.js', '/assets/guests/backend.js',
        '/assets/consumers/monitor.js', '/assets/consumers/console.js');
      const seen = new Set<string>();
      while (pending.length > 0) {
        const path = pending.pop()!;
        if (seen.has(path)) continue;
        seen.add(path);
        const js = await get(path);
        for (const m of js.matchAll(/(?:from|import)\s*\(?\s*"(\.{1,2}\/[^"]+\.js)"/g)) pending.push(new URL(m[1], new URL(path, url)).pathname);
      }
      expect([...seen].some((p) => p.startsWith('/assets/chunks/'))).toBe(true);
      expect((await get('/wasm/wasmxen.wasm')).length).toBeGreaterThan(0);
    } finally {
      child.kill('SIGTERM');
    }
  }, 60_000);

  it('npx wasmxen run, stress and bench work (short runs)', () => {
    const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
    const runOut = JSON.parse(ok(run(npx, ['--offline', 'wasmxen', 'run', '--seconds', '1', '--json'], consumer), 'wasmxen run')) as
      { sent: number; delivered: number; lost: number; duplicated: number };
    expect(runOut.sent).toBeGreaterThan(0);
    expect([runOut.lost, runOut.duplicated, runOut.delivered]).toEqual([0, 0, runOut.sent]);
    // a short run from the installed stress harness: nothing forbidden, and a verdict with its exit
    // status — clean (0), or inconclusive (2) when the race did not happen in 0.3 s on a loaded machine
    const sr = run(npx, ['--offline', 'wasmxen', 'stress', '--scenario', 'raise-drain', '--seconds', '0.3', '--seed', '1', '--json'], consumer);
    const stress = JSON.parse(sr.stdout) as
      { verdict: string; scenarios: { name: string; iterations: number; forbidden: number; watchdog: number }[] };
    expect(stress.scenarios.map((s) => [s.name, s.forbidden, s.watchdog])).toEqual([['raise-drain', 0, 0]]);
    expect([['clean', 0], ['inconclusive', 2]], sr.stderr).toContainEqual([stress.verdict, sr.status]);
    // rounds really run from the installed stress build: a re-injected bug is caught (it stops the run at once)
    const inj = run(npx, ['--offline', 'wasmxen', 'stress', '--inject', 'ready-before-head', '--seconds', '30', '--seed', '1', '--json'], consumer);
    expect(inj.status, inj.stderr).toBe(1);
    const caught = JSON.parse(inj.stdout) as { inject: string; detected: boolean; scenarios: { iterations: number; forbidden: number }[] };
    expect([caught.inject, caught.detected, caught.scenarios[0].forbidden]).toEqual(['ready-before-head', true, 1]);
    expect(caught.scenarios[0].iterations).toBeGreaterThan(0);
    const bench = JSON.parse(ok(run(npx, ['--offline', 'wasmxen', 'bench', '--workload', 'fifo-1to1', '--impl', 'wasmxen', '--seconds', '0.2', '--runs', '1', '--json'], consumer), 'wasmxen bench')) as
      { results?: unknown[] };
    expect(JSON.stringify(bench)).toContain('fifo-1to1');
  }, 120_000);
});
