// Parties of the device-model races (test/dm/). The guest party drives the
// storage controller from the guest's vCPU (DmaExerciser); each server party
// is one device-model worker (DmaServer) on one vCPU of the device-model
// domain. Everything goes through the real event-channel hypercalls.
//
// The seed party runs a script of one transfer's steps (map, copy, unmap) at
// fixed positions of a global step counter, so several parties interleave
// their transfers on real threads in an exact order (the A/B/C timeline).
import type { PartyContext } from '../harness/run.ts';
import { Guest } from '../guest/guest.ts';
import { guestLayout } from '../guest/layout.ts';
import { DmaExerciser, type DmaGuestLayout, type ExerciserReport } from './exerciser.ts';
import { DmaServer } from './server.ts';
import { dmExports } from './exports.ts';
import { MC_BUCKET_SHIFT } from '../../assembly/shared/dm-layout.ts';

// ctl user words
export const DC_GUEST_PORT = 0;   // the guest's unbound port, offered to the device model
export const DC_DM_READY = 1;     // 1 once the doorbell is bound
export const DC_GUEST_DONE = 2;   // 1 once the guest stops (servers end)
export const DC_DM_DEAD = 3;      // 1 if the device model hit a fatal error
export const DC_STEP = 4;         // seed scripts: the global step counter
/** race evidence: requests started while another worker held a locked mapping in one of their mapcache buckets */
export const DC_SHARED_IN_FLIGHT = 5;
/** + bucket × DC_MAX_WORKERS + worker: that worker's requests in flight (mapped locked) touching that 1 MiB bucket */
export const DC_HELD = 8;
export const DC_MAX_WORKERS = 4;
export const DC_MAX_BUCKETS = 256;
export const DM_CTL_WORDS = DC_HELD + DC_MAX_BUCKETS * DC_MAX_WORKERS;

const waitFor = (ctx: PartyContext, word: number): number => {
  for (;;) {
    const v = ctx.ctl.load(word);
    if (v !== 0 || ctx.ctl.stopped) return v;
    ctx.ctl.waitWhile(word, 0, 50);
  }
};

export interface DmaGuestArgs {
  dom: number;
  dmDom: number;
  dmVcpus: number;
  maxPort: number;
  layout: DmaGuestLayout;
  diskSectors: number;
  seed: number;
  transfers: number;
  badEvery?: number;
  maxSectors?: number;
}

export interface DmaGuestResult {
  report: ExerciserReport;
  inFlight: number;
  lateWakeups: number;
  stoppedEarly: boolean;
}

export function dmaGuest(ctx: PartyContext): DmaGuestResult {
  const { dp, ctl } = ctx;
  const a = ctx.args as DmaGuestArgs;
  let ex!: DmaExerciser;
  const g = new Guest(dp, { dom: a.dom, vcpu: 0, vcpus: 1, maxPort: a.maxPort, config: undefined, stopping: () => ctl.stopped },
    guestLayout(1, a.maxPort), () => ({
      complete: () => { for (let n = ex.onCompletion(); n > 0; n--) ctl.progress(ctx.index); },
    }));
  const port = g.hc.allocUnbound(a.dmDom);
  g.listen(port, 'complete');
  ex = new DmaExerciser(dp, {
    dom: a.dom, layout: a.layout, diskSectors: a.diskSectors, seed: a.seed, transfers: a.transfers,
    badEvery: a.badEvery, maxSectors: a.maxSectors,
  }, () => g.send(port));
  ctl.store(DC_GUEST_PORT, port);
  ctl.notify(DC_GUEST_PORT);
  waitFor(ctx, DC_DM_READY);
  let stoppedEarly = false;
  while (!ex.finished()) {
    if (ctl.stopped || ctl.load(DC_DM_DEAD) !== 0) { stoppedEarly = true; break; }
    ex.fill();
    g.kernel.blockAndRun(50);
  }
  g.poll();
  ctl.store(DC_GUEST_DONE, 1);
  for (let v = 0; v < a.dmVcpus; v++) dp.x.kickVcpu(a.dmDom, v); // servers asleep: wake them to see the end
  return { report: ex.report, inFlight: ex.inFlightCount, lateWakeups: g.kernel.stats.lateWakeups, stoppedEarly };
}

export interface DmaServerArgs {
  dmDom: number;
  worker: number;
  vcpus: number;
  maxPort: number;
  guestDom: number;
  /** the device-model region's address */
  dm: number;
}

export function dmaServer(ctx: PartyContext): { commands: number; dead: boolean; lateWakeups: number } {
  const { dp, ctl } = ctx;
  const a = ctx.args as DmaServerArgs;
  const server = new DmaServer(dp, a.dm, a.worker, () => ctl.progress(ctx.index));
  const stopping = () => ctl.stopped || ctl.load(DC_GUEST_DONE) !== 0;
  const g = new Guest(dp, { dom: a.dmDom, vcpu: a.worker, vcpus: a.vcpus, maxPort: a.maxPort, config: undefined, stopping },
    guestLayout(a.vcpus, a.maxPort), () => server.handlers());
  server.attach(g);
  if (a.worker < DC_MAX_WORKERS) server.onInFlight = (gpa, len, delta) => trackHeld(ctx, a.worker, gpa, len, delta);
  server.bindWakeup();
  if (a.worker === 0) {
    const port = waitFor(ctx, DC_GUEST_PORT);
    if (port === 0) return { commands: 0, dead: false, lateWakeups: 0 };
    server.connect(a.guestDom, port);
    ctl.store(DC_DM_READY, 1);
    ctl.notify(DC_DM_READY);
  }
  server.serve(stopping);
  const dead = server.dead();
  if (dead) {
    ctl.store(DC_DM_DEAD, 1);
    dp.x.kickVcpu(a.guestDom, 0); // the guest waits for completions that will not come
  }
  return { commands: server.commands, dead, lateWakeups: g.kernel.stats.lateWakeups };
}

/**
 * Counts `worker`'s locked requests per mapcache bucket (MC_BUCKET_SHIFT);
 * a request started while another worker holds one in the same bucket is a
 * mapping shared between in-flight requests on two threads: DC_SHARED_IN_FLIGHT.
 */
function trackHeld(ctx: PartyContext, worker: number, gpa: number, len: number, delta: 1 | -1): void {
  const first = gpa >>> MC_BUCKET_SHIFT;
  const last = (gpa + Math.max(len, 1) - 1) >>> MC_BUCKET_SHIFT;
  if (last >= DC_MAX_BUCKETS || last < first) return; // outside the tracked guest RAM: not evidence either way
  let shared = false;
  for (let b = first; b <= last; b++) {
    ctx.ctl.add(DC_HELD + b * DC_MAX_WORKERS + worker, delta);
    if (delta > 0) for (let w = 0; w < DC_MAX_WORKERS; w++) if (w !== worker && ctx.ctl.load(DC_HELD + b * DC_MAX_WORKERS + w) > 0) shared = true;
  }
  if (shared) ctx.ctl.add(DC_SHARED_IN_FLIGHT, 1);
}

// ------------------------------------------------------------------ step scripts

export type SeedAction =
  | { step: number; do: 'map'; gpa: number; len: number }
  | { step: number; do: 'copy'; op: number; lba: number }
  | { step: number; do: 'unmap' }
  /** release without the translation check: QEMU paths that unmap without translating first */
  | { step: number; do: 'invalidate' };

export interface SeedArgs {
  dm: number;
  tag: number;
  script: SeedAction[];
}

/** One transfer's steps at fixed global steps; returns each step's result (DM address, 0, or a negative code). */
export function dmSeed(ctx: PartyContext): number[] {
  const { dp, ctl } = ctx;
  const a = ctx.args as SeedArgs;
  const x = dmExports(dp);
  const out: number[] = [];
  let vaddr = 0;
  let gpa = 0;
  let len = 0;
  for (const s of a.script) {
    for (let cur = ctl.load(DC_STEP); cur !== s.step; cur = ctl.load(DC_STEP)) {
      if (ctl.stopped) return out;
      if (cur > s.step) throw new Error(`step ${s.step} of tag ${a.tag} was skipped (now ${cur})`);
      ctl.waitWhile(DC_STEP, cur, 50);
    }
    let r: number;
    switch (s.do) {
      case 'map':
        gpa = s.gpa; len = s.len;
        r = vaddr = x.dmaMapStep(a.dm, gpa, len);
        break;
      case 'copy':
        r = x.dmaCopyStep(a.dm, vaddr, gpa, len, s.op, s.lba, a.tag);
        break;
      case 'unmap':
        r = x.dmaUnmapStep(a.dm, vaddr, gpa, len, a.tag);
        break;
      default:
        r = x.mcInvalidateEntry(a.dm, vaddr);
    }
    out.push(r);
    ctl.progress(ctx.index);
    ctl.add(DC_STEP, 1);
    ctl.notify(DC_STEP);
  }
  return out;
}
