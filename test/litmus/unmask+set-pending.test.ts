// Litmus (c): the guest masks and unmasks the queue's tail (the port raised
// last) after every event it handles — the unmask fast path, falling back to
// EVTCHNOP_unmask when the event is pending — while a hypervisor-side sender
// keeps raising and linking behind that tail.
// Never: a lost event (pending and unmasked but on no queue), a duplicated
// one, MASKED cleared by the guest while BUSY (I16), a send that does not
// return (I10, I11).
import { describe, it, expect } from 'vitest';
import { fifoMachine } from '../helpers/fifo-machine.ts';
import { fifoCtl, runFifoParties, stressScale, LITMUS_CONFIGS, applyNoise, untilRaced, MAX_RACE_RUNS } from '../helpers/litmus.ts';
import type { ReceiverArgs, SenderArgs } from '../../src/litmus/parties/fifo.ts';
import { F_DELIVERED_TOTAL } from '../../src/litmus/parties/fifo.ts';

for (const cfg of LITMUS_CONFIGS) {
  describe(`litmus [${cfg.name}]: unmask × set_pending on a tail event`, () => {
    it('every event is delivered exactly once (I16, I11); the race happened: raises landed while the tail was masked', async () => {
      type Run = { delivered: number; maskUnmasks: number; unmaskHypercalls: number };
      // the race: a raise landing between the guest's mask and unmask, which its unmask must then hand to Xen
      const runs = await untilRaced<Run>(() => once(), (rs) => rs.some((r) => r.unmaskHypercalls > 0));
      expect(runs.some((r) => r.unmaskHypercalls > 0), `no raise landed while masked in ${runs.length} of ${MAX_RACE_RUNS} runs`).toBe(true);
    });

    async function once(): Promise<{ delivered: number; maskUnmasks: number; unmaskHypercalls: number }> {
      const m = fifoMachine({ domains: [{ domid: 1, vcpus: 1, maxPort: 1023 }], build: cfg.build });
      applyNoise(m, cfg);
      const ports = Array.from({ length: 24 }, (_, i) => i + 1);
      for (const p of ports) { m.bind(1, p); m.unmask(1, p); }
      const rounds = Math.ceil(500 * stressScale());
      const ctl = fifoCtl();
      const expected = rounds * ports.length;
      const results = await runFifoParties(m, ctl, [
        { party: 'fifoReceiver', args: { dom: 1, slot: 0, vcpu: 0, gsGfn: m.guest.get(1)!.gsGfn, expected, vcpus: 1, maskUnmaskLastRaised: true } satisfies ReceiverArgs },
        { party: 'fifoSender', args: { sender: 0, rounds, groups: [{ dom: 1, slot: 0, ports, vcpu: 0, exact: true }] } satisfies SenderArgs },
      ]);
      expect(ctl.load(F_DELIVERED_TOTAL)).toBe(expected);
      // F_LAST_RAISED is stored after each raise, so only the first delivery can find it unset:
      // every later one masks and unmasks the current tail under the sender's raises
      const r = results[0] as { delivered: number; maskUnmasks: number; unmaskHypercalls: number };
      expect(r.delivered).toBe(expected);
      expect(r.maskUnmasks).toBeGreaterThanOrEqual(expected - 1);
      expect(r.unmaskHypercalls).toBeLessThanOrEqual(r.maskUnmasks);
      expect(m.drain(1, 0)).toEqual([]);
      for (const p of ports) expect(m.dp.eventWord(1, p)).toBe(0); // nothing left pending, masked or linked
      return r;
    }
  });
}
