// Benchmark streams, batched in wasm so that the harness costs nothing per
// event: a sender loop that raises the next port of its streams (through the
// full EVTCHNOP_send hypercall, or as Xen raising a VIRQ) while the window
// allows, and a receiver loop that runs the guest's upcall (spec §10.1) and
// checks every event against the stream's expected port. Layout and the
// accounting contract: assembly/bench/layout.ts. State lives only in the bench
// page and in the data plane; nothing here allocates or keeps globals.

import {
  BH_STOP, BH_RECV_FIRST, BH_SEND_FIRST,
  BH_PORTS, BH_STREAMS, BH_PUBLISH, BH_VIRQ, BH_LATE, BH_PROGRESS, BH_WAITERS, BP_STREAMS,
  BP_STREAM_BYTES, SS_SENT, SS_CURSOR, SS_SEEN, SR_EXPECT, SR_COUNT, SP_DELIVERED, SQ_SENT, BENCH_MODE_VIRQ,
  BH_UNORDERED, SR_TAKEN,
  BENCH_MODE_EVTCHN, BENCH_MODE_RAISE,
} from "./layout";
import { EVTCHNOP_send } from "../shared/evtchn-abi";
import { EPORT_PORT } from "../shared/evtchn-structs";
import { eventChannelOp } from "../channel/hypercall";
import { raiseVirq } from "../channel/virq";
import { evtchnSend } from "../channel/ops-misc";
import { fifoSetPending, RAISE_DROPPED } from "../fifo/raise";
import { guestNextAny } from "./common";
import { loadUpcallPending, clearUpcallPending, vcpuBlock, VB_IDLE, VB_LATE } from "../upcall";
import { benchFail, spinForFlag } from "./common";

@inline export function streamAddr(page: usize, s: u32): usize {
  return page + <usize>BP_STREAMS + <usize>s * <usize>BP_STREAM_BYTES;
}

// ------------------------------------------------------------------ sender

/** True if stream `st` may send: fewer than n events in flight. Refreshes the cached delivered count. */
@inline function windowOpen(st: usize, n: u32): bool {
  let sent = load<u32>(st + SS_SENT);
  if (sent - load<u32>(st + SS_SEEN) < n) return true;
  let seen = atomic.load<u32>(st + SP_DELIVERED); // pairs with the receiver's publish
  store<u32>(st + SS_SEEN, seen);
  return sent - seen < n;
}

function anyWindowOpen(page: usize, first: u32, count: u32, n: u32): bool {
  for (let i: u32 = 0; i < count; i++) if (windowOpen(streamAddr(page, first + i), n)) return true;
  return false;
}

/**
 * Sleep until a receiver publishes progress, if every window is still full.
 * WAITERS is raised before the windows are re-read and the receiver reads it
 * after its publish, so a publish either is seen here or bumps PROGRESS
 * (seq-cst, the same argument as I3).
 */
function waitForWindow(page: usize, first: u32, count: u32, n: u32, timeoutNs: i64): void {
  atomic.add<i32>(page + BH_WAITERS, 1);
  let g = atomic.load<i32>(page + BH_PROGRESS);
  if (!anyWindowOpen(page, first, count, n) && atomic.load<i32>(page + BH_STOP) == 0) {
    atomic.wait<i32>(page + BH_PROGRESS, g, timeoutNs);
  }
  atomic.sub<i32>(page + BH_WAITERS, 1);
}

/**
 * Send up to `max` events on streams first..first+count-1, round robin, each
 * only while its window is open. `arg`/`gpa` are the EVTCHNOP_send struct of
 * the calling vCPU (address in memory, guest-physical address in `dom`).
 * When every window is full: spin `spins` rounds, then sleep up to
 * `timeoutNs` and return what was sent (0 if still full). A failed send is
 * recorded in the page (BH_ERRORS) and ends the batch.
 */
export function benchSend(page: usize, mode: u32, dom: u32, vcpu: u32, arg: usize, gpa: u32,
  first: u32, count: u32, max: u32, spins: u32, timeoutNs: i64): u32 {
  let n = load<u32>(page + BH_PORTS);
  let base = load<u32>(page + BH_SEND_FIRST);
  let virq = load<u32>(page + BH_VIRQ);
  let mask = (<u32>1 << load<u32>(page + BH_PUBLISH)) - 1;
  let sent: u32 = 0;
  let s = first;
  let full: u32 = 0; // consecutive streams found full
  let spun: u32 = 0;
  while (sent < max) {
    let stream = s;
    let st = streamAddr(page, stream);
    if (++s == first + count) s = first;
    if (!windowOpen(st, n)) {
      if (++full < count) continue;
      full = 0;
      if (spun < spins) { spun++; continue; }
      if (atomic.load<i32>(page + BH_STOP) != 0) break;
      waitForWindow(page, first, count, n, timeoutNs);
      if (!anyWindowOpen(page, first, count, n)) break;
      continue;
    }
    full = 0;
    spun = 0;
    let cursor = load<u32>(st + SS_CURSOR);
    let port = base + stream * n + cursor;
    let rc: i32;
    if (mode == BENCH_MODE_VIRQ) {
      rc = raiseVirq(dom, vcpu, virq) == 1 ? 0 : -1;
    } else if (mode == BENCH_MODE_EVTCHN) {
      rc = evtchnSend(dom, port);
    } else if (mode == BENCH_MODE_RAISE) {
      let rport = load<u32>(page + BH_RECV_FIRST) + stream * n + cursor;
      rc = (fifoSetPending(dom, vcpu, rport) & RAISE_DROPPED) != 0 ? -1 : 0;
    } else {
      store<u32>(arg + EPORT_PORT, port); // evtchn_send_t { port }, written by the guest before the hypercall
      rc = eventChannelOp(dom, vcpu, EVTCHNOP_send, <u64>gpa);
    }
    if (rc != 0) {
      benchFail(page, stream, port, <u32>rc);
      break;
    }
    store<u32>(st + SS_CURSOR, cursor + 1 == n ? 0 : cursor + 1);
    let c = load<u32>(st + SS_SENT) + 1;
    store<u32>(st + SS_SENT, c);
    if ((c & mask) == 0) atomic.store<u32>(st + SQ_SENT, c);
    sent++;
  }
  // republish the counts with seq-cst stores: a thread that reads them sees the plain stores before
  for (let i: u32 = 0; i < count; i++) {
    let st = streamAddr(page, first + i);
    let c = load<u32>(st + SS_SENT);
    atomic.store<u32>(st + SS_SENT, c);
    atomic.store<u32>(st + SQ_SENT, c);
  }
  return sent;
}

// ---------------------------------------------------------------- receiver

@inline function publish(page: usize, st: usize, delivered: u32): void {
  atomic.store<u32>(st + SP_DELIVERED, delivered);
  if (atomic.load<i32>(page + BH_WAITERS) != 0) { // pairs with waitForWindow
    atomic.add<i32>(page + BH_PROGRESS, 1);
    atomic.notify(page + BH_PROGRESS, -1);
  }
}

/** Publish every stream's count that moved (before the receiver idles). */
export function benchPublishAll(page: usize): void {
  let streams = load<u32>(page + BH_STREAMS);
  for (let s: u32 = 0; s < streams; s++) {
    let st = streamAddr(page, s);
    let c = load<u32>(st + SR_COUNT);
    if (atomic.load<u32>(st + SP_DELIVERED) != c) publish(page, st, c);
  }
}

/** The guest's handler for a bench port: check it is its stream's next port, count it. */
@inline function account(page: usize, port: u32, n: u32, mask: u32): void {
  let off = port - load<u32>(page + BH_RECV_FIRST);
  let streams = load<u32>(page + BH_STREAMS);
  if (off >= streams * n) { benchFail(page, ~0, 0, port); return; }
  let s = off / n;
  let st = streamAddr(page, s);
  let expect = load<u32>(st + SR_EXPECT);
  let idx = off - s * n;
  if (idx != expect) benchFail(page, s, load<u32>(page + BH_RECV_FIRST) + s * n + expect, port);
  store<u32>(st + SR_EXPECT, idx + 1 == n ? 0 : idx + 1);
  let c = load<u32>(st + SR_COUNT) + 1;
  store<u32>(st + SR_COUNT, c);
  if ((c & mask) == 0) publish(page, st, c);
}

/**
 * The 2-level ABI delivers by port number from a scan cursor, not in FIFO
 * order. An unordered stream still counts every event exactly once: a port
 * may be taken ahead of the oldest outstanding one (its bit in SR_TAKEN is
 * set; a second take before its turn is a duplicate), and the delivered
 * count advances only over the contiguous run from the oldest — so the
 * sender, whose window is that count, never raises a port whose previous
 * event is still pending (no coalescing).
 */
@inline function accountUnordered(page: usize, port: u32, n: u32, mask: u32): void {
  let off = port - load<u32>(page + BH_RECV_FIRST);
  let streams = load<u32>(page + BH_STREAMS);
  if (off >= streams * n) { benchFail(page, ~0, 0, port); return; }
  let s = off / n;
  let st = streamAddr(page, s);
  let idx = off - s * n;
  let word = st + SR_TAKEN + (<usize>(idx >> 5) << 2);
  let bit: u32 = <u32>1 << (idx & 31);
  let taken = load<u32>(word);
  if ((taken & bit) != 0) { benchFail(page, s, ~0, port); return; }
  store<u32>(word, taken | bit);
  let base = load<u32>(st + SR_EXPECT);
  let c = load<u32>(st + SR_COUNT);
  for (;;) {
    let bw = st + SR_TAKEN + (<usize>(base >> 5) << 2);
    let bb: u32 = <u32>1 << (base & 31);
    let t = load<u32>(bw);
    if ((t & bb) == 0) break;
    store<u32>(bw, t & ~bb);
    base = base + 1 == n ? 0 : base + 1;
    c++;
    if ((c & mask) == 0) publish(page, st, c);
  }
  store<u32>(st + SR_EXPECT, base);
  store<u32>(st + SR_COUNT, c);
}

/** Events sent but not yet taken, over all streams, as far as the published counts tell. */
function backlog(page: usize): u32 {
  let streams = load<u32>(page + BH_STREAMS);
  let b: u32 = 0;
  for (let s: u32 = 0; s < streams; s++) {
    let st = streamAddr(page, s);
    b += atomic.load<u32>(st + SQ_SENT) - load<u32>(st + SR_COUNT);
  }
  return b;
}

/**
 * Run vCPU `vcpu`'s upcall loop for up to `max` events: take events until
 * none (spec §10.3), clear the upcall flag and look again, and when idle
 * spin `spins` rounds on the flag, then block in vcpuBlock for up to
 * `timeoutNs` (0: return instead of blocking). Returns the events handled;
 * fewer than `max` means the vCPU went idle.
 *
 * Interrupt moderation (`holdoff` > 0, for a vCPU that receives every
 * stream): after an idle spell, wait until the senders' published counts
 * show `holdoff` events queued, or `holdoffSpins` rounds pass, before
 * taking them, as a Xen ring consumer asks to be notified only after a
 * batch (rsp_event). Without it a receiver faster than its sender consumes
 * each event as soon as it is linked, and both sides fight over the same
 * event-word cache lines.
 */
export function benchReceive(page: usize, dom: u32, gsGfn: u32, vcpu: u32, max: u32, spins: u32, timeoutNs: i64,
  holdoff: u32, holdoffSpins: u32): u32 {
  let n = load<u32>(page + BH_PORTS);
  let mask = (<u32>1 << load<u32>(page + BH_PUBLISH)) - 1;
  let got: u32 = 0;
  let idle = true;
  while (got < max) {
    if (idle) {
      idle = false;
      if (holdoff != 0) {
        for (let i: u32 = 0; i < holdoffSpins && backlog(page) < holdoff; i++) {}
      }
    }
    let port = guestNextAny(dom, gsGfn, vcpu);
    if (port != 0) {
      if (load<u32>(page + BH_UNORDERED) != 0) accountUnordered(page, port, n, mask);
      else account(page, port, n, mask);
      got++;
      continue;
    }
    if (loadUpcallPending(dom, vcpu) != 0) { clearUpcallPending(dom, vcpu); continue; }
    benchPublishAll(page);
    idle = true;
    if (spinForFlag(dom, vcpu, spins)) continue;
    if (timeoutNs == 0) break;
    let r = vcpuBlock(dom, vcpu, timeoutNs);
    if (r == VB_LATE) atomic.add<u32>(page + BH_LATE, 1);
    if (r == VB_IDLE) break;
  }
  benchPublishAll(page);
  return got;
}
