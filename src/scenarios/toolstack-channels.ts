// The toolstack's console and monitor channels of `run --migrate-at`'s
// frontend (src/guests/migrating-frontend.ts) as each host's toolstack sees
// them: the rings it gives domain 1, the ports it records in the image as
// toolstack ports (the target attaches its consumers there, I56; `run
// --save-at` records the default frontend's the same way), and what
// the frontend did on this host — its store-page counts, summed over both
// hosts like the flows' (src/scenarios/flow-sample.ts).
import type { Hypervisor } from '../hypervisor.ts';
import type { ImagePort } from '../migrate/parse.ts';
import { TP_KIND_CONSOLE, TP_KIND_OTHER } from '../migrate/format.ts';
import { DOMID_SELF } from '../../assembly/shared/evtchn-abi.ts';
import type { MigratingFrontendConfig } from '../guests/migrating-frontend.ts';
import type { FrontendConfig } from '../guests/frontend.ts';
import { S_MON_POSTED, S_MON_ANSWERED, S_CON_LINES, type DemoViews } from '../guests/demo-shared.ts';
import { CONSOLE_EVERY, MONITOR_EVERY } from '../guests/demo-split-ring.ts';

/** What the frontend did with its toolstack channels on one host (its store-page words). */
export interface ChannelCounts {
  /** monitor requests posted, answers read */
  posted: number;
  answered: number;
  /** console lines written after the boot line (one per CONSOLE_EVERY pongs) */
  lines: number;
}

/** The consumers a host of the migrating scenario registers. */
export const TOOLSTACK_CONSUMERS = [{ name: 'monitor', module: 'monitor' }, { name: 'console', module: 'console' }];

/** Open domain 1's monitor and console rings at `firstGfn` and `firstGfn + 1`, and name them in its config. */
export function openToolstackChannels(hv: Hypervisor, config: Pick<FrontendConfig, 'monitor' | 'console'>, firstGfn: number): void {
  config.monitor = { ringGfn: firstGfn, xenPort: hv.monitor.openRing(1, firstGfn) };
  config.console = { ringGfn: firstGfn + 1, xenPort: hv.console.openRing(1, firstGfn + 1) };
}

/** The toolstack ports the image records: the consumers' ends, which the domain binds itself (DOMID_SELF). */
export function toolstackPorts(config: FrontendConfig): ImagePort[] {
  return [
    ...(config.console ? [{ port: config.console.xenPort, remoteDom: DOMID_SELF, kind: TP_KIND_CONSOLE }] : []),
    ...(config.monitor ? [{ port: config.monitor.xenPort, remoteDom: DOMID_SELF, kind: TP_KIND_OTHER }] : []),
  ];
}

/**
 * The target's toolstack: its consumers take over the restored domain's
 * rings at the ports the source recorded (pre-bound by the restore), before
 * any of its vCPUs runs. Throws EvtchnError if a port was not pre-bound.
 */
export function attachToolstackChannels(hv: Hypervisor, dom: number, config: MigratingFrontendConfig): void {
  if (config.monitor) hv.monitor.attachRing(dom, config.monitor.ringGfn, config.monitor.xenPort);
  if (config.console) hv.console.attachRing(dom, config.console.ringGfn, config.console.xenPort);
}

export function channelCounts(v: DemoViews): ChannelCounts {
  return { posted: Atomics.load(v.i32, S_MON_POSTED) >>> 0, answered: Atomics.load(v.i32, S_MON_ANSWERED) >>> 0, lines: Atomics.load(v.i32, S_CON_LINES) >>> 0 };
}

export function sumChannels(a: ChannelCounts, b?: ChannelCounts): ChannelCounts {
  return b ? { posted: a.posted + b.posted, answered: a.answered + b.answered, lines: a.lines + b.lines } : a;
}

/**
 * Every console line and monitor request that `pongs` pongs call for was
 * written and posted, and every answer read: what the drain waits for
 * before the counts are final (summed over both hosts).
 */
export function channelsSettled(c: ChannelCounts, pongs: number): boolean {
  const requests = Math.floor(pongs / MONITOR_EVERY);
  return c.lines === Math.floor(pongs / CONSOLE_EVERY) && c.posted === requests && c.answered === requests;
}
