// Litmus (e): ports keep moving between two vCPUs (bind_vcpu) while a
// hypervisor-side sender raises them on the vCPU named at raise time and
// both vCPUs' guest loops drain their queues.
// Never: a lost or duplicated event; LINK written on a queue the event no
// longer belongs to (I13); an event migrated while LINKED (I14).
// The race is proven: runs repeat (at most MAX_RACE_RUNS) until some raise
// went to a vCPU its port no longer named when the raise returned (bind_vcpu
// landed between the sender reading the target and its set_pending ending).
import { describe, it, expect } from 'vitest';
import { fifoMachine } from '../helpers/fifo-machine.ts';
import { fifoCtl, runFifoParties, stressScale, LITMUS_CONFIGS, applyNoise, untilRaced, MAX_RACE_RUNS } from '../helpers/litmus.ts';
import { F_RETARGETED } from '../../src/litmus/parties/race-evidence.ts';
import type { ReceiverArgs, SenderArgs, ChangerArgs } from '../../src/litmus/parties/fifo.ts';
import { F_DELIVERED_TOTAL } from '../../src/litmus/parties/fifo.ts';

for (const cfg of LITMUS_CONFIGS) {
  describe(`litmus [${cfg.name}]: bind_vcpu × set_pending while pending`, () => {
    it('every event is delivered exactly once, on one of the vCPUs (I13, I14); the race happened: raises met a bind_vcpu', async () => {
      const runs = await untilRaced(() => once(), (rs) => rs.some((n) => n > 0));
      expect(runs.some((n) => n > 0), `the race never happened: no raise met a bind_vcpu in ${runs.length} of ${MAX_RACE_RUNS} runs`).toBe(true);
    });

    /** One run; returns how many raises went to a vCPU the port no longer named (F_RETARGETED). */
    async function once(): Promise<number> {
      const m = fifoMachine({ domains: [{ domid: 1, vcpus: 2, maxPort: 1023 }], build: cfg.build });
      applyNoise(m, cfg);
      const ports = Array.from({ length: 16 }, (_, i) => i + 1);
      for (const p of ports) { m.bind(1, p, p % 2); m.unmask(1, p); }
      const rounds = Math.ceil(500 * stressScale());
      const ctl = fifoCtl();
      const expected = rounds * ports.length;
      const gsGfn = m.guest.get(1)!.gsGfn;
      const results = await runFifoParties(m, ctl, [
        { party: 'fifoReceiver', args: { dom: 1, slot: 0, vcpu: 0, gsGfn, expected, vcpus: 2 } satisfies ReceiverArgs },
        { party: 'fifoReceiver', args: { dom: 1, slot: 0, vcpu: 1, gsGfn, expected, vcpus: 2 } satisfies ReceiverArgs },
        { party: 'fifoSender', args: { sender: 0, rounds, groups: [{ dom: 1, slot: 0, ports, vcpu: 'notify', exact: true }] } satisfies SenderArgs },
        { party: 'queueChanger', background: true, args: { dom: 1, ports, seed: 5, senders: 1, what: 'vcpu', vcpus: 2 } satisfies ChangerArgs },
      ]);
      expect(ctl.load(F_DELIVERED_TOTAL)).toBe(expected);
      const [r0, r1] = results as { delivered: number }[];
      expect(r0.delivered + r1.delivered).toBe(expected);
      expect(r0.delivered).toBeGreaterThan(0);
      expect(r1.delivered).toBeGreaterThan(0);
      expect(m.drain(1, 0)).toEqual([]);
      expect(m.drain(1, 1)).toEqual([]);
      return ctl.load(F_RETARGETED);
    }
  });
}
