// Re-injectable bugs of the stress build: G_INJECT bits (set with
// stressConfigure's `inject` argument; src/stress/inject.ts names them for the
// CLI). Constants only, in syntax both compilers accept, so the TypeScript
// shell imports the same numbers the data plane tests. Each bug is a historical
// or plausible mistake the race harness (`wasmxen stress`) must catch; the
// branch that re-introduces it is `if (injected(INJ_X))` at the line it
// breaks, and folds away outside the stress build.
//
// Every bit is defined here but 0x100, the device model's
// (INJECT_MAPCACHE_FIRST_FREE, assembly/shared/dm-layout.ts): 0x1–0x80 break the
// event-channel data plane, 0x200 and 0x400 the channel layer's consumer calls
// (assembly/channel/ops-misc.ts, ops-close.ts), 0x800 the domain lifecycle's
// evtchn_destroy, 0x4000 the continuations.

/**
 * unbounded-set-link: setLink is the pre-2013 loop — cmpxchg until linked or
 * the tail is no longer LINKED, no BUSY, no bound (assembly/fifo/set-link.ts).
 * A guest rewriting its tail word holds the sending vCPU in the hypervisor
 * for as long as it likes (XSA-295's target; breaks I5, I10).
 */
export const INJ_UNBOUNDED_SET_LINK = 0x1;

/**
 * guest-clears-tail-mask: the guest's unmask fast path clears MASKED with a
 * plain RMW even when the word is PENDING or BUSY, never issuing
 * EVTCHNOP_unmask (assembly/guest/fifo-guest.ts). A masked event that became
 * pending stays on no queue, and a tail unmasked under BUSY defeats setLink's
 * bound (breaks I16).
 */
export const INJ_GUEST_CLEARS_TAIL_MASK = 0x2;

/**
 * no-busy: setLink retries its cmpxchg without setting BUSY first
 * (assembly/fifo/set-link.ts), so a well-behaved guest that masks and unmasks
 * its tail can make the bounded loop give up and lose its event (breaks I10).
 */
export const INJ_NO_BUSY = 0x4;

/**
 * ready-before-head: fifoSetPending sets READY and requests the upcall before
 * it stores HEAD (assembly/fifo/raise.ts); a guest that takes READY in between
 * reads a stale HEAD and the queue stalls (breaks I11).
 */
export const INJ_READY_BEFORE_HEAD = 0x8;

/**
 * ignore-old-queue: fifoSetPending treats the target queue as the queue the
 * event was last on — it locks only the target, never resets a stale tail of
 * the old queue and never updates fifo_lastq (assembly/fifo/raise.ts). After a
 * priority or vCPU change, a raise on the old queue links behind a word that
 * now belongs to another queue (breaks I13).
 */
export const INJ_IGNORE_OLD_QUEUE = 0x10;

/**
 * lost-wakeup: markEventsPending sets evtchn_upcall_pending but does not kick
 * the vCPU (assembly/upcall.ts); a vCPU that blocked just before sleeps on
 * with an upcall pending (breaks I3).
 */
export const INJ_LOST_WAKEUP = 0x20;

/**
 * continuation-mask-change: continuations are decoded with a shift one larger
 * than they were encoded with (assembly/hypercall/preempt.ts, `progressShift`)
 * — what a guest sees when a continuation begun on one hypervisor is finished
 * by one whose MEMOP_EXTENT_SHIFT / HVMOP_op_mask / reset_cont shift changed
 * (Xen commit 4ef6b5f1 froze them for this reason). The continued call resumes
 * at the wrong point and the final state differs from an uninterrupted run
 * (breaks I40).
 */
export const INJ_CONTINUATION_MASK_CHANGE = 0x4000;

/**
 * xen-unmask: EVTCHNOP_unmask on a FIFO port relinks as Xen's
 * evtchn_fifo_unmask does — test PENDING, then a full set_pending that sets
 * PENDING again (assembly/fifo/raise.ts): a guest that took the event in
 * between gets it a second time, raised by nobody (what I26 prevents).
 */
export const INJ_XEN_UNMASK = 0x40;

/**
 * callback-under-lock: a Xen consumer's callback runs with the sender's
 * channel lock held (the pre-2021 bug, assembly/channel/ops-misc.ts): a
 * callback that closes its own channel deadlocks the teardown (breaks I23).
 */
export const INJ_CALLBACK_UNDER_LOCK = 0x200;

/**
 * no-drain: a Xen-owned channel is freed without waiting for the callbacks in
 * flight (assembly/channel/ops-close.ts): a callback touches the freed ring (I23).
 */
export const INJ_NO_DRAIN = 0x400;

/**
 * destroy-no-peer-lock: evtchn_destroy closes interdomain channels without
 * taking the peer's channel lock (assembly/channel/ops-close.ts; breaks I29).
 */
export const INJ_DESTROY_NO_PEER_LOCK = 0x800;
