// A package whose wasm build is missing says how to fix it, once: the CLI
// prints one line with one "wasmxen:" prefix and exits 1; the library
// throws BuildMissingError naming the file.
import { describe, it, expect, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, cpSync, rmSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
// a copy of the package without build/
const pkg = realpathSync(mkdtempSync(join(tmpdir(), 'wasmxen-nobuild-')));
for (const p of ['package.json', 'bin', 'dist']) cpSync(join(root, p), join(pkg, p), { recursive: true });
afterAll(() => rmSync(pkg, { recursive: true, force: true }));

const wasm = join(pkg, 'build', 'wasmxen.wasm');
const fix = 'is missing: in a clone of wasmxen run `npm run build`; in an installed package reinstall wasmxen (its tarball ships the build)';

describe('a missing wasm build', () => {
  it('wasmxen run: one line, one prefix, how to fix it, exit status 3 (could not run)', () => {
    const r = spawnSync(process.execPath, [join(pkg, 'bin/wasmxen.mjs'), 'run', '--seconds', '0.1'], { encoding: 'utf8', timeout: 30_000 });
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`wasmxen: the release wasm build ${wasm} ${fix}\n`);
    expect(r.status).toBe(3);
  });

  it('the library throws BuildMissingError naming the file, without a "wasmxen:" prefix', () => {
    const script = `
      const { Hypervisor, BuildMissingError } = await import(${JSON.stringify(join(pkg, 'dist/index.js'))});
      try { await Hypervisor.create({ domains: [{ id: 1, vcpus: 1 }] }); console.log('created?!'); }
      catch (e) { console.log(JSON.stringify({ is: e instanceof BuildMissingError, code: e.code, file: e.file, message: e.message })); }`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ is: true, code: 'WASMXEN_BUILD_MISSING', file: wasm, message: `the release wasm build ${wasm} ${fix}` });
  });

  it('a missing CLI bundle: the same advice from bin/wasmxen.mjs', () => {
    const bare = realpathSync(mkdtempSync(join(tmpdir(), 'wasmxen-nodist-')));
    try {
      cpSync(join(root, 'bin'), join(bare, 'bin'), { recursive: true });
      const r = spawnSync(process.execPath, [join(bare, 'bin/wasmxen.mjs'), 'run'], { encoding: 'utf8', timeout: 30_000 });
      expect(r.stderr).toBe(`wasmxen: ${join(bare, 'dist/cli.js')} ${fix}\n`);
      expect(r.status).toBe(3);
    } finally {
      rmSync(bare, { recursive: true, force: true });
    }
  });
});
