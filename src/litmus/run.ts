// Runs litmus/stress parties on real worker threads over one machine's shared
// memory, with a watchdog: a run that exceeds its deadline, or in which no
// party makes progress for `stallMs`, fails with a dump of the queues instead
// of hanging. The first party error stops the run.
import { Worker } from 'node:worker_threads';
import { workerPath } from '../paths.ts';
import { Ctl, CTL_MAX_PARTIES } from './ctl.ts';

export interface PartySpec {
  /** A name registered in src/litmus/registry.ts. */
  party: string;
  args: unknown;
  /** Background parties (hammers, changers) run until the others finish; their progress does not count against a stall. */
  background?: boolean;
}

export interface RunSpec {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  ctl: Ctl;
  parties: PartySpec[];
  /** Hard deadline for the whole run. */
  timeoutMs: number;
  /** Fail if no party's progress counter moves for this long (a party stuck in a loop or asleep forever). */
  stallMs: number;
  /** Diagnostic text for failures: queues decoded, counters. */
  dump: () => string;
  /** Seed of the parties' noise streams (stress build): same seed, same noise decisions per thread. */
  seed?: number;
}

export class LitmusFailure extends Error {
  override name = 'LitmusFailure';
  constructor(message: string, readonly kind: 'error' | 'watchdog', readonly dumpText: string) {
    super(`${message}\n${dumpText}`);
  }
}

interface PartyMessage { ok: boolean; result?: unknown; error?: string }

export async function runParties(spec: RunSpec): Promise<unknown[]> {
  if (spec.parties.length > CTL_MAX_PARTIES) throw new RangeError(`at most ${CTL_MAX_PARTIES} parties`);
  const file = workerPath('litmus');
  const results: unknown[] = new Array(spec.parties.length);
  const workers: Worker[] = [];
  let remaining = spec.parties.length;

  return await new Promise<unknown[]>((resolve, reject) => {
    let settled = false;
    const lastProgress = spec.parties.map((_, i) => spec.ctl.progressOf(i));
    let lastChange = Date.now();
    const started = Date.now();

    const finish = (err?: LitmusFailure) => {
      if (settled) return;
      settled = true;
      clearInterval(timer);
      if (err) {
        spec.ctl.stop();
        // give parties a moment to see the stop flag, then force them
        setTimeout(() => { for (const w of workers) void w.terminate(); }, 200).unref();
        reject(err);
      } else {
        resolve(results);
      }
    };

    const timer = setInterval(() => {
      const now = Date.now();
      let moved = false;
      spec.parties.forEach((party, i) => {
        const p = spec.ctl.progressOf(i);
        if (p !== lastProgress[i]) { lastProgress[i] = p; moved ||= !party.background; }
      });
      if (moved) lastChange = now;
      const progress = spec.parties.map((p, i) => `${p.party}#${i}=${lastProgress[i]}`).join(' ');
      if (now - lastChange > spec.stallMs) {
        finish(new LitmusFailure(`watchdog: no party made progress for ${spec.stallMs} ms (${progress})`, 'watchdog', spec.dump()));
      } else if (now - started > spec.timeoutMs) {
        finish(new LitmusFailure(`watchdog: run exceeded ${spec.timeoutMs} ms (${progress})`, 'watchdog', spec.dump()));
      }
    }, 100);

    spec.parties.forEach((p, index) => {
      const w = new Worker(file, {
        workerData: {
          module: spec.module, memory: spec.memory, ctl: spec.ctl.sab, party: p.party, args: p.args, index,
          seed: spec.seed ?? 1,
        },
      });
      workers.push(w);
      w.on('message', (m: PartyMessage) => {
        if (!m.ok) {
          finish(new LitmusFailure(`party ${p.party}#${index} failed: ${m.error}`, 'error', spec.dump()));
          return;
        }
        results[index] = m.result;
        if (--remaining === 0) finish();
      });
      w.on('error', (e) => finish(new LitmusFailure(`party ${p.party}#${index} crashed: ${e.stack ?? e}`, 'error', spec.dump())));
    });
  }).finally(async () => {
    await Promise.all(workers.map((w) => w.terminate()));
  });
}
