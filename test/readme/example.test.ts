// The README's library example runs exactly as printed.
import { describe, it, expect } from 'vitest';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('README', () => {
  it('shows examples/interdomain.mjs verbatim, and it runs', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const m = readme.match(/<!-- example: (\S+) -->\n```js\n([\s\S]*?)```/);
    expect(m, 'README has an example block').not.toBeNull();
    const [, file, code] = m!;
    expect(code).toBe(readFileSync(join(root, file), 'utf8'));
    // run the README's text itself, from inside the package so `import 'wasmxen'` resolves to it
    mkdirSync(join(root, 'build'), { recursive: true });
    const script = join(root, 'build', 'readme-example.mjs');
    writeFileSync(script, code);
    const r = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 30_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/domain 2 received an event on port 1/);
    expect(r.stdout).toMatch(/events received: 1/);
  });

  it('the quick start runs: `npm start` is `wasmxen run`, exactly once (a short run: the options pass through)', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const block = readme.match(/## Quick start\n\n```sh\n([\s\S]*?)```/)![1];
    const scripts = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts as Record<string, string>;
    // every `npm run X` / `npm X` the quick start shows is a script of the package
    for (const m of block.matchAll(/npm (?:run )?([\w:-]+)/g)) if (m[1] !== 'install') expect(scripts[m[1]], `npm ${m[1]}`).toBeDefined();
    const r = spawnSync('npm', ['start', '--silent', '--', '--seconds', '0.1'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^wasmxen: 2 domains × 2 vCPUs on worker threads, FIFO ABI/m);
    expect(r.stdout).toMatch(/every event delivered exactly once/);
  });

  it('every measured figure in the docs comes from `npm run docs:figures`, stamped with machine, load and date', () => {
    const script = readFileSync(join(root, 'scripts', 'docs-figures.mjs'), 'utf8');
    for (const file of ['README.md', 'bench/README.md']) {
      const text = readFileSync(join(root, file), 'utf8');
      const blocks = [...text.matchAll(/<!-- figures:([\w-]+) -->\n([\s\S]*?)<!-- \/figures:\1 -->/g)];
      expect(blocks.length, file).toBeGreaterThan(0);
      for (const [, name, body] of blocks) {
        expect(script, `${file} block ${name}: written by the script`).toContain(`'${name}'`);
        expect(body, `${file} block ${name}: stamped`).toMatch(/Measured by `npm run docs:figures` on \d{4}-\d\d-\d\d \d\d:\d\d UTC: \d+ × .+, load average [\d.]+ at the start, commit \w+/);
      }
    }
  });
});
