// The comlink baseline: one comlink call per event (`deliver(port)`), as a
// Node user would call a function in another worker. Calls are pipelined a
// batch at a time (awaiting each call alone would measure only round trips);
// ping-pong awaits one call per round trip.
import type { MessagePort } from 'node:worker_threads';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { nowNs } from '../../harness/ctl.ts';
import { StreamWindow } from './window.ts';
import { MessageReceiver } from './receive-loop.ts';
import { histogram, encode, type RoleContext, type RoleResult } from './context.ts';
import { settlePingPong } from './pingpong.ts';

const WAIT_MS = 1;

/** What a bench worker exposes on each comlink port; the target is swapped per run (expose happens once). */
interface Target { deliver(port: number): void; echo(v: number): number }
interface Exposed { target: Target }

const exposed = new Map<MessagePort, Exposed>();
const remotes = new Map<MessagePort, Comlink.Remote<Target>>();

const idle: Target = {
  // a sender's end-of-stream marker may arrive after its receiver finished: every event had by then
  deliver(p: number) { if (p >= 0) throw new Error(`comlink bench: event on port ${p} with no run in progress`); },
  echo() { throw new Error('comlink bench: no run in progress'); },
};

function expose(port: MessagePort, target: Target): Exposed {
  let e = exposed.get(port);
  if (!e) {
    const holder: Exposed = { target: idle };
    Comlink.expose({
      deliver: (p: number) => holder.target.deliver(p),
      echo: (v: number) => holder.target.echo(v),
    }, nodeEndpoint(port));
    exposed.set(port, e = holder);
  }
  e.target = target;
  return e;
}

function remote(port: MessagePort): Comlink.Remote<Target> {
  let r = remotes.get(port);
  if (!r) remotes.set(port, r = Comlink.wrap<Target>(nodeEndpoint(port)));
  return r;
}

/** Call deliver() for up to `batch` events round robin while windows are open, then await the replies. */
async function callBatch(win: StreamWindow, r: Comlink.Remote<Target>, first: number, count: number, batch: number): Promise<number> {
  const calls: Promise<void>[] = [];
  let full = 0;
  for (let s = first; calls.length < batch && full < count; s = s + 1 === first + count ? first : s + 1) {
    if (!win.open(s)) { full++; continue; }
    full = 0;
    calls.push(r.deliver(win.take(s)));
  }
  win.settleSent(first, count);
  await Promise.all(calls);
  return calls.length;
}

export interface ComlinkSenderArgs { first: number; count: number; seconds: number; batch: number }

export async function comlinkSender(ctx: RoleContext, a: ComlinkSenderArgs): Promise<RoleResult> {
  const { page, ctl } = ctx;
  const r = remote(ctx.ports[0]);
  const win = new StreamWindow(page);
  await ctl.startBarrierAsync(ctx.parties);
  const tStart = nowNs();
  const deadline = tStart + a.seconds * 1e9;
  let t = tStart;
  while (t < deadline && page.errors === 0 && !ctl.aborted) {
    const n = await callBatch(win, r, a.first, a.count, a.batch);
    if (n > 0) for (let s = a.first; s < a.first + a.count; s++) ctl.stamp(s, page.sent(s), t);
    else await win.waitForWindowAsync(a.first, a.count, WAIT_MS);
    t = nowNs();
  }
  ctl.senderDone();
  await r.deliver(-1);
  return { tStart, tEnd: t };
}

export interface ComlinkReceiverArgs { streams: number[]; senders: number }

export async function comlinkReceiver(ctx: RoleContext, a: ComlinkReceiverArgs): Promise<RoleResult> {
  const rx = new MessageReceiver(ctx, a.streams, a.senders);
  const target: Target = { deliver: (p) => rx.onEvent(p), echo: idle.echo };
  const es = ctx.ports.map((p) => expose(p, target));
  try {
    await ctx.ctl.startBarrierAsync(ctx.parties);
    return await rx.start();
  } finally {
    for (const e of es) e.target = idle;
  }
}

export interface ComlinkPingArgs { seconds: number }

export async function comlinkPinger(ctx: RoleContext, a: ComlinkPingArgs): Promise<RoleResult> {
  const { page, ctl } = ctx;
  const r = remote(ctx.ports[0]);
  const h = histogram();
  await ctl.startBarrierAsync(ctx.parties);
  const tStart = nowNs();
  const deadline = tStart + a.seconds * 1e9;
  let pings = 0;
  let pongs = 0;
  let t = tStart;
  while (t < deadline && page.errors === 0 && !ctl.aborted) {
    pings++;
    const v = await r.echo(pings);
    const t1 = nowNs();
    if (v !== pings) page.fail(1, pings, v);
    pongs++;
    h.recordValue(Math.max(1, t1 - t));
    t = t1;
  }
  settlePingPong(page, 'pinger', pings, pongs);
  ctl.senderDone();
  await r.deliver(-1);
  return { tStart, tEnd: t, hist: encode(h) };
}

export async function comlinkEcho(ctx: RoleContext): Promise<RoleResult> {
  const { page, ctl } = ctx;
  let echoes = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => { done = resolve; });
  const e = expose(ctx.ports[0], { deliver: () => done(), echo: (v) => { echoes++; return v; } });
  try {
    await ctl.startBarrierAsync(ctx.parties);
    const tStart = nowNs();
    await finished;
    settlePingPong(page, 'echo', echoes, echoes);
    return { tStart, tEnd: nowNs() };
  } finally {
    e.target = idle;
  }
}

export interface ComlinkIpiArgs { sendStream: number; recvStream: number; senders: number; seconds: number; batch: number }

/** Both directions on one thread: call a batch on the other vCPU while serving its calls. */
export async function comlinkIpi(ctx: RoleContext, a: ComlinkIpiArgs): Promise<RoleResult> {
  const { page, ctl } = ctx;
  const port = ctx.ports[0];
  const rx = new MessageReceiver(ctx, [a.recvStream], a.senders);
  const e = expose(port, { deliver: (p) => rx.onEvent(p), echo: idle.echo });
  const r = remote(port);
  try {
    await ctl.startBarrierAsync(ctx.parties);
    const result = rx.start();
    const tStart = nowNs();
    const deadline = tStart + a.seconds * 1e9;
    for (let t = tStart; t < deadline && page.errors === 0 && !ctl.aborted; t = nowNs()) {
      if (await callBatch(rx.win, r, a.sendStream, 1, a.batch) > 0) ctl.stamp(a.sendStream, page.sent(a.sendStream), t);
      else await new Promise<void>((res) => setImmediate(res));
    }
    ctl.senderDone();
    await r.deliver(-1);
    const res = await result;
    return { ...res, tStart };
  } finally {
    e.target = idle;
  }
}
