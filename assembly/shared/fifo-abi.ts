// Xen's FIFO event-channel ABI constants (xen/include/public/event_channel.h,
// spec §1, §2.3, §2.4). Names are Xen's.

/** Width of an event word's LINK field (the next port in its queue). */
export const EVTCHN_FIFO_LINK_BITS = 17;
/** Mask of an event word's LINK field. */
export const EVTCHN_FIFO_LINK_MASK = 0x0001ffff;
/** Ports the FIFO ABI can address (2^17). */
export const EVTCHN_FIFO_NR_CHANNELS = 131072;
/** Event word bit 31: the event is pending. */
export const EVTCHN_FIFO_PENDING = 0x80000000;
/** Event word bit 30: the event is masked (raised, not delivered). */
export const EVTCHN_FIFO_MASKED = 0x40000000;
/** Event word bit 29: the event is on a queue. */
export const EVTCHN_FIFO_LINKED = 0x20000000;
/** Event word bit 28: Xen is updating LINK; the guest must not clear MASKED meanwhile. */
export const EVTCHN_FIFO_BUSY = 0x10000000;
/** The highest priority (queue 0). */
export const EVTCHN_FIFO_PRIORITY_MAX = 0;
/** The priority a new channel gets. */
export const EVTCHN_FIFO_PRIORITY_DEFAULT = 7;
/** The lowest priority (queue 15). */
export const EVTCHN_FIFO_PRIORITY_MIN = 15;
/** Priority queues per vCPU. */
export const EVTCHN_FIFO_MAX_QUEUES = 16;
/** Event words in one event-array page. */
export const EVTCHN_FIFO_EVENT_WORDS_PER_PAGE = 1024;

// control block (72 bytes, 8-byte aligned, spec §2.4)
/** Bytes of a vCPU's control block (READY word, then one HEAD per queue). */
export const EVTCHN_FIFO_CONTROL_BLOCK_SIZE = 72;
/** Offset of the READY bitmap in a control block. */
export const CB_READY_OFFSET = 0;
/** Offset of HEAD[0] in a control block. */
export const CB_HEAD_OFFSET = 8;
/** The highest offset of a control block within its page (PAGE_SIZE - 72). */
export const EVTCHN_FIFO_CB_MAX_OFFSET = 4024; // PAGE_SIZE - 72

// setLink: one cmpxchg before BUSY is set, then at most 4 more (spec §9.6)
/** LINK update attempts after the first cmpxchg, with BUSY set (spec §9.6). */
export const SET_LINK_RETRIES = 4;
// queue-lock loop of set_pending gives up after 3 attempts (spec §9.5)
/** Queue-lock attempts of set_pending before it gives up (spec §9.5). */
export const SET_PENDING_LOCK_ATTEMPTS = 3;
