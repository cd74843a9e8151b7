// The MessagePort.postMessage baseline: the same stream shapes, one message
// per event (the port number), between the same kind of worker threads. A
// sender blocks on the window like the FIFO senders; a receiver is event
// driven. Ping-pong times each round trip.
import type { MessagePort } from 'node:worker_threads';
import { nowNs } from '../../harness/ctl.ts';
import { StreamWindow } from './window.ts';
import { MessageReceiver } from './receive-loop.ts';
import { histogram, encode, DRAIN_LIMIT_NS, LostEventsError, type RoleContext, type RoleResult } from './context.ts';
import { settlePingPong } from './pingpong.ts';

const END = -1;
const WAIT_MS = 1;

export interface MsgSenderArgs { first: number; count: number; seconds: number; batch: number; spins: number }

/** Send up to `batch` events round robin while windows are open; returns events sent. */
function sendBatch(win: StreamWindow, port: MessagePort, first: number, count: number, batch: number): number {
  let sent = 0;
  let full = 0;
  for (let s = first; sent < batch && full < count; s = s + 1 === first + count ? first : s + 1) {
    if (!win.open(s)) { full++; continue; }
    full = 0;
    port.postMessage(win.take(s));
    sent++;
  }
  win.settleSent(first, count);
  return sent;
}

export async function msgSender(ctx: RoleContext, a: MsgSenderArgs): Promise<RoleResult> {
  const { page, ctl } = ctx;
  const port = ctx.ports[0];
  const win = new StreamWindow(page);
  ctl.barrier(ctx.parties);
  const tStart = nowNs();
  const deadline = tStart + a.seconds * 1e9;
  let t = tStart;
  while (t < deadline && page.errors === 0 && !ctl.aborted) {
    const n = sendBatch(win, port, a.first, a.count, a.batch);
    if (n > 0) for (let s = a.first; s < a.first + a.count; s++) ctl.stamp(s, page.sent(s), t);
    else {
      let spun = 0;
      while (spun++ < a.spins && !win.anyOpen(a.first, a.count));
      if (!win.anyOpen(a.first, a.count)) win.waitForWindow(a.first, a.count, WAIT_MS);
    }
    t = nowNs();
  }
  ctl.senderDone();
  port.postMessage(END);
  return { tStart, tEnd: t };
}

export interface MsgReceiverArgs { streams: number[]; senders: number }

export async function msgReceiver(ctx: RoleContext, a: MsgReceiverArgs): Promise<RoleResult> {
  const rx = new MessageReceiver(ctx, a.streams, a.senders);
  const onMessage = (v: number) => rx.onEvent(v);
  for (const p of ctx.ports) p.on('message', onMessage);
  try {
    await ctx.ctl.barrierAsync(ctx.parties);
    return await rx.start();
  } finally {
    for (const p of ctx.ports) p.off('message', onMessage);
  }
}

export interface MsgPingArgs { seconds: number }

export async function msgPinger(ctx: RoleContext, a: MsgPingArgs): Promise<RoleResult> {
  const { page, ctl } = ctx;
  const port = ctx.ports[0];
  const h = histogram();
  let answer: ((v: number) => void) | undefined;
  let lost: ((e: Error) => void) | undefined;
  const onMessage = (v: number) => answer?.(v);
  port.on('message', onMessage);
  let pings = 0;
  let pongs = 0;
  let last = nowNs();
  const watchdog = setInterval(() => {
    if (nowNs() - last > DRAIN_LIMIT_NS) lost?.(new LostEventsError(`postMessage ping-pong: no answer to ping ${pings}`));
  }, 50);
  try {
    await ctl.barrierAsync(ctx.parties);
    const tStart = nowNs();
    last = tStart;
    const deadline = tStart + a.seconds * 1e9;
    let t = tStart;
    while (t < deadline && page.errors === 0 && !ctl.aborted) {
      const reply = new Promise<number>((resolve, reject) => { answer = resolve; lost = reject; });
      port.postMessage(pings);
      pings++;
      const v = await reply;
      const t1 = nowNs();
      if (v !== pings - 1) page.fail(1, pings - 1, v);
      pongs++;
      h.recordValue(Math.max(1, t1 - t));
      t = last = t1;
    }
    settlePingPong(page, 'pinger', pings, pongs);
    ctl.senderDone();
    port.postMessage(END);
    return { tStart, tEnd: t, hist: encode(h) };
  } finally {
    clearInterval(watchdog);
    port.off('message', onMessage);
  }
}

export async function msgEcho(ctx: RoleContext): Promise<RoleResult> {
  const { page, ctl } = ctx;
  const port = ctx.ports[0];
  let echoes = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => { done = resolve; });
  const onMessage = (v: number) => {
    if (v === END) { done(); return; }
    port.postMessage(v);
    echoes++;
  };
  port.on('message', onMessage);
  try {
    await ctl.barrierAsync(ctx.parties);
    const tStart = nowNs();
    await finished;
    settlePingPong(page, 'echo', echoes, echoes);
    return { tStart, tEnd: nowNs() };
  } finally {
    port.off('message', onMessage);
  }
}

export interface MsgIpiArgs { sendStream: number; recvStream: number; senders: number; seconds: number; batch: number }

/** Both directions on one thread: send a batch, then let the event loop take what arrived. */
export async function msgIpi(ctx: RoleContext, a: MsgIpiArgs): Promise<RoleResult> {
  const { page, ctl } = ctx;
  const port = ctx.ports[0];
  const rx = new MessageReceiver(ctx, [a.recvStream], a.senders);
  const onMessage = (v: number) => rx.onEvent(v);
  port.on('message', onMessage);
  try {
    await ctl.barrierAsync(ctx.parties);
    const result = rx.start();
    const tStart = nowNs();
    const deadline = tStart + a.seconds * 1e9;
    for (let t = tStart; t < deadline && page.errors === 0 && !ctl.aborted; t = nowNs()) {
      if (sendBatch(rx.win, port, a.sendStream, 1, a.batch) > 0) ctl.stamp(a.sendStream, page.sent(a.sendStream), t);
      await new Promise<void>((r) => setImmediate(r));
    }
    ctl.senderDone();
    port.postMessage(END);
    const r = await result;
    return { ...r, tStart };
  } finally {
    port.off('message', onMessage);
  }
}
