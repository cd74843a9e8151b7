// The domain image: a save restored at another address is the same domain
// (frames, p2m, reservation, register contexts), shared_info as Xen's restorer
// leaves it, toolstack ports pre-bound; authentication; and every fault of
// issue 12 item 6 refused whole with nothing created.
import { describe, it, expect } from 'vitest';
import { memMachine, shapeSource, regsGpa, targetMachine, domainState, HOLES, RO_OFFSET } from './helpers.ts';
import { saveDomainImage } from '../../src/migrate/save.ts';
import { parseImage } from '../../src/migrate/parse.ts';
import { restoreImage, fillDomain } from '../../src/migrate/restore.ts';
import { ImageError } from '../../src/migrate/errors.ts';
import { ImageWriter } from '../../src/migrate/writer.ts';
import { encodeConfig, encodePageHeader } from '../../src/migrate/bodies.ts';
import {
  IHDR_VERSION, IMAGE_VERSION, IHDR_BYTES, DHDR_BYTES, RH_LENGTH, REC_TYPE_DOMAIN_CONFIG, REC_TYPE_STATIC_DATA_END,
  REC_TYPE_PAGE_DATA, TP_KIND_CONSOLE, TP_KIND_STORE,
} from '../../src/migrate/format.ts';
import { P2M_INVALID, P2M_RAM_RO, SI_EVTCHN_MASK_64, SI_EVTCHN_PENDING } from '../../assembly/shared/layout.ts';
import { GuestHypercalls } from '../../src/guest/hypercalls.ts';
import { HCALL_REGS_SIZE } from '../../assembly/shared/hypercall-abi.ts';
import { flipEveryByte } from './flip.ts';

function source(dom = 1) {
  const t = memMachine();
  shapeSource(t, dom);
  // a toolstack channel: the console's unbound port for domain 0
  const port = t.hc(dom).allocUnbound(0);
  return { t, dom, port };
}

function save(opts: { key?: string; dom?: number } = {}) {
  const { t, dom, port } = source(opts.dom);
  const out = saveDomainImage(t.m.dp, t.m.domain(dom), {
    regsGpa: regsGpa(t.layout.scratchGfn), key: opts.key,
    toolstackPorts: [{ port, remoteDom: 0, kind: TP_KIND_CONSOLE }, { port: port + 5, remoteDom: 0, kind: TP_KIND_STORE }],
  });
  return { ...out, t, dom, port };
}

/** Expect `fn` to throw an ImageError with `fault`; returns it. */
function refused(fn: () => unknown, fault: string): ImageError {
  let err: unknown;
  try { fn(); } catch (e) { err = e; }
  expect(err, `expected an ImageError '${fault}'`).toBeInstanceOf(ImageError);
  expect((err as ImageError).fault).toBe(fault);
  return err as ImageError;
}

/** Restore with a creator that records whether anything was created. */
function tryRestore(image: Uint8Array, opts: { key?: string; maxVcpus?: number } = {}) {
  let created = 0;
  const run = () => restoreImage(image, opts, (img) => { created++; const { m, region } = targetMachine(img, 7); return { dp: m.dp, region }; }, () => {});
  return { run, created: () => created };
}

describe('domain image round trip', () => {
  it('restores at another address with the same frames, p2m, reservation and register contexts', () => {
    const { image, t, dom, port, records } = save();
    const src = domainState(t.m, dom, t.frames);
    // a register context with a continuation-looking argument, to see it travel
    const srcRegs = t.m.dp.u8.slice((t.m.dp.x.addrGuestBase(dom) >>> 0) + regsGpa(t.layout.scratchGfn)(0), undefined).subarray(0, HCALL_REGS_SIZE);
    const img = parseImage(image);
    expect(img.records).toBe(records);
    expect(img.vcpus).toHaveLength(1);
    const { m, region } = targetMachine(img, 7);
    expect(region.guestBase).not.toBe(t.m.domain(dom).guestBase);
    const vcpus = fillDomain(m.dp, region, img);
    expect(vcpus).toEqual([{ vcpu: 0, continuation: false, regsGpa: regsGpa(t.layout.scratchGfn)(0) }]);
    const dst = domainState(m, 7, t.frames);
    expect(dst.p2m).toEqual(src.p2m);
    expect(dst.tot).toBe(src.tot);
    expect(dst.max).toBe(src.max);
    expect(dst.ram).toEqual(src.ram);
    for (const h of HOLES) expect(m.dp.x.p2mTypeOf(7, t.listGfn + h)).toBe(P2M_INVALID);
    expect(m.dp.x.p2mTypeOf(7, t.listGfn + RO_OFFSET)).toBe(P2M_RAM_RO);
    const base = m.dp.x.addrGuestBase(7) >>> 0;
    expect(m.dp.u8.slice(base + regsGpa(t.layout.scratchGfn)(0), base + regsGpa(t.layout.scratchGfn)(0) + HCALL_REGS_SIZE)).toEqual(srcRegs);
    // Xen's restorer: no 2-level pending bit, every port masked; the domain starts 2-level with only toolstack ports
    expect(m.dp.u8.subarray(base + SI_EVTCHN_PENDING, base + SI_EVTCHN_PENDING + 512).every((b) => b === 0)).toBe(true);
    expect(m.dp.u8.subarray(base + SI_EVTCHN_MASK_64, base + SI_EVTCHN_MASK_64 + 512).every((b) => b === 0xff)).toBe(true);
    expect(m.dp.abi(7)).toBe('2l');
    const hc = new GuestHypercalls(m.dp, 7, 0, t.layout.scratchGfn);
    expect(hc.status(port)).toMatchObject({ status: 'unbound', remoteDom: 0 });
    expect(hc.status(port + 5)).toMatchObject({ status: 'unbound', remoteDom: 0 });
    expect(m.dp.activeEvtchns(7)).toBe(2);
    // the guest's next bind gets the lowest free port, not a recorded one
    expect(hc.bindIpi(0)).toBe(port === 1 ? 2 : 1);
  });

  it('a 32-bit domain keeps its width', () => {
    const { image } = save({ dom: 2 });
    const img = parseImage(image);
    expect(img.config.guestWidth).toBe(32);
  });

  it('an optional record of an unknown type is skipped; an unknown mandatory one refuses the image', () => {
    const build = (type: number) => {
      const chunks: Uint8Array[] = [];
      const { image } = save();
      const img = parseImage(image);
      // rebuild the image with one extra record after STATIC_DATA_END
      const w = new ImageWriter((c) => chunks.push(c));
      w.record(REC_TYPE_DOMAIN_CONFIG, encodeConfig(img.config));
      w.record(REC_TYPE_STATIC_DATA_END);
      w.record(type, new Uint8Array([1, 2, 3]));
      return { chunks, img, w };
    };
    const a = build(0x80000777);
    const b = build(0x777);
    for (const x of [a, b]) x.w.end();
    refused(() => parseImage(Buffer.concat(b.chunks)), 'unknown-record');
    // the optional one got past the record walk and fails later only for the pages it lacks
    refused(() => parseImage(Buffer.concat(a.chunks)), 'coverage');
  });
});

describe('authentication', () => {
  it('verifies with the key and refuses a wrong key, a missing key and a missing tag', () => {
    const { image } = save({ key: 'k1' });
    expect(parseImage(image, { key: 'k1' }).authenticated).toBe(true);
    refused(() => parseImage(image, { key: 'k2' }), 'auth-tag');
    refused(() => parseImage(image), 'auth-unexpected');
    refused(() => parseImage(save().image, { key: 'k1' }), 'auth-missing');
  });
});

describe('bad images are refused whole, nothing created', () => {
  const cases: [string, string, (img: Uint8Array) => Uint8Array][] = [
    ['a newer format version', 'version', (img) => { const b = img.slice(); new DataView(b.buffer).setUint32(IHDR_VERSION, IMAGE_VERSION + 1); return b; }],
    ['an unknown (older) format version', 'version', (img) => { const b = img.slice(); new DataView(b.buffer).setUint32(IHDR_VERSION, 0); return b; }],
    ['a truncated image', 'truncated', (img) => img.slice(0, img.length - 16)],
    ['an image cut inside a record', 'record-length', (img) => img.slice(0, img.length - 100)],
    ['a bad checksum', 'checksum', (img) => { const b = img.slice(); b[IHDR_BYTES + DHDR_BYTES + 16 + 3] ^= 1; return b; }],
    ['a length beyond the image', 'record-length', (img) => { const b = img.slice(); new DataView(b.buffer).setUint32(IHDR_BYTES + DHDR_BYTES + RH_LENGTH, 1 << 26, true); return b; }],
    ['bytes after END', 'trailing-data', (img) => Buffer.concat([img, new Uint8Array(8)])],
  ];
  for (const [what, fault, mutate] of cases) {
    it(what, () => {
      const r = tryRestore(mutate(save().image));
      const e = refused(r.run, fault);
      expect(e.message.length).toBeGreaterThan(10);
      expect(r.created()).toBe(0);
    });
  }

  it('a bad authentication tag', () => {
    const { image } = save({ key: 'k' });
    const r = tryRestore(image, { key: 'other' });
    refused(r.run, 'auth-tag');
    expect(r.created()).toBe(0);
  });

  it('a gfn beyond the domain', () => {
    const img = parseImage(save().image);
    const chunks: Uint8Array[] = [];
    const w = new ImageWriter((c) => chunks.push(c));
    w.record(REC_TYPE_DOMAIN_CONFIG, encodeConfig(img.config));
    w.record(REC_TYPE_STATIC_DATA_END);
    w.record(REC_TYPE_PAGE_DATA, encodePageHeader([{ gfn: img.config.frames, populated: false }]));
    w.end();
    const r = tryRestore(Buffer.concat(chunks));
    expect(refused(r.run, 'gfn-range').message).toMatch(/beyond the domain/);
    expect(r.created()).toBe(0);
  });

  it('a vCPU count the target cannot host', () => {
    const { image } = save();
    const r = tryRestore(image, { maxVcpus: 0 });
    expect(refused(r.run, 'vcpu-count').message).toMatch(/at most 0/);
    expect(r.created()).toBe(0);
  });

  it('every byte flipped in turn: refused, never another error, never a created domain', () => {
    // the smallest domain the guest kernel fits in
    const t = memMachine({ ramFrames: 1 });
    const { image } = saveDomainImage(t.m.dp, t.m.domain(1), { regsGpa: regsGpa(t.layout.scratchGfn), key: 'flip' });
    expect(parseImage(image, { key: 'flip' }).config.frames).toBe(t.frames);
    const { created, faults } = flipEveryByte(image, 'flip');
    expect(created).toBe(0);
    // the walk saw every kind of byte: headers, lengths beyond the image, checksums
    expect(faults.get('checksum')).toBeGreaterThan(image.length / 2);
    expect(faults.has('marker') && faults.has('id') && faults.has('version') && faults.has('record-length')).toBe(true);
    expect(parseImage(image, { key: 'flip' }).bytes).toBe(image.length); // restored to the original
  });
});
