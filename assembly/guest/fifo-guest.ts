// The guest side of the FIFO ABI, as Linux's events_fifo.c does it (spec
// §10.2–10.4). It touches only the guest's own frames: the control blocks and
// array pages it registered and its private driver state (GS_* in layout.ts,
// one guest frame). Every gfn and port it follows is bounds-checked first, so
// garbage in guest memory can only break this guest's own event delivery.

import {
  PAGE_SIZE, GS_NR_PAGES, GS_PAGES, GS_VCPUS, GS_VCPU_BYTES, GSV_CB_GFN,
  GSV_CB_OFFSET, GSV_READY, GSV_HEADS, GS_LOCK, EVTCHN_FIFO_MAX_ARRAY_PAGES,
} from "../shared/layout";
import {
  EVTCHN_FIFO_PENDING, EVTCHN_FIFO_MASKED, EVTCHN_FIFO_LINKED, EVTCHN_FIFO_BUSY,
  EVTCHN_FIFO_LINK_MASK, EVTCHN_FIFO_EVENT_WORDS_PER_PAGE, EVTCHN_FIFO_CONTROL_BLOCK_SIZE,
  CB_READY_OFFSET, CB_HEAD_OFFSET, EVTCHN_FIFO_MAX_QUEUES,
} from "../shared/fifo-abi";
import { EFAULT, EINVAL } from "../shared/errno";
import { gfnAddr } from "../domain/table";
import { mutexAcquire, mutexRelease } from "../sync/lock";
import { initControl, expandArray } from "../fifo/control";
import {
  noise, NP_GUEST_CLEAR_LINKED, NP_GUEST_UNMASK, NP_GUEST_HEAD, injected, INJ_GUEST_CLEARS_TAIL_MASK,
} from "../stress/noise";

@inline function gsVcpu(gs: usize, vcpu: u32): usize {
  return gs + <usize>GS_VCPUS + <usize>vcpu * <usize>GS_VCPU_BYTES;
}

/** Guest-side word lookup through the guest's own page list; 0 if not covered. */
export function guestWordAddr(dom: u32, gs: usize, port: u32): usize {
  let n = atomic.load<u32>(gs + GS_NR_PAGES);
  if (n > <u32>EVTCHN_FIFO_MAX_ARRAY_PAGES) return 0; // garbage in own memory
  let page = port / <u32>EVTCHN_FIFO_EVENT_WORDS_PER_PAGE;
  if (port == 0 || page >= n) return 0;
  let base = gfnAddr(dom, <u64>atomic.load<u32>(gs + GS_PAGES + (<usize>page << 2)));
  if (base == 0) return 0;
  return base + (<usize>(port % <u32>EVTCHN_FIFO_EVENT_WORDS_PER_PAGE) << 2);
}

function guestControlBlock(dom: u32, gs: usize, vcpu: u32): usize {
  let v = gsVcpu(gs, vcpu);
  let off = load<u32>(v + GSV_CB_OFFSET);
  let page = gfnAddr(dom, <u64>load<u32>(v + GSV_CB_GFN));
  if (page == 0 || off > <u32>PAGE_SIZE - <u32>EVTCHN_FIFO_CONTROL_BLOCK_SIZE) return 0;
  return page + <usize>off;
}

/** Zero the driver-state frame. Returns 0 or -EFAULT if `gsGfn` is not guest RAM. */
export function guestFifoSetup(dom: u32, gsGfn: u32): i32 {
  let gs = gfnAddr(dom, <u64>gsGfn);
  if (gs == 0) return -EFAULT;
  memory.fill(gs, 0, <usize>PAGE_SIZE);
  return 0;
}

/** Zero the control block and private cursors, then EVTCHNOP_init_control. */
export function guestFifoInitVcpu(dom: u32, gsGfn: u32, vcpu: u32, cbGfn: u32, offset: u32): i32 {
  let gs = gfnAddr(dom, <u64>gsGfn);
  if (gs == 0 || vcpu >= 32) return -EFAULT;
  let page = gfnAddr(dom, <u64>cbGfn);
  if (page == 0) return -EFAULT;
  if (offset <= <u32>PAGE_SIZE - <u32>EVTCHN_FIFO_CONTROL_BLOCK_SIZE) {
    memory.fill(page + <usize>offset, 0, <usize>EVTCHN_FIFO_CONTROL_BLOCK_SIZE);
  }
  let v = gsVcpu(gs, vcpu);
  memory.fill(v, 0, <usize>GS_VCPU_BYTES);
  let rc = initControl(dom, <u64>cbGfn, offset, vcpu);
  if (rc == 0) {
    store<u32>(v + GSV_CB_GFN, cbGfn);
    store<u32>(v + GSV_CB_OFFSET, offset);
  }
  return rc;
}

/** Fill a page with MASKED-only words and register it (expand_array). */
export function guestFifoAddArrayPage(dom: u32, gsGfn: u32, gfn: u32): i32 {
  let gs = gfnAddr(dom, <u64>gsGfn);
  let page = gfnAddr(dom, <u64>gfn);
  if (gs == 0 || page == 0) return -EFAULT;
  mutexAcquire(gs + GS_LOCK); // the guest's own lock: one expansion at a time
  for (let i: u32 = 0; i < <u32>EVTCHN_FIFO_EVENT_WORDS_PER_PAGE; i++) {
    atomic.store<u32>(page + (<usize>i << 2), EVTCHN_FIFO_MASKED);
  }
  let rc = expandArray(dom, <u64>gfn);
  if (rc == 0) {
    let n = atomic.load<u32>(gs + GS_NR_PAGES);
    if (n < <u32>EVTCHN_FIFO_MAX_ARRAY_PAGES) {
      atomic.store<u32>(gs + GS_PAGES + (<usize>n << 2), gfn);
      atomic.store<u32>(gs + GS_NR_PAGES, n + 1); // after the gfn it covers
    }
  }
  mutexRelease(gs + GS_LOCK);
  return rc;
}

/** Clear LINKED and LINK, keep PENDING/MASKED/BUSY; returns the old LINK (spec §10.3). */
function clearLinked(w: usize): u32 {
  let old = atomic.load<u32>(w);
  while (true) {
    let desired = old & ~(EVTCHN_FIFO_LINKED | EVTCHN_FIFO_LINK_MASK);
    noise(NP_GUEST_CLEAR_LINKED);
    let seen = atomic.cmpxchg<u32>(w, old, desired);
    if (seen == old) return old & EVTCHN_FIFO_LINK_MASK;
    old = seen; // Xen changes a LINKED word a bounded number of times (§9.6)
  }
}

/**
 * The consuming half of the upcall (spec §10.3): returns the next port to
 * dispatch on `vcpu`, already acknowledged (PENDING cleared, as the edge
 * ack does before the handler runs), or 0 when every ready queue is drained.
 * Queues are taken in priority order and newly ready queues are merged after
 * every event, so a higher-priority event overtakes a lower queue (I15).
 */
export function guestFifoNext(dom: u32, gsGfn: u32, vcpu: u32): u32 {
  let gs = gfnAddr(dom, <u64>gsGfn);
  if (gs == 0 || vcpu >= 32) return 0;
  let cb = guestControlBlock(dom, gs, vcpu);
  if (cb == 0) return 0;
  let v = gsVcpu(gs, vcpu);
  let ready = load<u32>(v + GSV_READY) | atomic.xchg<u32>(cb + CB_READY_OFFSET, 0);
  while (ready != 0) {
    let q = <u32>ctz(ready);
    if (q >= <u32>EVTCHN_FIFO_MAX_QUEUES) { ready = 0; break; } // garbage READY bits
    let headSlot = v + GSV_HEADS + (<usize>q << 2);
    let port = load<u32>(headSlot);
    if (port == 0) port = atomic.load<u32>(cb + CB_HEAD_OFFSET + (<usize>q << 2));
    let w = guestWordAddr(dom, gs, port);
    if (w == 0) { // HEAD names nothing we registered: treat the queue as drained
      store<u32>(headSlot, 0);
      ready &= ~(<u32>1 << q);
      continue;
    }
    noise(NP_GUEST_HEAD);
    let next = clearLinked(w);
    if (next == 0) ready &= ~(<u32>1 << q);
    store<u32>(headSlot, next);
    let word = atomic.load<u32>(w);
    // Ack before the handler (edge IRQ), and dispatch only if this ack took
    // PENDING: after a re-bind the event can be linked on two vCPUs' queues
    // at once, and only one of them may handle it (Linux: is_active) (I22).
    if ((word & EVTCHN_FIFO_PENDING) != 0 && (word & EVTCHN_FIFO_MASKED) == 0
        && (atomic.and<u32>(w, ~EVTCHN_FIFO_PENDING) & EVTCHN_FIFO_PENDING) != 0) {
      store<u32>(v + GSV_READY, ready);
      return port;
    }
    ready |= atomic.xchg<u32>(cb + CB_READY_OFFSET, 0);
  }
  store<u32>(v + GSV_READY, 0);
  return 0;
}

/** Guest mask: atomic set of MASKED. Returns 0 or -EINVAL (port not covered). */
export function guestFifoMask(dom: u32, gsGfn: u32, port: u32): i32 {
  let gs = gfnAddr(dom, <u64>gsGfn);
  if (gs == 0) return -EFAULT;
  let w = guestWordAddr(dom, gs, port);
  if (w == 0) return -EINVAL;
  atomic.or<u32>(w, EVTCHN_FIFO_MASKED);
  return 0;
}

/**
 * The unmask fast path (spec §10.4): clears MASKED locally unless the event is
 * PENDING (then returns 1: the caller must issue EVTCHNOP_unmask) and never
 * while BUSY (I16). Returns 0 when done locally, -EINVAL if not covered.
 */
export function guestFifoUnmask(dom: u32, gsGfn: u32, port: u32): i32 {
  let gs = gfnAddr(dom, <u64>gsGfn);
  if (gs == 0) return -EFAULT;
  let w = guestWordAddr(dom, gs, port);
  if (w == 0) return -EINVAL;
  if (injected(INJ_GUEST_CLEARS_TAIL_MASK)) { // stress build: re-injected bug (breaks I16)
    noise(NP_GUEST_UNMASK);
    atomic.and<u32>(w, ~EVTCHN_FIFO_MASKED);
    return 0;
  }
  let old = atomic.load<u32>(w);
  while (true) {
    if ((old & EVTCHN_FIFO_MASKED) == 0) return 0;
    if ((old & EVTCHN_FIFO_PENDING) != 0) return 1;
    let expected = old & ~EVTCHN_FIFO_BUSY;
    noise(NP_GUEST_UNMASK);
    let seen = atomic.cmpxchg<u32>(w, expected, expected & ~EVTCHN_FIFO_MASKED);
    if (seen == expected) return 0;
    old = seen; // spins while Xen holds BUSY, a bounded time (§9.6)
  }
}

