// The `consumer-teardown` stress scenario (issue: Xen-internal consumers):
// guests flood a channel whose far end is the monitor consumer while the
// toolstack tears it down — the consumer's lock held over the first half of
// the free — and poisons the ring the moment close returns. One iteration =
// one open/flood/close cycle. The flooders are consumerFlooder
// (src/litmus/parties/consumer.ts), running until the run stops.
import type { PartyContext } from '../registry.ts';
import type { OutcomeDef, StressArgs, StressPartyResult } from './stress-core.ts';
import { stressEnv } from './stress-core.ts';
import { MonitorHost } from '../../consumers/host.ts';
import { M_LATE_STARTS, M_POISON_HITS } from '../../consumers/monitor-ring.ts';
import { X_PORT, X_SENDS } from './consumer.ts';

export const CONSUMER_OUTCOMES: OutcomeDef[] = [
  { id: 'quiet-close', kind: 'acceptable', text: 'closed with no callback in flight' },
  { id: 'drained', kind: 'interesting', text: 'closed while callbacks were in flight: close waited for them (I23)' },
  { id: 'late-start', kind: 'forbidden', text: 'a callback started after its channel\'s close returned (I23)' },
  { id: 'freed-ring', kind: 'forbidden', text: 'a callback touched the ring after close returned and it was freed (I23)' },
  { id: 'leak', kind: 'forbidden', text: 'a port of a closed channel was not freed' },
];

export interface ConsumerStressArgs extends StressArgs {
  dom: number;
  slot: number;
  state: SharedArrayBuffer;
  ringGfn: number;
  /** for consumerFlooder: run until stopped */
  cycles: number;
  callsPerCycle: number;
}

export function stressConsumerCloser(ctx: PartyContext): StressPartyResult {
  const env = stressEnv(ctx);
  const a = ctx.args as ConsumerStressArgs;
  const { ctl, x } = env;
  const host = new MonitorHost(env.dp, 'monitor', a.slot, a.state);
  const s = new Int32Array(a.state);
  for (let iter = 0; !ctl.stopped; iter++) {
    const xenPort = host.openRing(a.dom, a.ringGfn);
    const local = x.evtchnBindInterdomain(a.dom, a.dom, xenPort);
    const target = ctl.load(X_SENDS) + a.callsPerCycle;
    ctl.store(X_PORT, local);
    for (let spins = 0; ctl.load(X_SENDS) < target && !ctl.stopped; spins++) {
      if (spins > 20_000) ctl.waitWhile(X_SENDS, ctl.load(X_SENDS), 1);
    }
    const inFlight = env.dp.load32(x.addrChannelInflight(a.dom, xenPort) >>> 0) & 0x7fffffff;
    const late0 = Atomics.load(s, M_LATE_STARTS);
    const poison0 = Atomics.load(s, M_POISON_HITS);
    host.closeRing(a.dom, xenPort); // returns when no callback runs; the ring is poisoned right after
    ctl.store(X_PORT, 0);
    x.evtchnClose(a.dom, local);
    // let the flooders run a little on the closed channel before judging
    for (let i = 0; i < 2000; i++) ctl.load(X_SENDS);
    if (Atomics.load(s, M_LATE_STARTS) !== late0) { env.out.fail(2, `cycle ${iter}: a callback started after close returned`, iter); break; }
    if (Atomics.load(s, M_POISON_HITS) !== poison0) { env.out.fail(3, `cycle ${iter}: a callback read the freed ring`, iter); break; }
    if (env.dp.activeEvtchns(a.dom) !== 0) { env.out.fail(4, `cycle ${iter}: ${env.dp.activeEvtchns(a.dom)} ports still allocated`, iter); break; }
    env.out.hit(inFlight > 0 ? 1 : 0);
    env.out.iteration();
    ctl.progress(ctx.index);
  }
  return { forbidden: env.out.forbidden };
}
