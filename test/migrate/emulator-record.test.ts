// EMULATOR_CONTEXT (I52): the device model's record round-trips, and a record
// that is unknown, of another version, inconsistent with the domain or with
// its command page, or duplicated is refused whole — nothing created; every
// byte of a small image carrying one flipped in turn is refused too.
import { describe, it, expect } from 'vitest';
import { memMachine, regsGpa, shapeSource, HOLES, recordAt, reseal } from './helpers.ts';
import { saveDomainImage } from '../../src/migrate/save.ts';
import { parseImage } from '../../src/migrate/parse.ts';
import { restoreImage } from '../../src/migrate/restore.ts';
import { ImageError } from '../../src/migrate/errors.ts';
import {
  RH_BYTES, REC_TYPE_EMULATOR_CONTEXT, EC_EMULATOR_ID, EC_VERSION, EC_RING_GFN, EC_SQ_CONS, EC_DISK_SECTORS, EC_RESERVED, EC_INDEX,
} from '../../src/migrate/format.ts';
import { loadSqProd, storeSqProd } from '../../src/dm/command-page.ts';
import type { EmulatorContext } from '../../src/migrate/emulator.ts';
import { flipEveryByte } from './flip.ts';

const SECTORS = 2;

/** A small domain's image with a device model's context (its command page: a RAM gfn holding SQ_PROD 7). */
function save(o: { key?: string; ramFrames?: number; emulator?: Partial<EmulatorContext> } = {}) {
  const t = memMachine(o.ramFrames ? { ramFrames: o.ramFrames } : {});
  const ringGfn = t.layout.scratchGfn;
  const page = t.m.dp.x.addrGfn(1, ringGfn) >>> 0;
  const prodWas = loadSqProd(t.m.dp.u32, page);
  storeSqProd(t.m.dp.u32, page, 7);
  const disk = new Uint8Array(SECTORS * 512).map((_, i) => i * 7);
  const emulator = { ringGfn, sqCons: 5, disk, ...o.emulator };
  const out = saveDomainImage(t.m.dp, t.m.domain(1), { regsGpa: regsGpa(t.layout.scratchGfn), key: o.key, emulator });
  storeSqProd(t.m.dp.u32, page, prodWas);
  return { ...out, t, emulator };
}

function edit(field: number, value: number): Uint8Array {
  const image = save().image.slice();
  new DataView(image.buffer).setUint32(recordAt(image, REC_TYPE_EMULATOR_CONTEXT) + RH_BYTES + field, value, true);
  return reseal(image);
}

function refusedWhole(image: Uint8Array, fault: string, message: RegExp): void {
  let created = 0;
  let err: unknown;
  try {
    restoreImage(image, {}, () => { created++; throw new Error('created'); }, () => {});
  } catch (e) { err = e; }
  expect(err).toBeInstanceOf(ImageError);
  expect((err as ImageError).fault).toBe(fault);
  expect((err as ImageError).message).toMatch(/EMULATOR_CONTEXT/);
  expect((err as ImageError).message).toMatch(message);
  expect(created).toBe(0);
}

describe('EMULATOR_CONTEXT', () => {
  it('round-trips the disk and the ring position', () => {
    const { image, emulator } = save();
    const img = parseImage(image);
    expect(img.emulator).toEqual({ ringGfn: emulator.ringGfn, sqCons: 5, disk: emulator.disk });
    // the unedited image passes the resealing untouched
    expect(Buffer.from(reseal(image.slice())).equals(Buffer.from(image))).toBe(true);
  });

  const cases: [string, number, number, string, RegExp][] = [
    ['an unknown emulator', EC_EMULATOR_ID, 2, 'record-body', /emulator id 0x2/],
    ['a second device model (index 1)', EC_INDEX, 1, 'record-body', /index 1/],
    ['a newer device-model state version', EC_VERSION, 2, 'record-body', /version 2/],
    ['a command page at gfn 0', EC_RING_GFN, 0, 'gfn-range', /gfn 0/],
    ['a command page beyond the domain', EC_RING_GFN, 1 << 20, 'gfn-range', /outside the domain/],
    ['a disk size that is not the body\'s', EC_DISK_SECTORS, SECTORS + 1, 'record-body', /512 ×/],
    ['a reserved field set', EC_RESERVED + 4, 1, 'reserved', /reserved/],
    ['a consumer index ahead of the guest\'s producer', EC_SQ_CONS, 8, 'record-body', /more than the ring/],
    ['a consumer index more than a ring behind', EC_SQ_CONS, 7 - 33, 'record-body', /more than the ring/],
  ];
  for (const [what, field, value, fault, message] of cases) {
    it(`refuses ${what}, nothing created`, () => refusedWhole(edit(field, value >>> 0), fault, message));
  }

  it('refuses a command page that is not RAM in the image (a ballooned-out gfn), nothing created', () => {
    const t = memMachine();
    shapeSource(t, 1);
    const image = saveDomainImage(t.m.dp, t.m.domain(1), {
      regsGpa: regsGpa(t.layout.scratchGfn), emulator: { ringGfn: t.listGfn + HOLES[0], sqCons: 0, disk: new Uint8Array(512) },
    }).image;
    refusedWhole(image, 'record-body', /not RAM/);
  });

  it('every byte of a small image with a device model flipped in turn: refused, never another error', () => {
    const { image } = save({ key: 'flip', ramFrames: 1 });
    expect(parseImage(image, { key: 'flip' }).emulator?.disk.length).toBe(SECTORS * 512);
    const { created, faults } = flipEveryByte(image, 'flip');
    expect(created).toBe(0);
    expect(faults.get('checksum')).toBeGreaterThan(image.length / 2);
    expect(parseImage(image, { key: 'flip' }).emulator).toBeDefined();
  });
});
