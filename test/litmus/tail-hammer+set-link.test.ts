// Litmus (b): a misbehaving guest keeps rewriting its own event words — every
// change a guest may legally make to a LINKED tail, and arbitrary garbage —
// while a hypervisor-side sender links events behind them and also serves a
// well-behaved domain.
// Never: setLink making more than 1 + 4 cmpxchg attempts (I10); a send that
// does not return (watchdog); a lost or duplicated event of the well-behaved
// domain. The misbehaving guest may lose its own events (I5, spec §9.6).
// The race is proven: runs repeat (at most MAX_RACE_RUNS) until the hammer
// rewrote the tail inside a raise on its domain (with noise, the sender also
// goes on until a LINK update needed a retry).
import { describe, it, expect } from 'vitest';
import { fifoMachine } from '../helpers/fifo-machine.ts';
import { fifoCtl, runFifoParties, stressScale, LITMUS_CONFIGS, applyNoise, untilRaced, MAX_RACE_RUNS } from '../helpers/litmus.ts';
import { F_TAIL_IN_RAISE } from '../../src/litmus/parties/race-evidence.ts';
import type { ReceiverArgs, SenderArgs, HammerArgs } from '../../src/litmus/parties/fifo.ts';
import { F_DELIVERED_TOTAL } from '../../src/litmus/parties/fifo.ts';

const BAD = 1, GOOD = 2;

for (const cfg of LITMUS_CONFIGS) for (const garbage of [false, true]) {
  describe(`litmus [${cfg.name}]: tail hammering (${garbage ? 'garbage' : 'legal changes only'}) × set_link`, () => {
    it('the LINK update stays within its bound, every send returns, the other domain loses nothing (I10); the race happened: tail rewrites inside raises', async () => {
      const runs = await untilRaced(() => once(), (rs) => rs.some((n) => n > 0));
      expect(runs.some((n) => n > 0), `the race never happened: no tail rewrite landed inside a raise in ${runs.length} of ${MAX_RACE_RUNS} runs`).toBe(true);
    });

    /** One run; returns how many tail rewrites landed inside a raise on the misbehaving domain (F_TAIL_IN_RAISE). */
    async function once(): Promise<number> {
      const m = fifoMachine({
        domains: [{ domid: BAD, vcpus: 1, maxPort: 1023 }, { domid: GOOD, vcpus: 1, maxPort: 1023 }],
        build: cfg.build,
      });
      applyNoise(m, cfg);
      const badPorts = [1, 2, 3, 4];
      const goodPorts = Array.from({ length: 32 }, (_, i) => i + 1);
      for (const p of badPorts) { m.bind(BAD, p); m.unmask(BAD, p); }
      for (const p of goodPorts) { m.bind(GOOD, p); m.unmask(GOOD, p); }
      const rounds = Math.ceil(1000 * stressScale());
      const ctl = fifoCtl();
      const sender: SenderArgs = {
        // with noise, go on until the hammer has really raced a LINK update (a busy machine may need longer)
        sender: 0, rounds, untilLinkRetried: cfg.noise !== undefined, groups: [
          // four bad ports per round: each is linked behind the previous one, the tail the guest is rewriting
          { dom: BAD, slot: 1, ports: badPorts, vcpu: 0, exact: false },
          { dom: GOOD, slot: 0, ports: goodPorts.slice(0, 8), vcpu: 0, exact: true },
          { dom: BAD, slot: 1, ports: badPorts, vcpu: 0, exact: false },
          { dom: GOOD, slot: 0, ports: goodPorts.slice(8), vcpu: 0, exact: true },
        ],
      };
      const receiver: ReceiverArgs = { dom: GOOD, slot: 0, vcpu: 0, gsGfn: m.guest.get(GOOD)!.gsGfn, expected: -1, senders: 1, vcpus: 1 };
      const hammer: HammerArgs = { dom: BAD, slot: 1, gsGfn: m.guest.get(BAD)!.gsGfn, vcpu: 0, ports: badPorts, seed: 12345, garbage, senders: 1 };
      const results = await runFifoParties(m, ctl, [
        { party: 'fifoSender', args: sender },
        { party: 'tailHammer', background: true, args: hammer },
        { party: 'fifoReceiver', args: receiver },
      ]);
      const sent = results[0] as { raises: number };
      expect(sent.raises % (32 + 8)).toBe(0);
      const done = sent.raises / (32 + 8);
      expect(done).toBeGreaterThanOrEqual(rounds);
      expect(ctl.load(F_DELIVERED_TOTAL)).toBe(done * 32);
      const s = m.dp.stats(BAD);
      // buckets count cmpxchg attempts per setLink: never more than 1 + 4
      expect(s.linkTries[6]).toBe(0);
      expect(s.linkTries[7]).toBe(0);
      // with noise in the window the hammer really races the LINK update: some calls needed retries
      if (cfg.noise) expect(s.linkTries[2] + s.linkTries[3] + s.linkTries[4] + s.linkTries[5]).toBeGreaterThan(0);
      const g = m.dp.stats(GOOD);
      expect(g.linkGaveUp + g.lockGaveUp).toBe(0);
      expect(m.drain(GOOD, 0)).toEqual([]);
      return ctl.load(F_TAIL_IN_RAISE);
    }
  });
}

describe('litmus [stress+noise]: a guest flipping MASKED on its tail without pause × set_link', () => {
  it('defeats the LINK update: Xen gives up after 1 + 4 attempts, drops BUSY, and only that guest loses events (I10, I5)', async () => {
    const m = fifoMachine({ domains: [{ domid: BAD, vcpus: 1, maxPort: 1023 }], build: 'stress' });
    m.dp.x.stressConfigure(65535, 2000, 1, 0); // a delay, often a real sleep, before every cmpxchg: the hammer runs meanwhile even on a busy machine
    const ports = Array.from({ length: 16 }, (_, i) => i + 1);
    for (const p of ports) { m.bind(BAD, p); m.unmask(BAD, p); }
    const rounds = 500_000; // a maximum: the sender stops at the first give-up
    const ctl = fifoCtl();
    const results = await runFifoParties(m, ctl, [
      { party: 'fifoSender', args: { sender: 0, rounds, untilLinkGaveUp: true, groups: [{ dom: BAD, slot: 1, ports, vcpu: 0, exact: false }] } satisfies SenderArgs },
      { party: 'tailHammer', background: true, args: { dom: BAD, slot: 1, gsGfn: m.guest.get(BAD)!.gsGfn, vcpu: 0, ports, seed: 7, garbage: false, flipOnly: true, senders: 1 } satisfies HammerArgs },
    ]);
    expect((results[0] as { raises: number }).raises).toBeLessThan(rounds * 16);
    const s = m.dp.stats(BAD);
    expect(s.linkGaveUp).toBeGreaterThan(0);
    expect(s.linkTries[5]).toBeGreaterThanOrEqual(s.linkGaveUp);
    expect(s.linkTries[6] + s.linkTries[7]).toBe(0);
    for (const p of ports) expect(m.dp.eventWord(BAD, p)! & 0x10000000).toBe(0); // BUSY never left set
  });
});
