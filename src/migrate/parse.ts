// Reads and validates a whole domain image before anything is created from
// it (I45): headers, every record's length and checksum chain, the records'
// order and bodies, the coverage of the domain's gfns, and the HMAC tag when
// a key is given. The first fault found is thrown as an ImageError naming it.
// Page data stays in the image (views), not copied.
import { createMac, tagsEqual } from '../platform/hmac.ts';
import {
  IHDR_BYTES, IHDR_ID, IHDR_VERSION, IHDR_OPTIONS, IHDR_RESERVED, IMAGE_ID, IMAGE_VERSION, IMAGE_VERSION_MIN,
  IHDR_OPT_BIG_ENDIAN, DHDR_BYTES, DHDR_TYPE, DHDR_TYPE_HVM, DHDR_PAGE_SHIFT, IMAGE_PAGE_SHIFT, DHDR_RESERVED,
  DHDR_MAJOR, DHDR_MINOR, RH_BYTES, RH_TYPE, RH_LENGTH, RH_CHECKSUM, RH_RESERVED, REC_LENGTH_MAX,
  REC_TYPE_OPTIONAL, REC_TYPE_END, REC_TYPE_PAGE_DATA, REC_TYPE_SHARED_INFO, REC_TYPE_STATIC_DATA_END,
  REC_TYPE_DOMAIN_CONFIG, REC_TYPE_VCPU_CONTEXT, REC_TYPE_TOOLSTACK_PORTS, REC_TYPE_P2M_TYPES, REC_TYPE_AUTH,
  REC_TYPE_SAVE_INFO, REC_TYPE_DIRTY_BITMAP, REC_TYPE_EMULATOR_CONTEXT, AUTH_ALGORITHM, AUTH_TAG_BYTES, padded, crcUpdate, recordName,
} from './format.ts';
import { ImageError } from './errors.ts';
import type { ImageKey } from './writer.ts';
import { parseBody, type Body } from './bodies.ts';
import { emulatorFault, type EmulatorContext } from './emulator.ts';
import { P2M_RAM_RO } from '../../assembly/shared/layout.ts';

/** The domain configuration an image carries (vCPUs, width, ABI limits, reservation). */
export interface ImageConfig {
  vcpus: number;
  guestWidth: 64 | 32;
  maxEvtchnPort: number;
  frames: number;
  maxPages: number;
  totPages: number;
  /** the event-channel ABI the domain ran at save (informative: a restored domain starts 2-level) */
  abi: '2l' | 'fifo';
  /** log-dirty mode was on */
  logDirty: boolean;
}

export interface ImagePage { gfn: number; populated: boolean; data?: Uint8Array }
export interface ImageVcpu { vcpu: number; continuation: boolean; regsGpa: bigint; regs: Uint8Array }
/** A toolstack channel an image records: the target pre-binds it at the same port (kind: TP_KIND_*). */
export interface ImagePort { port: number; remoteDom: number; kind: number }

/** A validated domain image: its configuration, toolstack ports, vCPU contexts and memory (what `parseImage` returns). */
export interface DomainImage {
  version: number;
  writer: { major: number; minor: number };
  config: ImageConfig;
  pages: ImagePage[];
  /** gfn → P2M_RAM_RO / P2M_MMIO_DM */
  p2mTypes: Map<number, number>;
  sharedInfo: Uint8Array;
  vcpus: ImageVcpu[];
  toolstackPorts: ImagePort[];
  saveInfo?: { preemptEvery: number; layoutVersion: number };
  /** the log-dirty bitmap, when any bit was set */
  dirty?: Uint32Array;
  /** the device model's state, when it was saved with the domain (EMULATOR_CONTEXT, I52) */
  emulator?: EmulatorContext;
  authenticated: boolean;
  /** records, END included */
  records: number;
  bytes: number;
}

/** Options of `parseImage`: the HMAC key an authenticated image needs. */
export interface ParseOptions {
  /** the HMAC key: the image must carry an AUTH record with the matching tag */
  key?: ImageKey;
}

/** Validate `image` whole; the parsed domain, or an ImageError naming the first fault. */
export function parseImage(image: Uint8Array, opts: ParseOptions = {}): DomainImage {
  if (image.length < IHDR_BYTES) throw new ImageError('truncated', `image is ${image.length} bytes, shorter than its ${IHDR_BYTES}-byte header`, 0);
  const be = new DataView(image.buffer, image.byteOffset, image.length);
  if (be.getUint32(0) !== 0xffffffff || be.getUint32(4) !== 0xffffffff) throw new ImageError('marker', 'image header marker is not all-ones: not a wasmxen image (or a legacy one)', 0);
  if (be.getUint32(IHDR_ID) !== IMAGE_ID) throw new ImageError('id', `image id 0x${be.getUint32(IHDR_ID).toString(16)} is not "WXMG": not a wasmxen domain image`, IHDR_ID);
  const version = be.getUint32(IHDR_VERSION);
  if (version < IMAGE_VERSION_MIN || version > IMAGE_VERSION) {
    throw new ImageError('version', `image format version ${version} is ${version > IMAGE_VERSION ? 'newer than' : 'older than'} this wasmxen reads (${IMAGE_VERSION_MIN}..${IMAGE_VERSION}): restore it with a wasmxen that knows it`, IHDR_VERSION);
  }
  const options = be.getUint16(IHDR_OPTIONS);
  if (options & IHDR_OPT_BIG_ENDIAN) throw new ImageError('endianness', 'image records are big-endian: wasmxen reads little-endian images only', IHDR_OPTIONS);
  if (options !== 0 || be.getUint16(IHDR_RESERVED) !== 0 || be.getUint32(IHDR_RESERVED + 2) !== 0) {
    throw new ImageError('reserved', 'image header has reserved bits set', IHDR_OPTIONS);
  }
  if (image.length < IHDR_BYTES + DHDR_BYTES) throw new ImageError('truncated', 'image ends inside its domain header', IHDR_BYTES);
  const dh = new DataView(image.buffer, image.byteOffset + IHDR_BYTES, DHDR_BYTES);
  if (dh.getUint32(DHDR_TYPE, true) !== DHDR_TYPE_HVM) throw new ImageError('domain-type', `domain type ${dh.getUint32(DHDR_TYPE, true)} is not ${DHDR_TYPE_HVM} (a translated, HVM-like domain)`, IHDR_BYTES + DHDR_TYPE);
  if (dh.getUint16(DHDR_PAGE_SHIFT, true) !== IMAGE_PAGE_SHIFT) throw new ImageError('page-size', `page shift ${dh.getUint16(DHDR_PAGE_SHIFT, true)} is not ${IMAGE_PAGE_SHIFT} (4 KiB pages)`, IHDR_BYTES + DHDR_PAGE_SHIFT);
  if (dh.getUint16(DHDR_RESERVED, true) !== 0) throw new ImageError('reserved', 'domain header has reserved bits set', IHDR_BYTES + DHDR_RESERVED);
  const writer = { major: dh.getUint32(DHDR_MAJOR, true), minor: dh.getUint32(DHDR_MINOR, true) };

  let crc = crcUpdate(0, image.subarray(0, IHDR_BYTES + DHDR_BYTES));
  const bodies: { type: number; at: number; body: Uint8Array }[] = [];
  let at = IHDR_BYTES + DHDR_BYTES;
  let ended = false;
  let authAt = -1;
  while (!ended) {
    if (image.length - at < RH_BYTES) throw new ImageError('truncated', `image ends after ${bodies.length} records without an END record`, at);
    const rh = new DataView(image.buffer, image.byteOffset + at, RH_BYTES);
    const type = rh.getUint32(RH_TYPE, true);
    const length = rh.getUint32(RH_LENGTH, true);
    const name = recordName(type);
    if (length > REC_LENGTH_MAX) throw new ImageError('record-length', `record ${bodies.length} (${name}) claims ${length} bytes, beyond REC_LENGTH_MAX`, at);
    const end = at + RH_BYTES + padded(length);
    if (end > image.length) throw new ImageError('record-length', `record ${bodies.length} (${name}) length ${length} runs past the end of the image (${image.length - at - RH_BYTES} bytes left)`, at);
    let c = crcUpdate(crc, image.subarray(at, at + RH_CHECKSUM));
    c = crcUpdate(c, image.subarray(at + RH_CHECKSUM + 4, end));
    if (c !== rh.getUint32(RH_CHECKSUM, true)) throw new ImageError('checksum', `record ${bodies.length} (${name}) fails its checksum: the image is corrupt`, at);
    crc = c;
    if (rh.getUint32(RH_RESERVED, true) !== 0) throw new ImageError('reserved', `record ${bodies.length} (${name}) has reserved header bits set`, at);
    for (let i = at + RH_BYTES + length; i < end; i++) {
      if (image[i] !== 0) throw new ImageError('reserved', `record ${bodies.length} (${name}) has non-zero padding`, at);
    }
    if (type === REC_TYPE_AUTH) authAt = at;
    else if (authAt >= 0 && type !== REC_TYPE_END) throw new ImageError('order', `record ${bodies.length} (${name}) follows AUTH: AUTH must be the last record before END`, at);
    bodies.push({ type, at, body: image.subarray(at + RH_BYTES, at + RH_BYTES + length) });
    at = end;
    if (type === REC_TYPE_END) ended = true;
  }
  if (at !== image.length) throw new ImageError('trailing-data', `${image.length - at} bytes follow the END record`, at);

  // authentication before any body is interpreted: a forged image is refused as forged
  if (opts.key !== undefined) {
    if (authAt < 0) throw new ImageError('auth-missing', 'image carries no AUTH record but a key was given: it was not authenticated by its sender', at);
    const tag = bodies[bodies.length - 2].body;
    const mac = createMac(AUTH_ALGORITHM, opts.key);
    mac.update(image.subarray(0, authAt));
    const want = mac.digest();
    if (tag.length !== AUTH_TAG_BYTES || !tagsEqual(tag, want)) throw new ImageError('auth-tag', 'image authentication tag does not match: wrong key, or the image was altered', authAt);
  } else if (authAt >= 0) {
    throw new ImageError('auth-unexpected', 'image is authenticated (AUTH record) but no key was given to verify it', authAt);
  }
  return assemble(bodies, { version, writer, authenticated: authAt >= 0, bytes: image.length });
}

function assemble(bodies: readonly { type: number; at: number; body: Uint8Array }[],
  head: Pick<DomainImage, 'version' | 'writer' | 'authenticated' | 'bytes'>): DomainImage {
  let config: ImageConfig | undefined;
  let staticEnd = false;
  let sharedInfo: Uint8Array | undefined;
  let toolstackPorts: ImagePort[] | undefined;
  let p2mTypes: Map<number, number> | undefined;
  let saveInfo: DomainImage['saveInfo'];
  let dirty: Uint32Array | undefined;
  let emulator: EmulatorContext | undefined;
  let emulatorAt = 0;
  const pages: ImagePage[] = [];
  const seen = new Set<number>();
  const vcpus = new Map<number, ImageVcpu>();
  for (let i = 0; i < bodies.length; i++) {
    const { type, at, body } = bodies[i];
    const name = recordName(type);
    const known = type === REC_TYPE_END || type === REC_TYPE_PAGE_DATA || type === REC_TYPE_SHARED_INFO ||
      type === REC_TYPE_STATIC_DATA_END || type === REC_TYPE_DOMAIN_CONFIG || type === REC_TYPE_VCPU_CONTEXT ||
      type === REC_TYPE_TOOLSTACK_PORTS || type === REC_TYPE_P2M_TYPES || type === REC_TYPE_AUTH || type === REC_TYPE_SAVE_INFO ||
      type === REC_TYPE_DIRTY_BITMAP || type === REC_TYPE_EMULATOR_CONTEXT;
    if (!known) {
      if ((type & REC_TYPE_OPTIONAL) !== 0) continue; // an optional record this restorer does not know: skipped
      throw new ImageError('unknown-record', `record ${i} has unknown mandatory type ${name}: the image needs a newer wasmxen`, at);
    }
    if (type === REC_TYPE_END || type === REC_TYPE_AUTH) continue;
    if (!config && type !== REC_TYPE_DOMAIN_CONFIG) throw new ImageError('order', `record ${i} (${name}) comes before DOMAIN_CONFIG, which must be first`, at);
    const needsStatic = type === REC_TYPE_PAGE_DATA || type === REC_TYPE_VCPU_CONTEXT || type === REC_TYPE_SHARED_INFO ||
      type === REC_TYPE_P2M_TYPES || type === REC_TYPE_TOOLSTACK_PORTS || type === REC_TYPE_DIRTY_BITMAP ||
      type === REC_TYPE_EMULATOR_CONTEXT;
    if (needsStatic && !staticEnd) throw new ImageError('order', `record ${i} (${name}) comes before STATIC_DATA_END`, at);
    const b: Body = parseBody(type, body, at, i, config);
    switch (b.kind) {
      case 'config':
        if (config) throw new ImageError('duplicate', `record ${i}: a second DOMAIN_CONFIG`, at);
        config = b.config;
        break;
      case 'static-end':
        if (staticEnd) throw new ImageError('duplicate', `record ${i}: a second STATIC_DATA_END`, at);
        staticEnd = true;
        break;
      case 'pages':
        for (const p of b.pages) {
          if (seen.has(p.gfn)) throw new ImageError('duplicate', `record ${i} (PAGE_DATA) carries gfn ${p.gfn} a second time`, at);
          seen.add(p.gfn);
          pages.push(p);
        }
        break;
      case 'shared-info':
        if (sharedInfo) throw new ImageError('duplicate', `record ${i}: a second SHARED_INFO`, at);
        sharedInfo = b.page;
        break;
      case 'vcpu':
        if (vcpus.has(b.vcpu.vcpu)) throw new ImageError('duplicate', `record ${i}: a second VCPU_CONTEXT for vCPU ${b.vcpu.vcpu}`, at);
        vcpus.set(b.vcpu.vcpu, b.vcpu);
        break;
      case 'ports':
        if (toolstackPorts) throw new ImageError('duplicate', `record ${i}: a second TOOLSTACK_PORTS`, at);
        toolstackPorts = b.ports;
        break;
      case 'p2m-types':
        if (p2mTypes) throw new ImageError('duplicate', `record ${i}: a second P2M_TYPES`, at);
        p2mTypes = b.types;
        break;
      case 'dirty':
        if (dirty) throw new ImageError('duplicate', `record ${i}: a second DIRTY_BITMAP`, at);
        dirty = b.words;
        break;
      case 'save-info':
        saveInfo = b.info;
        break;
      case 'emulator':
        if (emulator) throw new ImageError('duplicate', `record ${i}: a second EMULATOR_CONTEXT (a domain has one device model)`, at);
        emulator = b.context;
        emulatorAt = at;
        break;
    }
  }
  const endAt = bodies[bodies.length - 1].at;
  if (!config) throw new ImageError('order', 'image has no DOMAIN_CONFIG record', endAt);
  if (!staticEnd) throw new ImageError('order', 'image has no STATIC_DATA_END record', endAt);
  if (!sharedInfo) throw new ImageError('coverage', 'image has no SHARED_INFO record', endAt);
  if (seen.size !== config.frames - 1) {
    let g = 1;
    while (seen.has(g)) g++;
    throw new ImageError('coverage', `image carries ${seen.size} of the domain's ${config.frames - 1} gfns (gfn ${g} is missing): a page would be lost`, endAt);
  }
  const populated = new Set(pages.filter((p) => p.populated).map((p) => p.gfn));
  // tot_pages counts every mapped page and the pages increase_reservation charged without mapping
  if (populated.size > config.totPages) {
    throw new ImageError('record-body', `image carries ${populated.size} populated pages but DOMAIN_CONFIG says tot_pages ${config.totPages}`, endAt);
  }
  for (const [gfn, t] of p2mTypes ?? []) {
    // RAM_RO needs its page, device-model memory has none
    if ((t === P2M_RAM_RO) !== populated.has(gfn)) throw new ImageError('record-body', `P2M_TYPES gives gfn ${gfn} type ${t}, which contradicts its PAGE_DATA entry`, endAt);
  }
  for (let v = 0; v < config.vcpus; v++) {
    const c = vcpus.get(v);
    if (!c) throw new ImageError('coverage', `image has no VCPU_CONTEXT for vCPU ${v} of ${config.vcpus}`, endAt);
    const first = Number(c.regsGpa >> 12n);
    const last = Number((c.regsGpa + BigInt(c.regs.length) - 1n) >> 12n);
    for (let g = first; g <= last; g++) {
      if (!populated.has(g)) throw new ImageError('record-body', `vCPU ${v}'s register context at guest address ${c.regsGpa} is not in the domain's RAM`, endAt);
    }
  }
  if (emulator) {
    const fault = emulatorFault(emulator, pages.find((p) => p.gfn === emulator!.ringGfn)?.data);
    if (fault) throw new ImageError('record-body', `EMULATOR_CONTEXT: ${fault}`, emulatorAt);
  }
  return {
    ...head, config, pages, p2mTypes: p2mTypes ?? new Map(), sharedInfo, vcpus: [...vcpus.values()].sort((a, b) => a.vcpu - b.vcpu),
    toolstackPorts: toolstackPorts ?? [], saveInfo, dirty, emulator, records: bodies.length,
  };
}
