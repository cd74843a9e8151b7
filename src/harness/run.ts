// Runs harness parties (stress/litmus rounds, device-model races) on real
// worker threads over one machine's shared memory, with a watchdog: a run
// that exceeds its deadline, or in which no party makes progress for
// `stallMs`, fails with a dump of the queues instead
// of hanging. The first party error stops the run. The stall clock starts
// once every party has started (its worker attached to the memory and about
// to run): starting a worker — loading the bundle, compiling the wasm module —
// can take seconds on a loaded machine, and a round scenario's parties wait
// at their first barrier for the last one; START_LIMIT_MS bounds the start.
//
// A party stuck inside the data plane (a wasm loop that never returns, a
// thread asleep on a lock word) cannot see the stop flag: the watchdog
// terminates every worker (worker.terminate() interrupts a running wasm loop
// and a thread asleep in Atomics.wait) and the run settles at once; the
// promise never waits on a stuck thread.
import { spawnWorker, unrefTimer } from '../platform/host.ts';
import type { WorkerHandle } from '../platform/types.ts';
import { Ctl, CTL_MAX_PARTIES } from './ctl.ts';
import type { DataPlane } from '../wasm/data-plane.ts';

/** What a party function receives on its worker thread. */
export interface PartyContext {
  dp: DataPlane;
  ctl: Ctl;
  args: unknown;
  /** this party's index: its progress counter */
  index: number;
}

/** A party runs to completion on its thread; it may await setup (e.g. loading modules) before its loop. */
export type Party = (ctx: PartyContext) => unknown;

/** One party of a harness run: its name in the party table and its arguments. */
export interface PartySpec {
  /** A name registered in src/litmus/registry.ts (the party table of dist/litmus.worker.js). */
  party: string;
  args: unknown;
  /** Background parties (hammers, changers) run until the others finish; their progress does not count against a stall. */
  background?: boolean;
  /**
   * Tests of the start phase: the party's worker sets word 1 of this buffer
   * (8 bytes) when it begins to hold, and reports itself started only once
   * word 0 is non-zero (a slow start, staged).
   * @internal
   */
  holdStart?: SharedArrayBuffer;
}

/** A harness run: the machine, the control block, the parties and the watchdog limits. */
export interface RunSpec {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  ctl: Ctl;
  parties: PartySpec[];
  /** Hard deadline for the whole run. */
  timeoutMs: number;
  /** Fail if no party's progress counter moves for this long (a party stuck in a loop or asleep forever). */
  stallMs: number;
  /**
   * 'all' (default): a stall is no foreground party progressing for stallMs.
   * 'each': any foreground party that has not finished and whose counter did
   * not move for stallMs is stuck (for parties that all progress every round).
   */
  stallPolicy?: 'all' | 'each';
  /** Diagnostic text for failures: queues decoded, counters. */
  dump: () => string;
  /** Seed of the parties' noise streams (stress build): same seed, same noise decisions per thread. */
  seed?: number;
  /** How long every party may take to start (default START_LIMIT_MS, at most timeoutMs). */
  startLimitMs?: number;
  /** Called once every party has started (its worker attached and about to run): where a timed run's clock starts. */
  onStarted?: () => void;
}

/** A harness run that failed: a party threw, or the watchdog found a party stuck (with a dump). */
export class LitmusFailure extends Error {
  override name = 'LitmusFailure';
  /** Date.now() when the failure was detected */
  readonly at = Date.now();
  constructor(message: string, readonly kind: 'error' | 'watchdog', readonly dumpText: string,
    /** watchdog: indices of the parties whose progress had stopped */
    readonly stuck: number[] = []) {
    super(`${message}\n${dumpText}`);
  }
}

/** A party's messages: `started` once attached (the stall clock's cue), then its result or error. */
interface PartyMessage { started?: true; ok: boolean; result?: unknown; error?: string }

/** How long every party may take to start before the run is a watchdog failure. */
export const START_LIMIT_MS = 60_000;

/** How long a failed run lets its parties see the stop flag before their workers are terminated. */
const GRACE_MS = 200;

/** Run the parties on worker threads over the machine's memory until all finish; rejects with LitmusFailure on a party error or a watchdog hit, never hangs on a stuck thread. */
export async function runParties(spec: RunSpec): Promise<unknown[]> {
  if (spec.parties.length > CTL_MAX_PARTIES) throw new RangeError(`at most ${CTL_MAX_PARTIES} parties`);
  const results: unknown[] = new Array(spec.parties.length);
  const done: boolean[] = spec.parties.map(() => false);
  const workers: WorkerHandle[] = [];
  const exited: Promise<unknown>[] = [];
  let remaining = spec.parties.length;
  let terminating: Promise<unknown> | undefined;
  const terminateAll = () => (terminating ??= Promise.all(workers.map((w) => w.terminate())));

  try {
    return await new Promise<unknown[]>((resolve, reject) => {
      let settled = false;
      const lastProgress = spec.parties.map((_, i) => spec.ctl.progressOf(i));
      const lastMove = spec.parties.map(() => Date.now());
      let lastChange = Date.now();
      const started = Date.now();
      const startLimit = Math.min(spec.startLimitMs ?? START_LIMIT_MS, spec.timeoutMs);
      const partyStarted = spec.parties.map(() => false);
      let allStarted = false;

      const finish = (err?: LitmusFailure) => {
        if (settled) return;
        settled = true;
        clearInterval(timer);
        if (err) {
          spec.ctl.stop();
          // let parties see the stop flag, then force them; settle only when every thread is gone
          const force = setTimeout(() => void terminateAll(), GRACE_MS);
          void Promise.all(exited).then(() => { clearTimeout(force); reject(err); });
        } else {
          resolve(results);
        }
      };

      const describe = () => spec.parties.map((p, i) => `${p.party}#${i}=${lastProgress[i]}${done[i] ? ' (done)' : ''}`).join(' ');
      const timer = setInterval(() => {
        const now = Date.now();
        if (!allStarted) {
          if (now - started > startLimit) {
            const late = spec.parties.map((p, i) => (partyStarted[i] ? '' : `${p.party}#${i}`)).filter(Boolean).join(', ');
            finish(new LitmusFailure(`watchdog: ${late} did not start within ${startLimit} ms`, 'watchdog', spec.dump(),
              spec.parties.map((_, i) => (partyStarted[i] ? -1 : i)).filter((i) => i >= 0)));
          }
          return;
        }
        let moved = false;
        spec.parties.forEach((party, i) => {
          const p = spec.ctl.progressOf(i);
          if (p !== lastProgress[i]) {
            lastProgress[i] = p;
            lastMove[i] = now;
            moved ||= !party.background;
          }
        });
        if (moved) lastChange = now;
        const stuck = spec.parties
          .map((p, i) => (!p.background && !done[i] && now - lastMove[i] > spec.stallMs ? i : -1))
          .filter((i) => i >= 0);
        if (spec.stallPolicy === 'each' && stuck.length > 0) {
          const names = stuck.map((i) => `${spec.parties[i].party}#${i}`).join(', ');
          finish(new LitmusFailure(`watchdog: ${names} made no progress for ${spec.stallMs} ms (${describe()})`, 'watchdog', spec.dump(), stuck));
        } else if (now - lastChange > spec.stallMs) {
          finish(new LitmusFailure(`watchdog: no party made progress for ${spec.stallMs} ms (${describe()})`, 'watchdog', spec.dump(), stuck));
        } else if (now - started > spec.timeoutMs) {
          finish(new LitmusFailure(`watchdog: run exceeded ${spec.timeoutMs} ms (${describe()})`, 'watchdog', spec.dump(), stuck));
        }
      }, 100);

      spec.parties.forEach((p, index) => {
        const w = spawnWorker('litmus', {
          module: spec.module, memory: spec.memory, ctl: spec.ctl.sab, party: p.party, args: p.args, index,
          seed: spec.seed ?? 1, ...(p.holdStart ? { holdStart: p.holdStart } : {}),
        });
        workers.push(w);
        exited.push(new Promise((r) => w.onExit(r)));
        w.endpoint.addEventListener('message', (ev) => {
          const m = (ev as MessageEvent<PartyMessage>).data;
          if (m.started) {
            partyStarted[index] = true;
            if (!allStarted && partyStarted.every(Boolean)) {
              allStarted = true;
              spec.onStarted?.();
              const now = Date.now();
              lastMove.fill(now);
              lastChange = now;
            }
            return;
          }
          if (!m.ok) {
            finish(new LitmusFailure(`party ${p.party}#${index} failed: ${m.error}`, 'error', spec.dump()));
            return;
          }
          results[index] = m.result;
          done[index] = true;
          if (--remaining === 0) finish();
        });
        w.onError((e) => finish(new LitmusFailure(`party ${p.party}#${index} crashed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`, 'error', spec.dump())));
        w.onExit((code) => {
          // a result posted just before the exit may still be in flight: look again shortly
          unrefTimer(setTimeout(() => {
            if (!done[index] && !settled) finish(new LitmusFailure(`party ${p.party}#${index} exited (code ${code}) without a result`, 'error', spec.dump()));
          }, 100));
        });
      });
    });
  } finally {
    await terminateAll();
  }
}
