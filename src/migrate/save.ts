// Saving a domain (xc_domain_save): its configuration, every gfn in batches
// (data for RAM, XTAB for holes), the p2m types that are neither, shared_info,
// each vCPU's register context — with the continuation in flight there, if
// any (I46) — and the toolstack's ports. The hypervisor's channel table is not
// in the image (spec §7.7): the target binds afresh. The caller guarantees the
// domain does not run while it is read (paused, or a domain no thread drives).
import type { DataPlane } from '../wasm/data-plane.ts';
import type { DomainRegion } from '../wasm/memory-map.ts';
import {
  PAGE_SIZE, SHARED_INFO_GFN, P2M_RAM_RW, P2M_RAM_RO, P2M_MMIO_DM, DF_LOG_DIRTY,
} from '../../assembly/shared/layout.ts';
import { HCALL_REGS_SIZE, HCALL_REGS_STATE, HCALL_PREEMPTED } from '../../assembly/shared/hypercall-abi.ts';
import { PREEMPT_EVERY_DEFAULT } from '../../assembly/shared/hypercall-abi.ts';
import {
  REC_TYPE_DOMAIN_CONFIG, REC_TYPE_STATIC_DATA_END, REC_TYPE_PAGE_DATA, REC_TYPE_P2M_TYPES,
  REC_TYPE_SHARED_INFO, REC_TYPE_VCPU_CONTEXT, REC_TYPE_TOOLSTACK_PORTS, REC_TYPE_SAVE_INFO, REC_TYPE_DIRTY_BITMAP, PD_BATCH,
  REC_TYPE_EMULATOR_CONTEXT,
} from './format.ts';
import { ImageWriter, type ImageKey } from './writer.ts';
import { encodeConfig, encodePageHeader, encodeVcpu, encodePorts, encodeP2mTypes, encodeSaveInfo, encodeDirty } from './bodies.ts';
import type { ImagePort } from './parse.ts';
import { encodeEmulator, type EmulatorContext } from './emulator.ts';

export interface SaveOptions {
  /** authenticate the image with HMAC-SHA256 under this key (an AUTH record) */
  key?: ImageKey;
  /** guest address of vCPU `v`'s hypercall register context (the guest kernel's choice) */
  regsGpa: (vcpu: number) => number;
  /** the toolstack's channels of this domain (console, store, …): the target pre-binds them at these ports */
  toolstackPorts?: readonly ImagePort[];
  /** the saving hypervisor's preemption budget (SAVE_INFO, informative) */
  preemptEvery?: number;
  /** the domain's device model, quiesced (I52): written as EMULATOR_CONTEXT */
  emulator?: EmulatorContext;
}

/** The size of a written image: bytes, records and populated pages. */
export interface SaveFigures { bytes: number; records: number; pages: number }

/**
 * Write `region`'s image to `sink` chunk by chunk; every chunk is a copy,
 * so a sink may keep it after the domain runs again. Returns the figures.
 */
export function saveDomain(dp: DataPlane, region: DomainRegion, sink: (chunk: Uint8Array) => void, opts: SaveOptions): SaveFigures {
  const dom = region.domid;
  const x = dp.x;
  const base = x.addrGuestBase(dom) >>> 0;
  const w = new ImageWriter(sink, opts.key);
  const ramTypes = new Map<number, number>();
  let populated = 0;
  for (let g = 1; g < region.frames; g++) {
    const t = x.p2mTypeOf(dom, g);
    if (t === P2M_RAM_RW || t === P2M_RAM_RO) populated++;
    if (t === P2M_RAM_RO || t === P2M_MMIO_DM) ramTypes.set(g, t);
  }
  w.record(REC_TYPE_DOMAIN_CONFIG, encodeConfig({
    vcpus: region.vcpus, guestWidth: region.guestWidth, maxEvtchnPort: region.maxEvtchnPort, frames: region.frames,
    maxPages: x.domainMaxPages(dom) >>> 0, totPages: x.domainTotPages(dom) >>> 0, abi: dp.abi(dom),
    logDirty: (dp.domainFlags(dom) & DF_LOG_DIRTY) !== 0,
  }));
  w.record(REC_TYPE_SAVE_INFO, encodeSaveInfo({ preemptEvery: opts.preemptEvery ?? PREEMPT_EVERY_DEFAULT, layoutVersion: dp.layout.LAYOUT_VERSION }));
  w.record(REC_TYPE_STATIC_DATA_END);
  for (let g0 = 1; g0 < region.frames; g0 += PD_BATCH) {
    const entries: { gfn: number; populated: boolean }[] = [];
    for (let g = g0; g < Math.min(g0 + PD_BATCH, region.frames); g++) {
      const t = x.p2mTypeOf(dom, g);
      entries.push({ gfn: g, populated: t === P2M_RAM_RW || t === P2M_RAM_RO });
    }
    const data = new Uint8Array(PAGE_SIZE * entries.filter((e) => e.populated).length);
    let k = 0;
    for (const e of entries) {
      if (!e.populated) continue;
      data.set(dp.u8.subarray(base + e.gfn * PAGE_SIZE, base + (e.gfn + 1) * PAGE_SIZE), k * PAGE_SIZE);
      k++;
    }
    w.record(REC_TYPE_PAGE_DATA, encodePageHeader(entries), data);
  }
  if (ramTypes.size) w.record(REC_TYPE_P2M_TYPES, encodeP2mTypes(ramTypes));
  const dirty = new Uint32Array(Math.ceil(region.frames / 32));
  for (let i = 0; i < dirty.length; i++) dirty[i] = x.dirtyBitmapWord(dom, i, 0) >>> 0;
  if (dirty.some((w) => w !== 0)) w.record(REC_TYPE_DIRTY_BITMAP, encodeDirty(dirty));
  w.record(REC_TYPE_SHARED_INFO, dp.u8.slice(base + SHARED_INFO_GFN * PAGE_SIZE, base + (SHARED_INFO_GFN + 1) * PAGE_SIZE));
  for (let v = 0; v < region.vcpus; v++) {
    const gpa = opts.regsGpa(v);
    const regs = dp.u8.slice(base + gpa, base + gpa + HCALL_REGS_SIZE);
    const state = new DataView(regs.buffer).getUint32(HCALL_REGS_STATE, true);
    w.record(REC_TYPE_VCPU_CONTEXT, encodeVcpu({ vcpu: v, continuation: state === HCALL_PREEMPTED, regsGpa: BigInt(gpa), regs }));
  }
  if (opts.toolstackPorts?.length) w.record(REC_TYPE_TOOLSTACK_PORTS, encodePorts(opts.toolstackPorts));
  if (opts.emulator) w.record(REC_TYPE_EMULATOR_CONTEXT, ...encodeEmulator(opts.emulator));
  w.end();
  return { bytes: w.bytes, records: w.records, pages: populated };
}

/** The image as one buffer. */
export function saveDomainImage(dp: DataPlane, region: DomainRegion, opts: SaveOptions): { image: Uint8Array } & SaveFigures {
  const chunks: Uint8Array[] = [];
  const figures = saveDomain(dp, region, (c) => chunks.push(c), opts);
  // a plain Uint8Array (Buffer's slice would share memory with it)
  const image = new Uint8Array(figures.bytes);
  let at = 0;
  for (const c of chunks) { image.set(c, at); at += c.length; }
  return { image, ...figures };
}
