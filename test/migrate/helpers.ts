// Helpers for image tests: a source domain shaped like a lived-in guest
// (pattern-filled RAM, ballooned-out frames, a read-only frame, a register
// context) and a target machine laid out differently, so a restored domain
// sits at another address than the saved one.
import { memMachine, type MemMachine } from '../helpers/mem-machine.ts';
import { createMachine, type Machine } from '../../src/wasm/data-plane.ts';
import { XENMEM_decrease_reservation as DEC } from '../../assembly/shared/memory-abi.ts';
import { HVMMEM_ram_ro } from '../../assembly/shared/hvm-abi.ts';
import { PAGE_SIZE, P2M_RAM_RW, P2M_RAM_RO } from '../../assembly/shared/layout.ts';
import { SCRATCH_PER_VCPU, SCRATCH_REGS } from '../../src/guest/layout.ts';
import { restoreConfig } from '../../src/migrate/restore.ts';
import type { DomainImage } from '../../src/migrate/parse.ts';
import { IHDR_BYTES, DHDR_BYTES, RH_BYTES, RH_TYPE, RH_LENGTH, RH_CHECKSUM, REC_TYPE_END, padded, crcUpdate } from '../../src/migrate/format.ts';
import type { DomainRegion } from '../../src/wasm/memory-map.ts';

export const HOLES = [3, 4, 9]; // offsets above listGfn given back
export const RO_OFFSET = 6;

/** Fill every RAM frame of `dom` above the kernel with a pattern, give HOLES back and make RO_OFFSET read-only. */
export function shapeSource(t: MemMachine, dom: number): void {
  for (let g = t.listGfn + 1; g < t.frames; g++) {
    const f = t.frame(dom, g);
    for (let i = 0; i < PAGE_SIZE; i += 4) f.setUint32(i, (g * 2654435761 + i * dom) >>> 0, true);
  }
  const list = t.frame(dom, t.listGfn);
  const mem = t.mem(dom);
  HOLES.forEach((h, i) => mem.setExtent(list, i, t.listGfn + h));
  t.m.dp.x.hypercallSetPreemptEvery(1 << 30);
  const out = mem.reservation(DEC, { extentStart: t.listGfn * PAGE_SIZE, nrExtents: HOLES.length });
  if (out.result !== HOLES.length) throw new Error(`decrease_reservation gave back ${out.result}`);
  const dm = t.mem(0).hvmSetMemType(dom, HVMMEM_ram_ro, t.listGfn + RO_OFFSET, 1);
  if (dm.result !== 0) throw new Error(`set_mem_type: ${dm.result}`);
}

export function regsGpa(scratchGfn: number): (v: number) => number {
  return (v) => scratchGfn * PAGE_SIZE + v * SCRATCH_PER_VCPU + SCRATCH_REGS;
}

/** A target whose domain 0 is larger than the source's, so the restored domain lands elsewhere. */
export function targetMachine(img: DomainImage, domid: number, extraFrames = 37): { m: Machine; region: DomainRegion } {
  const m = createMachine([{ domid: 0, vcpus: 1, frames: img.config.frames + extraFrames }, restoreConfig(img, domid)], 'debug');
  return { m, region: m.domain(domid) };
}

/** Guest frames 1.. of `dom` in `m` (contents) and its p2m. */
export function domainState(m: Machine, dom: number, frames: number): { p2m: number[]; ram: Uint8Array[]; tot: number; max: number } {
  const base = m.dp.x.addrGuestBase(dom) >>> 0;
  const p2m: number[] = [];
  const ram: Uint8Array[] = [];
  for (let g = 1; g < frames; g++) {
    const t = m.dp.x.p2mTypeOf(dom, g);
    p2m.push(t);
    ram.push(t === P2M_RAM_RW || t === P2M_RAM_RO ? m.dp.u8.slice(base + g * PAGE_SIZE, base + (g + 1) * PAGE_SIZE) : new Uint8Array(0));
  }
  return { p2m, ram, tot: m.dp.x.domainTotPages(dom), max: m.dp.x.domainMaxPages(dom) };
}

export { memMachine };

/** Byte offset of the first record of `type`. */
export function recordAt(image: Uint8Array, type: number): number {
  const v = new DataView(image.buffer, image.byteOffset, image.length);
  for (let at = IHDR_BYTES + DHDR_BYTES; ;) {
    const t = v.getUint32(at + RH_TYPE, true);
    if (t === type) return at;
    if (t === REC_TYPE_END) throw new Error(`no record 0x${type.toString(16)}`);
    at += RH_BYTES + padded(v.getUint32(at + RH_LENGTH, true));
  }
}

/** Recompute every record's checksum (the chain of format.ts) after a deliberate edit, so the edit itself is what is judged. */
export function reseal(image: Uint8Array): Uint8Array {
  const v = new DataView(image.buffer, image.byteOffset, image.length);
  let crc = crcUpdate(0, image.subarray(0, IHDR_BYTES + DHDR_BYTES));
  for (let at = IHDR_BYTES + DHDR_BYTES; ;) {
    const end = at + RH_BYTES + padded(v.getUint32(at + RH_LENGTH, true));
    crc = crcUpdate(crcUpdate(crc, image.subarray(at, at + RH_CHECKSUM)), image.subarray(at + RH_CHECKSUM + 4, end));
    v.setUint32(at + RH_CHECKSUM, crc, true);
    if (v.getUint32(at + RH_TYPE, true) === REC_TYPE_END) return image;
    at = end;
  }
}


