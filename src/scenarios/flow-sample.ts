// The exactly-once counters of the default scenario's flows as one host
// sees them (g.shared, src/guests/demo-shared.ts), widened by sampling, for
// a run whose flows span two hosts (`run --migrate-at`): each host counts
// what happened on it, the toolstack sums both.
import { WideCounter } from '../util/wide-counter.ts';
import { allFlows, sentOf, deliveredOf, S_TICKS, S_DUPLICATED, type DemoViews } from '../guests/demo-shared.ts';

/** One host's counts: per flow (allFlows() order) sent and delivered, per vCPU slot timer ticks, duplicates it saw. */
export interface HostCounts { sent: number[]; delivered: number[]; ticks: number[]; duplicated: number }

export class FlowSample {
  readonly flows = allFlows();
  private readonly sent: WideCounter[];
  private readonly delivered: WideCounter[];
  private readonly ticks: WideCounter[];
  private readonly dup: WideCounter;
  last: HostCounts;

  constructor(v: DemoViews) {
    const w = (i: number) => new WideCounter(() => Atomics.load(v.i32, i));
    this.sent = this.flows.map((f) => w(sentOf(f)));
    this.delivered = this.flows.map((f) => w(deliveredOf(f)));
    this.ticks = [0, 1, 2, 3].map((i) => w(S_TICKS + i));
    this.dup = w(S_DUPLICATED);
    this.last = this.sample();
  }

  /**
   * Delivered counters are read before sent ones: a consumer counts the
   * response it produces sent before the request delivered
   * (src/guests/migrating-backend.ts), so a sample never shows a request done
   * and its response not yet sent.
   */
  sample(): HostCounts {
    const delivered = this.delivered.map((c) => c.sample());
    const sent = this.sent.map((c) => c.sample());
    this.last = { sent, delivered, ticks: this.ticks.map((c) => c.sample()), duplicated: this.dup.sample() };
    return this.last;
  }
}

/** Two hosts' counts summed flow by flow. */
export function sumCounts(a: HostCounts, b?: HostCounts): HostCounts {
  if (!b) return a;
  const add = (x: number[], y: number[]) => x.map((v, i) => v + y[i]);
  return { sent: add(a.sent, b.sent), delivered: add(a.delivered, b.delivered), ticks: add(a.ticks, b.ticks), duplicated: a.duplicated + b.duplicated };
}
