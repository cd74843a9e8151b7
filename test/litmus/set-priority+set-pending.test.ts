// Litmus (d): the guest keeps changing the priority of ports (set_priority)
// while a hypervisor-side sender raises them and the guest drains.
// Never: a lost or duplicated event other than a raise the queue-lock loop
// gave up on (I12: the raiser sees RAISE_DROPPED, nothing was set, and the
// test re-raises); an event moved off a queue it is LINKED on (I14).
// The race is proven: runs repeat (at most MAX_RACE_RUNS) until some
// set_priority met its event LINKED (raised, not yet consumed) both just
// before and just after the call — the case I14 must keep on its queue.
import { describe, it, expect } from 'vitest';
import { fifoMachine } from '../helpers/fifo-machine.ts';
import { fifoCtl, runFifoParties, stressScale, LITMUS_CONFIGS, applyNoise, untilRaced, MAX_RACE_RUNS } from '../helpers/litmus.ts';
import { F_CHANGED_LINKED } from '../../src/litmus/parties/race-evidence.ts';
import type { ReceiverArgs, SenderArgs, ChangerArgs } from '../../src/litmus/parties/fifo.ts';
import { F_DELIVERED_TOTAL, F_DROPPED } from '../../src/litmus/parties/fifo.ts';

for (const cfg of LITMUS_CONFIGS) {
  describe(`litmus [${cfg.name}]: set_priority × set_pending`, () => {
    it('every raise not dropped by the 3-try lock loop is delivered exactly once (I12, I14); the race happened: set_priority met LINKED events', async () => {
      const runs = await untilRaced(() => once(), (rs) => rs.some((n) => n > 0));
      expect(runs.some((n) => n > 0), `the race never happened: no set_priority met a LINKED event in ${runs.length} of ${MAX_RACE_RUNS} runs`).toBe(true);
    });

    /** One run; returns how many set_priority calls met their event LINKED (F_CHANGED_LINKED). */
    async function once(): Promise<number> {
      const m = fifoMachine({ domains: [{ domid: 1, vcpus: 1, maxPort: 1023 }], build: cfg.build });
      applyNoise(m, cfg);
      const ports = Array.from({ length: 32 }, (_, i) => i + 1);
      for (const p of ports) { m.bind(1, p); m.unmask(1, p); }
      const rounds = Math.ceil(500 * stressScale());
      const ctl = fifoCtl();
      const expected = rounds * ports.length;
      const results = await runFifoParties(m, ctl, [
        { party: 'fifoReceiver', args: { dom: 1, slot: 0, vcpu: 0, gsGfn: m.guest.get(1)!.gsGfn, expected, vcpus: 1 } satisfies ReceiverArgs },
        { party: 'fifoSender', args: { sender: 0, rounds, groups: [{ dom: 1, slot: 0, ports, vcpu: 0, exact: true }] } satisfies SenderArgs },
        { party: 'queueChanger', background: true, args: { dom: 1, ports, seed: 99, senders: 1, what: 'priority', vcpus: 1 } satisfies ChangerArgs },
      ]);
      expect(ctl.load(F_DELIVERED_TOTAL)).toBe(expected);
      const sent = results[1] as { dropped: number };
      // every drop the sender saw is one give-up of the lock loop, and nothing else was lost
      expect(m.dp.stats(1).lockGaveUp).toBe(sent.dropped);
      expect(ctl.load(F_DROPPED)).toBe(sent.dropped);
      // no per-run "changes > 0": a run whose changer was not scheduled before the sender finished is a run without
      // the race, which the evidence (F_CHANGED_LINKED, implying changes) already sends round again
      expect(m.drain(1, 0)).toEqual([]);
      return ctl.load(F_CHANGED_LINKED);
    }
  });
}
