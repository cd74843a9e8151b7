// The bugs `wasmxen stress --inject` can re-introduce into the stress build
// of the data plane (assembly/stress/inject.ts), with the scenario that must
// catch each.
import {
  INJ_UNBOUNDED_SET_LINK, INJ_GUEST_CLEARS_TAIL_MASK, INJ_NO_BUSY, INJ_READY_BEFORE_HEAD,
  INJ_IGNORE_OLD_QUEUE, INJ_LOST_WAKEUP, INJ_CONTINUATION_MASK_CHANGE,
  INJ_CALLBACK_UNDER_LOCK, INJ_NO_DRAIN, INJ_DESTROY_NO_PEER_LOCK,
} from '../../assembly/stress/inject.ts';
import { DM_INJECTIONS } from '../dm/race.ts';

/** A known bug the stress build can switch back on, and the scenario that must catch it. */
export interface Injection {
  name: string;
  bit: number;
  /** what the bug is */
  bug: string;
  /** the scenario built to catch it */
  scenario: string;
  /** where the bit goes: the data plane's stress configuration (default) or the device model's (src/dm/race.ts) */
  target?: 'data-plane' | 'device-model';
}

/** Every known bug the stress build can re-inject, with the scenario that catches it. */
export const INJECTIONS: readonly Injection[] = [
  {
    name: 'unbounded-set-link', bit: INJ_UNBOUNDED_SET_LINK, scenario: 'tail-hammer',
    bug: 'the pre-2013 LINK update: cmpxchg until linked, no BUSY, no bound — a guest rewriting its tail holds the sender in Xen (XSA-295)',
  },
  {
    name: 'guest-clears-tail-mask', bit: INJ_GUEST_CLEARS_TAIL_MASK, scenario: 'unmask-tail',
    bug: 'the guest\'s unmask fast path clears MASKED even when PENDING or BUSY, never calling EVTCHNOP_unmask',
  },
  {
    name: 'no-busy', bit: INJ_NO_BUSY, scenario: 'unmask-tail',
    bug: 'the bounded LINK update retries without setting BUSY, so a well-behaved guest can exhaust its 4 retries',
  },
  {
    name: 'ready-before-head', bit: INJ_READY_BEFORE_HEAD, scenario: 'raise-drain',
    bug: 'set_pending sets READY and raises the upcall before it stores HEAD',
  },
  {
    name: 'ignore-old-queue', bit: INJ_IGNORE_OLD_QUEUE, scenario: 'vcpu-move',
    bug: 'set_pending ignores the queue the event was last on: no stale-tail reset there, no fifo_lastq update',
  },
  {
    name: 'lost-wakeup', bit: INJ_LOST_WAKEUP, scenario: 'ipi-storm',
    bug: 'the upcall flag is set without kicking a vCPU that is blocked',
  },
  {
    name: 'callback-under-lock', bit: INJ_CALLBACK_UNDER_LOCK, scenario: 'consumer-teardown',
    bug: 'a Xen consumer\'s callback runs with the sender\'s channel lock held (before Xen commit 1376ef90): a callback taking a lock the closer holds deadlocks',
  },
  {
    name: 'destroy-no-peer-lock', bit: INJ_DESTROY_NO_PEER_LOCK, scenario: 'destroy',
    bug: 'evtchn_destroy closes an interdomain channel without the peer\'s channel lock: a peer\'s send that read the channel bound raises the dying domain\'s port after it was freed',
  },
  {
    name: 'no-drain', bit: INJ_NO_DRAIN, scenario: 'consumer-teardown',
    bug: 'closing a Xen-owned channel frees it without waiting for callbacks in flight: a callback touches the freed ring',
  },
  {
    name: 'continuation-mask-change', bit: INJ_CONTINUATION_MASK_CHANGE, scenario: 'continuations',
    bug: 'continuations are decoded with a different shift than they were encoded with: a continuation begun on one hypervisor finished by one whose MEMOP_EXTENT_SHIFT changed (Xen commit 4ef6b5f1 froze it)',
  },
  {
    name: 'mapcache-first-free', bit: DM_INJECTIONS['mapcache-first-free'], scenario: 'dm-mapcache', target: 'device-model',
    bug: 'the pre-fix mapcache chain search (QEMU before 7fb394ad): it stops at the first unlocked entry instead of finding a locked exact match further down, so one address gets two entries and reverse translation resolves to the wrong one',
  },
];

/** The injection named `name`, if any. */
export function injectionByName(name: string): Injection | undefined {
  return INJECTIONS.find((i) => i.name === name);
}
