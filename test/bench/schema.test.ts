// bench/bench-report.schema.json is the schema of `wasmxen bench --json`:
// real reports of each kind of cell validate (a sharded stream campaign with
// run_indices, the device model's dma with `extra`), and reports that break
// it — a missing field, a CPU figure that is not a number or null, an
// unknown implementation — do not. The browser's export is checked against
// the same schema in test/browser/bench.test.ts.
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Ajv from 'ajv';

const bin = fileURLToPath(new URL('../../bin/wasmxen.mjs', import.meta.url));
const schema = JSON.parse(readFileSync(fileURLToPath(new URL('../../bench/bench-report.schema.json', import.meta.url)), 'utf8'));
const ajv = new Ajv({ allErrors: true, strict: true });
const validate = ajv.compile(schema);
const errors = () => ajv.errorsText(validate.errors);

function bench(...args: string[]): any {
  const r = spawnSync(process.execPath, [bin, 'bench', ...args, '--json'], { encoding: 'utf8', timeout: 300_000 });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

describe('bench JSON schema', () => {
  it('validates what wasmxen bench --json writes, and refuses reports that break it', () => {
    const sharded = bench('--workload', 'fifo-fanin', '--seconds', '0.05', '--runs', '2', '--cores', '2', '--shard', '1/2', '--impl', 'wasmxen,postmessage');
    const dma = bench('--workload', 'dma', '--seconds', '0.05', '--runs', '1');
    const guest = bench('--workload', 'guest-pingpong', '--seconds', '0.05', '--runs', '1', '--impl', 'wasmxen');
    for (const r of [sharded, dma, guest]) expect(validate(r), errors()).toBe(true);
    expect(Object.keys(guest.results.find((r: any) => r.workload === 'guest-pingpong').vs_reference)).toHaveLength(1);
    expect(sharded.results.some((r: any) => Array.isArray(r.run_indices))).toBe(true);
    expect(dma.results[0].extra).toBeTypeOf('object');

    const broken = [
      (j: any) => { delete j.campaign; },
      (j: any) => { delete j.results[0].latency_ns.p99; },
      (j: any) => { j.results[0].cpu_ns_per_event = 'n/a'; },
      (j: any) => { j.results[0].impl = 'sockets'; },
      (j: any) => { j.kind = 'stress'; },
      (j: any) => { j.wasmxen.build = 'not-a-hash'; },
      (j: any) => { j.machine.cores = 0; },
    ];
    for (const [i, breakIt] of broken.entries()) {
      const j = structuredClone(sharded);
      breakIt(j);
      expect(validate(j), `broken report #${i} validated`).toBe(false);
    }
  });
});
