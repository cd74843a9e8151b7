// Parties of the guest-path workloads (src/bench/workloads/guests.ts): each
// is one vCPU running the typed guest API (src/guest/guest.ts) exactly as a
// guest module's vCPU does — sends with g.send, takes events through the
// kernel's block-and-upcall loop (the loop workers/vcpu.worker.ts runs) and
// the driver's dispatch to the handler named GUEST_HANDLER, which does the
// page's exactly-once accounting (the expected-port check of window.ts).
// Each party's port numbers are its domain's own; `offset` maps them to the
// page's numbering (the page numbers stream s's ports first + s·ports ..).
import { nowNs } from '../../harness/ctl.ts';
import { yieldToEventLoop } from '../../platform/host.ts';
import { Guest } from '../../guest/guest.ts';
import { guestLayout } from '../../guest/layout.ts';
import { DrainWatch } from './drain.ts';
import { receiveLoop, type ReceiverArgs } from './streams.ts';
import { StreamWindow, publishDelivered, backlog, sw } from './window.ts';
import { settlePingPong } from './pingpong.ts';
import { histogram, recorderOf, encode, DRAIN_LIMIT_NS, LostEventsError, type RoleContext, type RoleResult } from './context.ts';
import { SR_COUNT, SP_DELIVERED } from '../../../assembly/bench/layout.ts';

/** The handler name every receiving port of a guest cell is bound to in its domain's driver table. */
export const GUEST_HANDLER = 'event';

/** A blocked vCPU loop returns to TypeScript at least this often (ms): a run's end is noticed. */
const WAIT_MS = 1;

interface VcpuArgs { dom: number; vcpu: number; vcpus: number; maxPort: number; offset?: number }

/** What the handler does with an event; replaced for every run (the Guest and its handler table live as long as the worker). */
let onEvent: (port: number) => void = () => { throw new Error('bench: an event arrived outside a run'); };
let guest: Guest | undefined;
let aborted: () => boolean = () => false;

/** This thread's vCPU (one per bench worker; the main thread's for the current cell), made on first use. */
function vcpuOf(ctx: RoleContext, a: VcpuArgs): Guest {
  if (!ctx.dp) throw new Error('bench: a guest party needs the machine\'s data plane');
  // a worker serves one cell; the main thread (a service domain) one cell after another
  if (guest && guest.dp === ctx.dp && guest.dom === a.dom && guest.vcpu === a.vcpu) return guest;
  aborted = () => ctx.ctl.aborted;
  guest = new Guest(ctx.dp, {
    dom: a.dom, vcpu: a.vcpu, vcpus: a.vcpus, maxPort: a.maxPort, config: undefined, stopping: () => aborted(),
  }, guestLayout(a.vcpus, a.maxPort), () => ({ [GUEST_HANDLER]: (port: number) => onEvent(port) }));
  return guest;
}


/** Publish the delivered counts of this receiver's streams that moved since their last publish. */
function publishMine(p: Int32Array, streams: number[]): void {
  for (const s of streams) {
    const c = Atomics.load(p, sw(s, SR_COUNT));
    if (Atomics.load(p, sw(s, SP_DELIVERED)) !== c) publishDelivered(p, s, c);
  }
}

export interface GuestSenderArgs extends VcpuArgs { first: number; count: number; seconds: number; batch: number; spins: number }

/** A guest vCPU sending round robin on its streams with g.send while their windows are open. */
export function guestSender(ctx: RoleContext, a: GuestSenderArgs): RoleResult {
  const { page, ctl } = ctx;
  const g = vcpuOf(ctx, a);
  const win = new StreamWindow(page);
  const offset = a.offset ?? 0;
  const end = a.first + a.count;
  ctl.startBarrier(ctx.parties);
  g.kernel.online(); // a running vCPU thread (I51): it takes a core whether or not it blocks
  const tStart = nowNs();
  const deadline = tStart + a.seconds * 1e9;
  let t = tStart;
  while (t < deadline && page.errors === 0 && !ctl.aborted) {
    let sent = 0;
    for (let s = a.first, full = 0; sent < a.batch && full < a.count; s = s + 1 === end ? a.first : s + 1) {
      if (!win.open(s)) { full++; continue; }
      full = 0;
      g.send(win.take(s) + offset);
      sent++;
    }
    win.settleSent(a.first, a.count);
    if (sent > 0) for (let s = a.first; s < end; s++) ctl.stamp(s, page.sent(s), t);
    else {
      for (let spun = 0; spun < a.spins && !win.anyOpen(a.first, a.count); spun++);
      if (!win.anyOpen(a.first, a.count)) win.waitForWindow(a.first, a.count, WAIT_MS);
    }
    t = nowNs();
  }
  g.kernel.offline();
  ctl.senderDone();
  return { tStart, tEnd: t };
}

/** A guest receiver; interrupt moderation as the data plane's receiver has it (tuning.ts), none if left out. */
export interface GuestReceiverArgs extends VcpuArgs, Partial<Pick<ReceiverArgs, 'holdoff' | 'holdoffSpins'>> {
  streams: number[]; senders: number;
}

/**
 * Interrupt moderation of a receiving guest vCPU (assembly/bench/stream.ts
 * benchReceive does the same for the data plane's receiver): before taking
 * the next upcall, wait until `holdoff` events are queued on its streams, or
 * `spins` rounds pass. Without it a receiver faster than its sender takes
 * each event as soon as it is linked and both fight over the same event-word
 * cache lines.
 */
function holdOff(p: Int32Array, streams: number[], holdoff: number, spins: number): void {
  for (let i = 0; i < spins && backlog(p, streams) < holdoff; i++);
}

/** The handler's accounting: one event of the page's stream `port + offset` (a violation is recorded on the page). */
function accountFor(win: StreamWindow, offset: number): (port: number) => void {
  return (port) => { win.account(port + offset); };
}

/** Handled events between two latency collections from inside the handler. */
const COLLECT_EVERY = 256;

/**
 * A guest vCPU taking its streams' events in its handler, in the kernel's
 * block-and-upcall loop. One upcall drains until the queues are empty, which
 * under a steady stream can be thousands of events: the handler collects the
 * latency samples every COLLECT_EVERY events, as the data plane's receiver
 * returns to collect every recvBatch, so a sample is timed when its event is
 * handled, not when the upcall ends.
 */
export function guestReceiver(ctx: RoleContext, a: GuestReceiverArgs): RoleResult {
  const { page, ctl } = ctx;
  const g = vcpuOf(ctx, a);
  const win = new StreamWindow(page);
  const offset = a.offset ?? 0;
  const h = histogram();
  const record = recorderOf(h);
  let handled = 0;
  onEvent = (port) => {
    win.account(port + offset);
    if (++handled % COLLECT_EVERY === 0) {
      const now = nowNs();
      for (const t of a.streams) ctl.collect(t, page.delivered(t), now, record); // every stream, as receiveLoop does
    }
  };
  const holdoff = a.holdoff ?? 0;
  const spins = a.holdoffSpins ?? 0;
  const take = holdoff === 0 ? () => g.kernel.blockAndRun(WAIT_MS)
    : () => { holdOff(page.i32, a.streams, holdoff, spins); return g.kernel.blockAndRun(WAIT_MS); };
  const r = receiveLoop(ctx, a.streams, a.senders, take, () => publishMine(page.i32, a.streams), h);
  g.kernel.offline(); // a failed run's machine is discarded with its cell: only a finished run needs this
  publishMine(page.i32, a.streams);
  return r;
}

/**
 * A service domain's vCPU on the runner's main thread: the kernel's
 * Atomics.waitAsync loop (what Domain serves a service domain with), giving
 * the event loop a turn after every upcall that handled events.
 */
export async function guestServiceReceiver(ctx: RoleContext, a: GuestReceiverArgs): Promise<RoleResult> {
  const { page, ctl } = ctx;
  const g = vcpuOf(ctx, a);
  onEvent = accountFor(new StreamWindow(page), a.offset ?? 0);
  const h = histogram();
  const record = recorderOf(h);
  await ctl.startBarrierAsync(ctx.parties);
  const tStart = nowNs();
  const watch = new DrainWatch(page, ctl, a.streams, a.senders, tStart);
  let tEnd = tStart;
  for (;;) {
    const n = await g.kernel.blockAndRunAsync(WAIT_MS);
    const t = nowNs();
    if (n > 0) {
      tEnd = t;
      publishMine(page.i32, a.streams);
      for (const s of a.streams) ctl.collect(s, page.delivered(s), t, record);
      await yieldToEventLoop(); // timers and I/O of the service run between upcalls
    }
    if (watch.done(t)) break;
  }
  publishMine(page.i32, a.streams);
  return { tStart, tEnd, hist: encode(h) };
}

export interface GuestPingArgs extends VcpuArgs { port: number; seconds: number }

/**
 * Domain 1's guest: sends a ping, and its handler — on the answer — records
 * the round trip and sends the next, until the run's time is up. The stream
 * accounting of pingpong.ts: stream 0 = pings, stream 1 = answers.
 */
export function guestPinger(ctx: RoleContext, a: GuestPingArgs): RoleResult {
  const { page, ctl } = ctx;
  const g = vcpuOf(ctx, a);
  const h = histogram();
  let pings = 0;
  let pongs = 0;
  let t0 = 0;
  let deadline = 0;
  let done = false;
  onEvent = (port) => {
    const t = nowNs();
    if (port !== a.port) page.fail(1, a.port, port);
    pongs++;
    h.recordValue(Math.max(1, t - t0));
    if (t < deadline && page.errors === 0 && !ctl.aborted) {
      t0 = t;
      pings++;
      g.send(a.port);
    } else done = true;
  };
  ctl.startBarrier(ctx.parties);
  const tStart = nowNs();
  deadline = tStart + a.seconds * 1e9;
  t0 = tStart;
  pings++;
  g.send(a.port);
  let last = pongs;
  let lastT = tStart;
  while (!done && !ctl.aborted) {
    g.kernel.blockAndRun(WAIT_MS);
    const t = nowNs();
    if (pongs !== last) { last = pongs; lastT = t; } else if (t - lastT > DRAIN_LIMIT_NS) {
      throw new LostEventsError(`guest ping-pong: no answer to ping ${pings} within ${DRAIN_LIMIT_NS / 1e9} s`);
    }
  }
  g.kernel.offline();
  settlePingPong(page, 'pinger', pings, pongs);
  ctl.senderDone();
  return { tStart, tEnd: t0, hist: encode(h) };
}

export interface GuestEchoArgs extends VcpuArgs { reply: number }

/** Domain 2's guest: its handler answers every ping on the same channel. */
export function guestEcho(ctx: RoleContext, a: GuestEchoArgs): RoleResult {
  const { page, ctl } = ctx;
  const g = vcpuOf(ctx, a);
  let echoes = 0;
  onEvent = (port) => {
    if (port !== a.reply) page.fail(0, a.reply, port);
    echoes++;
    g.send(a.reply);
  };
  ctl.startBarrier(ctx.parties);
  const tStart = nowNs();
  let tEnd = tStart;
  let last = tStart;
  for (;;) {
    const n = g.kernel.blockAndRun(WAIT_MS);
    const t = nowNs();
    if (n > 0) { tEnd = t; last = t; }
    if (page.errors !== 0 || ctl.aborted) break;
    if (ctl.sendersDone > 0) {
      const pings = page.sent(0);
      if (echoes === pings) break;
      if (t - last > DRAIN_LIMIT_NS) throw new LostEventsError(`guest ping-pong: ${pings} pings, ${echoes} answered`);
    }
  }
  g.kernel.offline();
  settlePingPong(page, 'echo', echoes, echoes);
  return { tStart, tEnd };
}
