// The receiving side's end-of-run rule, shared by every implementation: a
// receiver stops when every sender is done and each of its streams has
// delivered what was sent; if that does not happen within DRAIN_LIMIT_NS of
// the last progress, events were lost and the run fails.
import type { BenchPage } from '../page.ts';
import type { BenchCtl } from '../../harness/ctl.ts';
import { DRAIN_LIMIT_NS, LostEventsError } from './context.ts';

export class DrainWatch {
  private lastProgress: number;
  private lastCount = -1;

  constructor(readonly page: BenchPage, readonly ctl: BenchCtl, readonly streams: number[], readonly senders: number, now: number) {
    this.lastProgress = now;
  }

  delivered(): number {
    let n = 0;
    for (const s of this.streams) n += this.page.delivered(s);
    return n;
  }

  /** True when this receiver is finished; throws LostEventsError when it never will be. */
  done(now: number): boolean {
    if (this.page.errors !== 0 || this.ctl.aborted || this.page.stopped) return true;
    const got = this.delivered();
    if (got !== this.lastCount) { this.lastCount = got; this.lastProgress = now; }
    if (this.ctl.sendersDone < this.senders) return false;
    let sent = 0;
    for (const s of this.streams) sent += this.page.sent(s);
    if (got === sent) return true;
    if (now - this.lastProgress > DRAIN_LIMIT_NS) {
      throw new LostEventsError(`streams ${this.streams.join(',')}: sent ${sent}, delivered ${got} after ${DRAIN_LIMIT_NS / 1e9} s without progress`);
    }
    return false;
  }
}
