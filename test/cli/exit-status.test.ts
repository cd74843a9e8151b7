// The CLI's exit statuses (src/cli/exit.ts): a misused command exits 3 with
// one line, so it cannot be mistaken for a bad verdict (1) or an
// inconclusive one (2); --help and --version exit 0.
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '../..');
const bin = join(root, 'bin/wasmxen.mjs');
const wasmxen = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 60_000 });

describe('wasmxen exit statuses', () => {
  it('a refused option, an unknown command or an unreadable input: 3 and one line, for every command', () => {
    for (const args of [['stress', '--seconds', 'abc'], ['stress', '--scenario', 'nope'], ['merge', join(root, 'nope.json')], ['nope'],
      ['run', '--bogus'], ['image', 'check', join(root, 'nope.img')], ['bench', '--runs', '0']]) {
      const r = wasmxen(...args);
      expect(r.status, args.join(' ')).toBe(3);
      expect(r.stdout, args.join(' ')).toBe('');
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
    }
  });

  it('--help and --version: 0; the version is the package\'s', () => {
    const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    const v = wasmxen('--version');
    expect([v.status, v.stdout.trim()]).toEqual([0, version]);
    const h = wasmxen('stress', '--help');
    expect(h.status).toBe(0);
    expect(h.stdout).toMatch(/Usage: wasmxen stress/);
  });
});
