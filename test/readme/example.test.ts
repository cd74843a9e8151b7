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

  it('the two quick-start commands are the README\'s', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    expect(readme).toMatch(/npm install && npm start/);
    expect(readme).toMatch(/npm test/);
  });
});
