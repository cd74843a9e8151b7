// Litmus (a): several hypervisor-side senders raise ports on one vCPU's
// queues at mixed priorities while that vCPU's guest loop drains them.
// Never: a lost, duplicated or invented event (exactly-once accounting),
// an event overtaking an earlier one of the same sender on the same queue.
// Always (phased variant): queues drained in priority order (I11, I13, I15).
// The race is proven: runs repeat (at most MAX_RACE_RUNS) until the guest
// consumed an event while a raise was in flight and the two senders' raises
// overlapped each other (seqlocks around every raise, race-evidence.ts).
import { describe, it, expect } from 'vitest';
import { fifoMachine } from '../helpers/fifo-machine.ts';
import { fifoCtl, runFifoParties, stressScale, LITMUS_CONFIGS, applyNoise, untilRaced, MAX_RACE_RUNS } from '../helpers/litmus.ts';
import { F_DRAIN_IN_RAISE, F_RAISE_IN_RAISE } from '../../src/litmus/parties/race-evidence.ts';
import type { ReceiverArgs, SenderArgs, PhasedArgs } from '../../src/litmus/parties/fifo.ts';
import { F_DELIVERED_TOTAL } from '../../src/litmus/parties/fifo.ts';

for (const cfg of LITMUS_CONFIGS) describe(`litmus [${cfg.name}]: set_pending × 2 senders + guest drain on one vCPU`, () => {
  it('delivers every event exactly once, in FIFO order per sender and queue (I11, I13, I15); the race happened: drains and raises overlapped', async () => {
    type Run = { drainInRaise: number; raiseInRaise: number };
    const raced = (r: Run) => r.drainInRaise > 0 && r.raiseInRaise > 0;
    const runs = await untilRaced<Run>(() => once(), (rs) => rs.some(raced));
    expect(runs.some(raced), `the race never happened in ${runs.length} of ${MAX_RACE_RUNS} runs: ${JSON.stringify(runs)}`).toBe(true);
  });

  /** One run; returns its overlap evidence (guest consumes and raises that overlapped a raise). */
  async function once(): Promise<{ drainInRaise: number; raiseInRaise: number }> {
    const m = fifoMachine({ domains: [{ domid: 1, vcpus: 1, maxPort: 1023 }], build: cfg.build });
    applyNoise(m, cfg);
    const prioOf: number[] = [];
    const senderPorts = [[] as number[], [] as number[]];
    for (let p = 1; p <= 128; p++) {
      // ports 1 and 2 are alone on their queues: every re-raise meets its own stale tail (I13)
      prioOf[p] = p <= 2 ? p - 1 : [7, 2, 7, 11][p % 4];
      m.bind(1, p);
      m.unmask(1, p);
      m.dp.x.fifoSetPriority(1, p, prioOf[p]);
      senderPorts[p % 2].push(p);
    }
    const rounds = Math.ceil(160 * stressScale());
    const ctl = fifoCtl();
    const expected = rounds * 128;
    const sender = (s: number): SenderArgs => ({
      sender: s, rounds, groups: [{ dom: 1, slot: 0, ports: senderPorts[s], vcpu: 0, exact: true, prioOf }],
    });
    const receiver: ReceiverArgs = { dom: 1, slot: 0, vcpu: 0, gsGfn: m.guest.get(1)!.gsGfn, expected, vcpus: 1, prioOf };
    const results = await runFifoParties(m, ctl, [
      { party: 'fifoReceiver', args: receiver },
      { party: 'fifoSender', args: sender(0) },
      { party: 'fifoSender', args: sender(1) },
    ]);
    expect(ctl.load(F_DELIVERED_TOTAL)).toBe(expected);
    expect((results[0] as { delivered: number }).delivered).toBe(expected);
    expect(m.drain(1, 0)).toEqual([]); // nothing left behind
    expect(m.dp.stats(1).linkGaveUp).toBe(0);
    expect(m.dp.stats(1).lockGaveUp).toBe(0);
    return { drainInRaise: ctl.load(F_DRAIN_IN_RAISE), raiseInRaise: ctl.load(F_RAISE_IN_RAISE) };
  }

  it('phased: after concurrent raise phases, the guest drains queues in priority order', async () => {
    const m = fifoMachine({ domains: [{ domid: 1, vcpus: 1, maxPort: 1023 }], build: cfg.build });
    applyNoise(m, cfg);
    const owner: Record<number, [number, number]> = {};
    const ports = [[] as number[], [] as number[]];
    for (let p = 1; p <= 96; p++) {
      const prio = (p * 7) % 16;
      const s = p % 2;
      owner[p] = [s, prio];
      ports[s].push(p);
      m.bind(1, p);
      m.unmask(1, p);
      m.dp.x.fifoSetPriority(1, p, prio);
    }
    const rounds = Math.ceil(400 * stressScale());
    const base = { dom: 1, vcpu: 0, gsGfn: m.guest.get(1)!.gsGfn, rounds, parties: 3 };
    await runFifoParties(m, fifoCtl(), [
      { party: 'phasedReceiver', args: { ...base, owner, total: 96 } satisfies PhasedArgs },
      { party: 'phasedSender', args: { ...base, ports: ports[0] } satisfies PhasedArgs },
      { party: 'phasedSender', args: { ...base, ports: ports[1] } satisfies PhasedArgs },
    ]);
    expect(m.drain(1, 0)).toEqual([]);
  });
});
