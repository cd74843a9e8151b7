// The API reference (docs/api, `npm run docs`) covers every export of every
// entry point: each runtime export of the shipped bundles has its page.
// (scripts/docs.mjs itself refuses to generate it while an export lacks a
// doc comment.)
import { describe, it, expect } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('docs/api', () => {
  for (const [entry, page] of [['index', 'wasmxen'], ['bench', 'wasmxen-bench'], ['stress', 'wasmxen-stress'], ['dm', 'wasmxen-dm'], ['model', 'wasmxen-model']]) {
    it(`documents every runtime export of dist/${entry}.js (${page}.md)`, async () => {
      const mod = (await import(pathToFileURL(join(root, 'dist', `${entry}.js`)).href)) as Record<string, unknown>;
      const index = readFileSync(join(root, 'docs/api', `${page}.md`), 'utf8');
      const names = Object.keys(mod);
      expect(names.length).toBeGreaterThan(3);
      const missing = names.filter((n) => !index.includes(`](./${page}.${n.toLowerCase()}.md)`)
        || !existsSync(join(root, 'docs/api', `${page}.${n.toLowerCase()}.md`)));
      expect(missing, 'run `npm run docs`').toEqual([]);
    });
  }
});
