// runParties' watchdog (src/harness/run.ts) against parties that never come
// back: a vCPU spinning forever in a wasm loop and one asleep forever in a
// wasm atomic.wait. The run must fail as a watchdog hit naming the stuck
// party, terminate the workers and settle — never hang (a hang would time
// the test out; no wall time is asserted).
import { describe, it, expect } from 'vitest';
import { runParties, LitmusFailure } from '../../src/harness/run.ts';
import { Ctl } from '../../src/harness/ctl.ts';
import { createMachine } from '../../src/wasm/data-plane.ts';
import { guestLayout } from '../../src/guest/layout.ts';
import { bootGuest } from '../../src/guest/kernel.ts';
import { STRESS_CTL_WORDS } from '../../src/litmus/parties/stress-core.ts';
import { DOMID_SELF } from '../../assembly/shared/evtchn-abi.ts';

function machine() {
  const l = guestLayout(1, 1023);
  const m = createMachine([{ domid: 1, vcpus: 1, frames: l.freeGfn + 2, maxEvtchnPort: 1023 }], 'release');
  bootGuest(m.dp, 1, 1, l, 'fifo');
  const port = m.dp.x.evtchnAllocUnbound(1, DOMID_SELF, 1);
  return { m, l, port };
}

describe('runParties watchdog: a party stuck inside the data plane', () => {
  for (const policy of ['each', 'all'] as const) {
    it(`[${policy}] a vCPU spinning forever in a wasm loop is reported and its worker terminated`, async () => {
      const { m, l, port } = machine();
      const ctl = Ctl.create(STRESS_CTL_WORDS);
      const err = await runParties({
        module: m.module, memory: m.memory, ctl, timeoutMs: 30_000, stallMs: 400, stallPolicy: policy, dump: () => 'dump',
        parties: [{ party: 'stressStuckGuest', args: { seed: 1, epochMs: performance.timeOrigin, dom: 1, gsGfn: l.gsGfn, port } }],
      }).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(LitmusFailure);
      const f = err as LitmusFailure;
      expect(f.kind).toBe('watchdog');
      expect(f.message).toMatch(policy === 'each' ? /stressStuckGuest#0 made no progress for 400 ms/ : /no party made progress for 400 ms/);
      expect(f.stuck).toEqual([0]);
    });
  }

  it('a vCPU asleep forever in wasm atomic.wait (an IPI that never comes, no timeout) is reported and terminated', async () => {
    const { m, port } = machine();
    const ctl = Ctl.create(STRESS_CTL_WORDS);
    // one vCPU of ipi-storm alone: its "IPI" goes to an UNBOUND port (dropped), then it sleeps without a bound
    const err = await runParties({
      module: m.module, memory: m.memory, ctl, timeoutMs: 30_000, stallMs: 400, stallPolicy: 'each', dump: () => 'dump',
      parties: [{ party: 'stressRound', args: { seed: 1, epochMs: performance.timeOrigin, scenario: 'ipi-storm', role: 0, roles: 1, dom: 1, gsGfn: 1, vcpus: 2, out: [[0, port], [port, 0]], blockMs: -1 } }],
    }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(LitmusFailure);
    expect((err as LitmusFailure).kind).toBe('watchdog');
    expect((err as LitmusFailure).stuck).toEqual([0]);
  });
});
