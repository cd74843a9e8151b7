// Litmus: consumer teardown (issue: Xen-internal consumers). Two guest vCPUs
// flood a channel whose far end is the monitor consumer; the toolstack closes
// it — holding the consumer's lock over the first half of the free, as
// vm_event does — and poisons the ring the moment close returns: 10 000
// cycles on the release build, 2000 with scheduling noise.
// Never: a callback starting after close returned, a callback touching the
// freed ring, a leaked port, a deadlock (I23).
// The stress build's injections must be caught: `callback-under-lock`
// deadlocks (watchdog), `no-drain` lets a callback touch the freed ring.
import { describe, it, expect } from 'vitest';
import { createMachine } from '../../src/wasm/data-plane.ts';
import { runParties, LitmusFailure } from '../../src/harness/run.ts';
import { Ctl } from '../../src/harness/ctl.ts';
import { consumerId } from '../../src/consumers/types.ts';
import { M_CALLS, M_LATE_STARTS, M_POISON_HITS, MONITOR_STATE_WORDS } from '../../src/consumers/monitor-ring.ts';
import { CONSUMER_CTL_WORDS, X_CYCLES, X_PORT, type ConsumerArgs } from '../../src/litmus/parties/consumer.ts';
import { stressScale, untilRaced, MAX_RACE_RUNS } from '../helpers/litmus.ts';
import type { WasmBuild } from '../../src/wasm/exports.ts';
import { INJ_CALLBACK_UNDER_LOCK, INJ_NO_DRAIN } from '../../assembly/stress/inject.ts';


async function teardown(build: WasmBuild, cycles: number, inject = 0, noise = false) {
  const m = createMachine([{ domid: 1, vcpus: 2, frames: 16 }], build);
  if (build === 'stress') m.dp.x.stressConfigure(noise ? 20000 : 0, 4000, 4, inject);
  const slot = m.dp.x.xenConsumerRegister(consumerId('monitor'), 1);
  const state = new SharedArrayBuffer(MONITOR_STATE_WORDS * 4);
  const ctl = Ctl.create(CONSUMER_CTL_WORDS);
  const args: ConsumerArgs = { dom: 1, slot, state, ringGfn: 8, cycles, callsPerCycle: 2 };
  const s = new Int32Array(state);
  const results = await runParties({
    module: m.module, memory: m.memory, ctl, timeoutMs: 60_000 * stressScale(), stallMs: 5_000,
    dump: () => `cycles ${ctl.load(X_CYCLES)} calls ${s[M_CALLS]} late starts ${s[M_LATE_STARTS]} poison hits ${s[M_POISON_HITS]} `
      + `port ${ctl.load(X_PORT)}; channels: ${[1, 2, 3, 4].map((p) => JSON.stringify({ p, ...m.dp.channel(1, p), inflight: m.dp.load32((m.dp.x.addrChannelInflight(1, p) >>> 0)), lock: (m.dp.channelLockWord(1, p) >>> 0).toString(16) })).join(' ')}`
      + ` event lock ${(m.dp.eventLockWord(1) >>> 0).toString(16)} abi lock ${(m.dp.abiLockWord(1) >>> 0).toString(16)}`
      + ` monitor lock ${s[0]}`,
    parties: [
      { party: 'consumerCloser', args },
      { party: 'consumerFlooder', args },
      { party: 'consumerFlooder', args },
    ],
  });
  return { m, s, results };
}

describe('litmus: consumer teardown under a flood', () => {
  for (const build of ['release', 'stress'] as const) {
    it(`[${build}${build === 'stress' ? '+noise' : ''}] no callback starts after close returns or touches the freed ring; no port leaks (I23)`, async () => {
      const cycles = Math.ceil((build === 'release' ? 10_000 : 2000) * stressScale());
      // the race: a close that finds callbacks in flight and must wait for them; repeated (bounded) until it happened
      const runs = await untilRaced(async () => {
        const { m, s, results } = await teardown(build, cycles, 0, build === 'stress');
        const closer = results[0] as { cycles: number; maxActive: number; drained: number };
        expect(closer.cycles).toBe(cycles);
        expect(s[M_CALLS]).toBeGreaterThanOrEqual(2 * cycles);
        expect(s[M_LATE_STARTS]).toBe(0);
        expect(s[M_POISON_HITS]).toBe(0);
        expect(m.dp.activeEvtchns(1)).toBe(0);        // every cycle's two ports were freed
        expect(closer.maxActive).toBeLessThanOrEqual(3);
        return closer;
      }, (rs) => rs.some((r) => r.drained > 0));
      expect(runs.some((r) => r.drained > 0), `no close found a callback in flight in ${runs.length} of ${MAX_RACE_RUNS} runs`).toBe(true);
    });
  }

  it('[stress] --inject no-drain: a callback touches the freed ring', async () => {
    let caught = '';
    for (let attempt = 0; attempt < 5 && !caught; attempt++) {
      const { s } = await teardown('stress', 2000, INJ_NO_DRAIN, true);
      if (s[M_POISON_HITS] + s[M_LATE_STARTS] > 0) caught = `poison hits ${s[M_POISON_HITS]}, late starts ${s[M_LATE_STARTS]}`;
    }
    expect(caught).not.toBe('');
  });

  it('[stress] --inject callback-under-lock: the teardown deadlocks and the watchdog reports it', async () => {
    const err = await teardown('stress', 2000, INJ_CALLBACK_UNDER_LOCK, true).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(LitmusFailure);
    expect((err as LitmusFailure).kind).toBe('watchdog');
  });
});
