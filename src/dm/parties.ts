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

// ctl user words
export const DC_GUEST_PORT = 0;   // the guest's unbound port, offered to the device model
export const DC_DM_READY = 1;     // 1 once the doorbell is bound
export const DC_GUEST_DONE = 2;   // 1 once the guest stops (servers end)
export const DC_DM_DEAD = 3;      // 1 if the device model hit a fatal error
export const DC_STEP = 4;         // seed scripts: the global step counter
export const DM_CTL_WORDS = 8;

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
