// EVTCHNOP_unmask × the guest taking the event (I26): no event nobody sent.
// Xen's evtchn_fifo_unmask tests PENDING, then set_pending sets it again; a
// Linux-style guest whose upcall loop acks the event in between gets it twice.
// wasmxen relinks only while PENDING is still set. The race is proven to have
// happened — the hypervisor counts unmasks whose relink found the event already
// taken (D_STAT_RELINK_SKIPPED) — before the count of spurious deliveries (0)
// is trusted; the stress build's INJ_XEN_UNMASK restores Xen's relink, and the
// same run must then count one spurious delivery per such race.
import { describe, it, expect } from 'vitest';
import { abiMachine } from '../helpers/abi-machine.ts';
import { stressScale } from '../helpers/litmus.ts';
import { runParties } from '../../src/harness/run.ts';
import { Ctl } from '../../src/harness/ctl.ts';
import type { UnmaskAckArgs, UnmaskAckResult } from '../../src/litmus/parties/unmask-ack.ts';
import { DOMID_SELF } from '../../assembly/shared/evtchn-abi.ts';
import { INJ_XEN_UNMASK } from '../../assembly/stress/inject.ts';
import { NP_UNMASK_BEFORE_RELINK, NP_GUEST_HEAD } from '../../assembly/stress/points.ts';
import { configureNoise } from '../../src/stress/scenarios.ts';

const SEED = Number(process.env.WASMXEN_SEED ?? 20261206) >>> 0;
const ROUNDS_PER_RUN = 2000;
/** Runs before giving up on the race ever happening (scaled). */
const MAX_RUNS = Math.ceil(25 * stressScale());

interface Tally { rounds: number; spurious: number; lost: number; hypercalls: number; raced: number; runs: number }

/** Rounds in chunks until `enough` holds or MAX_RUNS chunks ran; returns the totals. */
async function runUntil(inject: number, enough: (t: Tally) => boolean): Promise<Tally> {
  const t: Tally = { rounds: 0, spurious: 0, lost: 0, hypercalls: 0, raced: 0, runs: 0 };
  while (t.runs < MAX_RUNS && !enough(t)) {
    const m = abiMachine('fifo', [{ domid: 1, vcpus: 1 }], 'stress');
    const x = m.dp.x;
    const noise = { rate: 30000, spins: 3000, yieldLog2: 2, points: [NP_UNMASK_BEFORE_RELINK, NP_GUEST_HEAD] };
    configureNoise(x, noise, inject);
    const port = x.evtchnAllocUnbound(1, DOMID_SELF, 1);
    expect(port).toBeGreaterThan(0);
    m.listen(1, port);
    const args: UnmaskAckArgs = { dom: 1, gsGfn: m.layout.get(1)!.gsGfn, port, rounds: ROUNDS_PER_RUN, seed: (SEED + t.runs) >>> 0 };
    const ctl = Ctl.create(16);
    const results = await runParties({
      module: m.module, memory: m.memory, ctl, timeoutMs: 120_000, stallMs: 10_000, stallPolicy: 'each', seed: args.seed,
      parties: [{ party: 'unmaskAckUnmasker', args }, { party: 'unmaskAckConsumer', args }],
      dump: () => `event word 0x${((m.dp.eventWord(1, port) ?? 0) >>> 0).toString(16)}`,
    }) as UnmaskAckResult[];
    const c = results[1]!;
    t.rounds += c.rounds;
    t.spurious += c.spurious;
    t.lost += c.lost;
    t.hypercalls += results[0]!.hypercalls;
    t.raced += m.dp.stats(1).relinkSkipped;
    t.runs++;
  }
  return t;
}

describe(`EVTCHNOP_unmask × the guest acking the event (seed ${SEED}; WASMXEN_SEED overrides)`, () => {
  it('wasmxen: no spurious delivery once the ack has landed between the unmask\'s PENDING test and its relink (I26)', async () => {
    const t = await runUntil(0, (s) => s.raced >= 3);
    const what = JSON.stringify(t);
    console.log(what);
    // the race happened: the hypervisor saw PENDING, then found it taken by the guest before relinking
    expect(t.raced, `the race never happened in ${t.runs} runs: ${what}`).toBeGreaterThanOrEqual(3);
    expect(t.hypercalls, what).toBeGreaterThan(0);
    expect(t.spurious, what).toBe(0);
    expect(t.lost, what).toBe(0);
  });

  it('Xen\'s relink (INJ_XEN_UNMASK) under the same race: the run counts the events nobody sent', async () => {
    const t = await runUntil(INJ_XEN_UNMASK, (s) => s.spurious >= 3);
    const what = JSON.stringify(t);
    console.log(what);
    expect(t.spurious, `the race never happened in ${t.runs} runs: ${what}`).toBeGreaterThanOrEqual(3);
    expect(t.lost, what).toBe(0);
    expect(t.raced, what).toBe(0); // Xen's relink never looks: it re-sets PENDING
  });
});
