// `wasmxen image check FILE`: an image saved by the library is accepted and
// described; a corrupt, truncated or wrongly-keyed one exits 1 with one line
// naming the first fault.
import { describe, it, expect, beforeAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memMachine } from '../helpers/mem-machine.ts';
import { regsGpa, recordAt, reseal } from '../migrate/helpers.ts';
import { REC_TYPE_EMULATOR_CONTEXT, RH_BYTES, EC_VERSION } from '../../src/migrate/format.ts';
import { saveDomainImage } from '../../src/migrate/save.ts';

const bin = fileURLToPath(new URL('../../bin/wasmxen.mjs', import.meta.url));
const wasmxen = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 60_000 });

describe('wasmxen image check', () => {
  let dir: string;
  let image: Uint8Array;
  let keyed: Uint8Array;
  let withDm: Uint8Array;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'wasmxen-image-'));
    const t = memMachine();
    image = saveDomainImage(t.m.dp, t.m.domain(1), { regsGpa: regsGpa(t.layout.scratchGfn) }).image;
    keyed = saveDomainImage(t.m.dp, t.m.domain(1), { regsGpa: regsGpa(t.layout.scratchGfn), key: 'secret' }).image;
    const disk = new Uint8Array(4096).fill(9);
    withDm = saveDomainImage(t.m.dp, t.m.domain(1), { regsGpa: regsGpa(t.layout.scratchGfn), emulator: { ringGfn: t.layout.scratchGfn, sqCons: 0, disk } }).image;
  });
  const file = (name: string, bytes: Uint8Array) => { const p = join(dir, name); writeFileSync(p, bytes); return p; };

  it('accepts a good image and describes it (--json)', () => {
    const r = wasmxen('image', 'check', file('good.img', image), '--json');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, format_version: 1, vcpus: 1, guest_width: 64, authenticated: false, bytes: image.length });
  });

  it('names the device model\'s record: described when good, named as the fault when not', () => {
    const r = wasmxen('image', 'check', file('dm.img', withDm), '--json');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).device_model).toEqual({ record: 'EMULATOR_CONTEXT', ring_gfn: expect.any(Number), sq_cons: 0, disk_bytes: 4096 });
    expect(wasmxen('image', 'check', file('dm.img', withDm)).stdout).toMatch(/device-model state \(EMULATOR_CONTEXT: a 4096-byte disk/);
    const bad = withDm.slice();
    new DataView(bad.buffer).setUint32(recordAt(bad, REC_TYPE_EMULATOR_CONTEXT) + RH_BYTES + EC_VERSION, 9, true);
    const b = wasmxen('image', 'check', file('dm-bad.img', reseal(bad)));
    expect(b.status).toBe(1);
    expect(b.stderr.trim().split('\n')).toHaveLength(1);
    expect(b.stderr).toMatch(/EMULATOR_CONTEXT.*version 9/);
  });

  it('accepts an authenticated image with its key, refuses it without or with another', () => {
    const p = file('keyed.img', keyed);
    expect(wasmxen('image', 'check', p, '--key', 'secret').status).toBe(0);
    for (const args of [[], ['--key', 'wrong']]) {
      const r = wasmxen('image', 'check', p, ...args);
      expect(r.status).toBe(1);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/authenticat/);
    }
  });

  it('refuses a corrupt or truncated image with one line naming the fault', () => {
    const bad = image.slice();
    bad[image.length - 2000] ^= 0x40;
    const cases: [Uint8Array, RegExp][] = [[bad, /checksum/], [image.slice(0, image.length - 16), /without an END record/], [image.slice(0, 10), /shorter than its 24-byte header/]];
    cases.forEach(([bytes, want], i) => {
      const r = wasmxen('image', 'check', file(`bad${i}.img`, bytes));
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^wasmxen: /);
      expect(lines[0], lines[0]).toMatch(want);
    });
  });

  it('a missing file is one line too', () => {
    const r = wasmxen('image', 'check', join(dir, 'nope.img'));
    expect(r.status).toBe(3);
    expect(r.stderr.trim()).toMatch(/^wasmxen: cannot read .*ENOENT$/);
  });
});
