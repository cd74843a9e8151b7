// Arrows point one way: the core (`wasmxen`) loads none of the harnesses'
// code (bench, stress, dm, model, litmus, the shared harness runner, the CLI
// and its scenarios); the harness subpaths load the core. Checked on what is
// shipped: the static import closure of dist/index.js and dist/index.cjs,
// each file's source map naming the modules bundled into it.
import { describe, it, expect } from 'vitest';
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const HARNESS = /(^|\/)src\/(bench|stress|dm|model|litmus|harness|scenarios|cli|guests)\//;

/** Every file a bundle loads statically (itself and its chunks), with the source modules in each. */
function closure(entry: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const stack = [entry];
  while (stack.length > 0) {
    const file = stack.pop()!;
    if (out.has(file)) continue;
    const code = readFileSync(file, 'utf8');
    const map = JSON.parse(readFileSync(`${file}.map`, 'utf8')) as { sources: string[] };
    out.set(file, map.sources.map((s) => resolve(dirname(file), s).slice(root.length)));
    for (const m of code.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*["'](\.{1,2}\/[^"']+)["']|(?:^|\n)\s*import\s*["'](\.{1,2}\/[^"']+)["']|\brequire\(["'](\.{1,2}\/[^"']+)["']\)/g)) {
      stack.push(resolve(dirname(file), m[1] ?? m[2] ?? m[3]));
    }
  }
  return out;
}

describe('the core imports no harness', () => {
  for (const entry of ['dist/index.js', 'dist/index.cjs']) {
    it(`${entry} and what it loads bundle no module of src/{bench,stress,dm,model,litmus,harness,scenarios,cli,guests}`, () => {
      const files = closure(join(root, entry));
      const modules = [...files.values()].flat();
      expect(modules).toContain('src/hypervisor.ts'); // the closure is the real one
      expect(modules.filter((m) => HARNESS.test(m))).toEqual([]);
      // bundled packages the core itself needs: comlink (vCPU control), crc-32 (the image checksums of save/restore)
      expect(modules.filter((m) => m.includes('node_modules/') && !/node_modules\/(comlink|crc-32)\//.test(m))).toEqual([]);
    });
  }

  it('each harness subpath loads the core from the same chunks as dist/index.js (one copy, one class per error)', () => {
    const core = new Set([...closure(join(root, 'dist/index.js')).keys()].filter((f) => f.includes('/chunks/')));
    expect(core.size).toBeGreaterThan(0);
    for (const sub of ['bench', 'stress', 'dm', 'model']) {
      const files = closure(join(root, `dist/${sub}.js`));
      const errorsIn = [...files].filter(([, mods]) => mods.includes('src/errors.ts')).map(([f]) => f);
      expect(errorsIn, sub).toHaveLength(1);
      expect(core.has(errorsIn[0]), `${sub} shares the core's errors chunk`).toBe(true);
    }
  });

  it('the source of the core entry re-exports nothing from a harness', () => {
    const src = readFileSync(join(root, 'src/index.ts'), 'utf8');
    const from = [...src.matchAll(/from '([^']+)'/g)].map((m) => m[1]);
    expect(from.length).toBeGreaterThan(5);
    expect(from.filter((f) => /^\.\/(bench|stress|dm|model|litmus|harness|scenarios|cli|guests)\//.test(f))).toEqual([]);
    expect(existsSync(join(root, 'src/litmus/ctl.ts')) || existsSync(join(root, 'src/bench/ctl.ts'))).toBe(false);
  });
});
