// Litmus (e): ports keep moving between two vCPUs (bind_vcpu) while a
// hypervisor-side sender raises them on the vCPU named at raise time and
// both vCPUs' guest loops drain their queues.
// Never: a lost or duplicated event; LINK written on a queue the event no
// longer belongs to (I13); an event migrated while LINKED (I14).
import { describe, it, expect } from 'vitest';
import { fifoMachine } from '../helpers/fifo-machine.ts';
import { fifoCtl, runFifoParties, stressScale, LITMUS_CONFIGS, applyNoise } from '../helpers/litmus.ts';
import type { ReceiverArgs, SenderArgs, ChangerArgs } from '../../src/litmus/parties/fifo.ts';
import { F_DELIVERED_TOTAL } from '../../src/litmus/parties/fifo.ts';

for (const cfg of LITMUS_CONFIGS) {
  describe(`litmus [${cfg.name}]: bind_vcpu × set_pending while pending`, () => {
    it('every event is delivered exactly once, on one of the vCPUs (I13, I14)', async () => {
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
    });
  });
}
