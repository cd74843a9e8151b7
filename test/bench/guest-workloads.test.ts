// The guest-path workloads of `wasmxen bench` (src/bench/workloads/guests.ts):
// each runs briefly with every event accounted exactly once, carries its ratio
// to postMessage and to its reference (the data plane's workload, or the same
// flows on 2 vCPUs) measured in the same run, and a run that loses or
// misroutes an event fails loudly. No rate or time is asserted.
import { describe, it, expect } from 'vitest';
import { availableParallelism } from 'node:os';
import { runBench, selectWorkloads, compare, type BenchResult } from '../../src/bench/bench.ts';
import { runCell, BenchCorrectnessError } from '../../src/bench/runner.ts';
import { guestStreamCell, oversubscribedCell } from '../../src/bench/workloads/guests.ts';
import { workload } from '../../src/bench/workloads/index.ts';
import { tuning } from '../../src/bench/workloads/tuning.ts';
import { streamCell } from '../../src/bench/workloads/streams.ts';
import { DataPlane } from '../../src/wasm/data-plane.ts';
import { guestLayout } from '../../src/guest/layout.ts';

const REFERENCE: Record<string, string> = {
  'guest-stream': 'fifo-1to1',
  'guest-pingpong': 'fifo-pingpong',
  'service-stream': 'fifo-1to1',
  'guest-fanin': 'fifo-fanin',
  oversubscribed: 'oversubscribed',
};

describe('guest-path bench workloads', () => {
  for (const name of Object.keys(REFERENCE)) {
    it(`${name}: every run balances, with its ratios to postMessage and to ${REFERENCE[name]} from the same run`, async () => {
      const r = await runBench({ workloads: [name], seconds: 0.1, runs: 1, warmupSeconds: 0.05, impls: ['wasmxen', 'postmessage'] });
      // the reference ran in the same run although only `name` was asked for
      expect(r.config.workloads).toContain(REFERENCE[name]);
      const mine = r.results.filter((x) => x.workload === name);
      const variants = name === 'guest-fanin' ? availableParallelism() : name === 'oversubscribed' ? 2 : 1;
      expect(mine).toHaveLength(2 * variants);
      for (const x of r.results) {
        const what = `${x.workload} ${JSON.stringify(x.params)} ${x.impl}`;
        expect(x.sent, what).toBeGreaterThan(0);
        expect(x.delivered, what).toBe(x.sent);
        expect(x.latency_samples, what).toBeGreaterThan(0);
      }
      for (const x of mine.filter((y) => y.impl === 'wasmxen')) {
        const what = `${x.workload} ${JSON.stringify(x.params)}`;
        expect(x.vs.postmessage, what).toBeGreaterThan(0);
        const ref = workload(name).reference!({ params: x.params });
        if (!ref) { expect(x.vs_reference, what).toEqual({}); continue; } // oversubscribed vcpus=2 is the reference itself
        const key = [ref.workload, ...Object.entries(ref.params).map(([k, v]) => `${k}=${v}`)].join(' ');
        expect(Object.keys(x.vs_reference!), what).toEqual([key]);
        expect(x.vs_reference![key], what).toBeGreaterThan(0);
        if (x.latency === 'round trip') expect(x.vs_reference_latency_p50![key], what).toBeGreaterThan(0);
      }
      if (name === 'oversubscribed') {
        const eight = mine.find((x) => x.impl === 'wasmxen' && x.params.vcpus === 8)!;
        expect(eight.threads).toBe(8);
        expect(Object.keys(eight.vs_reference!)).toEqual(['oversubscribed vcpus=2']);
      }
      if (name === 'service-stream') {
        // the sender's worker and the service domain on this thread
        expect(mine.every((x) => x.threads === 2)).toBe(true);
      }
    }, 120_000);
  }

  it('a guest handler that sees the wrong ports fails the cell (wasmxen and postMessage, worker and main thread)', async () => {
    for (const impl of ['wasmxen', 'postmessage'] as const) {
      for (const service of [false, true]) {
        const spec = guestStreamCell(impl, { senders: 1, ports: 64, service });
        spec.geometry = { ...spec.geometry, recvFirst: spec.geometry.recvFirst + 1 }; // off by one: every port is "wrong"
        await expect(runCell(spec, { seconds: 0.05, runs: 1, warmupSeconds: 0.05 }), `${impl} service=${service}`).rejects.toThrow(BenchCorrectnessError);
      }
    }
  });

  it('oversubscribed: a receiver whose port offset is wrong fails the cell', async () => {
    const spec = oversubscribedCell('wasmxen', 8);
    const r = spec.parties.find((p) => p.role === 'guestReceiver')!;
    r.args = { ...r.args, offset: (r.args.offset as number) + 1 };
    await expect(runCell(spec, { seconds: 0.05, runs: 1, warmupSeconds: 0.05 })).rejects.toThrow(BenchCorrectnessError);
  });

  it('an event that never reaches the handler (its port masked by the receiving guest) fails the run', async () => {
    const spec = guestStreamCell('wasmxen', { senders: 1, ports: 64 });
    const dp = DataPlane.attach(spec.attach.module!, spec.attach.memory!);
    const maxPort = spec.parties[1].args.maxPort as number;
    expect(dp.x.guestFifoMask(2, guestLayout(1, maxPort).gsGfn, spec.geometry.recvFirst + 5)).toBe(0);
    // the next port arrives out of turn (an accounting violation), or the stream never completes (lost)
    await expect(runCell(spec, { seconds: 0.05, runs: 1, warmupSeconds: 0.05 })).rejects.toThrow(/accounting violation|sent \d+, delivered \d+/);
  }, 60_000);

  it('the receiving guest moderates its interrupts as the data plane\'s receiver does in its reference (same tuning); the main thread does not spin', () => {
    for (const ports of [64, 256]) {
      const t = tuning(ports);
      const fifo = streamCell('wasmxen', { senders: 1, streamsPerSender: 1, ports }).parties.find((p) => p.role === 'streamReceiver')!;
      expect(fifo.args).toMatchObject({ holdoff: t.holdoff, holdoffSpins: t.holdoffSpins });
      const guest = guestStreamCell('wasmxen', { senders: 1, ports }).parties.find((p) => p.role === 'guestReceiver')!;
      expect(guest.args).toMatchObject({ holdoff: t.holdoff, holdoffSpins: t.holdoffSpins });
      expect(t.holdoff).toBeGreaterThan(0);
    }
    const service = guestStreamCell('wasmxen', { senders: 1, ports: 256, service: true });
    expect(service.host!.party.args.holdoff).toBeUndefined();
  });

  it('selects a workload\'s reference with it and computes the ratio only against wasmxen results of the same run', () => {
    expect(selectWorkloads(['guest-pingpong']).map((w) => w.name)).toEqual(['fifo-pingpong', 'guest-pingpong']);
    expect(selectWorkloads(['guest-fanin']).map((w) => w.name)).toEqual(['fifo-fanin', 'guest-fanin']);
    const r = (w: string, impl: BenchResult['impl'], eps: number, p50: number, params = {}) => ({
      workload: w, impl, params, events_per_s: eps, latency: 'one-way (sampled)', latency_ns: { p50, p90: p50, p99: p50, p999: p50, max: p50 },
      latency_samples: 1, vs: {}, vs_latency_p50: {},
    }) as unknown as BenchResult;
    const rs = [r('fifo-1to1', 'wasmxen', 10, 2), r('fifo-1to1', 'postmessage', 1, 20), r('guest-stream', 'wasmxen', 4, 5), r('guest-stream', 'postmessage', 1, 20)];
    compare(rs);
    expect(rs[2].vs_reference).toEqual({ 'fifo-1to1': 0.4 });
    expect(rs[2].vs_reference_latency_p50).toEqual({ 'fifo-1to1': 2.5 });
    expect(rs[3].vs_reference).toEqual({}); // a baseline is not held to the data plane
    expect(rs[0].vs_reference).toEqual({});
  });
});
