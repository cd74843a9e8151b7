// `wasmxen bench --workload migrate`: the documented JSON shape; each run
// restores the saved domain and compares its memory byte for byte (the
// command fails otherwise), so a clean exit means every image round-tripped.
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../bin/wasmxen.mjs', import.meta.url));

describe('wasmxen bench --workload migrate', () => {
  it('--json: downtime and image throughput next to fs.copyFile of the same bytes', () => {
    const r = spawnSync(process.execPath, [bin, 'bench', '--workload', 'migrate', '--runs', '1', '--json'], { encoding: 'utf8', timeout: 120_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const { migrate } = JSON.parse(r.stdout);
    expect(migrate).toMatchObject({ workload: 'migrate', runs: 1, ram_kib: 32 * 1024 });
    expect(migrate.image_bytes).toBeGreaterThan(migrate.ram_kib * 1024); // every page, plus headers and records
    expect(Object.keys(migrate).sort()).toEqual(['copyfile_mb_per_s', 'downtime_ms', 'image_bytes', 'ram_kib', 'records', 'restore_mb_per_s',
      'runs', 'save_mb_per_s', 'spread', 'workload', 'write_mb_per_s']);
  });
});
