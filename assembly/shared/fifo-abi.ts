// Xen's FIFO event-channel ABI constants (xen/include/public/event_channel.h,
// spec §1, §2.3, §2.4). Names are Xen's.

export const EVTCHN_FIFO_LINK_BITS = 17;
export const EVTCHN_FIFO_LINK_MASK = 0x0001ffff;
export const EVTCHN_FIFO_NR_CHANNELS = 131072;
export const EVTCHN_FIFO_PENDING = 0x80000000;
export const EVTCHN_FIFO_MASKED = 0x40000000;
export const EVTCHN_FIFO_LINKED = 0x20000000;
export const EVTCHN_FIFO_BUSY = 0x10000000;
export const EVTCHN_FIFO_PRIORITY_MAX = 0;
export const EVTCHN_FIFO_PRIORITY_DEFAULT = 7;
export const EVTCHN_FIFO_PRIORITY_MIN = 15;
export const EVTCHN_FIFO_MAX_QUEUES = 16;
export const EVTCHN_FIFO_EVENT_WORDS_PER_PAGE = 1024;

// control block (72 bytes, 8-byte aligned, spec §2.4)
export const EVTCHN_FIFO_CONTROL_BLOCK_SIZE = 72;
export const CB_READY_OFFSET = 0;
export const CB_HEAD_OFFSET = 8;
export const EVTCHN_FIFO_CB_MAX_OFFSET = 4024; // PAGE_SIZE - 72

// setLink: one cmpxchg before BUSY is set, then at most 4 more (spec §9.6)
export const SET_LINK_RETRIES = 4;
// queue-lock loop of set_pending gives up after 3 attempts (spec §9.5)
export const SET_PENDING_LOCK_ATTEMPTS = 3;
