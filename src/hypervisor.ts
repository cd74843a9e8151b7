// The hypervisor shell: lays out the shared memory, creates domains, boots
// their FIFO event channels from the guest side (as Linux's boot CPU does),
// runs vCPU worker threads for domains with a guest module, raises VIRQs,
// and shuts everything down cleanly.
//
// Lifecycle contract (what a service embedding it can rely on):
// - failures it survives — a service-domain handler that throws, a vCPU
//   thread that crashes — are reported at once, never thrown into the event
//   loop: to `onError`, to `'error'` listeners, else as a process warning;
// - `closed` settles once: resolved when shutdown() completes, rejected with
//   the first VcpuCrashError the moment a vCPU crashes;
// - shutdown() is idempotent (every call returns the same promise); once it
//   has begun every other operation throws HypervisorClosedError.
import { EventEmitter } from 'node:events';
import { createMachine, type Machine } from './wasm/data-plane.ts';
import { guestLayout } from './guest/layout.ts';
import { bootGuest } from './guest/kernel.ts';
import { Domain } from './domain.ts';
import { VcpuPool } from './vcpu/pool.ts';
import { ConfigError, InternalError, HypervisorClosedError, InvalidArgumentError } from './errors.ts';
import { pauseAndWait, requestPause, waitParked, destroyEvtchns, releaseWhenUnreferenced, destroyUnstarted } from './lifecycle/toolstack.ts';
import { Failures } from './lifecycle/failures.ts';
import { checkGuestModule, planDomain, machineConfig } from './lifecycle/domain-spec.ts';
import { DomainTable } from './lifecycle/domain-table.ts';
import { RegisteredConsumers } from './consumers/registered.ts';
import type { ConsumerHost, MonitorHost, ConsoleHost } from './consumers/host.ts';
import { saveDomain, type SaveFigures } from './migrate/save.ts';
import { restoreImage, restoreConfig, checkTarget } from './migrate/restore.ts';
import { parseImage } from './migrate/parse.ts';
import { sizeDomain, domainBytes } from './wasm/memory-map.ts';
import { compileDataPlane } from './wasm/module.ts';
import { privateLayoutOf } from './wasm/private-layout.ts';
import type { EmulatorContext } from './migrate/emulator.ts';
import { kernelRegsGpa, collectImage, checkRestoreId, type HvSaveOptions, type HvRestoreOptions } from './migrate/toolstack.ts';

import type { DomainSpec, HypervisorOptions, PauseOptions, DestroyOptions, DestroyReport, DestroyHook, ShutdownReport, HypervisorEvents } from './hypervisor-options.ts';
export type { DomainSpec, HypervisorOptions, PauseOptions, DestroyOptions, DestroyReport, DestroyHook, ShutdownReport, HypervisorEvents } from './hypervisor-options.ts';

/** Xen's per-vCPU timer VIRQ. */
export const VIRQ_TIMER = 0;
/** Xen's global VIRQ_DOM_EXC: raised to the control domain when a domain is destroyed (domain_kill). */
export const VIRQ_DOM_EXC = 3;

/** The hypervisor: one shared memory, its domains and vCPU threads. Create with `Hypervisor.create`, end with `shutdown()` (or `await using`). */
export class Hypervisor extends EventEmitter<HypervisorEvents> {
  private readonly domains = new DomainTable();
  private readonly pool: VcpuPool;
  private timers: ReturnType<typeof setInterval>[] = [];
  private started = false;
  private stopping: Promise<ShutdownReport> | undefined;
  private readonly failures: Failures;
  /**
   * Settles once: resolves when shutdown() has completed; rejects with a
   * VcpuCrashError as soon as any vCPU thread crashes (a guest module that
   * throws or exits), so a service awaiting it never hangs on a dead guest.
   */
  readonly closed: Promise<void>;
  private consumers!: RegisteredConsumers;

  private constructor(readonly machine: Machine, private readonly opts: HypervisorOptions) {
    super();
    this.failures = new Failures({ onError: opts.onError, listenerCount: () => this.listenerCount('error'), emit: (e) => this.emit('error', e) });
    this.closed = this.failures.closed;
    this.pool = new VcpuPool(machine.dp, (e) => this.failures.vcpuCrashed(e));
  }

  private open(op: string): void {
    if (this.stopping) throw new HypervisorClosedError(op);
  }

  /** True once shutdown() has begun. */
  get isShutDown(): boolean {
    return this.stopping !== undefined;
  }

  /** The shell's handle on a registered consumer (open/close its Xen-owned channels). */
  consumer(name: string): ConsumerHost {
    this.open('consumer');
    return this.consumers.host(name);
  }

  get monitor(): MonitorHost { return this.consumer('monitor') as MonitorHost; }
  get console(): ConsoleHost { return this.consumer('console') as ConsoleHost; }

  /** Bytes the console consumer has delivered to consoleStream so far. */
  get consoleBytesWritten(): number { return this.consumers.consoleBytesWritten; }

  /** Lay out the shared memory, load the consumers and boot every domain's event channels. */
  static async create(opts: HypervisorOptions): Promise<Hypervisor> {
    if (!opts.domains?.length) throw new ConfigError('a hypervisor needs at least one domain');
    if (opts.onError !== undefined && typeof opts.onError !== 'function') throw new ConfigError('onError must be a function');
    const plans = opts.domains.map((d) => planDomain(d, opts.abi));
    const spare = opts.spareKiB ?? 0;
    if (!Number.isInteger(spare) || spare < 0) throw new ConfigError(`spareKiB must be a whole number of KiB, not ${spare}`);
    const machine = createMachine(plans.map(machineConfig), opts.build ?? 'release', { preemptEvery: opts.preemptEvery, spareBytes: spare * 1024 });
    const hv = new Hypervisor(machine, opts);
    hv.consumers = await RegisteredConsumers.register(machine.dp, opts.consumers ?? [], opts.consoleStream);
    for (const { spec, layout, abi } of plans) {
      bootGuest(machine.dp, spec.id, spec.vcpus, layout, abi);
      hv.domains.add(spec, new Domain(machine.dp, machine.domain(spec.id), layout, spec.guest, hv.consumers.registry, hv.failures.sink), false);
    }
    return hv;
  }

  /** The handle of domain `id`; throws NoSuchDomainError for a domain this hypervisor does not have. */
  domain(id: number): Domain {
    this.open('domain');
    return this.domains.get(id);
  }

  /** Domains that exist now. */
  get domainIds(): number[] { return this.domains.ids(); }

  /**
   * Create a domain at run time, in space freed by a destroyed domain or in
   * the spare memory (spareKiB); the id of a destroyed domain may be used
   * again. Boots its event channels; its vCPU threads start now if the
   * hypervisor is started.
   */
  async createDomain(spec: DomainSpec): Promise<Domain> {
    this.open('createDomain');
    const plan = planDomain(spec, this.opts.abi);
    this.domains.checkFree(spec.id, 'choose another id');
    const region = this.machine.createDomain(machineConfig(plan));
    bootGuest(this.machine.dp, spec.id, spec.vcpus, plan.layout, plan.abi);
    const d = new Domain(this.machine.dp, region, plan.layout, spec.guest, this.consumers.registry, this.failures.sink);
    this.domains.add(spec, d, false);
    if (this.started) this.spawnVcpus(spec);
    return d;
  }

  private live(id: number, op: string): Domain {
    this.open('domain');
    return this.domains.live(id, op);
  }

  /**
   * Pause a domain: every vCPU parks at its next hypercall or upcall
   * boundary; resolves once all have (I28). Events raised meanwhile stay
   * pending and are delivered after unpauseDomain. Rejects with
   * PauseTimeoutError naming a vCPU that did not park within the bound (the
   * pause is then withdrawn).
   */
  async pauseDomain(id: number, opts: PauseOptions = {}): Promise<void> {
    await this.pause(this.live(id, 'pauseDomain'), id, opts);
  }

  private async pause(d: Domain, id: number, opts: PauseOptions): Promise<void> {
    const timeoutMs = opts.timeoutMs ?? 2000;
    if (!this.domains.markPaused(id)) {
      // paused already (an earlier call still waiting, or restored paused): resolve as that pause does,
      // once every vCPU has parked — vCPUs not started yet run no guest code and cannot park
      if (this.started) await waitParked(this.machine.dp, id, d.vcpus, timeoutMs);
      return;
    }
    try {
      await pauseAndWait(this.machine.dp, id, d.vcpus, timeoutMs, () => d.parkIdle(), () => d.unparkIdle());
    } catch (e) {
      this.domains.markUnpaused(id);
      throw e;
    }
  }

  /** Let a paused domain's vCPUs run again. */
  unpauseDomain(id: number): void {
    const d = this.live(id, 'unpauseDomain');
    if (!this.domains.markUnpaused(id)) return;
    d.unparkIdle();
    this.machine.dp.x.domainUnpause(id);
  }

  isPaused(id: number): boolean { return this.domains.isPaused(id); }

  // ------------------------------------------------ save / restore (src/migrate/, I45, I46)
  /**
   * Save domain `id`: pause it (every vCPU parked at a boundary), write its
   * image chunk by chunk to `sink` — no chunk is kept, so a large domain
   * streams — and resume it unless `keepPaused`. The channel table is not in
   * the image (the target binds afresh, spec §7.7).
   */
  async saveTo(id: number, sink: (chunk: Uint8Array) => void, opts: HvSaveOptions = {}): Promise<SaveFigures> {
    const d = this.live(id, 'save');
    const wasPaused = this.domains.isPaused(id);
    const dm = opts.deviceModel;
    if (dm && dm.guestDomain !== id) throw new ConfigError(`save: the device model given serves domain ${dm.guestDomain}, not domain ${id}`);
    await this.pause(d, id, opts);
    const resumes = !wasPaused && !opts.keepPaused;
    try {
      // the guest first, then its device model (as libxl suspends the domain, then saves QEMU's devices)
      await dm?.quiesce();
      return saveDomain(this.machine.dp, d.region, sink, {
        key: opts.key, regsGpa: kernelRegsGpa(d.layout), toolstackPorts: opts.toolstackPorts, preemptEvery: this.opts.preemptEvery,
        emulator: dm?.saveContext(),
      });
    } finally {
      if (resumes) {
        dm?.unquiesce();
        this.unpauseDomain(id);
      }
    }
  }

  /** Save domain `id` as one buffer (see saveTo). */
  async save(id: number, opts: HvSaveOptions = {}): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    const { bytes } = await this.saveTo(id, (c) => parts.push(c), opts);
    const image = new Uint8Array(bytes);
    let at = 0;
    for (const p of parts) { image.set(p, at); at += p.length; }
    return image;
  }

  /**
   * Restore a saved domain on this hypervisor as domain `opts.id`. The image
   * is validated whole, and against this host, before anything is created
   * (ImageError otherwise, nothing changed). The domain starts in 2-level with
   * only its toolstack channels bound; its guest rebinds the rest (spec §8).
   * With `paused`, it is restored paused (I28): its vCPUs park at their first
   * boundary and run no guest code until `unpauseDomain(id)`.
   */
  async restoreDomain(image: Uint8Array | AsyncIterable<Uint8Array>, opts: HvRestoreOptions): Promise<Domain> {
    this.open('restoreDomain');
    checkRestoreId(opts.id);
    if (opts.guest !== undefined) checkGuestModule({ id: opts.id, guest: opts.guest });
    this.domains.checkFree(opts.id, 'restore as another id');
    const bytes = await collectImage(image);
    const { img, region } = restoreImage(bytes, { key: opts.key, maxVcpus: opts.maxVcpus },
      (i) => ({ dp: this.machine.dp, region: this.machine.createDomain(restoreConfig(i, opts.id)) }),
      (r) => {
        destroyUnstarted(this.machine.dp, r.domid);
        this.machine.releaseDomain(r.domid);
      });
    const spec: DomainSpec = {
      id: opts.id, vcpus: img.config.vcpus, maxEvtchnPort: img.config.maxEvtchnPort, guest: opts.guest, config: opts.config,
      guestWidth: img.config.guestWidth, maxPages: img.config.maxPages,
    };
    const d = new Domain(this.machine.dp, region, guestLayout(spec.vcpus, img.config.maxEvtchnPort), spec.guest, this.consumers.registry, this.failures.sink);
    this.domains.add(spec, d, true);
    if (opts.paused === true) {
      // paused before any vCPU exists: each parks at its first boundary, before the guest's resume()
      this.domains.markPaused(opts.id);
      requestPause(this.machine.dp, opts.id, spec.vcpus, () => d.parkIdle());
    }
    if (this.started) this.spawnVcpus(spec);
    return d;
  }

  /**
   * A new hypervisor with `opts.domains` and the image's domain restored into
   * its spare memory; `emulator` is the device model's saved state when the
   * image carries one (create a DeviceModel with it as `context`).
   */
  static async restore(image: Uint8Array | AsyncIterable<Uint8Array>, opts: HypervisorOptions & { restore: HvRestoreOptions }): Promise<{ hv: Hypervisor; domain: Domain; emulator?: EmulatorContext }> {
    const bytes = await collectImage(image);
    // validate before creating even the hypervisor: a refused image leaves nothing behind
    const img = parseImage(bytes, { key: opts.restore.key });
    checkTarget(img, { maxVcpus: opts.restore.maxVcpus });
    const need = domainBytes(sizeDomain(restoreConfig(img, opts.restore.id), privateLayoutOf(compileDataPlane(opts.build ?? 'release'))));
    const hv = await Hypervisor.create({ ...opts, spareKiB: (opts.spareKiB ?? 0) + Math.ceil(need / 1024) });
    try {
      return { hv, domain: await hv.restoreDomain(bytes, opts.restore), ...(img.emulator ? { emulator: img.emulator } : {}) };
    } catch (e) {
      await hv.shutdown();
      throw e;
    }
  }

  /** Run `hook` when domain `id` is destroyed, after it is marked dying; returns the unregister function. */
  onDomainDestroy(id: number, hook: DestroyHook): () => void {
    return this.domains.onDestroy(id, hook);
  }

  /**
   * Destroy a domain as Xen's domain_kill does: pause it (its vCPUs park),
   * mark it dying, stop its vCPU threads, let device models drop its memory
   * (mapcache entries invalidated, DMA in flight completed, new DMA refused),
   * close every port in preemptible steps of at most `batch` ports
   * (evtchn_destroy: interdomain peers turn UNBOUND, Xen-owned channels are
   * drained), then release its regions and id once no hypercall in flight
   * references it (I27, I29). The id may then be used by createDomain.
   */
  async destroyDomain(id: number, opts: DestroyOptions = {}): Promise<DestroyReport> {
    const d = this.live(id, 'destroyDomain');
    const batch = opts.batch ?? 64;
    if (!Number.isInteger(batch) || batch < 1) throw new ConfigError(`destroy batch ${batch} must be a positive whole number of ports`);
    this.domains.markDying(id);
    try {
      await this.pause(d, id, opts);
    } catch (e) {
      this.domains.unmarkDying(id);
      throw e;
    }
    const x = this.machine.dp.x;
    const killed = x.domainKill(id);
    if (killed !== 0) throw new InternalError(`destroyDomain: domain_kill(${id}) of a paused live domain returned ${killed}`);
    // parked vCPUs wake on the dying flag and leave without running guest code again
    const vcpus = d.guestModule ? await this.pool.stopDomain(id) : [];
    await d.stop();
    d.markDestroyed();
    await this.domains.runDestroyHooks(id);
    const steps = await destroyEvtchns(this.machine.dp, id, batch);
    this.consumers.domainDestroyed(id); // its Xen-owned channels are closed and drained
    this.raiseVirq(id, 0, VIRQ_DOM_EXC); // Xen's domain_kill: send_global_virq(VIRQ_DOM_EXC), to the control domain
    const releaseRetries = await releaseWhenUnreferenced(this.machine.dp, id);
    this.machine.releaseDomain(id);
    this.domains.remove(id);
    return { domain: id, steps, vcpus, releaseRetries };
  }

  private spawnVcpus(spec: DomainSpec): void {
    if (!spec.guest) return;
    const r = this.machine.domain(spec.id);
    for (let v = 0; v < spec.vcpus; v++) {
      this.pool.spawn({
        module: this.machine.module, memory: this.machine.memory, dom: spec.id, vcpu: v, vcpus: spec.vcpus,
        maxPort: r.maxEvtchnPort, guest: spec.guest, config: spec.config, shared: this.opts.shared,
        consumers: this.consumers.bindings, resume: this.domains.isRestored(spec.id),
      });
    }
  }

  /** vCPU worker threads running now (all domains). */
  get vcpuThreads(): number { return this.pool.size; }

  /**
   * Start the vCPU threads of every domain that runs a guest module (once;
   * later calls do nothing); those of a paused domain park before its guest code. A vCPU whose module fails to load, whose main()
   * throws or whose thread exits is reported at once (see `closed`).
   */
  start(): void {
    this.open('start');
    if (this.started) return;
    this.started = true;
    for (const [, spec] of this.domains.specEntries()) this.spawnVcpus(spec);
    if (this.consumers.drainsConsole) this.timers.push(setInterval(() => this.consumers.drainConsole(), 20));
  }

  /** Raise a VIRQ as Xen does (per-vCPU ones on `vcpu`); returns false if it was dropped. */
  raiseVirq(dom: number, vcpu: number, virq: number): boolean {
    this.open('raiseVirq');
    const d = this.domain(dom);
    if (!Number.isInteger(vcpu) || vcpu < 0 || vcpu >= d.vcpus) {
      throw new InvalidArgumentError('raiseVirq', 'vCPU', vcpu, dom, `an integer in 0..${d.vcpus - 1}`);
    }
    if (!Number.isInteger(virq) || virq < 0 || virq > 0x7fffffff) {
      throw new InvalidArgumentError('raiseVirq', 'virq', virq, dom, 'a non-negative integer');
    }
    return this.machine.dp.x.raiseVirq(dom, vcpu, virq) === 1;
  }

  /** Raise VIRQ_TIMER on every vCPU of every domain `hz` times a second (a periodic timer). */
  startTimer(hz: number): void {
    this.open('startTimer');
    if (!(hz > 0 && hz <= 1000)) throw new ConfigError(`timer rate ${hz} Hz is out of range: use 1..1000`);
    const t = setInterval(() => {
      for (const [id, spec] of this.domains.specEntries()) {
        if (this.domains.isDying(id)) continue;
        for (let v = 0; v < spec.vcpus; v++) this.machine.dp.x.raiseVirq(id, v, VIRQ_TIMER);
      }
    }, 1000 / hz);
    this.timers.push(t);
  }

  /**
   * Stop timers, vCPU threads and service domains; resolves with every
   * vCPU's report. Idempotent: every call returns the same promise. Once it
   * has begun, every other operation throws HypervisorClosedError.
   */
  shutdown(): Promise<ShutdownReport> {
    this.stopping ??= this.stop();
    return this.stopping;
  }

  private async stop(): Promise<ShutdownReport> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    try {
      const vcpus = await this.pool.stopAll();
      await Promise.all(this.domains.all().map((d) => d.stop()));
      this.consumers.drainConsole();
      return { vcpus, crashed: this.failures.crashed };
    } finally {
      this.failures.settle();
    }
  }

  /** `await using hv = await Hypervisor.create(…)`: shuts down at the end of the scope. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown();
  }
}
