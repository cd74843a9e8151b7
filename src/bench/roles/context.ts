// What a bench party gets in its worker, and what it reports. A party runs
// once per measured run (and once for the warm-up) on the same worker.
import * as hdr from 'hdr-histogram-js';
import type { DataPlane } from '../../wasm/data-plane.ts';
import type { BenchExports } from '../exports.ts';
import type { MessagePort } from 'node:worker_threads';
import type { BenchPage } from '../page.ts';
import type { BenchCtl } from '../../harness/ctl.ts';

export interface RoleContext {
  page: BenchPage;
  ctl: BenchCtl;
  /** threads that meet at the start barrier */
  parties: number;
  /** the data plane, for wasmxen and the JS reference (attached once per worker) */
  dp?: DataPlane;
  bx?: BenchExports;
  /** message channels to the other parties, for the message-passing baselines */
  ports: MessagePort[];
}

export interface RoleResult {
  /** ns (nowNs) when this party started and when it saw its last event */
  tStart: number;
  tEnd: number;
  /** latency samples, hdr-histogram-js compressed (ns) */
  hist?: string;
}

export type Role = (ctx: RoleContext, args: any) => RoleResult | Promise<RoleResult>;

/**
 * A latency sample sink into `h`: nanoseconds rounded, at least 1 (the histogram's lowest value).
 * @internal (hdr-histogram-js is bundled, not a dependency: its types stay out of the declarations)
 */
export function recorderOf(h: hdr.Histogram): (ns: number) => void {
  return (ns) => h.recordValue(Math.max(1, Math.round(ns)));
}

/** @internal (hdr-histogram-js is bundled, not a dependency: its types stay out of the declarations) */
export function histogram(): hdr.Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3.6e12, numberOfSignificantValueDigits: 3 });
}

/** @internal (hdr-histogram-js is bundled, not a dependency: its types stay out of the declarations) */
export function encode(h: hdr.Histogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}

/** Time a party may wait for its last events once every sender is done: past it, events were lost. */
export const DRAIN_LIMIT_NS = 3e9;

export class LostEventsError extends Error {
  override name = 'LostEventsError';
}
