// A domain's observable memory state, for comparing a moved run with one
// that never moved: the p2m, the reservation counters, the log-dirty bitmap,
// a hash of every populated frame, and the number of open ports.
import { createHash } from 'node:crypto';
import type { DataPlane } from '../wasm/data-plane.ts';
import { PAGE_SIZE, P2M_RAM_RW, P2M_RAM_RO } from '../../assembly/shared/layout.ts';

export interface DomainDigest {
  p2m: number[];
  totPages: number;
  maxPages: number;
  dirty: number[];
  ramSha256: string;
  activeEvtchns: number;
}

/**
 * `skip`: guest byte ranges [gpa, gpa + len) left out of the RAM hash — the
 * register contexts, whose last continuation argument depends on where the
 * calls were preempted, not on what they did.
 */
export function domainDigest(dp: DataPlane, dom: number, frames: number, skip: readonly [number, number][] = []): DomainDigest {
  const x = dp.x;
  const base = x.addrGuestBase(dom) >>> 0;
  const h = createHash('sha256');
  const p2m: number[] = [];
  for (let g = 0; g < frames; g++) {
    const t = x.p2mTypeOf(dom, g);
    p2m.push(t);
    if (g === 0 || (t !== P2M_RAM_RW && t !== P2M_RAM_RO)) continue;
    const page = dp.u8.slice(base + g * PAGE_SIZE, base + (g + 1) * PAGE_SIZE);
    for (const [gpa, len] of skip) {
      const lo = Math.max(gpa, g * PAGE_SIZE), hi = Math.min(gpa + len, (g + 1) * PAGE_SIZE);
      if (lo < hi) page.fill(0, lo - g * PAGE_SIZE, hi - g * PAGE_SIZE);
    }
    h.update(page);
  }
  return {
    p2m, totPages: x.domainTotPages(dom) >>> 0, maxPages: x.domainMaxPages(dom) >>> 0,
    dirty: Array.from({ length: Math.ceil(frames / 32) }, (_, i) => x.dirtyBitmapWord(dom, i, 0) >>> 0),
    ramSha256: h.digest('hex'), activeEvtchns: dp.activeEvtchns(dom),
  };
}
