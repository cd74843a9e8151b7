// EMULATOR_CONTEXT (format.ts): the device model's state in a domain image,
// as libxl appends QEMU's saved devices to Xen's stream. The device model is
// quiesced before it is written (I52): no command is half-done, so what the
// record holds — the disk and how far the device model has read the guest's
// submission ring — is all a new device model needs to carry on; the ring
// itself, its unclaimed requests and the done bits are guest memory.
import {
  EC_EMULATOR_ID, EC_INDEX, EC_VERSION, EC_RING_GFN, EC_SQ_CONS, EC_DISK_SECTORS, EC_RESERVED, EC_DISK,
  EMULATOR_ID_WASMXEN_DMA, EMULATOR_CONTEXT_VERSION,
} from './format.ts';
import { ImageError } from './errors.ts';
import { ConfigError } from '../errors.ts';
import { PAGE_SIZE } from '../../assembly/shared/layout.ts';
import { CP_SQ_PROD, DMA_SLOTS } from '../../assembly/shared/dm-layout.ts';

/** A quiesced device model's state: what a DeviceModel on the target is created from. */
export interface EmulatorContext {
  /** the guest frame of the controller's command page */
  ringGfn: number;
  /** submissions the device model has taken from the guest's ring (free-running, DM-private) */
  sqCons: number;
  /** the disk's contents, a multiple of 512 bytes */
  disk: Uint8Array;
}

function view(b: Uint8Array): DataView { return new DataView(b.buffer, b.byteOffset, b.length); }

/** The record body: header, then the disk as a view (the writer streams it, not copied). */
export function encodeEmulator(c: EmulatorContext): Uint8Array[] {
  if (c.disk.length === 0 || c.disk.length % 512 !== 0) throw new ConfigError(`emulator context: a disk of ${c.disk.length} bytes is not whole 512-byte sectors: give the device model a disk of at least one whole sector`);
  const h = new Uint8Array(EC_DISK);
  const v = view(h);
  v.setUint32(EC_EMULATOR_ID, EMULATOR_ID_WASMXEN_DMA, true);
  v.setUint32(EC_INDEX, 0, true);
  v.setUint32(EC_VERSION, EMULATOR_CONTEXT_VERSION, true);
  v.setUint32(EC_RING_GFN, c.ringGfn, true);
  v.setUint32(EC_SQ_CONS, c.sqCons >>> 0, true);
  v.setUint32(EC_DISK_SECTORS, c.disk.length / 512, true);
  return [h, c.disk];
}

/** Decode and check an EMULATOR_CONTEXT body against the domain's frame count. */
export function decodeEmulator(body: Uint8Array, frames: number, bad: (what: string, fault?: 'record-body' | 'gfn-range' | 'reserved') => ImageError): EmulatorContext {
  if (body.length < EC_DISK) throw bad(`body is ${body.length} bytes, shorter than its ${EC_DISK}-byte header`);
  const v = view(body);
  const id = v.getUint32(EC_EMULATOR_ID, true);
  if (id !== EMULATOR_ID_WASMXEN_DMA) throw bad(`emulator id 0x${id.toString(16)} is not a device model this wasmxen knows (0x${EMULATOR_ID_WASMXEN_DMA.toString(16)}, the DMA storage controller)`);
  if (v.getUint32(EC_INDEX, true) !== 0) throw bad(`emulator index ${v.getUint32(EC_INDEX, true)}: a domain has one device model (index 0)`);
  const version = v.getUint32(EC_VERSION, true);
  if (version !== EMULATOR_CONTEXT_VERSION) throw bad(`device-model state version ${version} is not ${EMULATOR_CONTEXT_VERSION}: restore it with a wasmxen that knows it`);
  const ringGfn = v.getUint32(EC_RING_GFN, true);
  if (ringGfn === 0 || ringGfn >= frames) throw bad(`command page gfn ${ringGfn} is outside the domain's 1..${frames - 1}`, 'gfn-range');
  const sectors = v.getUint32(EC_DISK_SECTORS, true);
  if (sectors === 0) throw bad('the disk has 0 sectors');
  if (v.getUint32(EC_RESERVED, true) !== 0 || v.getUint32(EC_RESERVED + 4, true) !== 0) throw bad('reserved field is set', 'reserved');
  if (body.length !== EC_DISK + sectors * 512) throw bad(`length ${body.length} is not ${EC_DISK} + 512 × ${sectors} sectors`);
  return { ringGfn, sqCons: v.getUint32(EC_SQ_CONS, true), disk: body.subarray(EC_DISK) };
}

/**
 * Check the context against the command page the image carries: the page is
 * RAM, and the guest's producer index is at most one ring ahead of the saved
 * consumer (the device model never took a submission the guest had not made,
 * and claims at most a ring's worth after the move). Returns a fault or undefined.
 */
export function emulatorFault(c: EmulatorContext, ringPage: Uint8Array | undefined): string | undefined {
  if (!ringPage || ringPage.length !== PAGE_SIZE) return `the controller's command page (gfn ${c.ringGfn}) is not RAM in the image`;
  const prod = view(ringPage).getUint32(CP_SQ_PROD, true);
  const ahead = (prod - c.sqCons) >>> 0;
  if (ahead > DMA_SLOTS) return `the guest's submission index ${prod} is ${ahead} ahead of the device model's ${c.sqCons}: more than the ring's ${DMA_SLOTS}`;
  return undefined;
}
