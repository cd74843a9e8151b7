// EVTCHNOP_init_control and EVTCHNOP_expand_array (spec §9.2, §9.3), acting
// on the calling domain. Checks run in Xen's order; the first failing one
// decides the errno.
import {
  EVTCHN_FIFO_CB_MAX_OFFSET, EVTCHN_FIFO_PRIORITY_DEFAULT, EVTCHN_FIFO_EVENT_WORDS_PER_PAGE,
} from '../../assembly/shared/fifo-abi.ts';
import { EINVAL, ENOENT, ENOSPC, EOPNOTSUPP } from '../../assembly/shared/errno.ts';
import { EVTCHN_FIFO_MAX_ARRAY_PAGES, SI_EVTCHN_PENDING } from '../../assembly/shared/layout.ts';
import type { ModelDomain } from './model-domain.ts';
import { fifoNumEvtchns, fifoSetPending } from './model-fifo.ts';

/** Map `vcpu`'s control block (spec §9.2 step 6); the gfn must be the caller's RAM. */
function mapControlBlock(d: ModelDomain, gfn: number, offset: number, vcpu: number): number {
  const v = d.vcpus[vcpu];
  if (v.cb !== undefined) return -EINVAL;
  if (!d.mem.isRam(gfn)) return -EINVAL;
  v.cb = { gfn, offset };
  return 0;
}

/** Ports 1..prev-1 while valid: 2-level pending → sticky pending; priority := 7 for all (spec §9.2 step 5f, XSA-342). */
function convertFrom2Level(d: ModelDomain, prev: number): void {
  const si = d.mem.sharedInfo;
  for (let p = 1; p < prev && d.portIsValid(p); p++) {
    const chn = d.channels[p];
    if ((si[SI_EVTCHN_PENDING + (p >>> 3)] >>> (p & 7)) & 1) { chn.stickyPending = true; chn.replayClaim = true; }
    chn.priority = EVTCHN_FIFO_PRIORITY_DEFAULT;
  }
}

export function initControl(d: ModelDomain, controlGfn: number, offset: number, vcpu: number): number {
  if (!d.vcpuExists(vcpu)) return -ENOENT;
  if (offset > EVTCHN_FIFO_CB_MAX_OFFSET) return -EINVAL;
  if (offset % 8 !== 0) return -EINVAL;
  if (d.abi === 'fifo') return mapControlBlock(d, controlGfn, offset, vcpu);

  // first call: FIFO state for every vCPU (XSA-107), empty array, then the
  // control block; on failure all of it is torn down and the domain stays 2-level
  const prev = d.maxEvtchns();
  for (const v of d.vcpus) {
    v.cb = undefined;
    v.tails.fill(0);
  }
  d.arrayGfns.length = 0;
  const rc = mapControlBlock(d, controlGfn, offset, vcpu);
  if (rc !== 0) return rc;
  d.abi = 'fifo';
  convertFrom2Level(d, prev);
  return 0;
}

export function expandArray(d: ModelDomain, arrayGfn: number): number {
  if (d.abi !== 'fifo') return -EOPNOTSUPP;
  const old = fifoNumEvtchns(d);
  const slot = old / EVTCHN_FIFO_EVENT_WORDS_PER_PAGE;
  if (slot >= EVTCHN_FIFO_MAX_ARRAY_PAGES) return -ENOSPC;
  if (!d.mem.isRam(arrayGfn)) return -EINVAL;
  d.arrayGfns.push(arrayGfn);
  // replay sticky pending of the newly covered valid ports, directly, not
  // through the usable filter (spec §9.3 step 5)
  const end = old + EVTCHN_FIFO_EVENT_WORDS_PER_PAGE;
  for (let p = old; p < end && d.portIsValid(p); p++) {
    const chn = d.channels[p];
    // only unclaimed raises (I24); Xen would replay every sticky flag, echoing old ones
    if (chn.replayClaim) { chn.replayClaim = false; fifoSetPending(d, chn.notifyVcpu, p); }
  }
  return 0;
}
