// The bounded phases of a run of the default scenario's guests
// (src/guests/demo-*.ts), on either scenario (default, migrating):
//   boot  — wait until every vCPU has set its S_BOOTED bit (its first sends
//           are counted from then on);
//   drain — quiesce the senders (S_QUIESCE / S_SENDING, demo-common.ts: once
//           S_QUIESCE is stored a send either saw it or is counted in
//           S_SENDING; S_SENDING is read before the sample, so a 0 there means
//           the sample holds every send there will be), then wait until every
//           flow this host owes is delivered.
// Either bound passing is a StuckVcpuError naming the vCPUs at fault.
import { StuckVcpuError } from '../errors.ts';
import { S_QUIESCE, S_SENDING, S_BOOTED, ALL_BOOTED, receiverOf, type DemoViews } from '../guests/demo-shared.ts';
import type { RunClock } from './run-clock.ts';

/** Bound on the wait for every vCPU to boot (worker start, module load, binds) on a loaded machine. */
export const BOOT_LIMIT_MS = 60_000;
/** Bound on the wait for the events in flight after quiescing (a handful per flow). */
export const DRAIN_LIMIT_MS = 20_000;

/** The vCPUs (as [domain, vCPU]) whose S_BOOTED bit is clear in `mask`. */
const notBooted = (mask: number) => [0, 1, 2, 3].filter((b) => (mask & (1 << b)) === 0).map((b) => [1 + (b >> 1), b & 1] as [number, number]);
const vcpuList = (vs: [number, number][]) => vs.map(([d, c]) => `domain ${d} vCPU ${c}`).join(', ');

/** True once every vCPU of both domains has booted. */
export function allBooted(v: DemoViews): boolean {
  return (Atomics.load(v.i32, S_BOOTED) & ALL_BOOTED) === ALL_BOOTED;
}

/** Wait (bounded by `limitMs`) until every vCPU has booted, calling `poll` at each look. */
export async function awaitBoot(v: DemoViews, clock: RunClock, poll: () => void, limitMs = BOOT_LIMIT_MS): Promise<void> {
  if (!await clock.waitUntil(() => (poll(), allBooted(v)), clock.now() + limitMs / 1000)) {
    const stuck = notBooted(Atomics.load(v.i32, S_BOOTED));
    throw new StuckVcpuError(`${vcpuList(stuck)} did not finish booting within ${limitMs / 1000} s`, stuck);
  }
}

/** Per flow (in `flows` order) what was sent and delivered. */
export interface FlowCounts { sent: number[]; delivered: number[] }

/**
 * Quiesce the senders, then wait (bounded by `limitMs`) until the flows at
 * indices `owed` of `flows` are delivered, sampling with `sample` at each look.
 */
export async function quiesceAndDrain(v: DemoViews, clock: RunClock, sample: () => FlowCounts, flows: readonly number[],
  owed: readonly number[], limitMs = DRAIN_LIMIT_MS): Promise<void> {
  Atomics.store(v.i32, S_QUIESCE, 1);
  let quiet = false;
  let last: FlowCounts = { sent: [], delivered: [] };
  const drained = () => {
    quiet = Atomics.load(v.i32, S_SENDING) === 0;
    last = sample();
    return quiet && owed.every((i) => last.delivered[i] >= last.sent[i]);
  };
  if (!await clock.waitUntil(drained, clock.now() + limitMs / 1000)) {
    const behind = owed.filter((i) => last.delivered[i] < last.sent[i]);
    const stuck = [...new Map(behind.map((i) => receiverOf(flows[i])).map((x) => [`${x[0]}.${x[1]}`, x])).values()];
    const inFlight = behind.reduce((a, i) => a + last.sent[i] - last.delivered[i], 0);
    throw new StuckVcpuError(quiet
      ? `${vcpuList(stuck)} did not take ${inFlight} event(s) in flight within ${limitMs / 1000} s of the end`
      : `a vCPU was still sending ${limitMs / 1000} s after the senders were told to stop`, stuck);
  }
}
