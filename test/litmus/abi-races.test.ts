// Litmus: the ABI races (issue: 2-level, switch, poll, reset).
//  1. the 2-level → FIFO switch while two senders run: every event exactly
//     once across it (I19);
//  2. reset racing alloc/close/send/unmask and a second reset: every reset
//     ends 0, -EAGAIN or -EBUSY, other calls only with Xen's errnos, no
//     deadlock; a completed reset returns the domain to 2-level and the
//     resetter re-enters FIFO (racing the other reset: XSA-505's window);
//  3. SCHEDOP_poll racing send and mask/unmask: the poller is never asleep
//     while its port is pending (I20); every send is seen (FIFO may add
//     spurious events: its unmask re-raises, spec §9.7; 2-level never);
//  4. a guest scribbling over its own 2-level bitmaps, selector and upcall
//     flag while a sender serves it and another domain: the sender never
//     stalls and the other domain loses nothing.
// Each race is proven: runs repeat (at most MAX_RACE_RUNS) until (1) the
// conversion overlapped a send, (2) a victim operation overlapped a reset and
// the two resets overlapped, (3) a send woke the poller from its sleep,
// (4) a scribble landed inside a raise on the scribbling domain.
import { describe, it, expect } from 'vitest';
import { abiMachine, ABIS } from '../helpers/abi-machine.ts';
import { stressScale, LITMUS_CONFIGS, untilRaced, MAX_RACE_RUNS, runAbiParties } from '../helpers/litmus.ts';
import { Ctl } from '../../src/harness/ctl.ts';
import { F_DELIVERED_TOTAL, type SenderArgs, type ReceiverArgs } from '../../src/litmus/parties/fifo.ts';
import {
  ABI_CTL_WORDS, A_RESET_RCS, A_SWITCHED, A_SWITCH_RACED, A_OPS_IN_RESET, A_RESETS_OVERLAPPED, A_POLL_WOKEN, A_SCRIBBLE_IN_RAISE, type SwitchArgs, type ResetterArgs, type OpsArgs, type PollArgs,
  type MaskerArgs, type Scribble2LArgs,
} from '../../src/litmus/parties/abi.ts';
import { DOMID_SELF, EVTCHNOP_reset } from '../../assembly/shared/evtchn-abi.ts';
import { PAGE_SIZE, SI_EVTCHN_PENDING } from '../../assembly/shared/layout.ts';

for (const cfg of LITMUS_CONFIGS) {
  const machine = (abi: '2l' | 'fifo', domains: { domid: number; vcpus: number }[]) => {
    const m = abiMachine(abi, domains, cfg.build);
    if (cfg.noise) m.dp.x.stressConfigure(cfg.noise.rate, cfg.noise.spins, cfg.noise.yieldLog2, 0);
    return m;
  };

  describe(`litmus [${cfg.name}]: the 2-level → FIFO switch under load`, () => {
    // the switch is one moment per run: a few runs give the races more chances
    for (let attempt = 1; attempt <= 4; attempt++) it(`every event exactly once before, across and after the switch (I19), run ${attempt}; the race happened: the conversion overlapped a send`, async () => {
      const runs = await untilRaced(() => switchOnce(), (rs) => rs.some((n) => n > 0));
      expect(runs.some((n) => n > 0), `the race never happened: init_control overlapped no send in ${runs.length} of ${MAX_RACE_RUNS} runs`).toBe(true);
    });

    /** One run; returns 1 if init_control overlapped a sender's raise (A_SWITCH_RACED). */
    async function switchOnce(): Promise<number> {
      const m = machine('2l', [{ domid: 1, vcpus: 1 }, { domid: 2, vcpus: 1 }]);
      const x = m.dp.x;
      const ports: number[] = [];
      for (let i = 0; i < 24; i++) {
        const p1 = x.evtchnAllocUnbound(1, DOMID_SELF, 2);
        expect(x.evtchnBindInterdomain(2, 1, p1)).toBe(p1);
        m.listen(1, p1, 0);
        ports.push(p1);
      }
      // fire-and-forget ports, raised without pause: some raise is always in flight at the switch
      const fire: number[] = [];
      for (let i = 0; i < 24; i++) {
        const p1 = x.evtchnAllocUnbound(1, DOMID_SELF, 2);
        expect(x.evtchnBindInterdomain(2, 1, p1)).toBe(p1);
        m.listen(1, p1, 0);
        fire.push(p1);
      }
      const rounds = Math.ceil(300 * stressScale());
      const expected = rounds * ports.length;
      const l = m.layout.get(1)!;
      const ctl = Ctl.create(ABI_CTL_WORDS);
      const sender = (s: number): SenderArgs => ({
        sender: s, rounds, groups: [{ dom: 2, slot: 0, ports: ports.filter((_, i) => i % 2 === s), vcpu: 0, exact: true, via: 'send' }],
      });
      const results = await runAbiParties(m, ctl, [
        { party: 'switchingReceiver', args: { dom: 1, gsGfn: l.gsGfn, gs2Gfn: l.twoLevelGfn, cbGfn: l.cbGfn(0), arrayGfns: l.arrayGfns, ports: [...ports, ...fire], expected, switchAfter: Math.floor(expected / 3), exactBelow: fire[0] } satisfies SwitchArgs },
        { party: 'fifoSender', args: sender(0) },
        { party: 'fifoSender', args: sender(1) },
        { party: 'fifoSender', background: true, args: { sender: 2, rounds: 1e9, groups: [{ dom: 2, slot: 1, ports: fire, vcpu: 0, exact: false, via: 'send' }], untilSendersDone: 2 } satisfies SenderArgs },
      ]);
      // Every 2-level pending bit still set was set before the conversion, which made it a
      // sticky FIFO flag; a bit without the flag is a raise that crossed the switch: lost (I19).
      const si = x.addrGfn(1, 0) >>> 0;
      for (const p of [...ports, ...fire]) {
        const bit = (m.dp.u8[si + SI_EVTCHN_PENDING + (p >> 3)] >> (p & 7)) & 1;
        if (bit) expect(m.dp.channel(1, p).stickyPending, `port ${p}: 2-level pending without the sticky flag`).toBe(true);
      }
      const r = results[0] as { before: number; after: number };
      expect(ctl.load(A_SWITCHED)).toBe(1);
      expect(r.before).toBeGreaterThan(0);
      expect(r.after).toBeGreaterThan(0);
      expect(r.before + r.after).toBe(expected);
      expect(ctl.load(F_DELIVERED_TOTAL)).toBe(expected);
      expect(m.dp.abi(1)).toBe('fifo');
      return ctl.load(A_SWITCH_RACED);
    }
  });

  for (const abi of ABIS) {
    describe(`litmus [${cfg.name}, ${abi}]: reset × alloc/close/send/unmask × reset`, () => {
      it('only 0, -EAGAIN or -EBUSY from reset, Xen\'s errnos elsewhere, no deadlock; the race happened: operations and resets overlapped resets', async () => {
        type Run = { opsInReset: number; resetsOverlapped: number };
        // both races must have happened, each in some run (every run's outcomes are asserted inside it)
        const raced = (rs: Run[]) => rs.some((r) => r.opsInReset > 0) && rs.some((r) => r.resetsOverlapped > 0);
        const runs = await untilRaced<Run>(() => resetOnce(), raced);
        expect(raced(runs), `the race never happened in ${runs.length} of ${MAX_RACE_RUNS} runs: ${JSON.stringify(runs)}`).toBe(true);
      });

      /** One run; returns its overlap evidence (victim operations and resets that overlapped a reset). */
      async function resetOnce(): Promise<{ opsInReset: number; resetsOverlapped: number }> {
        const m = machine(abi, [{ domid: 1, vcpus: 1 }]);
        const l = m.layout.get(1)!;
        const ctl = Ctl.create(ABI_CTL_WORDS);
        const rounds = Math.ceil(150 * stressScale());
        const fifo = abi === 'fifo' ? { gsGfn: l.gsGfn, cbGfn: l.cbGfn(0), arrayGfns: l.arrayGfns } : undefined;
        await runAbiParties(m, ctl, [
          { party: 'resetter', args: { dom: 1, rounds, fifo, awaitPeers: true } satisfies ResetterArgs },
          { party: 'resetter', background: true, args: { dom: 1, rounds, untilDone: true } satisfies ResetterArgs },
          { party: 'resetVictim', background: true, args: { dom: 1, seed: 4 } satisfies OpsArgs },
        ]);
        // every call was counted under one of the allowed results (others threw)
        expect(ctl.load(A_RESET_RCS) + ctl.load(A_RESET_RCS + 1) + ctl.load(A_RESET_RCS + 2)).toBeGreaterThanOrEqual(rounds);
        // the domain still works: a last reset completes once nothing else runs
        let rc = m.dp.x.evtchnReset(1, DOMID_SELF, EVTCHNOP_reset);
        while (rc === -85) rc = m.dp.x.evtchnReset(1, DOMID_SELF, m.dp.x.continuationArg0Lo());
        expect(rc).toBe(0);
        expect(m.dp.activeEvtchns(1)).toBe(0);
        expect(m.dp.abi(1)).toBe('2l');
        return { opsInReset: ctl.load(A_OPS_IN_RESET), resetsOverlapped: ctl.load(A_RESETS_OVERLAPPED) };
      }
    });

    describe(`litmus [${cfg.name}, ${abi}]: SCHEDOP_poll × send × mask/unmask`, () => {
      it('the poller is never asleep while its port is pending (I20); the race happened: sends woke the sleeping poller', async () => {
        const runs = await untilRaced(() => pollOnce(), (rs) => rs.some((n) => n > 0));
        expect(runs.some((n) => n > 0), `the race never happened: no event woke the poller from its sleep in ${runs.length} of ${MAX_RACE_RUNS} runs`).toBe(true);
      });

      /** One run; returns how many of the poller's sleeps a kick ended (A_POLL_WOKEN). */
      async function pollOnce(): Promise<number> {
        const m = machine(abi, [{ domid: 1, vcpus: 2 }]);
        const x = m.dp.x;
        const port = x.evtchnBindIpi(1, 0);
        m.listen(1, port, 0);
        const l = m.layout.get(1)!;
        // SCHEDOP_poll's ports array: one u32 in the guest's free RAM
        const portsGpa = l.freeGfn * PAGE_SIZE;
        new DataView(m.memory.buffer, x.addrGfn(1, l.freeGfn) >>> 0, 4).setUint32(0, port, true);
        const rounds = Math.ceil(3000 * stressScale());
        const ctl = Ctl.create(ABI_CTL_WORDS);
        const g = { gsGfn: l.gsGfn, gs2Gfn: l.twoLevelGfn, abi };
        const results = await runAbiParties(m, ctl, [
          { party: 'poller', args: { dom: 1, vcpu: 0, port, portsGpa, rounds, ...g } satisfies PollArgs },
          { party: 'fifoSender', args: { sender: 0, rounds, groups: [{ dom: 1, slot: 0, ports: [port], vcpu: 0, exact: true, via: 'send' }] } satisfies SenderArgs },
          { party: 'masker', background: true, args: { dom: 1, port, vcpu: 0, untilDelivered: rounds, ...g } satisfies MaskerArgs },
        ]);
        expect(ctl.load(F_DELIVERED_TOTAL)).toBe(rounds);
        if (abi === '2l') expect((results[0] as { spurious: number }).spurious).toBe(0);
        return ctl.load(A_POLL_WOKEN);
      }
    });
  }

  describe(`litmus [${cfg.name}, 2l]: a guest scribbling over its 2-level state`, () => {
    it('the sender never stalls and the other domain loses nothing; the race happened: scribbles inside raises', async () => {
      const runs = await untilRaced(() => scribbleOnce(), (rs) => rs.some((n) => n > 0));
      expect(runs.some((n) => n > 0), `the race never happened: no scribble landed inside a raise on its domain in ${runs.length} of ${MAX_RACE_RUNS} runs`).toBe(true);
    });

    /** One run; returns how many scribbles landed inside one raise on the scribbling domain (A_SCRIBBLE_IN_RAISE). */
    async function scribbleOnce(): Promise<number> {
      const m = machine('2l', [{ domid: 1, vcpus: 1 }, { domid: 2, vcpus: 1 }]);
      const x = m.dp.x;
      const bad: number[] = [];
      const good: number[] = [];
      for (let i = 0; i < 16; i++) { const p = x.evtchnBindIpi(1, 0); m.listen(1, p, 0); bad.push(p); }
      for (let i = 0; i < 16; i++) { const p = x.evtchnBindIpi(2, 0); m.listen(2, p, 0); good.push(p); }
      const rounds = Math.ceil(400 * stressScale());
      const ctl = Ctl.create(ABI_CTL_WORDS);
      const results = await runAbiParties(m, ctl, [
        { party: 'fifoSender', args: { sender: 0, rounds, groups: [
          { dom: 1, slot: 1, ports: bad, vcpu: 0, exact: false, via: 'send' },
          { dom: 2, slot: 0, ports: good, vcpu: 0, exact: true, via: 'send' },
        ] } satisfies SenderArgs },
        { party: 'scribble2L', background: true, args: { dom: 1, gs2Gfn: m.layout.get(1)!.twoLevelGfn, seed: 77, senders: 1 } satisfies Scribble2LArgs },
        { party: 'fifoReceiver', args: { dom: 2, ...m.guestArgs(2), slot: 0, vcpu: 0, expected: rounds * 16, vcpus: 1 } satisfies ReceiverArgs },
      ]);
      expect((results[0] as { raises: number }).raises).toBe(rounds * 32);
      expect(ctl.load(F_DELIVERED_TOTAL)).toBe(rounds * 16);
      // scribbles are not required per run: the evidence (a scribble inside a raise) implies them over the runs
      return ctl.load(A_SCRIBBLE_IN_RAISE);
    }
  });
}
