// Shared setup for the real-thread race tests.
import { expect } from 'vitest';
import { runParties, type PartySpec } from '../../src/harness/run.ts';
import { Ctl } from '../../src/harness/ctl.ts';
import { FIFO_CTL_WORDS, F_DELIVERED_TOTAL, F_DROPPED, F_SENDERS_DONE } from '../../src/litmus/parties/fifo.ts';
import type { FifoMachine } from './fifo-machine.ts';
import type { AbiMachine } from './abi-machine.ts';
import { dumpFifoQueues } from '../../src/wasm/decode.ts';
import type { WasmBuild } from '../../src/wasm/exports.ts';

/** Multiplier for iteration counts: WASMXEN_STRESS_SCALE=10 runs ten times longer. */
export function stressScale(): number {
  const v = Number(process.env.WASMXEN_STRESS_SCALE ?? '1');
  return Number.isFinite(v) && v > 0 ? v : 1;
}

export interface LitmusConfig {
  name: string;
  build: WasmBuild;
  /** scheduling noise (stress build): probability/65536 per point, max spins, 1 in 2^yield sleeps */
  noise?: { rate: number; spins: number; yieldLog2: number };
}

/**
 * Every race runs twice: on the release build as shipped, and on the stress
 * build with seeded scheduling noise at the data plane's race points.
 */
export const LITMUS_CONFIGS: LitmusConfig[] = [
  { name: 'release', build: 'release' },
  { name: 'stress+noise', build: 'stress', noise: { rate: 20000, spins: 4000, yieldLog2: 4 } },
];

export function applyNoise(m: FifoMachine, cfg: LitmusConfig): void {
  if (cfg.noise) m.dp.x.stressConfigure(cfg.noise.rate, cfg.noise.spins, cfg.noise.yieldLog2, 0);
}

export function fifoCtl(): Ctl {
  return Ctl.create(FIFO_CTL_WORDS);
}

/** Seed of the parties' noise streams: fixed by default, WASMXEN_SEED overrides; every race-test file prints it. */
export const LITMUS_SEED = Number(process.env.WASMXEN_SEED ?? 1);
console.log(`race tests: seed ${LITMUS_SEED} (WASMXEN_SEED overrides), WASMXEN_STRESS_SCALE ${stressScale()}`);

/** Watchdog deadline of one race run; vitest's own timeout (vitest.config.ts) is larger, so the dump is printed. */
export const RUN_BUDGET_MS = 30_000;

export async function runFifoParties(m: FifoMachine, ctl: Ctl, parties: PartySpec[], budgetMs = RUN_BUDGET_MS): Promise<unknown[]> {
  return runParties({
    module: m.module,
    memory: m.memory,
    ctl,
    parties,
    timeoutMs: budgetMs * stressScale(),
    stallMs: 10_000,
    seed: LITMUS_SEED,
    dump: () => [
      ...[...m.guest.keys()].map((d) => m.dump(d)),
      `ctl: sendersDone=${ctl.load(F_SENDERS_DONE)} dropped=${ctl.load(F_DROPPED)} ` +
        `delivered[slot0]=${ctl.load(F_DELIVERED_TOTAL)} delivered[slot1]=${ctl.load(F_DELIVERED_TOTAL + 1)}`,
    ].join('\n'),
  });
}

/**
 * Runs of a race before a test gives up on it ever happening (scaled by
 * WASMXEN_STRESS_SCALE). A run that races ends the loop at once, so the bound
 * only costs time when the race is elusive: on a 2-core machine running the
 * whole suite (or test:loaded's burners) a short run often keeps its parties
 * apart — 10 runs were seen to pass without an overlap.
 */
export const MAX_RACE_RUNS = Math.ceil(50 * stressScale());

/**
 * Repeat `run` (a fresh machine each time) until `raced` says the race the
 * test exists for really happened, at most MAX_RACE_RUNS times; returns every
 * run's result. The caller asserts the race happened (naming the bound) and
 * then every run's outcomes.
 */
export async function untilRaced<T>(run: (attempt: number) => Promise<T>, raced: (results: T[]) => boolean): Promise<T[]> {
  const out: T[] = [];
  while (out.length < MAX_RACE_RUNS && !(out.length > 0 && raced(out))) out.push(await run(out.length));
  // the margin left to the bound, in the log: a race that needs many runs is one to make more likely
  console.log(`race evidence: ${expect.getState().currentTestName}: ${raced(out) ? 'raced' : 'NOT raced'} after ${out.length} of ${MAX_RACE_RUNS} runs`);
  return out;
}

/**
 * A race run on an abiMachine: the watchdog's budget, the parties' noise
 * seeded with LITMUS_SEED (what every race-test file prints), and a dump of
 * every domain's queues plus `extra` when it fires.
 */
export async function runAbiParties(m: AbiMachine, ctl: Ctl, parties: PartySpec[], extra?: () => string): Promise<unknown[]> {
  return runParties({
    module: m.module, memory: m.memory, ctl, parties, timeoutMs: RUN_BUDGET_MS * stressScale(), stallMs: 10_000, seed: LITMUS_SEED,
    dump: () => [...m.plan.domains.map((d) => dumpFifoQueues(m.dp, d.domid, d.vcpus)), ...(extra ? [extra()] : [])].join('\n'),
  });
}
