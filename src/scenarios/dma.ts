// The dma scenario: a guest (one vCPU thread) drives the emulated storage
// controller with 32 commands in flight — mixed, overlapping reads and writes
// at random places of 6 MiB of its RAM, so mapcache buckets are shared all
// the time, and now and then a command naming memory the guest does not own —
// while device-model workers (the vCPU threads of domain 0) execute them
// through the shared mapcache. Every completion is checked end to end.
// Reports MB/s, mapcache hits/misses/remaps and every kind of error.
import { Hypervisor } from '../hypervisor.ts';
import { guestModulePath } from '../paths.ts';
import { guestLayout } from '../guest/layout.ts';
import type { WasmBuild } from '../wasm/exports.ts';
import type { GuestAbi } from '../guest/kernel.ts';
import { planDeviceModel } from '../dm/plan.ts';
import { DeviceModel } from '../dm/device-model.ts';
import { dmaGuestLayout, type ExerciserReport } from '../dm/exerciser.ts';
import { injectionMask } from '../dm/race.ts';
import {
  DMA_SHARED_BYTES, dmaSharedViews, waitForSharedWord, S_GUEST_PORT, S_DM_READY, S_QUIESCE, S_GUEST_DONE,
} from '../dm/guest-shared.ts';
import type { DmaGuestConfig } from '../guests/dma-guest.ts';
import { PAGE_SIZE } from '../../assembly/shared/layout.ts';
import { ConfigError, StuckVcpuError } from '../errors.ts';

/** How long and how the DMA scenario runs. */
export interface DmaRunOptions {
  seconds: number;
  /** device-model worker threads; default 2 */
  workers?: number;
  seed?: number;
  /** every n-th command names memory outside the guest (or another bad request); default 64, 0 = never */
  badEvery?: number;
  /** stop after this many commands instead of after `seconds` */
  transfers?: number;
  build?: WasmBuild;
  /** injected bugs (stress build), e.g. ['mapcache-first-free'] */
  inject?: string[];
  /** event-channel ABI of both domains; default fifo */
  abi?: GuestAbi;
}

/** The DMA scenario's report: transfers, errors by kind, mapcache and DMA counters. */
export interface DmaRunReport {
  scenario: 'dma';
  abi: GuestAbi;
  seconds: number;
  workers: number;
  transfers: number;
  reads: number;
  writes: number;
  bytes: number;
  mb_per_s: number;
  transfers_per_s: number;
  mapcache: { hits: number; misses: number; remaps: number; peak_locked: number; longest_chain: number; faults: number };
  errors: {
    /** deliberately bad commands that failed with the right status */
    expected: number;
    busy: number;
    checksum: number;
    pattern: number;
    status: number;
    spurious: number;
  };
  per_worker: number[];
  /** why the device model died (null: it kept running) */
  dm_died: string | null;
  failures: string[];
  /** every checksum right and the device model alive */
  ok: boolean;
}

const MAX_PORT = 255;
const DISK_BYTES = 16 * 2 ** 20;

/** Run the DMA scenario (`wasmxen run --scenario dma`): a guest module driving the storage controller against a DeviceModel, every transfer checked end to end. */
export async function runDmaScenario(o: DmaRunOptions): Promise<DmaRunReport> {
  const workers = o.workers ?? 2;
  const inject = injectionMask(o.inject ?? []);
  const build = o.build ?? (inject ? 'stress' : 'release');
  if (inject && build !== 'stress') throw new ConfigError('injections need the stress build');
  const kernel = guestLayout(1, MAX_PORT);
  const layout = dmaGuestLayout({ firstFreeGfn: kernel.freeGfn, diskSectors: DISK_BYTES / 512 });
  const plan = planDeviceModel({ guestFrames: layout.frames, diskBytes: DISK_BYTES, buckets: 4 });
  const config: DmaGuestConfig = {
    dmDom: 0, layout, diskSectors: plan.diskSectors, seed: o.seed ?? 1, badEvery: o.badEvery ?? 64, transfers: o.transfers,
  };
  const shared = new SharedArrayBuffer(DMA_SHARED_BYTES);
  const s = dmaSharedViews(shared);
  const hv = await Hypervisor.create({
    domains: [
      { id: 0, vcpus: workers, maxEvtchnPort: MAX_PORT, ramKiB: plan.ramKiB, control: true },
      { id: 1, vcpus: 1, maxEvtchnPort: MAX_PORT, guest: guestModulePath('dma-guest'), config,
        ramKiB: (layout.frames - kernel.freeGfn) * (PAGE_SIZE / 1024) },
    ],
    shared,
    build,
    abi: o.abi ?? 'fifo',
  });
  let dm: DeviceModel | undefined;
  let guest: ExerciserReport | undefined;
  let crashes: string[] = [];
  let elapsed = 0;
  let dmReport;
  try {
    dm = await DeviceModel.create(hv, {
      domain: 0, guest: 1, plan, ringGfn: layout.ringGfn, workers, seed: o.seed ?? 1,
      unowned: [[layout.holeGpa / PAGE_SIZE, layout.holeBytes / PAGE_SIZE]],
    });
    if (inject) hv.machine.dp.x.stressConfigure(0, 0, 0, inject);
    hv.start();
    if (!await waitForSharedWord(s, S_GUEST_PORT, Date.now() + 10_000)) {
      throw new StuckVcpuError('dma scenario: domain 1 vCPU 0 did not offer its port within 10 s of the start (a loaded machine: run again)', [[1, 0]]);
    }
    await dm.connect(Atomics.load(s.i32, S_GUEST_PORT));
    const started = process.hrtime.bigint();
    Atomics.store(s.i32, S_DM_READY, 1);
    Atomics.notify(s.i32, S_DM_READY);
    const until = Date.now() + o.seconds * 1000;
    const live = dm;
    await waitForSharedWord(s, S_GUEST_DONE, o.transfers !== undefined ? Infinity : until, () => live.fatal() !== undefined);
    Atomics.store(s.i32, S_QUIESCE, 1);
    const drainBy = Date.now() + 5000;
    await waitForSharedWord(s, S_GUEST_DONE, drainBy, () => live.fatal() !== undefined);
    elapsed = Number(process.hrtime.bigint() - started) / 1e9;
    dmReport = await dm.stop();
  } finally {
    await dm?.stop();
    const down = await hv.shutdown();
    guest = down.vcpus.find((v) => v.dom === 1)?.guest as ExerciserReport | undefined;
    crashes = down.crashed.map((e) => e.message);
  }
  const g: ExerciserReport = guest ?? {
    issued: 0, completed: 0, reads: 0, writes: 0, bytes: 0, expectedErrors: 0, busy: 0, checksumErrors: 0,
    patternErrors: 0, statusErrors: 0, spurious: 0, failures: crashes.length > 0 ? crashes : ['the guest did not report'],
  };
  const mc = dmReport.mapcache;
  const fatal = dmReport.fatal;
  const errors = {
    expected: g.expectedErrors, busy: g.busy, checksum: g.checksumErrors, pattern: g.patternErrors,
    status: g.statusErrors, spurious: g.spurious,
  };
  return {
    scenario: 'dma',
    abi: o.abi ?? 'fifo',
    seconds: elapsed,
    workers,
    transfers: g.completed,
    reads: g.reads,
    writes: g.writes,
    bytes: g.bytes,
    mb_per_s: g.bytes / 1e6 / (elapsed || 1),
    transfers_per_s: g.completed / (elapsed || 1),
    mapcache: {
      hits: mc.hits, misses: mc.misses, remaps: mc.remaps, peak_locked: mc.peakLocked, longest_chain: mc.longestChain,
      faults: mc.faults,
    },
    errors,
    per_worker: dmReport.dma.perWorker,
    dm_died: fatal ? fatal.message : null,
    failures: g.failures,
    ok: !fatal && g.completed > 0 && errors.checksum + errors.pattern + errors.status + errors.spurious === 0 && g.failures.length === 0,
  };
}

/** The text report of `runDmaScenario` (what `wasmxen run --scenario dma` prints). */
export function formatDmaReport(r: DmaRunReport): string {
  const n = (x: number) => Math.round(x).toLocaleString('en-US');
  const e = r.errors;
  return [
    `wasmxen dma: 1 guest vCPU, 32 command slots, ${r.workers} device-model workers, ${r.abi === 'fifo' ? 'FIFO' : '2-level'} event channels, ${r.seconds.toFixed(2)} s`,
    `  transfers ${n(r.transfers)} (${n(r.reads)} reads, ${n(r.writes)} writes, ${n(e.expected)} bad commands refused)  ${n(r.transfers_per_s)}/s`,
    `  data      ${(r.bytes / 1e6).toFixed(1)} MB moved  ${r.mb_per_s.toFixed(1)} MB/s`,
    `  mapcache  hits ${n(r.mapcache.hits)}  misses ${n(r.mapcache.misses)}  remaps ${n(r.mapcache.remaps)}  ` +
      `peak locked ${r.mapcache.peak_locked}  longest chain ${r.mapcache.longest_chain}  faults ${n(r.mapcache.faults)}`,
    `  errors    checksum ${e.checksum}  pattern ${e.pattern}  status ${e.status}  spurious ${e.spurious}  busy ${e.busy}`,
    `  workers   ${r.per_worker.map(n).join(' / ')} commands`,
    r.dm_died ? `  DEVICE MODEL DIED: ${r.dm_died}` : '  device model alive',
    ...r.failures.map((f) => `  failure: ${f}`),
    r.ok ? '  every transfer checked end to end' : '  CHECKSUM OR STATUS FAILURES',
  ].join('\n');
}
