// The dma scenario's guest (one vCPU): a storage driver keeping 32 commands
// in flight — mixed, overlapping reads and writes, some deliberately bad —
// against the emulated controller, checking every completion end to end
// (src/dm/exerciser.ts). Config (g.config): DmaGuestConfig.
import type { Guest } from '../guest/guest.ts';
import { MigrationError } from '../errors.ts';
import { DmaExerciser, type ExerciserOptions, type ExerciserReport } from '../dm/exerciser.ts';
import {
  dmaSharedViews, S_GUEST_PORT, S_DM_READY, S_QUIESCE, S_GUEST_DONE, S_COMPLETED, S_FAILURES,
} from '../dm/guest-shared.ts';

/** What the toolstack gives the dma guest: the device-model domain, and what its exerciser issues. */
export interface DmaGuestConfig extends Pick<ExerciserOptions, 'layout' | 'diskSectors' | 'seed' | 'transfers' | 'badEvery' | 'maxSectors'> {
  dmDom: number;
}

let ex: DmaExerciser | undefined;

function publish(g: Guest): void {
  if (!ex || !g.shared) return;
  const s = dmaSharedViews(g.shared);
  const r = ex.report;
  Atomics.store(s.i32, S_COMPLETED, r.completed);
  Atomics.notify(s.i32, S_COMPLETED);
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
  ex = exerciser(g, cfg, port, false);
  g.listen(port, 'complete');
  offer(s, port);
  if (!waitReady(g, s)) return;
  run(g, s);
}

/**
 * The resume path after a move (I53): the channel to the device model is
 * gone with the old host's channel table, so Guest.resume drops it and the
 * reconnect offers a new port to the target's device model (the toolstack
 * connects it, as at boot). The driver rebuilds itself from its page in guest
 * memory, takes the completions whose events were lost with the old channel
 * (the quiesced device model finished them after this vCPU was paused), and
 * rings the doorbell for the submissions the old device model never took.
 */
export function resume(g: Guest): void {
  if (g.vcpu !== 0) return;
  const cfg = g.config as DmaGuestConfig;
  const s = dmaSharedViews(g.shared!);
  let port = 0;
  const r = g.resume((lost) => (lost.handler === 'complete' ? (port = g.hc.allocUnbound(cfg.dmDom)) : undefined));
  if (port === 0 || r.dropped.length > 0) {
    throw new MigrationError('resume', `dma guest of domain ${g.dom}: resume did not reconnect the device model's channel ` +
      `(${r.dropped.length} channel(s) dropped): restore it beside a device model domain ${cfg.dmDom} that serves it`);
  }
  ex = exerciser(g, cfg, port, true);
  offer(s, port);
  if (!waitReady(g, s)) return;
  ex.onCompletion();
  publish(g);
  g.send(port);
  run(g, s);
}

function exerciser(g: Guest, cfg: DmaGuestConfig, port: number, resuming: boolean): DmaExerciser {
  return new DmaExerciser(g.dp, {
    dom: g.dom, layout: cfg.layout, diskSectors: cfg.diskSectors, seed: cfg.seed, transfers: cfg.transfers,
    badEvery: cfg.badEvery, maxSectors: cfg.maxSectors, resume: resuming,
  }, () => g.send(port));
}

/** The toolstack handshake: the port the device model binds. */
function offer(s: ReturnType<typeof dmaSharedViews>, port: number): void {
  Atomics.store(s.i32, S_GUEST_PORT, port);
  Atomics.notify(s.i32, S_GUEST_PORT);
}

function waitReady(g: Guest, s: ReturnType<typeof dmaSharedViews>): boolean {
  while (Atomics.load(s.i32, S_DM_READY) === 0) {
    if (g.stopping()) return false;
    g.poll();
    Atomics.wait(s.i32, S_DM_READY, 0, 5);
  }
  return true;
}

function run(g: Guest, s: ReturnType<typeof dmaSharedViews>): void {
  while (!g.stopping()) {
    if (Atomics.load(s.i32, S_QUIESCE) !== 0) ex!.quiesce();
    if (ex!.finished()) break;
    ex!.fill();
    g.block(20); // an upcall boundary: a pause parks the driver here even when nothing completes (I28)
  }
  g.poll();
  publish(g);
  Atomics.store(s.i32, S_GUEST_DONE, 1);
  Atomics.notify(s.i32, S_GUEST_DONE);
}

export function report(): ExerciserReport | undefined {
  return ex?.report;
}
