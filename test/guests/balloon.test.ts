// The balloon guest (src/guests/balloon.ts) on worker threads: vCPU 0 gives
// frames back and takes them again through continued memory_op calls while
// vCPU 1 plays ping-pong with it; pings are answered between the
// continuations of a call (the run goes on until that happened
// `minOverlap` times). Every event is counted exactly once, every call ends
// as an uninterrupted one, and the domain's memory is whole afterwards.
import { describe, it, expect } from 'vitest';
import { Hypervisor } from '../../src/hypervisor.ts';
import { guestModulePath } from '../../src/paths.ts';
import { guestLayout } from '../../src/guest/layout.ts';
import {
  BALLOON_WORDS, BALLOON_DONE, BALLOON_PINGER_DONE, BALLOON_PINGS_SENT, BALLOON_PINGS_SEEN, BALLOON_PONGS_SEEN,
  BALLOON_ROUNDS, BALLOON_CONTINUATIONS, BALLOON_PINGS_IN_CONT, BALLOON_FAILURES, BALLOON_FRAMES_MOVED,
  type BalloonConfig, type BalloonReport,
} from '../../src/guests/balloon.ts';
import { waitWord } from '../helpers/wait-word.ts';

const SCALE = Number(process.env.WASMXEN_STRESS_SCALE ?? 1);
const POOL = 64;

async function run(width: 64 | 32, preemptEvery?: number) {
  const layout = guestLayout(2, 1023);
  const shared = new SharedArrayBuffer(BALLOON_WORDS * 4);
  const s = new Int32Array(shared);
  const config: BalloonConfig = {
    width, poolGfn: layout.freeGfn, poolFrames: POOL, extents: 24, rounds: 200 * SCALE, minOverlap: 20 * SCALE,
    maxRounds: 200_000 * SCALE, seed: 11,
  };
  const hv = await Hypervisor.create({
    domains: [{ id: 1, vcpus: 2, guest: guestModulePath('balloon'), ramKiB: (POOL + 1) * 4, guestWidth: width, config }],
    shared, preemptEvery,
  });
  try {
    const memory = hv.domain(1).memory;
    const tot0 = memory.totPages();
    hv.start();
    // the watchdog's failure is reported with the words below (finished: false), not thrown here
    const finished = await waitWord(s, BALLOON_DONE, 1, 'balloon done', 60_000)
      .then(() => waitWord(s, BALLOON_PINGER_DONE, 1, 'pinger done', 60_000)).then(() => true, () => false);
    const words = Array.from(s);
    const down = await hv.shutdown();
    const reports = down.vcpus.filter((v) => v.dom === 1).map((v) => v.guest as BalloonReport);
    return { finished, words, reports, tot0, tot: memory.totPages(), populated: Array.from({ length: POOL }, (_, i) => memory.isPopulated(layout.freeGfn + 1 + i)) };
  } finally {
    await hv.shutdown();
  }
}

describe('balloon guest under event traffic', () => {
  for (const [width, preemptEvery] of [[32, undefined], [64, 3]] as const) {
    it(`${width}-bit domain${preemptEvery ? `, preemptEvery ${preemptEvery}` : ''}: every ping answered once, pings met continued calls, memory whole`, async () => {
      const r = await run(width, preemptEvery);
      if (!r.finished) throw new Error(`the balloon guest did not finish within 60 s: words ${JSON.stringify(r.words)}`);
      expect(r.reports.flatMap((x) => x.failures)).toEqual([]);
      const w = r.words;
      expect(w[BALLOON_FAILURES]).toBe(0);
      expect(w[BALLOON_ROUNDS]).toBeGreaterThanOrEqual(200 * SCALE);
      expect(w[BALLOON_PINGS_IN_CONT]).toBeGreaterThanOrEqual(20 * SCALE); // the race happened
      expect(w[BALLOON_CONTINUATIONS]).toBeGreaterThan(0);
      expect(w[BALLOON_FRAMES_MOVED]).toBeGreaterThan(w[BALLOON_ROUNDS] - 1);
      // exactly once: one pong per ping, none lost, none doubled
      expect(w[BALLOON_PINGS_SEEN]).toBe(w[BALLOON_PINGS_SENT]);
      expect(w[BALLOON_PONGS_SEEN]).toBe(w[BALLOON_PINGS_SENT]);
      expect(r.tot).toBe(r.tot0);
      expect(r.populated.every(Boolean)).toBe(true);
    });
  }
});
