// Parties of the Xen-consumer races (issue: Xen-internal consumers): guests
// flooding a channel whose far end is the monitor consumer while another
// thread tears the channel down and frees the ring at once (I23).
import type { PartyContext } from '../registry.ts';
import { ConsumerRegistry, SEND_CALL_CONSUMER } from '../../consumers/registry.ts';
import { MonitorHost } from '../../consumers/host.ts';
import { builtinConsumer } from '../../platform/host.ts';
import { R_REQ_PROD, R_REQS, RING_SLOTS } from '../../consumers/monitor-ring.ts';
import { EINVAL } from '../../../assembly/shared/errno.ts';

export const X_PORT = 7500;      // the guest's current end of the monitor channel (0 = none)
export const X_CYCLES = 7501;    // cycles completed by the closer
export const X_SENDS = 7502;     // sends that reached the monitor (callbacks run)
export const CONSUMER_CTL_WORDS = 7510;

export interface ConsumerArgs {
  dom: number;
  slot: number;
  state: SharedArrayBuffer;
  ringGfn: number;
  /** closer: cycles to run; flooders run until the closer is done */
  cycles: number;
  /** closer: callbacks to let happen per cycle before closing */
  callsPerCycle: number;
}

/** A guest vCPU posting monitor requests and sending, as fast as it can, on whatever channel is open. */
export async function consumerFlooder(ctx: PartyContext): Promise<{ sends: number; calls: number }> {
  const { dp, ctl } = ctx;
  const a = ctx.args as ConsumerArgs;
  const x = dp.x;
  const registry = await ConsumerRegistry.load(dp, [{ name: 'monitor', module: builtinConsumer('monitor'), slot: a.slot, state: a.state }]);
  const ring = new Uint32Array(dp.memory.buffer, x.addrGfn(a.dom, a.ringGfn) >>> 0, 1024);
  let sends = 0;
  let calls = 0;
  while (ctl.load(X_CYCLES) < a.cycles && !ctl.stopped) {
    const port = ctl.load(X_PORT);
    if (port === 0) continue;
    const prod = Atomics.load(ring, R_REQ_PROD); // the guest's own ring (poisoned after a close: harmless here)
    Atomics.store(ring, R_REQS + (prod % RING_SLOTS), sends);
    Atomics.store(ring, R_REQ_PROD, (prod + 1) >>> 0);
    const rc = x.evtchnSend(a.dom, port);
    if (rc === SEND_CALL_CONSUMER) {
      registry.dispatch();
      calls++;
      ctl.add(X_SENDS, 1);
    } else if (rc !== 0 && rc !== -EINVAL) {
      throw new Error(`send to the monitor returned ${rc}`);
    }
    if ((++sends & 63) === 0) ctl.progress(ctx.index);
  }
  return { sends, calls };
}

/**
 * The toolstack tearing the monitor down under load, `cycles` times: open a
 * Xen-owned channel, the guest binds it, let the flood reach the callback,
 * close (the consumer's lock held over the first half of the free), free the
 * ring at once (poison), close the guest's end.
 */
export function consumerCloser(ctx: PartyContext): { cycles: number; maxActive: number; drained: number } {
  const { dp, ctl } = ctx;
  const a = ctx.args as ConsumerArgs;
  const x = dp.x;
  const host = new MonitorHost(dp, 'monitor', a.slot, a.state);
  let maxActive = 0;
  let drained = 0; // closes that found callbacks in flight: the race I23 is about
  for (let c = 0; c < a.cycles && !ctl.stopped; c++) {
    const xenPort = host.openRing(a.dom, a.ringGfn);
    const local = x.evtchnBindInterdomain(a.dom, a.dom, xenPort);
    if (local < 0) throw new Error(`cycle ${c}: the guest could not bind the monitor port (${local})`);
    maxActive = Math.max(maxActive, dp.activeEvtchns(a.dom));
    const target = ctl.load(X_SENDS) + a.callsPerCycle;
    ctl.store(X_PORT, local);
    for (let spins = 0; ctl.load(X_SENDS) < target && !ctl.stopped; spins++) {
      if (spins > 20_000) ctl.waitWhile(X_SENDS, ctl.load(X_SENDS), 1); // flooders do not notify: poll
    }
    if ((dp.load32(x.addrChannelInflight(a.dom, xenPort) >>> 0) & 0x7fffffff) !== 0) drained++;
    host.closeRing(a.dom, xenPort); // returns when no callback runs; the ring is poisoned right after
    ctl.store(X_PORT, 0);
    const rc = x.evtchnClose(a.dom, local);
    if (rc !== 0) throw new Error(`cycle ${c}: closing the guest's end returned ${rc}`);
    ctl.add(X_CYCLES, 1);
    ctl.progress(ctx.index);
  }
  return { cycles: ctl.load(X_CYCLES), maxActive, drained };
}
