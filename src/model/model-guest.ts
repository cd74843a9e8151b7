// The guest side of FIFO as our Linux-like driver does it (spec §10.2–§10.4),
// against the model's guest memory. Like the wasm guest
// (assembly/guest/fifo-guest.ts) it only knows what it registered itself:
// the array pages and control blocks that bootFifo added successfully; port 0
// and ports beyond its pages have no word. Its private state (page list,
// control-block locations, head cursors) is kept here rather than in its
// driver-state frame.
import {
  EVTCHN_FIFO_PENDING, EVTCHN_FIFO_MASKED, EVTCHN_FIFO_LINKED, EVTCHN_FIFO_LINK_MASK,
  EVTCHN_FIFO_MAX_QUEUES, EVTCHN_FIFO_EVENT_WORDS_PER_PAGE, EVTCHN_FIFO_CONTROL_BLOCK_SIZE,
  CB_READY_OFFSET, CB_HEAD_OFFSET,
} from '../../assembly/shared/fifo-abi.ts';
import { EINVAL } from '../../assembly/shared/errno.ts';
import type { GuestMemory } from './guest-memory.ts';

export interface GuestFifoState {
  /** Array page gfns the guest registered, in order. */
  pages: number[];
  /** Per vCPU: control block location once init_control succeeded, and private head cursors (0 = read head[q]). */
  vcpus: ({ gfn: number; offset: number; heads: Uint32Array } | undefined)[];
}

export function newGuestFifoState(vcpus: number): GuestFifoState {
  return { pages: [], vcpus: new Array(vcpus).fill(undefined) };
}

function guestPage(mem: GuestMemory, g: GuestFifoState, port: number): Uint32Array | undefined {
  const slot = Math.floor(port / EVTCHN_FIFO_EVENT_WORDS_PER_PAGE);
  if (port === 0 || slot >= g.pages.length) return undefined;
  return mem.page(g.pages[slot]);
}

/** Guest mask: set MASKED (spec §10.4). 0, or -EINVAL if the guest has no word for `port`. */
export function guestMask(mem: GuestMemory, g: GuestFifoState, port: number): number {
  const page = guestPage(mem, g, port);
  if (page === undefined) return -EINVAL;
  page[port % EVTCHN_FIFO_EVENT_WORDS_PER_PAGE] |= EVTCHN_FIFO_MASKED;
  return 0;
}

/**
 * tryUnmaskLocally (spec §10.4): true when done (MASKED clear already, or
 * cleared here), false when the event is PENDING and EVTCHNOP_unmask is
 * needed, undefined when the guest has no word. The compare-exchange
 * expects BUSY clear; single-threaded Xen never leaves BUSY set, so it
 * succeeds at once.
 */
export function guestTryUnmaskLocally(mem: GuestMemory, g: GuestFifoState, port: number): boolean | undefined {
  const page = guestPage(mem, g, port);
  if (page === undefined) return undefined;
  const i = port % EVTCHN_FIFO_EVENT_WORDS_PER_PAGE;
  const old = page[i];
  if ((old & EVTCHN_FIFO_MASKED) === 0) return true;
  if ((old & EVTCHN_FIFO_PENDING) !== 0) return false;
  page[i] = old & ~EVTCHN_FIFO_MASKED;
  return true;
}

/** clearLinked (spec §10.3): clear LINKED and LINK, keep the rest; returns the old LINK. */
function clearLinked(page: Uint32Array, i: number): number {
  const old = page[i];
  page[i] = old & ~(EVTCHN_FIFO_LINKED | EVTCHN_FIFO_LINK_MASK);
  return old & EVTCHN_FIFO_LINK_MASK;
}

/**
 * One handleEvents pass on `vcpu` (spec §10.3): exchange READY, consume the
 * lowest ready queue first from the private cursor (or HEAD), clearLinked,
 * dispatch (acknowledging: PENDING cleared) only if PENDING and not MASKED,
 * merge READY after every event. Dispatched ports are appended to `out`.
 * A HEAD naming a word the guest does not have ends that queue.
 */
export function handleEvents(mem: GuestMemory, g: GuestFifoState, vcpu: number, out: number[]): void {
  const gv = g.vcpus[vcpu];
  if (gv === undefined) return;
  const cb = mem.page(gv.gfn);
  const r = (gv.offset + CB_READY_OFFSET) / 4;
  const h = (gv.offset + CB_HEAD_OFFSET) / 4;
  let ready = cb[r];
  cb[r] = 0;
  while (ready !== 0) {
    const q = 31 - Math.clz32(ready & -ready);
    if (q >= EVTCHN_FIFO_MAX_QUEUES) break; // READY bits Xen never sets
    const port = gv.heads[q] !== 0 ? gv.heads[q] : cb[h + q];
    const page = guestPage(mem, g, port);
    if (page === undefined) {
      gv.heads[q] = 0;
      ready &= ~(1 << q);
      continue;
    }
    const i = port % EVTCHN_FIFO_EVENT_WORDS_PER_PAGE;
    const next = clearLinked(page, i);
    if (next === 0) ready &= ~(1 << q);
    gv.heads[q] = next;
    const w = page[i];
    if ((w & EVTCHN_FIFO_PENDING) !== 0 && (w & EVTCHN_FIFO_MASKED) === 0) {
      page[i] = w & ~EVTCHN_FIFO_PENDING; // the edge ack clears PENDING before the handler runs (spec §10.1)
      out.push(port);
    }
    ready |= cb[r];
    cb[r] = 0;
  }
}

/** Zero the control block and private cursors before init_control (spec §10.2). */
export function guestPrepareControlBlock(mem: GuestMemory, gfn: number, offset: number): void {
  mem.page(gfn).fill(0, offset / 4, (offset + EVTCHN_FIFO_CONTROL_BLOCK_SIZE) / 4);
}

/** Fill an array page with MASKED-only words before expand_array (spec §10.2). */
export function guestPrepareArrayPage(mem: GuestMemory, gfn: number): void {
  mem.page(gfn).fill(EVTCHN_FIFO_MASKED);
}
