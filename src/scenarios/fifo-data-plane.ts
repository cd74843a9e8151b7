// The FIFO data-plane scenario: two domains booted into FIFO by their guests,
// hypervisor-side senders on their own threads raising ports at mixed
// priorities, each domain's vCPU guest loop on its own thread draining its
// queues. Every event is accounted exactly once (src/litmus/parties/fifo.ts).
import { createMachine } from '../wasm/data-plane.ts';
import { bootFifoGuest } from '../guest/fifo-boot.ts';
import { dumpFifoQueues } from '../wasm/decode.ts';
import { Ctl } from '../harness/ctl.ts';
import { runParties } from '../harness/run.ts';
import {
  FIFO_CTL_WORDS, F_DELIVERED_TOTAL, F_SENT_TOTAL, type ReceiverArgs, type SenderArgs,
} from '../litmus/parties/fifo.ts';
import type { RunTotals } from './run-report.ts';

export interface DataPlaneReport extends RunTotals {
  scenario: 'fifo-data-plane';
  abi: 'fifo';
  domains: { domid: number; sent: number; delivered: number; upcalls: number; kicks: number; linkRetries: number }[];
}

/**
 * Longest run: the per-domain sent/delivered counters are 32-bit control
 * words, and 2^31 events at the fastest rate measured (~2.5 M/s per domain
 * on an idle 2-core machine) take ~14 minutes; ten leave a margin.
 */
export const DATA_PLANE_MAX_SECONDS = 600;

export async function runFifoDataPlane(seconds: number): Promise<DataPlaneReport> {
  if (!(seconds > 0 && seconds <= DATA_PLANE_MAX_SECONDS)) throw new RangeError(`seconds must be in (0, ${DATA_PLANE_MAX_SECONDS}]`);
  const doms = [1, 2];
  const ports = Array.from({ length: 64 }, (_, i) => i + 1);
  const m = createMachine(doms.map((d) => ({ domid: d, vcpus: 1, frames: 64, maxEvtchnPort: 1023 })), 'release');
  const x = m.dp.x;
  const gs = new Map<number, number>();
  for (const d of doms) {
    gs.set(d, bootFifoGuest(m.dp, d, 1, 1023).gsGfn);
    for (const p of ports) {
      x.fifoPortInit(d, p);
      x.fifoSetPriority(d, p, [0, 4, 7, 7, 7, 11][p % 6]);
      if (x.guestFifoUnmask(d, gs.get(d)!, p) === 1) x.fifoUnmask(d, p);
    }
  }
  const ctl = Ctl.create(FIFO_CTL_WORDS);
  let started = process.hrtime.bigint();
  const deliveredNow = () => doms.reduce((sum, _d, slot) => sum + ctl.load(F_DELIVERED_TOTAL + slot), 0);
  let deliveredAtStart = 0;
  await runParties({
    module: m.module, memory: m.memory, ctl,
    // the rate's window opens once every party has started: worker start-up is no part of it, and
    // what parties that started earlier already delivered is no part of its count
    onStarted: () => { started = process.hrtime.bigint(); deliveredAtStart = deliveredNow(); },
    parties: [
      ...doms.map((d, slot) => ({
        party: 'fifoReceiver',
        args: { dom: d, slot, vcpu: 0, gsGfn: gs.get(d)!, expected: -1, senders: 2, vcpus: 1 } satisfies ReceiverArgs,
      })),
      ...[0, 1].map((s) => ({
        party: 'fifoSender',
        args: {
          sender: s, rounds: Number.MAX_SAFE_INTEGER, durationMs: seconds * 1000,
          groups: doms.map((d, slot) => ({ dom: d, slot, ports: ports.filter((p) => p % 2 === s), vcpu: 0, exact: true })),
        } satisfies SenderArgs,
      })),
    ],
    timeoutMs: seconds * 1000 + 30_000,
    stallMs: 10_000,
    dump: () => doms.map((d) => dumpFifoQueues(m.dp, d, 1)).join('\n'),
  });
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  const domains = doms.map((d, slot) => {
    const s = m.dp.stats(d);
    return {
      domid: d,
      sent: ctl.load(F_SENT_TOTAL + slot),
      delivered: ctl.load(F_DELIVERED_TOTAL + slot),
      upcalls: s.upcalls,
      kicks: s.kicks,
      linkRetries: s.linkTries.slice(2).reduce((a, b) => a + b, 0),
    };
  });
  const sent = domains.reduce((a, d) => a + d.sent, 0);
  const delivered = domains.reduce((a, d) => a + d.delivered, 0);
  return {
    scenario: 'fifo-data-plane', abi: 'fifo', seconds: elapsed, sent, delivered,
    lost: Math.max(0, sent - delivered), duplicated: Math.max(0, delivered - sent),
    events_per_s: (delivered - deliveredAtStart) / elapsed, domains,
  };
}

export function formatDataPlaneReport(r: DataPlaneReport): string {
  const n = (v: number) => v.toLocaleString('en-US');
  return [
    `wasmxen: FIFO data plane, 2 domains, 2 sender threads, 1 vCPU thread per domain (${r.seconds.toFixed(2)} s)`,
    `  sent ${n(r.sent)}  delivered ${n(r.delivered)}  lost ${r.lost}  duplicated ${r.duplicated}`,
    `  throughput ${n(Math.round(r.events_per_s))} events/s`,
    ...r.domains.map((d) => `  domain ${d.domid}: delivered ${n(d.delivered)}, upcalls ${n(d.upcalls)}, wake-ups ${n(d.kicks)}, LINK retries ${d.linkRetries}`),
    r.lost === 0 && r.duplicated === 0 ? '  every event delivered exactly once' : '  EVENTS LOST OR DUPLICATED',
  ].join('\n');
}
