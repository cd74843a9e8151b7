// The receiving half of the message-passing baselines: every event handler
// accounts its event, collects latency samples, and settles the run once
// DrainWatch says so. A timer re-checks the watch so that lost events fail
// the run instead of hanging it.
import { nowNs } from '../../harness/ctl.ts';
import { DrainWatch } from './drain.ts';
import { StreamWindow } from './window.ts';
import { histogram, recorderOf, encode, type RoleContext, type RoleResult } from './context.ts';

export class MessageReceiver {
  readonly win: StreamWindow;
  private readonly h = histogram();
  private readonly record = recorderOf(this.h);
  private watch!: DrainWatch;
  private tStart = 0;
  private tEnd = 0;
  private settle!: (r: RoleResult) => void;
  private fail!: (e: unknown) => void;
  private timer?: NodeJS.Timeout;
  private started = false;
  private finished = false;

  constructor(readonly ctx: RoleContext, readonly streams: number[], readonly senders: number) {
    this.win = new StreamWindow(ctx.page);
  }

  /** Start accounting; resolves when every sender is done and everything arrived. */
  start(): Promise<RoleResult> {
    this.tStart = nowNs();
    if (this.tEnd < this.tStart) this.tEnd = this.tStart;
    this.watch = new DrainWatch(this.ctx.page, this.ctx.ctl, this.streams, this.senders, this.tStart);
    return new Promise<RoleResult>((resolve, reject) => {
      this.settle = resolve;
      this.fail = reject;
      this.started = true;
      this.timer = setInterval(() => this.check(nowNs()), 20);
      this.check(this.tStart);
    });
  }

  /** An event arrived (a port number), or a sender's end-of-stream marker (< 0). Events before start() count too. */
  onEvent(port: number): void {
    const t = nowNs();
    if (port >= 0) {
      const s = this.win.account(port);
      if (s >= 0) this.ctx.ctl.collect(s, this.ctx.page.delivered(s), t, this.record);
      this.tEnd = t;
    }
    this.check(t);
  }

  private check(t: number): void {
    if (!this.started || this.finished) return;
    this.win.publishAll();
    let done: boolean;
    try {
      done = this.watch.done(t);
    } catch (e) {
      this.end();
      this.fail(e);
      return;
    }
    if (done) {
      this.end();
      this.settle({ tStart: this.tStart, tEnd: this.tEnd, hist: encode(this.h) });
    }
  }

  private end(): void {
    this.finished = true;
    clearInterval(this.timer);
  }
}
