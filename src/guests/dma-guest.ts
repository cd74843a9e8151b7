// The dma scenario's guest (one vCPU): a storage driver keeping 32 commands
// in flight — mixed, overlapping reads and writes, some deliberately bad —
// against the emulated controller, checking every completion end to end
// (src/dm/exerciser.ts). Config (g.config): DmaGuestConfig.
import type { Guest } from '../guest/guest.ts';
import { DmaExerciser, type DmaGuestLayout, type ExerciserReport } from '../dm/exerciser.ts';
import {
  dmaSharedViews, S_GUEST_PORT, S_DM_READY, S_QUIESCE, S_GUEST_DONE, S_COMPLETED, S_FAILURES,
} from '../dm/guest-shared.ts';

export interface DmaGuestConfig {
  dmDom: number;
  layout: DmaGuestLayout;
  diskSectors: number;
  seed: number;
  transfers?: number;
  badEvery?: number;
  maxSectors?: number;
}

let ex: DmaExerciser | undefined;

function publish(g: Guest): void {
  if (!ex || !g.shared) return;
  const s = dmaSharedViews(g.shared);
  const r = ex.report;
  Atomics.store(s.i32, S_COMPLETED, r.completed);
  Atomics.store(s.i32, S_FAILURES, r.checksumErrors + r.patternErrors + r.statusErrors + r.spurious);
  Atomics.store(s.bytes, 0, BigInt(r.bytes));
}

export const handlers = (g: Guest) => ({
  complete: () => {
    if (!ex) return;
    ex.onCompletion();
    publish(g);
  },
});

export function main(g: Guest): void {
  if (g.vcpu !== 0) return;
  const cfg = g.config as DmaGuestConfig;
  const s = dmaSharedViews(g.shared!);
  const port = g.hc.allocUnbound(cfg.dmDom);
  ex = new DmaExerciser(g.dp, {
    dom: g.dom, layout: cfg.layout, diskSectors: cfg.diskSectors, seed: cfg.seed, transfers: cfg.transfers,
    badEvery: cfg.badEvery, maxSectors: cfg.maxSectors,
  }, () => g.send(port));
  g.listen(port, 'complete');
  Atomics.store(s.i32, S_GUEST_PORT, port);
  Atomics.notify(s.i32, S_GUEST_PORT);
  while (Atomics.load(s.i32, S_DM_READY) === 0) {
    if (g.stopping()) return;
    g.poll();
    Atomics.wait(s.i32, S_DM_READY, 0, 5);
  }
  while (!g.stopping()) {
    if (Atomics.load(s.i32, S_QUIESCE) !== 0) ex.quiesce();
    if (ex.finished()) break;
    ex.fill();
    g.kernel.blockAndRun(20);
  }
  g.poll();
  publish(g);
  Atomics.store(s.i32, S_GUEST_DONE, 1);
  Atomics.notify(s.i32, S_GUEST_DONE);
}

export function report(): ExerciserReport | undefined {
  return ex?.report;
}
