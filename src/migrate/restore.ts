// Restoring a domain from a validated image (xc_domain_restore): the domain
// is created fresh from DOMAIN_CONFIG (2-level, no channels), its frames are
// filled from PAGE_DATA and the p2m set to match, shared_info is reduced to
// what Xen's restorer keeps (vcpu_info; every 2-level port pending-clear and
// masked, spec §7.7), each vCPU's register context is written back with its
// continuation, and the toolstack's channels are pre-bound unbound at the
// recorded ports for their backends. Everything else — FIFO registration,
// VIRQs, IPIs, interdomain channels — the guest's resume path rebinds (§8).
import type { DataPlane } from '../wasm/data-plane.ts';
import type { DomainConfig, DomainRegion } from '../wasm/memory-map.ts';
import {
  PAGE_SIZE, SHARED_INFO_GFN, P2M_INVALID, P2M_RAM_RW, XEN_LEGACY_MAX_VCPUS, VCPU_INFO_SIZE,
  VI_PENDING_SEL_64, VI_PENDING_SEL_32, SI_EVTCHN_PENDING, SI_EVTCHN_MASK_64, SI_EVTCHN_MASK_32,
} from '../../assembly/shared/layout.ts';
import { errnoName, InternalError } from '../errors.ts';
import { ImageError } from './errors.ts';
import { parseImage, type DomainImage } from './parse.ts';

export interface RestoreTarget {
  /** the largest vCPU count this host may give a domain (default 32, Xen's legacy limit) */
  maxVcpus?: number;
}

/** Refuse an image the target cannot host, before anything is created. */
export function checkTarget(img: DomainImage, target: RestoreTarget): void {
  const max = target.maxVcpus ?? XEN_LEGACY_MAX_VCPUS;
  if (img.config.vcpus > max) {
    throw new ImageError('vcpu-count', `the image's domain has ${img.config.vcpus} vCPUs but this host gives a domain at most ${max}`, 0);
  }
}

/** The DomainConfig that creates the image's domain as `domid`. */
export function restoreConfig(img: DomainImage, domid: number): DomainConfig {
  const c = img.config;
  return { domid, vcpus: c.vcpus, frames: c.frames, maxEvtchnPort: c.maxEvtchnPort, guestWidth: c.guestWidth, maxPages: c.maxPages, control: false };
}

export interface RestoredVcpu { vcpu: number; continuation: boolean; regsGpa: number }

/** 2-level bytes of shared_info per width: pending and mask bitmaps (4096 or 1024 ports). */
function twoLevelBytes(width: 64 | 32): number { return width === 64 ? 512 : 128; }

/**
 * Fill `region` (created from restoreConfig, not yet running) from `img`.
 * Throws only on a data-plane refusal, which a validated image cannot cause
 * on a fresh domain; the caller then destroys the domain.
 */
export function fillDomain(dp: DataPlane, region: DomainRegion, img: DomainImage): RestoredVcpu[] {
  const dom = region.domid;
  const x = dp.x;
  const base = x.addrGuestBase(dom) >>> 0;
  const fail = (what: string, rc: number) => { throw new InternalError(`restore of domain ${dom}: ${what} failed: -${errnoName(-rc)} on a validated image`); };
  for (const p of img.pages) {
    const type = img.p2mTypes.get(p.gfn) ?? (p.populated ? P2M_RAM_RW : P2M_INVALID);
    const rc = x.p2mRestoreSet(dom, p.gfn, type);
    if (rc < 0) fail(`setting gfn ${p.gfn}'s p2m type`, rc);
    if (p.data) dp.u8.set(p.data, base + p.gfn * PAGE_SIZE);
  }
  x.domainSetMaxPages(dom, img.config.maxPages);
  x.domainRestoreTotPages(dom, img.config.totPages);
  if (img.config.logDirty) x.domainSetLogDirty(dom, 1);
  img.dirty?.forEach((word, i) => x.dirtyBitmapRestoreWord(dom, i, word));
  // shared_info: vcpu_info[] as saved with no selector bits; 2-level pending clear, every port masked
  const si = base + SHARED_INFO_GFN * PAGE_SIZE;
  const w = img.config.guestWidth;
  dp.u8.set(img.sharedInfo.subarray(0, img.config.vcpus * VCPU_INFO_SIZE), si);
  for (let v = 0; v < img.config.vcpus; v++) {
    const sel = si + v * VCPU_INFO_SIZE + (w === 64 ? VI_PENDING_SEL_64 : VI_PENDING_SEL_32);
    dp.u8.fill(0, sel, sel + w / 8);
  }
  dp.u8.fill(0, si + SI_EVTCHN_PENDING, si + SI_EVTCHN_PENDING + twoLevelBytes(w));
  const mask = si + (w === 64 ? SI_EVTCHN_MASK_64 : SI_EVTCHN_MASK_32);
  dp.u8.fill(0xff, mask, mask + twoLevelBytes(w));
  const vcpus: RestoredVcpu[] = [];
  for (const c of img.vcpus) {
    const gpa = Number(c.regsGpa);
    dp.u8.set(c.regs, base + gpa);
    vcpus.push({ vcpu: c.vcpu, continuation: c.continuation, regsGpa: gpa });
  }
  for (const p of img.toolstackPorts) {
    const rc = x.evtchnAllocUnboundAt(dom, dom, p.remoteDom, p.port);
    if (rc !== p.port) fail(`pre-binding toolstack port ${p.port}`, rc < 0 ? rc : -22);
  }
  return vcpus;
}

export interface RestoreImageOptions extends RestoreTarget {
  key?: import('./writer.ts').ImageKey;
}

/**
 * Validate `image` whole and against the target, then — only then — create
 * its domain with `create` and fill it. On any refusal nothing was created
 * (I45); if filling fails, `destroy` removes the half-made domain before the
 * error propagates.
 */
export function restoreImage(image: Uint8Array, opts: RestoreImageOptions,
  create: (img: DomainImage) => { dp: DataPlane; region: DomainRegion },
  destroy: (region: DomainRegion) => void): { img: DomainImage; region: DomainRegion; vcpus: RestoredVcpu[] } {
  const img = parseImage(image, { key: opts.key });
  checkTarget(img, opts);
  const { dp, region } = create(img);
  try {
    return { img, region, vcpus: fillDomain(dp, region, img) };
  } catch (e) {
    destroy(region);
    throw e;
  }
}
