// Xen-internal consumers (spec §11): a callback inside the hypervisor at the
// far end of a channel. A consumer module is loaded in every thread that can
// send (every vCPU worker and the shell), so its callback runs on the sending
// thread, as in Xen; its shared state lives in shared memory.
import type { DataPlane } from '../wasm/data-plane.ts';

/** One notification of a Xen-owned port, as its consumer callback receives it. */
export interface ConsumerCall {
  /** the domain owning the Xen end, its port, and the vCPU it notifies */
  dom: number;
  port: number;
  vcpu: number;
}

/** What a Xen-internal consumer's callbacks get: the data plane and the consumer's shared state. */
export interface ConsumerContext {
  dp: DataPlane;
  /** the consumer's own shared state (the same buffer in every thread) */
  state: SharedArrayBuffer;
  /** notify_via_xen_event_channel: raise the peer of a Xen-owned channel */
  notify(dom: number, port: number): void;
}

/** What a consumer module exports (default export or named `consumer`). */
export interface XenConsumer {
  name: string;
  /** bytes of shared state the consumer needs */
  stateBytes: number;
  /** called for every send to one of the consumer's channels, with no event-channel lock held */
  notify(ctx: ConsumerContext, call: ConsumerCall): void;
}

/** A Xen-internal consumer to register (HypervisorOptions.consumers): a name and its module. */
export interface ConsumerSpec {
  name: string;
  /** path of the module, or the name of a built-in consumer ('monitor', 'console') */
  module: string;
  /** close waits for callbacks in flight (default); false: callbacks validate their own state */
  drain?: boolean;
}

/** What each thread needs to load the consumers. */
export interface ConsumerBinding {
  name: string;
  module: string;
  slot: number;
  state: SharedArrayBuffer;
}

/** A stable non-zero 32-bit id for a consumer name (FNV-1a). */
export function consumerId(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h === 0 ? 1 : h;
}
