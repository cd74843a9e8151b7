// Randomized overlapping DMA on real threads, under the harness runner's
// watchdog: one guest party (DmaExerciser, 32 commands in flight) and one
// party per device-model worker. Used by test/dm/ and available to the race
// harness: `inject: ['mapcache-first-free']` (stress build) restores the
// pre-fix mapcache search, which this run must then detect.
import { runParties } from '../harness/run.ts';
import { Ctl } from '../harness/ctl.ts';
import { DM_CTL_WORDS, DC_SHARED_IN_FLIGHT, type DmaGuestArgs, type DmaGuestResult, type DmaServerArgs } from './parties.ts';
import { createDmaMachine, type DmaMachineOptions } from './machine.ts';
import type { DmFatal, MapCacheStats, DmaEngineStats, McCheckName } from './region.ts';
import type { ExerciserReport } from './exerciser.ts';
import { INJECT_MAPCACHE_FIRST_FREE } from '../../assembly/shared/dm-layout.ts';
import { ConfigError } from '../errors.ts';

/** Bugs the stress build can re-inject into the device model (G_INJECT bits). */
export const DM_INJECTIONS: Record<string, number> = {
  'mapcache-first-free': INJECT_MAPCACHE_FIRST_FREE,
};

/** The G_INJECT bits of the named device-model bugs; throws ConfigError for an unknown name. */
export function injectionMask(names: readonly string[]): number {
  let mask = 0;
  for (const n of names) {
    const bit = DM_INJECTIONS[n];
    if (bit === undefined) throw new ConfigError(`unknown injection '${n}': known: ${Object.keys(DM_INJECTIONS).join(', ')}`);
    mask |= bit;
  }
  return mask;
}

/** A randomized overlapping-DMA race: how many transfers, which build, which injected bugs. */
export interface DmaRaceOptions extends DmaMachineOptions {
  /** commands the guest issues */
  transfers: number;
  seed?: number;
  /** injected bugs by name (needs build 'stress') */
  inject?: string[];
  /** scheduling noise of the stress build */
  noise?: { rate: number; spins: number; yieldLog2: number };
  /** every n-th command is deliberately bad (0: none); default 0 */
  badEvery?: number;
  maxSectors?: number;
  timeoutMs?: number;
  stallMs?: number;
}

/** A DMA race's outcome: every transfer checked, the device model's health, whether a bug was detected. */
export interface DmaRaceReport {
  guest: ExerciserReport;
  /** commands each worker executed */
  workers: number[];
  mapcache: MapCacheStats;
  dma: DmaEngineStats;
  /** the device model's fatal error (QEMU would have aborted) */
  fatal?: DmFatal;
  /** the invariant check at the end (leaked locks, duplicates …) */
  finalCheck?: McCheckName;
  /** the first violation seen by per-operation checks (opts.checks) */
  checkFailure?: { check: McCheckName; index: number };
  lateWakeups: number;
  /** race evidence: requests started while another worker held a locked mapping in the same mapcache bucket */
  sharedInFlight: number;
  /** every transfer completed with the right status and data, nothing fatal, invariants hold */
  ok: boolean;
  /** something went wrong that the harness saw: the injected bug was caught */
  detected: boolean;
  seconds: number;
  dump: string;
}

/** Run randomized overlapping DMA on real threads under the harness watchdog. */
export async function runDmaRace(o: DmaRaceOptions): Promise<DmaRaceReport> {
  const inject = injectionMask(o.inject ?? []);
  if (inject !== 0 && o.build !== 'stress') throw new ConfigError('injections need the stress build (build: \'stress\')');
  const m = createDmaMachine(o);
  const x = m.machine.dp.x;
  if (o.noise || inject) x.stressConfigure(o.noise?.rate ?? 0, o.noise?.spins ?? 0, o.noise?.yieldLog2 ?? 0, inject);
  const ctl = Ctl.create(DM_CTL_WORDS);
  const guestArgs: DmaGuestArgs = {
    dom: m.guestDom, dmDom: m.dmDom, dmVcpus: m.workers, maxPort: m.maxEvtchnPort, layout: m.dma,
    diskSectors: m.plan.diskSectors, seed: o.seed ?? 1, transfers: o.transfers, badEvery: o.badEvery,
    maxSectors: o.maxSectors,
  };
  const servers = Array.from({ length: m.workers }, (_, w): DmaServerArgs => ({
    dmDom: m.dmDom, worker: w, vcpus: m.workers, maxPort: m.maxEvtchnPort, guestDom: m.guestDom, dm: m.region.addr,
  }));
  const started = Date.now();
  const results = await runParties({
    module: m.machine.module,
    memory: m.machine.memory,
    ctl,
    parties: [{ party: 'dmaGuest', args: guestArgs }, ...servers.map((args) => ({ party: 'dmaServer', args }))],
    timeoutMs: o.timeoutMs ?? 120_000,
    stallMs: o.stallMs ?? 10_000,
    seed: o.seed ?? 1,
    dump: () => m.region.dump(),
  });
  const seconds = (Date.now() - started) / 1000;
  const g = results[0] as DmaGuestResult;
  const srv = results.slice(1) as { commands: number; dead: boolean; lateWakeups: number }[];
  const fatal = m.region.fatal();
  const finalCheck = m.region.check();
  const checkFailure = m.region.checkFailure();
  const r = g.report;
  const dataBad = r.checksumErrors + r.patternErrors + r.statusErrors + r.spurious;
  const lateWakeups = g.lateWakeups + srv.reduce((a, s) => a + s.lateWakeups, 0);
  const detected = !!fatal || dataBad > 0 || !!finalCheck || !!checkFailure;
  return {
    guest: r,
    workers: srv.map((s) => s.commands),
    mapcache: m.region.mapcacheStats(),
    dma: m.region.dmaStats(),
    fatal, finalCheck, checkFailure, lateWakeups,
    sharedInFlight: ctl.load(DC_SHARED_IN_FLIGHT),
    ok: !detected && !g.stoppedEarly && r.completed === r.issued && r.issued === o.transfers && lateWakeups === 0,
    detected,
    seconds,
    dump: m.region.dump(),
  };
}
