// The toolstack's side of save and restore for a Hypervisor (libxl's
// domain_suspend / domain_create_restore): options and the pieces that need
// no Hypervisor internals. The domain is paused for the copy (I28: every
// vCPU parked at a hypercall or upcall boundary, so no register context is
// half-written) and resumed after unless the caller keeps it paused.
import type { GuestLayout } from '../guest/layout.ts';
import { SCRATCH_PER_VCPU, SCRATCH_REGS } from '../guest/layout.ts';
import { PAGE_SIZE } from '../../assembly/shared/layout.ts';
import type { ImageKey } from './writer.ts';
import type { ImagePort } from './parse.ts';
import { ConfigError } from '../errors.ts';
import type { EmulatorContext } from './emulator.ts';

/** Options of `hv.save` / `hv.saveTo`: the authentication key, the toolstack ports to record, whether to stay paused. */
export interface HvSaveOptions {
  /** authenticate the image (HMAC-SHA256) */
  key?: ImageKey;
  /** the toolstack's channels of the domain (console, store): the target pre-binds them at these ports */
  toolstackPorts?: readonly ImagePort[];
  /** leave the domain paused after the copy (a migration destroys it once the target runs) */
  keepPaused?: boolean;
  /** how long its vCPUs have to park (default 2000 ms) */
  timeoutMs?: number;
  /**
   * The domain's device model (a DeviceModel serving it): once the domain is
   * paused it is quiesced — no new command taken from the guest's ring, every
   * started one completed (I52) — and its state is written as an
   * EMULATOR_CONTEXT record. It serves again if the domain is resumed.
   */
  deviceModel?: SavableDeviceModel;
}

/** What a save needs of a device model (src/dm/device-model.ts implements it). */
export interface SavableDeviceModel {
  /** the domain it serves */
  readonly guestDomain: number;
  /** stop taking commands, wait until every started one completed */
  quiesce(): Promise<unknown>;
  /** its state, once quiesced */
  saveContext(): EmulatorContext;
  /** take commands again */
  unquiesce(): void;
}

/** Options of `hv.restoreDomain` / `Hypervisor.restore`: the id to restore as, the authentication key, the guest module. */
export interface HvRestoreOptions {
  /** the id the restored domain gets on this host (Xen gives a new domid) */
  id: number;
  key?: ImageKey;
  /** a guest module for its vCPU threads, which run its resume() instead of main() (none: a service domain served on this thread) */
  guest?: string;
  config?: unknown;
  /** the most vCPUs this host gives a domain (default 32) */
  maxVcpus?: number;
  /**
   * Restore the domain paused, as Xen's toolstack does: its vCPUs park before
   * any guest code runs until `hv.unpauseDomain(id)`, so the toolstack can
   * attach its consumers to the pre-bound ports first.
   */
  paused?: boolean;
}

/** Where our guest kernel keeps vCPU `v`'s hypercall register context (src/guest/layout.ts). */
export function kernelRegsGpa(layout: GuestLayout): (v: number) => number {
  return (v) => layout.scratchGfn * PAGE_SIZE + v * SCRATCH_PER_VCPU + SCRATCH_REGS;
}

/** The whole image from bytes or a stream of chunks (a restore validates all of it before creating anything). */
export async function collectImage(image: Uint8Array | AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  if (image instanceof Uint8Array) return image;
  const parts: Uint8Array[] = [];
  let n = 0;
  for await (const c of image) { parts.push(c); n += c.length; }
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

export function checkRestoreId(id: number): void {
  if (!Number.isInteger(id) || id < 0 || id > 255) throw new ConfigError(`restore: domain id ${id} is out of range: use 0..255`);
}
