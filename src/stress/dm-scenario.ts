// The device model's race in `wasmxen stress`: overlapping DMA through the
// shared mapcache (src/dm/race.ts) — one guest vCPU keeping 32 commands in
// flight, device-model workers on their own threads mapping, copying and
// unmapping guest RAM through 4 shared buckets. One iteration is a batch of
// commands on a fresh machine; the batch is judged by the guest's end-to-end
// checks, the device model's fatal errors and the mapcache invariants.
// `--inject mapcache-first-free` restores the pre-fix bucket search.
import { runDmaRace, type DmaRaceReport } from '../dm/race.ts';
import { LitmusFailure } from '../harness/run.ts';
import type { OutcomeDef } from '../litmus/parties/stress-core.ts';
import type { ScenarioDef, CustomRunOptions, CustomRunResult } from './scenarios.ts';

/** Commands per iteration (a batch on one fresh machine). */
export const DM_BATCH = 1000;
const NOISE = { rate: 20000, spins: 4000, yieldLog2: 4 };

export const DM_MAPCACHE_OUTCOMES: OutcomeDef[] = [
  { id: 'private', kind: 'acceptable', text: 'no request started while another worker held a mapping in its bucket, or no request served by an entry already mapped' },
  { id: 'shared', kind: 'interesting', text: 'requests started while another worker held a locked mapping in the same bucket, and requests served by entries already mapped (hits); every transfer checked' },
  { id: 'data', kind: 'forbidden', text: 'a transfer with a wrong checksum, sector pattern or status, or a completion nobody asked for' },
  { id: 'dm-died', kind: 'forbidden', text: 'the device model hit a fatal error (a wrong reverse translation, a live mapping unmapped): QEMU would abort' },
  { id: 'invariant', kind: 'forbidden', text: 'a mapcache invariant broken at the end (a leaked lock, a duplicate key)' },
  { id: 'incomplete', kind: 'forbidden', text: 'a command never completed' },
];
const idx = (id: string) => DM_MAPCACHE_OUTCOMES.findIndex((o) => o.id === id);

function classify(r: DmaRaceReport): { outcome: number; detail?: string } {
  const g = r.guest;
  if (r.fatal) return { outcome: idx('dm-died'), detail: `${r.fatal.kind}: ${JSON.stringify(r.fatal)}` };
  if (g.checksumErrors + g.patternErrors + g.statusErrors + g.spurious > 0 || g.failures.length > 0) {
    return { outcome: idx('data'), detail: `checksum ${g.checksumErrors} pattern ${g.patternErrors} status ${g.statusErrors} spurious ${g.spurious}; ${g.failures.slice(0, 2).join('; ')}` };
  }
  if (r.finalCheck || r.checkFailure) return { outcome: idx('invariant'), detail: `${r.finalCheck ?? r.checkFailure?.check}` };
  if (g.completed !== g.issued || g.issued !== DM_BATCH) return { outcome: idx('incomplete'), detail: `issued ${g.issued}, completed ${g.completed} of ${DM_BATCH}` };
  // one worker alone holds several mappings at once (it keeps commands in flight): the race needs two workers in one bucket
  return { outcome: idx(r.sharedInFlight > 0 && r.mapcache.hits > 0 ? 'shared' : 'private') };
}

async function runDm(o: CustomRunOptions): Promise<CustomRunResult> {
  const outcomes = DM_MAPCACHE_OUTCOMES.map(() => 0);
  const started = performance.now();
  const elapsed = () => (performance.now() - started) / 1000;
  let iterations = 0;
  let forbidden = 0;
  let failure: CustomRunResult['failure'];
  // at least one batch: a run shorter than a batch still judges one
  do {
    let r: DmaRaceReport;
    try {
      r = await runDmaRace({
        build: o.build, transfers: DM_BATCH, seed: (o.seed + iterations) >>> 0, buckets: 4,
        inject: o.inject ? [o.inject] : undefined, noise: o.build === 'stress' && o.noise ? NOISE : undefined, stallMs: 10_000,
      });
    } catch (e) {
      if (!(e instanceof LitmusFailure)) throw e;
      const watchdog = e.kind === 'watchdog';
      failure = { kind: watchdog ? 'watchdog' : 'error', outcome: watchdog ? 'watchdog' : 'error', detail: e.message, iteration: iterations, atSeconds: elapsed() };
      if (!watchdog) forbidden++;
      return { iterations, outcomes, forbidden, watchdog: watchdog ? 1 : 0, seconds: elapsed(), failure };
    }
    const c = classify(r);
    outcomes[c.outcome]++;
    iterations++;
    if (DM_MAPCACHE_OUTCOMES[c.outcome].kind === 'forbidden') {
      forbidden++;
      failure = { kind: 'forbidden', outcome: DM_MAPCACHE_OUTCOMES[c.outcome].id, detail: `${c.detail}\n${r.dump}`, iteration: iterations - 1, atSeconds: elapsed() };
      break;
    }
    o.onProgress?.(iterations, outcomes);
  } while (elapsed() < o.seconds && iterations < (o.iterations ?? Infinity) && !o.stopped?.());
  return { iterations, outcomes, forbidden, watchdog: 0, seconds: elapsed(), failure };
}

export const DM_MAPCACHE_SCENARIO: ScenarioDef = {
  name: 'dm-mapcache',
  race: 'device-model workers mapping, copying and unmapping guest RAM through the shared mapcache for 32 overlapping DMA commands',
  iteration: `one batch of ${DM_BATCH} commands (mixed reads and writes at random places of 6 MiB) on a fresh machine, 2 workers, 4 buckets`,
  never: 'a wrong checksum or status, a fatal device-model error, a leaked lock or duplicate key in the mapcache',
  outcomes: DM_MAPCACHE_OUTCOMES,
  evidence: { outcomes: ['shared'], text: 'two workers in one mapcache bucket at once: a request started while another worker held a locked mapping there, and entries shared (shared)' },
  noise: NOISE,
  run: runDm,
};
