// The device model as a library object, on a Hypervisor: an emulated storage
// controller with 32 command slots, served by worker threads that are the
// vCPUs of a device-model domain (or, with `workers: 0`, by the calling
// thread's event loop — a Node service acting as the backend), reaching the
// guest's memory through the shared mapcache.
//
//   const plan = planDeviceModel({ guestFrames, diskBytes });
//   const hv = await Hypervisor.create({ domains: [
//     { id: 0, vcpus: 2, ramKiB: plan.ramKiB },          // the device-model domain
//     { id: 1, vcpus: 1, guest: 'my-guest.js', ... } ] });
//   const dm = await DeviceModel.create(hv, { domain: 0, guest: 1, plan, ringGfn });
//   hv.start(); …; await dm.connect(guestPort);          // the guest offered its port
//   dm.stats(); await dm.stop(); await hv.shutdown();
import * as Comlink from 'comlink';
import type { Hypervisor } from '../hypervisor.ts';
import { spawnWorker, yieldToEventLoop } from '../platform/host.ts';
import type { WorkerHandle } from '../platform/types.ts';
import { guestLayout } from '../guest/layout.ts';
import { ConfigError, DomainStateError, DeviceModelError, InternalError } from '../errors.ts';
import { ERESTART } from '../../assembly/shared/errno.ts';
import { DmRegion, type DmFatal, type MapCacheStats, type DmaEngineStats } from './region.ts';
import { MapCache } from './mapcache.ts';
import { DmaServer } from './server.ts';
import type { DeviceModelPlan } from './plan.ts';
import type { EmulatorContext } from '../migrate/emulator.ts';
import { DMA_SQ_CONS, DMA_RING_GFN } from '../../assembly/shared/dm-layout.ts';
import { loadSqProd } from './command-page.ts';
import { DM_CONTROL_STOP, type DmWorkerApi, type DmWorkerData, type DmWorkerReport } from './protocol.ts';

/** Where a DeviceModel runs and what it serves. */
export interface DeviceModelOptions {
  /** The device-model domain: a domain without a guest module, given plan.ramKiB of RAM for the region. */
  domain: number;
  /** The guest whose memory it serves. */
  guest: number;
  plan: DeviceModelPlan;
  /** The guest frame of the controller's command page. */
  ringGfn: number;
  /** Worker threads, each one vCPU of the device-model domain (default: all its vCPUs); 0 serves on this thread. */
  workers?: number;
  /** Guest frame ranges the guest does not own ([first gfn, count]): DMA there fails with DMA_ST_BAD_ADDR. */
  unowned?: [number, number][];
  /** Commands in progress per worker (mappings held while the "disk" works); default 16. */
  depth?: number;
  seed?: number;
  /**
   * Carry on from a saved device model (the EMULATOR_CONTEXT of a restored
   * image, I52): the disk holds the saved contents and the engine takes up
   * the guest's ring at the saved position; ringGfn and the disk size must match.
   */
  context?: EmulatorContext;
}

/** What quiescing found: the evidence a save had commands to wait for. */
export interface QuiesceReport {
  /** commands started and not yet completed when the engine stopped claiming */
  inFlight: number;
  /** submissions the guest had made that the device model had not taken (they stay in its ring) */
  unclaimed: number;
}

/** A device model's counters so far. */
export interface DeviceModelStats {
  mapcache: MapCacheStats;
  dma: DmaEngineStats;
  /** why the device model died, if it did (QEMU would have aborted) */
  fatal?: DmFatal;
  /** how the device model let go of its guest, once it has (I30) */
  release?: GuestReleaseReport;
}

/** The evidence of a guest release: whether it met DMA in flight. */
export interface GuestReleaseReport {
  /** mcRelease calls that found commands still running (-ERESTART) and were re-invoked */
  restarts: number;
}

/** A stopped device model's counters and its workers' reports. */
export interface DeviceModelReport extends DeviceModelStats {
  workers: DmWorkerReport[];
}

interface Running {
  worker: WorkerHandle;
  api: Comlink.Remote<DmWorkerApi>;
  done: Promise<DmWorkerReport>;
}

/** A QEMU-style device model on a Hypervisor: a mapcache over guest memory and a DMA engine served by worker threads of a service domain, signalled over event channels. */
export class DeviceModel {
  readonly mapcache: MapCache;
  private readonly running: Running[] = [];
  private readonly control = new SharedArrayBuffer(16);
  private inline?: DmaServer;
  private stopped = false;

  private constructor(readonly hv: Hypervisor, readonly region: DmRegion, readonly opts: Required<Pick<DeviceModelOptions,
    'domain' | 'guest' | 'workers' | 'depth' | 'seed'>> & DeviceModelOptions) {
    this.mapcache = new MapCache(region);
  }

  /** Lay out the region in the device-model domain, configure the controller, start the workers. */
  static async create(hv: Hypervisor, opts: DeviceModelOptions): Promise<DeviceModel> {
    const { machine } = hv;
    const dmRegion = machine.domain(opts.domain);
    machine.domain(opts.guest);
    if (hv.domain(opts.domain).guestModule) {
      throw new ConfigError(`device model: domain ${opts.domain} runs a guest module; the device-model domain must be a service domain`);
    }
    const workers = opts.workers ?? dmRegion.vcpus;
    if (!Number.isInteger(workers) || workers < 0 || workers > dmRegion.vcpus) {
      throw new ConfigError(`device model: ${workers} workers for a domain of ${dmRegion.vcpus} vCPUs: use 0..${dmRegion.vcpus}`);
    }
    const regionGfn = guestLayout(dmRegion.vcpus, dmRegion.maxEvtchnPort).freeGfn;
    const region = DmRegion.create(machine.dp, { dmDom: opts.domain, regionGfn, guestDom: opts.guest, plan: opts.plan });
    for (const [gfn, count] of opts.unowned ?? []) region.grant(gfn, count, false);
    const ctx = opts.context;
    if (ctx && (ctx.ringGfn !== opts.ringGfn || ctx.disk.length !== opts.plan.diskSectors * 512)) {
      throw new ConfigError(`device model: the saved context has its command page at gfn ${ctx.ringGfn} and a ${ctx.disk.length}-byte disk; ` +
        `this one was asked for gfn ${opts.ringGfn} and ${opts.plan.diskSectors * 512} bytes: plan the same disk and ring`);
    }
    region.initDma(opts.plan, opts.ringGfn, Math.max(1, workers), !ctx);
    if (ctx) {
      region.disk().set(ctx.disk);
      const rc = region.x.dmaRestoreConsumer(region.addr, ctx.sqCons);
      if (rc !== 0) throw new ConfigError(`device model: taking up the saved ring position failed (${rc})`);
    }
    const dm = new DeviceModel(hv, region, { ...opts, workers, depth: opts.depth ?? 16, seed: opts.seed ?? 1 });
    if (workers > 0) await dm.spawn(dmRegion.vcpus, dmRegion.maxEvtchnPort);
    // the guest dies: let go of its memory; the device-model domain dies: stop, then let go (I30)
    dm.unhook.push(hv.onDomainDestroy(opts.guest, () => dm.releaseGuest()));
    dm.unhook.push(hv.onDomainDestroy(opts.domain, async () => { await dm.stop(); await dm.releaseGuest(); dm.regionGone = true; }));
    return dm;
  }

  private readonly unhook: (() => void)[] = [];
  private regionGone = false;
  private lastReport?: DeviceModelReport;
  private guestReleased = false;
  private release?: GuestReleaseReport;

  /**
   * The guest is being destroyed (or the device model goes away): refuse new
   * mappings and commands, let the commands already started finish — their
   * DMA completes, never half-done — then drop every mapcache entry and the
   * reference on the guest. Re-invokes mcRelease while DMA is in flight;
   * throws DeviceModelError ('stuck') if it still is after `timeoutMs`.
   */
  async releaseGuest(timeoutMs = 10_000): Promise<void> {
    if (this.guestReleased) return;
    const x = this.region.x;
    const addr = this.region.addr;
    const rc = x.mcGuestGone(addr);
    if (rc !== 0) throw new InternalError(`device model: mcGuestGone returned ${rc}`);
    const deadline = performance.now() + timeoutMs;
    let restarts = 0;
    for (;; restarts++) {
      const r = x.mcRelease(addr);
      if (r === 0) break;
      if (r !== -ERESTART) throw new InternalError(`device model: mcRelease returned ${r}`);
      if (performance.now() > deadline) {
        throw new DeviceModelError('stuck', this.opts.guest, `device model: DMA for domain ${this.opts.guest} still in flight ${timeoutMs} ms after ` +
          'it was told the guest is gone (a worker is stuck in a command); its mappings and the reference on the guest stay held: ' +
          'stop the device model (dm.stop()) and call releaseGuest again, or give a longer timeout');
      }
      await yieldToEventLoop();
    }
    this.guestReleased = true;
    this.release = { restarts };
    for (const u of this.unhook.splice(0)) u();
  }

  private async spawn(vcpus: number, maxPort: number): Promise<void> {
    const { machine } = this.hv;
    for (let w = 0; w < this.opts.workers; w++) {
      const data: DmWorkerData = {
        module: machine.module, memory: machine.memory, control: this.control, dmDom: this.opts.domain, worker: w,
        vcpus, maxPort, dm: this.region.addr, depth: this.opts.depth, seed: this.opts.seed,
      };
      const worker = spawnWorker('dm', data);
      const api = Comlink.wrap<DmWorkerApi>(worker.endpoint);
      const failed = new Promise<never>((_, reject) => {
        worker.onError((e) => reject(new DeviceModelError('crashed', this.opts.guest, `device-model worker ${w} crashed: ${e instanceof Error ? e.message : String(e)}; the device model can not serve: stop it and create a new one`, { cause: e })));
        worker.onExit((code) => reject(new DeviceModelError('crashed', this.opts.guest, `device-model worker ${w} exited (code ${code}) before it was stopped; the device model can not serve: stop it and create a new one`)));
      });
      failed.catch(() => { /* reported by stop() */ });
      await Promise.race([api.setup(), failed]);
      const done = Promise.race([api.run(), failed]);
      done.catch(() => { /* reported by stop() */ });
      this.running.push({ worker, api, done });
    }
  }

  /**
   * Bind the guest's doorbell (its unbound port offered to the device-model
   * domain) and start serving. Returns the device model's port.
   */
  async connect(guestPort: number): Promise<number> {
    if (this.opts.workers > 0) return await this.running[0].api.connect(this.opts.guest, guestPort);
    // a service domain: handlers run on this thread's event loop
    const d = this.hv.domain(this.opts.domain);
    const server = new DmaServer(this.hv.machine.dp, this.region.addr, 0, undefined, 32, this.opts.seed);
    server.attachSender((port) => d.send(port), d.guest(0));
    this.inline = server;
    const port = d.bindInterdomain(this.opts.guest, guestPort);
    this.region.x.dmaSetReady(this.region.addr, port);
    d.on(port, () => { if (!this.stopped) server.drain(); });
    return port;
  }

  /** The domain it serves (a save of that domain quiesces it). */
  get guestDomain(): number { return this.opts.guest; }

  private quiesced?: QuiesceReport;

  /**
   * Quiesce the DMA engine for a save (I52): take no more commands from the
   * guest's ring — its unclaimed requests stay there, in its memory — and
   * wait until every command already claimed completed (its data moved, its
   * status and done bit written), so none is half-done. Idempotent until
   * unquiesce. Throws DeviceModelError ('stuck', or 'died' if the engine
   * died meanwhile) if it does not drain within `timeoutMs`; the engine then
   * takes commands again.
   */
  async quiesce(timeoutMs = 10_000): Promise<QuiesceReport> {
    if (this.quiesced) return this.quiesced;
    const { x, addr } = this.region;
    const inFlight = popcount(x.dmaQuiesce(addr) >>> 0);
    const deadline = performance.now() + timeoutMs;
    while (x.dmaDrained(addr) === 0) {
      const fatal = this.region.fatal();
      if (fatal || performance.now() > deadline) {
        this.reopen(); // the save is abandoned: the engine serves the guest again
        throw fatal
          ? new DeviceModelError('died', this.opts.guest, `device model of domain ${this.opts.guest}: it died while quiescing for a save ` +
            `(${fatal.message}): nothing was saved; save the domain without its device model, or destroy it`)
          : new DeviceModelError('stuck', this.opts.guest, `device model: DMA for domain ${this.opts.guest} still in flight after ${timeoutMs} ms ` +
            'of quiescing (a worker is stuck in a command): nothing was saved and the engine serves again; retry the save with a longer timeout');
      }
      await yieldToEventLoop();
    }
    this.quiesced = { inFlight, unclaimed: this.unclaimed() };
    return this.quiesced;
  }

  /** Submissions in the guest's ring the engine has not taken (guest memory, read as the engine reads it). */
  private unclaimed(): number {
    const page = this.hv.machine.dp.x.addrGfn(this.opts.guest, this.region.load(DMA_RING_GFN)) >>> 0;
    if (page === 0) return 0;
    return (loadSqProd(this.hv.machine.dp.u32, page) - this.region.load(DMA_SQ_CONS)) >>> 0;
  }

  /** Take commands from the guest's ring again (a save after which the domain runs on here). */
  unquiesce(): void {
    if (!this.quiesced) return;
    this.quiesced = undefined;
    this.reopen();
  }

  private reopen(): void {
    this.region.x.dmaUnquiesce(this.region.addr);
    // sleeping workers look at the ring again; the inline server drains now
    for (let w = 0; w < this.running.length; w++) this.hv.machine.dp.x.kickVcpu(this.opts.domain, w);
    if (this.inline && !this.stopped) this.inline.drain();
  }

  /** The state a device model elsewhere needs to carry on (EMULATOR_CONTEXT): quiesce first. */
  saveContext(): EmulatorContext {
    if (!this.quiesced) throw new ConfigError('device model: quiesce() it before saveContext(): commands may be in flight');
    return { ringGfn: this.region.load(DMA_RING_GFN), sqCons: this.region.load(DMA_SQ_CONS), disk: this.region.disk().slice() };
  }

  /** The disk image (a view on shared memory). */
  disk(): Uint8Array {
    return this.region.disk();
  }

  fatal(): DmFatal | undefined {
    return this.region.fatal();
  }

  stats(): DeviceModelStats {
    if (this.regionGone) throw new DomainStateError(this.opts.domain, 'destroyed', `device model: its domain ${this.opts.domain} was destroyed, and its region with it`);
    const fatal = this.region.fatal();
    return { mapcache: this.region.mapcacheStats(), dma: this.region.dmaStats(), ...(fatal ? { fatal } : {}), ...(this.release ? { release: { ...this.release } } : {}) };
  }

  /** Stop the workers (they finish the command in hand), collect their reports. */
  async stop(): Promise<DeviceModelReport> {
    const reports: DmWorkerReport[] = [];
    if (!this.stopped) {
      this.stopped = true;
      Atomics.store(new Int32Array(this.control), DM_CONTROL_STOP, 1);
      for (let w = 0; w < this.running.length; w++) this.hv.machine.dp.x.kickVcpu(this.opts.domain, w);
      try {
        reports.push(...await Promise.all(this.running.map((r) => r.done)));
      } finally {
        await Promise.all(this.running.map(async (r) => {
          r.api[Comlink.releaseProxy]();
          await r.worker.terminate();
        }));
      }
      if (this.inline) reports.push({ worker: 0, commands: this.inline.commands, lateWakeups: 0, dead: this.inline.dead() });
    }
    if (this.regionGone && this.lastReport) return this.lastReport;
    this.lastReport = { ...this.stats(), workers: reports };
    return this.lastReport;
  }
}

function popcount(n: number): number {
  let c = 0;
  for (let b = n >>> 0; b !== 0; b &= b - 1) c++;
  return c;
}
