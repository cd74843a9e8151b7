// This thread's consumer callbacks, by slot. A send whose peer is Xen-owned
// returns SEND_CALL_CONSUMER from wasm with the call recorded; dispatch()
// runs the callback (no event-channel lock held) and leaves the in-flight count.
import { moduleUrl } from '../platform/host.ts';
import type { DataPlane } from '../wasm/data-plane.ts';
import type { ConsumerBinding, ConsumerContext, XenConsumer } from './types.ts';
import { ConfigError, noConsumer } from '../errors.ts';

export const SEND_CALL_CONSUMER = 1;

export class ConsumerRegistry {
  private readonly bySlot: ({ consumer: XenConsumer; ctx: ConsumerContext } | undefined)[] = [];

  constructor(private readonly dp: DataPlane) {}

  add(slot: number, consumer: XenConsumer, state: SharedArrayBuffer): void {
    const dp = this.dp;
    this.bySlot[slot] = { consumer, ctx: { dp, state, notify: (dom, port) => void dp.x.notifyViaXenEventChannel(dom, port) } };
  }

  /** Load every consumer module of `bindings` in this thread. */
  static async load(dp: DataPlane, bindings: readonly ConsumerBinding[]): Promise<ConsumerRegistry> {
    const r = new ConsumerRegistry(dp);
    for (const b of bindings) {
      const mod = (await import(moduleUrl(b.module))) as { default?: XenConsumer; consumer?: XenConsumer };
      const c = mod.default ?? mod.consumer;
      if (!c || typeof c.notify !== 'function') throw new ConfigError(noConsumer(b.module));
      r.add(b.slot, c, b.state);
    }
    return r;
  }

  /** Run the call the last send asked for; returns 0, the send's result to the guest. */
  dispatch(): number {
    const x = this.dp.x;
    const slot = x.consumerCallField(0);
    try {
      const e = this.bySlot[slot];
      if (e) e.consumer.notify(e.ctx, { vcpu: x.consumerCallField(1), port: x.consumerCallField(2) >>> 0, dom: x.consumerCallField(3) });
    } finally {
      x.consumerCallDone();
    }
    return 0;
  }
}
