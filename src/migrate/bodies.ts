// Record bodies of the domain image (format.ts): the encoder the saver uses
// and the checking decoder the parser uses, side by side, one pair per record
// type. A decoder checks lengths first, then every field against the domain's
// configuration, and throws an ImageError naming the record and the field.
import {
  PD_COUNT, PD_PFNS, PD_PFN_MASK, PD_TYPE_SHIFT, PD_TYPE_NOTAB, PD_TYPE_XTAB, DC_VCPUS, DC_GUEST_WIDTH,
  DC_MAX_EVTCHN_PORT, DC_FRAMES, DC_MAX_PAGES, DC_TOT_PAGES, DC_ABI, DC_FLAGS, DCF_LOG_DIRTY, DC_BYTES, VC_VCPU, VC_FLAGS,
  VC_REGS_GPA, VC_REGS, VC_F_CONTINUATION, TP_COUNT, TP_ENTRIES, TP_ENTRY_BYTES, TP_KIND_CONSOLE, TP_KIND_OTHER,
  PT_COUNT, PT_ENTRIES, PT_ENTRY_BYTES, SI_PREEMPT_EVERY, SI_LAYOUT_VERSION, SI_BYTES, REC_TYPE_END,
  REC_TYPE_PAGE_DATA, REC_TYPE_SHARED_INFO, REC_TYPE_STATIC_DATA_END, REC_TYPE_DOMAIN_CONFIG,
  REC_TYPE_VCPU_CONTEXT, REC_TYPE_TOOLSTACK_PORTS, REC_TYPE_P2M_TYPES, REC_TYPE_SAVE_INFO, REC_TYPE_DIRTY_BITMAP, recordName,
  REC_TYPE_EMULATOR_CONTEXT,
} from './format.ts';
import { ImageError } from './errors.ts';
import { DOMID_SELF } from '../../assembly/shared/evtchn-abi.ts';
import { decodeEmulator, type EmulatorContext } from './emulator.ts';
import type { ImageConfig, ImagePage, ImagePort, ImageVcpu } from './parse.ts';
import { PAGE_SIZE, XEN_LEGACY_MAX_VCPUS, MAX_DOMAINS, P2M_RAM_RO, P2M_MMIO_DM } from '../../assembly/shared/layout.ts';
import { EVTCHN_FIFO_NR_CHANNELS } from '../../assembly/shared/fifo-abi.ts';
import { HCALL_REGS_SIZE } from '../../assembly/shared/hypercall-abi.ts';

export type Body =
  | { kind: 'config'; config: ImageConfig }
  | { kind: 'static-end' }
  | { kind: 'pages'; pages: ImagePage[] }
  | { kind: 'shared-info'; page: Uint8Array }
  | { kind: 'vcpu'; vcpu: ImageVcpu }
  | { kind: 'ports'; ports: ImagePort[] }
  | { kind: 'p2m-types'; types: Map<number, number> }
  | { kind: 'dirty'; words: Uint32Array }
  | { kind: 'save-info'; info: { preemptEvery: number; layoutVersion: number } }
  | { kind: 'emulator'; context: EmulatorContext };

const MAX_FRAMES = 262144; // planMemory's bound

function view(b: Uint8Array): DataView { return new DataView(b.buffer, b.byteOffset, b.length); }

// ------------------------------------------------------------------ encoders
export function encodeConfig(c: ImageConfig): Uint8Array {
  const b = new Uint8Array(DC_BYTES);
  const v = view(b);
  v.setUint32(DC_VCPUS, c.vcpus, true);
  v.setUint32(DC_GUEST_WIDTH, c.guestWidth, true);
  v.setUint32(DC_MAX_EVTCHN_PORT, c.maxEvtchnPort, true);
  v.setUint32(DC_FRAMES, c.frames, true);
  v.setUint32(DC_MAX_PAGES, c.maxPages, true);
  v.setUint32(DC_TOT_PAGES, c.totPages, true);
  v.setUint32(DC_ABI, c.abi === 'fifo' ? 1 : 0, true);
  v.setUint32(DC_FLAGS, c.logDirty ? DCF_LOG_DIRTY : 0, true);
  return b;
}

/** The PAGE_DATA header (count, pfn entries) for `entries`; the saver appends the data pages. */
export function encodePageHeader(entries: readonly { gfn: number; populated: boolean }[]): Uint8Array {
  const b = new Uint8Array(PD_PFNS + 8 * entries.length);
  const v = view(b);
  v.setUint32(PD_COUNT, entries.length, true);
  entries.forEach((e, k) => {
    const type = BigInt(e.populated ? PD_TYPE_NOTAB : PD_TYPE_XTAB);
    v.setBigUint64(PD_PFNS + 8 * k, BigInt(e.gfn) | (type << PD_TYPE_SHIFT), true);
  });
  return b;
}

export function encodeVcpu(c: ImageVcpu): Uint8Array {
  const b = new Uint8Array(VC_REGS + HCALL_REGS_SIZE);
  const v = view(b);
  v.setUint32(VC_VCPU, c.vcpu, true);
  v.setUint32(VC_FLAGS, c.continuation ? VC_F_CONTINUATION : 0, true);
  v.setBigUint64(VC_REGS_GPA, c.regsGpa, true);
  b.set(c.regs, VC_REGS);
  return b;
}

export function encodePorts(ports: readonly ImagePort[]): Uint8Array {
  const b = new Uint8Array(TP_ENTRIES + TP_ENTRY_BYTES * ports.length);
  const v = view(b);
  v.setUint32(TP_COUNT, ports.length, true);
  ports.forEach((p, k) => {
    v.setUint32(TP_ENTRIES + k * TP_ENTRY_BYTES, p.port, true);
    v.setUint32(TP_ENTRIES + k * TP_ENTRY_BYTES + 4, p.remoteDom, true);
    v.setUint32(TP_ENTRIES + k * TP_ENTRY_BYTES + 8, p.kind, true);
  });
  return b;
}

export function encodeP2mTypes(types: ReadonlyMap<number, number>): Uint8Array {
  const b = new Uint8Array(PT_ENTRIES + PT_ENTRY_BYTES * types.size);
  const v = view(b);
  v.setUint32(PT_COUNT, types.size, true);
  let k = 0;
  for (const [gfn, t] of types) {
    v.setUint32(PT_ENTRIES + k * PT_ENTRY_BYTES, gfn, true);
    v.setUint32(PT_ENTRIES + k * PT_ENTRY_BYTES + 4, t, true);
    k++;
  }
  return b;
}

export function encodeDirty(words: Uint32Array): Uint8Array {
  const b = new Uint8Array(4 * words.length);
  words.forEach((w, i) => view(b).setUint32(4 * i, w, true));
  return b;
}

export function encodeSaveInfo(info: { preemptEvery: number; layoutVersion: number }): Uint8Array {
  const b = new Uint8Array(SI_BYTES);
  view(b).setUint32(SI_PREEMPT_EVERY, info.preemptEvery, true);
  view(b).setUint32(SI_LAYOUT_VERSION, info.layoutVersion, true);
  return b;
}

// ------------------------------------------------------------------ decoders
/** Decode and check record `index`'s body (at image offset `at`); `config` is the domain's, once known. */
export function parseBody(type: number, body: Uint8Array, at: number, index: number, config: ImageConfig | undefined): Body {
  const name = recordName(type);
  const bad = (what: string, fault: 'record-body' | 'gfn-range' | 'vcpu-count' | 'reserved' = 'record-body') =>
    new ImageError(fault, `record ${index} (${name}): ${what}`, at);
  const v = view(body);
  const exact = (n: number) => { if (body.length !== n) throw bad(`body is ${body.length} bytes, not ${n}`); };
  switch (type) {
    case REC_TYPE_DOMAIN_CONFIG: {
      exact(DC_BYTES);
      const vcpus = v.getUint32(DC_VCPUS, true);
      const width = v.getUint32(DC_GUEST_WIDTH, true);
      const maxPort = v.getUint32(DC_MAX_EVTCHN_PORT, true);
      const frames = v.getUint32(DC_FRAMES, true);
      const abi = v.getUint32(DC_ABI, true);
      if (vcpus < 1 || vcpus > XEN_LEGACY_MAX_VCPUS) throw bad(`${vcpus} vCPUs is outside 1..${XEN_LEGACY_MAX_VCPUS}`, 'vcpu-count');
      if (width !== 64 && width !== 32) throw bad(`guest width ${width} is not 64 or 32`);
      if (maxPort < 1 || maxPort >= EVTCHN_FIFO_NR_CHANNELS) throw bad(`max_evtchn_port ${maxPort} is outside 1..${EVTCHN_FIFO_NR_CHANNELS - 1}`);
      if (frames < 2 || frames > MAX_FRAMES) throw bad(`${frames} frames is outside 2..${MAX_FRAMES}`);
      if (abi > 1) throw bad(`ABI ${abi} is not 0 (2-level) or 1 (FIFO)`);
      const flags = v.getUint32(DC_FLAGS, true);
      if (flags & ~DCF_LOG_DIRTY) throw bad(`flags 0x${flags.toString(16)} has unknown bits`, 'reserved');
      return {
        kind: 'config',
        config: {
          vcpus, guestWidth: width, maxEvtchnPort: maxPort, frames, maxPages: v.getUint32(DC_MAX_PAGES, true),
          totPages: v.getUint32(DC_TOT_PAGES, true), abi: abi === 1 ? 'fifo' : '2l', logDirty: (flags & DCF_LOG_DIRTY) !== 0,
        },
      };
    }
    case REC_TYPE_STATIC_DATA_END:
    case REC_TYPE_END:
      exact(0);
      return { kind: 'static-end' };
    case REC_TYPE_PAGE_DATA: {
      const c = config!;
      if (body.length < PD_PFNS) throw bad(`body is ${body.length} bytes, shorter than its 8-byte header`);
      const count = v.getUint32(PD_COUNT, true);
      if (count === 0) throw bad('count is 0');
      if (v.getUint32(4, true) !== 0) throw bad('reserved field is set', 'reserved');
      if (body.length < PD_PFNS + 8 * count) throw bad(`${count} entries do not fit in ${body.length} bytes`);
      const pages: ImagePage[] = [];
      let data = PD_PFNS + 8 * count;
      const withData: ImagePage[] = [];
      for (let k = 0; k < count; k++) {
        const e = v.getBigUint64(PD_PFNS + 8 * k, true);
        const gfn = e & PD_PFN_MASK;
        const t = Number(e >> PD_TYPE_SHIFT);
        if ((e >> 52n) & 0xffn) throw bad(`entry ${k} has reserved bits set`, 'reserved');
        if (gfn >= BigInt(c.frames)) throw bad(`gfn ${gfn} is beyond the domain's ${c.frames} frames`, 'gfn-range');
        if (gfn === 0n) throw bad('gfn 0 (shared_info) travels in SHARED_INFO, not PAGE_DATA', 'gfn-range');
        if (t !== PD_TYPE_NOTAB && t !== PD_TYPE_XTAB) throw bad(`entry ${k} (gfn ${gfn}) has page type 0x${t.toString(16)}, not NOTAB or XTAB`);
        const p: ImagePage = { gfn: Number(gfn), populated: t === PD_TYPE_NOTAB };
        pages.push(p);
        if (p.populated) withData.push(p);
      }
      if (body.length !== data + PAGE_SIZE * withData.length) {
        throw bad(`length ${body.length} is not 8 + 8 × ${count} + 4096 × ${withData.length}`);
      }
      for (const p of withData) { p.data = body.subarray(data, data + PAGE_SIZE); data += PAGE_SIZE; }
      return { kind: 'pages', pages };
    }
    case REC_TYPE_SHARED_INFO:
      exact(PAGE_SIZE);
      return { kind: 'shared-info', page: body };
    case REC_TYPE_VCPU_CONTEXT: {
      exact(VC_REGS + HCALL_REGS_SIZE);
      const vcpu = v.getUint32(VC_VCPU, true);
      const flags = v.getUint32(VC_FLAGS, true);
      if (vcpu >= config!.vcpus) throw bad(`vCPU ${vcpu} is beyond the domain's ${config!.vcpus}`, 'vcpu-count');
      if (flags & ~VC_F_CONTINUATION) throw bad(`flags 0x${flags.toString(16)} has unknown bits`, 'reserved');
      return {
        kind: 'vcpu',
        vcpu: { vcpu, continuation: (flags & VC_F_CONTINUATION) !== 0, regsGpa: v.getBigUint64(VC_REGS_GPA, true), regs: body.subarray(VC_REGS) },
      };
    }
    case REC_TYPE_TOOLSTACK_PORTS: {
      if (body.length < TP_ENTRIES) throw bad(`body is ${body.length} bytes, shorter than its 8-byte header`);
      const count = v.getUint32(TP_COUNT, true);
      exact(TP_ENTRIES + TP_ENTRY_BYTES * count);
      if (v.getUint32(4, true) !== 0) throw bad('reserved field is set', 'reserved');
      const ports: ImagePort[] = [];
      const seen = new Set<number>();
      for (let k = 0; k < count; k++) {
        const o = TP_ENTRIES + k * TP_ENTRY_BYTES;
        const p = { port: v.getUint32(o, true), remoteDom: v.getUint32(o + 4, true), kind: v.getUint32(o + 8, true) };
        if (p.port < 1 || p.port > config!.maxEvtchnPort) throw bad(`port ${p.port} is outside the domain's 1..${config!.maxEvtchnPort}`);
        if (seen.has(p.port)) throw bad(`port ${p.port} is listed twice`);
        if (p.remoteDom >= MAX_DOMAINS && p.remoteDom !== DOMID_SELF) throw bad(`remote domain ${p.remoteDom} is neither a domain id nor DOMID_SELF`);
        if (p.kind < TP_KIND_CONSOLE || p.kind > TP_KIND_OTHER) throw bad(`port ${p.port} has unknown kind ${p.kind}`);
        if (v.getUint32(o + 12, true) !== 0) throw bad('reserved field is set', 'reserved');
        seen.add(p.port);
        ports.push(p);
      }
      return { kind: 'ports', ports };
    }
    case REC_TYPE_P2M_TYPES: {
      if (body.length < PT_ENTRIES) throw bad(`body is ${body.length} bytes, shorter than its 8-byte header`);
      const count = v.getUint32(PT_COUNT, true);
      exact(PT_ENTRIES + PT_ENTRY_BYTES * count);
      if (v.getUint32(4, true) !== 0) throw bad('reserved field is set', 'reserved');
      const types = new Map<number, number>();
      for (let k = 0; k < count; k++) {
        const gfn = v.getUint32(PT_ENTRIES + k * PT_ENTRY_BYTES, true);
        const t = v.getUint32(PT_ENTRIES + k * PT_ENTRY_BYTES + 4, true);
        if (gfn === 0 || gfn >= config!.frames) throw bad(`gfn ${gfn} is outside the domain's 1..${config!.frames - 1}`, 'gfn-range');
        if (t !== P2M_RAM_RO && t !== P2M_MMIO_DM) throw bad(`gfn ${gfn} has p2m type ${t}, not RAM_RO or MMIO_DM`);
        if (types.has(gfn)) throw bad(`gfn ${gfn} is listed twice`);
        types.set(gfn, t);
      }
      return { kind: 'p2m-types', types };
    }
    case REC_TYPE_DIRTY_BITMAP: {
      exact(4 * Math.ceil(config!.frames / 32));
      const words = new Uint32Array(body.length / 4);
      for (let i = 0; i < words.length; i++) words[i] = v.getUint32(4 * i, true);
      const tail = config!.frames % 32;
      if (tail && words[words.length - 1] >>> tail) throw bad(`bits beyond gfn ${config!.frames - 1} are set`, 'gfn-range');
      return { kind: 'dirty', words };
    }
    case REC_TYPE_SAVE_INFO:
      exact(SI_BYTES);
      return { kind: 'save-info', info: { preemptEvery: v.getUint32(SI_PREEMPT_EVERY, true), layoutVersion: v.getUint32(SI_LAYOUT_VERSION, true) } };
    case REC_TYPE_EMULATOR_CONTEXT:
      return { kind: 'emulator', context: decodeEmulator(body, config!.frames, bad) };
    default:
      throw bad('no decoder (internal error)');
  }
}
