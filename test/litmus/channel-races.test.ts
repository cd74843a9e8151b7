// Litmus: hypercalls racing on the same ports from different threads
// (issue: channel layer). Watchdog: no deadlock anywhere (I17 lock order).
//  1. send × close/re-bind × bind_vcpu × set_priority: events of ports that
//     stay bound are delivered exactly once; sends on churned ports return 0
//     or -EINVAL, never anything else, and never land on a stable port.
//  2. interdomain close from both ends at once: both closes return 0, both
//     ends end FREE, counters balance.
//  3. IPI storm across three vCPUs: every IPI exactly once, on its target.
import { describe, it, expect } from 'vitest';
import { fifoMachine } from '../helpers/fifo-machine.ts';
import { runFifoParties, stressScale, LITMUS_CONFIGS, applyNoise } from '../helpers/litmus.ts';
import { Ctl } from '../../src/litmus/ctl.ts';
import { CHANNEL_CTL_WORDS, C_CHURN_PORT, C_RESULTS, type ChurnArgs, type ChurnSenderArgs, type CloseBothArgs, type IpiVcpuArgs } from '../../src/litmus/parties/channels.ts';
import { F_DELIVERED_TOTAL, type ReceiverArgs, type SenderArgs, type ChangerArgs } from '../../src/litmus/parties/fifo.ts';
import { DOMID_SELF } from '../../assembly/shared/evtchn-abi.ts';

const ctlFor = () => Ctl.create(CHANNEL_CTL_WORDS);

for (const cfg of LITMUS_CONFIGS) {
  describe(`litmus [${cfg.name}]: channel-layer races`, () => {
    it('send × close/re-bind × bind_vcpu × set_priority on the same ports', async () => {
      const m = fifoMachine({ domains: [{ domid: 1, vcpus: 1, maxPort: 1023 }, { domid: 2, vcpus: 2, maxPort: 1023 }], build: cfg.build });
      applyNoise(m, cfg);
      const x = m.dp.x;
      const STABLE = 16;
      const stable: number[] = [];
      for (let i = 0; i < STABLE; i++) {
        const p2 = x.evtchnAllocUnbound(2, DOMID_SELF, 1);
        const p1 = x.evtchnBindInterdomain(1, 2, p2);
        expect(p1).toBe(p2); // same numbers on both ends: one accounting index
        m.unmask(2, p2);
        stable.push(p1);
      }
      const ctl = ctlFor();
      const PAIRS = 4;
      for (let i = 0; i < PAIRS; i++) ctl.store(C_CHURN_PORT + i, 0);
      const rounds = Math.ceil(400 * stressScale());
      const expected = rounds * STABLE;
      const gs2 = m.guest.get(2)!.gsGfn;
      const recv = (vcpu: number): ReceiverArgs => ({ dom: 2, slot: 0, vcpu, gsGfn: gs2, expected, vcpus: 2, exactBelow: STABLE + 1 });
      const results = await runFifoParties(m, ctl, [
        { party: 'fifoReceiver', args: recv(0) },
        { party: 'fifoReceiver', args: recv(1) },
        { party: 'fifoSender', args: { sender: 0, rounds, groups: [{ dom: 1, slot: 0, ports: stable, vcpu: 0, exact: true, via: 'send' }] } satisfies SenderArgs },
        { party: 'channelChurner', background: true, args: { from: 1, to: 2, gsGfnTo: gs2, pairs: PAIRS, seed: 3, senders: 1 } satisfies ChurnArgs },
        { party: 'churnSender', background: true, args: { from: 1, pairs: PAIRS, senders: 1 } satisfies ChurnSenderArgs },
        { party: 'queueChanger', background: true, args: { dom: 2, ports: stable, seed: 11, senders: 1, what: 'vcpu', vcpus: 2, hypercall: true } satisfies ChangerArgs },
        { party: 'queueChanger', background: true, args: { dom: 2, ports: stable, seed: 12, senders: 1, what: 'priority', vcpus: 2, hypercall: true } satisfies ChangerArgs },
      ]);
      expect(ctl.load(F_DELIVERED_TOTAL)).toBe(expected);
      const churn = results[3] as { rebinds: number };
      const sends = results[4] as { sends: number; invalid: number };
      expect(churn.rebinds).toBeGreaterThan(0);
      expect(sends.sends).toBeGreaterThan(0);
      // ports that stayed bound: still INTERDOMAIN, nothing left over
      for (const p of stable) expect(m.dp.channel(2, p).state).toBe(3);
      expect(m.drain(2, 0).filter((p) => p <= STABLE)).toEqual([]);
      expect(m.drain(2, 1).filter((p) => p <= STABLE)).toEqual([]);
    });

    it('interdomain close from both ends at once', async () => {
      const m = fifoMachine({ domains: [{ domid: 1, vcpus: 1, maxPort: 1023 }, { domid: 2, vcpus: 1, maxPort: 1023 }], build: cfg.build });
      applyNoise(m, cfg);
      const ctl = ctlFor();
      const rounds = Math.ceil(1500 * stressScale());
      const base = { domA: 1, domB: 2, gsGfnA: m.guest.get(1)!.gsGfn, rounds };
      await runFifoParties(m, ctl, [
        { party: 'closeBothEnds', args: { ...base, role: 'a' } satisfies CloseBothArgs },
        { party: 'closeBothEnds', args: { ...base, role: 'b' } satisfies CloseBothArgs },
      ]);
      expect(ctl.load(C_RESULTS)).toBe(2 * rounds);
      expect(ctl.load(C_RESULTS + 1)).toBe(0);
      expect([m.dp.activeEvtchns(1), m.dp.activeEvtchns(2)]).toEqual([0, 0]);
      for (const d of [1, 2]) for (let p = 1; p < 64; p++) expect(m.dp.channel(d, p).state).toBe(0);
    });

    it('IPI storm across three vCPUs', async () => {
      const m = fifoMachine({ domains: [{ domid: 1, vcpus: 3, maxPort: 1023 }], build: cfg.build });
      applyNoise(m, cfg);
      const x = m.dp.x;
      const V = 3;
      const out: number[][] = [];
      const inPorts: number[][] = [[], [], []];
      for (let v = 0; v < V; v++) {
        out.push([]);
        for (let w = 0; w < V; w++) {
          if (w === v) { out[v].push(0); continue; }
          const p = x.evtchnBindIpi(1, w);
          m.unmask(1, p);
          out[v].push(p);
          inPorts[w].push(p);
        }
      }
      const rounds = Math.ceil(800 * stressScale());
      const ctl = ctlFor();
      const gsGfn = m.guest.get(1)!.gsGfn;
      const results = await runFifoParties(m, ctl, Array.from({ length: V }, (_, v) => ({
        party: 'ipiVcpu', args: { dom: 1, vcpu: v, vcpus: V, gsGfn, out: out[v], inPorts: inPorts[v], rounds } satisfies IpiVcpuArgs,
      })));
      expect(ctl.load(F_DELIVERED_TOTAL)).toBe(rounds * V * (V - 1));
      for (const r of results as { sent: number; handled: number }[]) {
        expect(r.sent).toBe(rounds * (V - 1));
        expect(r.handled).toBe(rounds * (V - 1));
      }
    });
  });
}
