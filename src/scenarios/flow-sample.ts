// The exactly-once counters of the default scenario's flows as one host
// sees them (g.shared, src/guests/demo-shared.ts), widened by sampling; a
// run whose flows span two hosts (`run --migrate-at`) has each host count
// what happened on it, and the toolstack sums both.
import { WideCounter } from '../util/wide-counter.ts';
import {
  allFlows, sentOf, deliveredOf, S_TICKS, S_DUPLICATED, F_PING, F_PONG, F_FANIN, F_IPI, FANIN_PORTS, type DemoViews,
} from '../guests/demo-shared.ts';

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

/**
 * What was sent and delivered, and per flow what was not delivered (lost) or
 * delivered beyond its sends, plus the duplicates a guest saw (duplicated).
 */
export function exactlyOnce(c: HostCounts): { sent: number; delivered: number; lost: number; duplicated: number } {
  return {
    sent: c.sent.reduce((a, s) => a + s, 0),
    delivered: c.delivered.reduce((a, d) => a + d, 0),
    lost: c.sent.reduce((a, s, i) => a + Math.max(0, s - c.delivered[i]), 0),
    duplicated: c.duplicated + c.delivered.reduce((a, d, i) => a + Math.max(0, d - c.sent[i]), 0),
  };
}

/** The sum of a list of counts (e.g. every flow's deliveries). */
export function sum(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

/** Two hosts' counts summed flow by flow. */
export function sumCounts(a: HostCounts, b?: HostCounts): HostCounts {
  if (!b) return a;
  const add = (x: number[], y: number[]) => x.map((v, i) => v + y[i]);
  return { sent: add(a.sent, b.sent), delivered: add(a.delivered, b.delivered), ticks: add(a.ticks, b.ticks), duplicated: a.duplicated + b.duplicated };
}

const FLOWS = allFlows();
const deliveredOn = (c: Pick<HostCounts, 'delivered'>, fs: number[]) => fs.reduce((a, f) => a + c.delivered[FLOWS.indexOf(f)], 0);

/** Deliveries by kind of flow: ping-pong (both ways), fan-in (every port), IPIs (every vCPU). */
export function flowTotals(c: Pick<HostCounts, 'delivered'>): { pingpong: number; fanin: number; ipi: number } {
  return {
    pingpong: deliveredOn(c, [F_PING, F_PONG]),
    fanin: deliveredOn(c, Array.from({ length: FANIN_PORTS }, (_, i) => F_FANIN + 2 * i)),
    ipi: deliveredOn(c, [0, 1, 2, 3].map((i) => F_IPI + 2 * i)),
  };
}
