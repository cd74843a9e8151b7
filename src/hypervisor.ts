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
import { ConfigError, DomainStateError, InternalError, noConsumer, HypervisorClosedError, InvalidArgumentError, NoSuchDomainError, VcpuCrashError, type HandlerError, type WasmxenError } from './errors.ts';
import { pauseAndWait, destroyEvtchns, releaseWhenUnreferenced, destroyUnstarted } from './lifecycle/toolstack.ts';
import { PAGE_SIZE } from '../assembly/shared/layout.ts';
import { builtinConsumer, moduleProblem, moduleUrl, warn } from './platform/host.ts';
import { consumerId, type ConsumerSpec, type ConsumerBinding, type XenConsumer } from './consumers/types.ts';
import { ConsumerRegistry } from './consumers/registry.ts';
import { ConsumerHost, MonitorHost, ConsoleHost } from './consumers/host.ts';
import { saveDomain, type SaveFigures } from './migrate/save.ts';
import { restoreImage, restoreConfig, checkTarget } from './migrate/restore.ts';
import { parseImage } from './migrate/parse.ts';
import { sizeDomain, domainBytes } from './wasm/memory-map.ts';
import type { EmulatorContext } from './migrate/emulator.ts';
import { kernelRegsGpa, collectImage, checkRestoreId, type HvSaveOptions, type HvRestoreOptions } from './migrate/toolstack.ts';

import type { DomainSpec, HypervisorOptions, PauseOptions, DestroyOptions, DestroyReport, DestroyHook, ShutdownReport, HypervisorEvents } from './hypervisor-options.ts';
export type { DomainSpec, HypervisorOptions, PauseOptions, DestroyOptions, DestroyReport, DestroyHook, ShutdownReport, HypervisorEvents } from './hypervisor-options.ts';

/** A guest module that cannot load is a configuration error now, not a crash of every vCPU at start(). */
function checkGuestModule(d: DomainSpec): void {
  if (typeof d.guest !== 'string' || d.guest === '') {
    throw new ConfigError(`domain ${d.id}: guest must be the path or file: URL of a guest module, not ${String(d.guest)}`);
  }
  const problem = moduleProblem(d.guest);
  if (problem) throw new ConfigError(`domain ${d.id}: guest module ${problem}`);
}

/** Xen's per-vCPU timer VIRQ. */
export const VIRQ_TIMER = 0;
/** Xen's global VIRQ_DOM_EXC: raised to the control domain when a domain is destroyed (domain_kill). */
export const VIRQ_DOM_EXC = 3;

/** The hypervisor: one shared memory, its domains and vCPU threads. Create with `Hypervisor.create`, end with `shutdown()` (or `await using`). */
export class Hypervisor extends EventEmitter<HypervisorEvents> {
  private readonly domains = new Map<number, Domain>();
  private readonly pool: VcpuPool;
  private timers: ReturnType<typeof setInterval>[] = [];
  private started = false;
  private stopping: Promise<ShutdownReport> | undefined;
  private readonly crashed: VcpuCrashError[] = [];
  private settleClosed!: (e?: VcpuCrashError) => void;
  /**
   * Settles once: resolves when shutdown() has completed; rejects with a
   * VcpuCrashError as soon as any vCPU thread crashes (a guest module that
   * throws or exits), so a service awaiting it never hangs on a dead guest.
   */
  readonly closed: Promise<void>;
  private readonly hosts = new Map<string, ConsumerHost>();
  private bindings: ConsumerBinding[] = [];
  private registry!: ConsumerRegistry;
  private consoleBytes = 0;
  private readonly specs = new Map<number, DomainSpec>();
  private readonly paused = new Set<number>();
  private readonly dying = new Set<number>();
  private readonly destroyed = new Set<number>();
  private readonly destroyHooks = new Map<number, Set<DestroyHook>>();
  /** domains restored from an image: their guest module's vCPUs resume instead of booting */
  private readonly restored = new Set<number>();

  private constructor(readonly machine: Machine, private readonly opts: HypervisorOptions) {
    super();
    this.closed = new Promise<void>((resolve, reject) => {
      let done = false;
      this.settleClosed = (e) => {
        if (done) return;
        done = true;
        if (e) reject(e); else resolve();
      };
    });
    this.closed.catch(() => { /* delivered to whoever awaits it; never an unhandled rejection */ });
    this.pool = new VcpuPool(machine.dp, (e) => this.vcpuCrashed(e));
  }

  /** Where domains report the failures they survive. */
  private readonly errorSink = (e: WasmxenError): void => {
    if (e instanceof VcpuCrashError) this.vcpuCrashed(e); else this.reportError(e as HandlerError);
  };

  private vcpuCrashed(e: VcpuCrashError): void {
    this.crashed.push(e);
    this.settleClosed(e);
    this.reportError(e);
  }

  /** Deliver a survived failure to the embedder: onError, 'error' listeners, else a process warning. */
  private reportError(e: HandlerError | VcpuCrashError): void {
    let delivered = false;
    if (this.opts.onError) {
      delivered = true;
      try { this.opts.onError(e); } catch (thrown) { warn(`onError threw: ${String(thrown)}`); }
    }
    if (this.listenerCount('error') > 0) {
      delivered = true;
      try { this.emit('error', e); } catch (thrown) { warn(`an 'error' listener threw: ${String(thrown)}`); }
    }
    if (!delivered) warn(e);
  }

  private open(op: string): void {
    if (this.stopping) throw new HypervisorClosedError(op);
  }

  /** True once shutdown() has begun. */
  get isShutDown(): boolean {
    return this.stopping !== undefined;
  }

  /** Register the consumers in the 7-slot table and load them on this thread. */
  private async setupConsumers(specs: readonly ConsumerSpec[]): Promise<void> {
    const x = this.machine.dp.x;
    for (const spec of specs) {
      const module = builtinConsumer(spec.module);
      const mod = (await import(moduleUrl(module))) as { default?: XenConsumer; consumer?: XenConsumer };
      const c = mod.default ?? mod.consumer;
      if (!c || typeof c.notify !== 'function') throw new ConfigError(noConsumer(module));
      const slot = x.xenConsumerRegister(consumerId(spec.name), spec.drain === false ? 0 : 1);
      if (slot < 0) {
        throw new ConfigError(`consumer '${spec.name}': all 7 Xen consumer slots are taken (Xen would BUG() here): use fewer distinct consumers`);
      }
      const state = new SharedArrayBuffer(Math.max(512, c.stateBytes));
      this.bindings.push({ name: spec.name, module, slot, state });
      const Host = spec.name === 'monitor' ? MonitorHost : spec.name === 'console' ? ConsoleHost : ConsumerHost;
      this.hosts.set(spec.name, new Host(this.machine.dp, spec.name, slot, state));
    }
    this.registry = await ConsumerRegistry.load(this.machine.dp, this.bindings);
  }

  /** The shell's handle on a registered consumer (open/close its Xen-owned channels). */
  consumer(name: string): ConsumerHost {
    this.open('consumer');
    const h = this.hosts.get(name);
    if (!h) throw new ConfigError(`no consumer '${name}' registered: pass it in HypervisorOptions.consumers (have: ${[...this.hosts.keys()].join(', ') || 'none'})`);
    return h;
  }

  get monitor(): MonitorHost { return this.consumer('monitor') as MonitorHost; }
  get console(): ConsoleHost { return this.consumer('console') as ConsoleHost; }

  /** Bytes the console consumer has delivered to consoleStream so far. */
  get consoleBytesWritten(): number { return this.consoleBytes; }

  private drainConsole(): void {
    const h = this.hosts.get('console');
    if (h instanceof ConsoleHost && this.opts.consoleStream) this.consoleBytes += h.drainTo(this.opts.consoleStream);
  }

  /** Lay out the shared memory, load the consumers and boot every domain's event channels. */
  static async create(opts: HypervisorOptions): Promise<Hypervisor> {
    if (!opts.domains?.length) throw new ConfigError('a hypervisor needs at least one domain');
    if (opts.onError !== undefined && typeof opts.onError !== 'function') throw new ConfigError('onError must be a function');
    const plans = opts.domains.map((d) => {
      if (d.guest !== undefined) checkGuestModule(d);
      const maxPort = d.maxEvtchnPort ?? 1023;
      const layout = guestLayout(d.vcpus, maxPort);
      const ram = d.ramKiB ?? 256;
      if (!Number.isInteger(ram) || ram < 0) throw new ConfigError(`domain ${d.id}: ramKiB must be a whole number of KiB, not ${ram}`);
      return { spec: d, layout, frames: layout.freeGfn + Math.ceil((ram * 1024) / PAGE_SIZE) };
    });
    const spare = opts.spareKiB ?? 0;
    if (!Number.isInteger(spare) || spare < 0) throw new ConfigError(`spareKiB must be a whole number of KiB, not ${spare}`);
    const machine = createMachine(plans.map(({ spec, frames }) => ({
      domid: spec.id, vcpus: spec.vcpus, frames, maxEvtchnPort: spec.maxEvtchnPort ?? 1023, control: spec.control,
      maxPages: spec.maxPages, guestWidth: spec.guestWidth,
    })), opts.build ?? 'release', { preemptEvery: opts.preemptEvery, spareBytes: spare * 1024 });
    const hv = new Hypervisor(machine, opts);
    await hv.setupConsumers(opts.consumers ?? []);
    for (const { spec, layout } of plans) {
      const abi = spec.abi ?? opts.abi ?? 'fifo';
      if (abi !== 'fifo' && abi !== '2l') throw new ConfigError(`domain ${spec.id}: abi must be 'fifo' or '2l', not '${abi}'`);
      bootGuest(machine.dp, spec.id, spec.vcpus, layout, abi);
      hv.domains.set(spec.id, new Domain(machine.dp, machine.domain(spec.id), layout, spec.guest, hv.registry, hv.errorSink));
      hv.specs.set(spec.id, spec);
    }
    return hv;
  }

  /** The handle of domain `id`; throws NoSuchDomainError for a domain this hypervisor does not have. */
  domain(id: number): Domain {
    this.open('domain');
    const d = this.domains.get(id);
    if (!d) {
      if (this.destroyed.has(id)) throw new DomainStateError(id, 'destroyed', `domain ${id} has been destroyed (create it again with createDomain)`);
      throw new NoSuchDomainError(id, [...this.domains.keys()]);
    }
    return d;
  }

  /** Domains that exist now. */
  get domainIds(): number[] { return [...this.domains.keys()]; }

  /**
   * Create a domain at run time, in space freed by a destroyed domain or in
   * the spare memory (spareKiB); the id of a destroyed domain may be used
   * again. Boots its event channels; its vCPU threads start now if the
   * hypervisor is started.
   */
  async createDomain(spec: DomainSpec): Promise<Domain> {
    this.open('createDomain');
    if (spec.guest !== undefined) checkGuestModule(spec);
    if (this.domains.has(spec.id) || this.dying.has(spec.id)) {
      throw new DomainStateError(spec.id, 'in-use', `domain id ${spec.id} is in use: destroy that domain first or choose another id`);
    }
    const maxPort = spec.maxEvtchnPort ?? 1023;
    const layout = guestLayout(spec.vcpus, maxPort);
    const ram = spec.ramKiB ?? 256;
    if (!Number.isInteger(ram) || ram < 0) throw new ConfigError(`domain ${spec.id}: ramKiB must be a whole number of KiB, not ${ram}`);
    const abi = spec.abi ?? this.opts.abi ?? 'fifo';
    if (abi !== 'fifo' && abi !== '2l') throw new ConfigError(`domain ${spec.id}: abi must be 'fifo' or '2l', not '${abi}'`);
    const region = this.machine.createDomain({
      domid: spec.id, vcpus: spec.vcpus, frames: layout.freeGfn + Math.ceil((ram * 1024) / PAGE_SIZE), maxEvtchnPort: maxPort,
      control: spec.control, maxPages: spec.maxPages, guestWidth: spec.guestWidth,
    });
    bootGuest(this.machine.dp, spec.id, spec.vcpus, layout, abi);
    const d = new Domain(this.machine.dp, region, layout, spec.guest, this.registry, this.errorSink);
    this.domains.set(spec.id, d);
    this.specs.set(spec.id, spec);
    this.restored.delete(spec.id);
    this.destroyed.delete(spec.id);
    if (this.started) this.spawnVcpus(spec);
    return d;
  }

  private live(id: number, op: string): Domain {
    const d = this.domain(id);
    if (this.dying.has(id)) throw new DomainStateError(id, 'dying', `${op}: domain ${id} is being destroyed`);
    return d;
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
    if (this.paused.has(id)) return;
    this.paused.add(id);
    try {
      await pauseAndWait(this.machine.dp, id, d.vcpus, opts.timeoutMs ?? 2000, () => d.parkIdle(), () => d.unparkIdle());
    } catch (e) {
      this.paused.delete(id);
      throw e;
    }
  }

  /** Let a paused domain's vCPUs run again. */
  unpauseDomain(id: number): void {
    const d = this.live(id, 'unpauseDomain');
    if (!this.paused.delete(id)) return;
    d.unparkIdle();
    this.machine.dp.x.domainUnpause(id);
  }

  isPaused(id: number): boolean { return this.paused.has(id); }

  // ------------------------------------------------ save / restore (src/migrate/, I45, I46)
  /**
   * Save domain `id`: pause it (every vCPU parked at a boundary), write its
   * image chunk by chunk to `sink` — no chunk is kept, so a large domain
   * streams — and resume it unless `keepPaused`. The channel table is not in
   * the image (the target binds afresh, spec §7.7).
   */
  async saveTo(id: number, sink: (chunk: Uint8Array) => void, opts: HvSaveOptions = {}): Promise<SaveFigures> {
    const d = this.live(id, 'save');
    const wasPaused = this.paused.has(id);
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
   */
  async restoreDomain(image: Uint8Array | AsyncIterable<Uint8Array>, opts: HvRestoreOptions): Promise<Domain> {
    this.open('restoreDomain');
    checkRestoreId(opts.id);
    if (opts.guest !== undefined) checkGuestModule({ id: opts.id, vcpus: 1, guest: opts.guest });
    if (this.domains.has(opts.id) || this.dying.has(opts.id)) {
      throw new DomainStateError(opts.id, 'in-use', `domain id ${opts.id} is in use: destroy that domain first or restore as another id`);
    }
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
    const d = new Domain(this.machine.dp, region, guestLayout(spec.vcpus, img.config.maxEvtchnPort), spec.guest, this.registry, this.errorSink);
    this.restored.add(spec.id);
    this.domains.set(spec.id, d);
    this.specs.set(spec.id, spec);
    this.destroyed.delete(spec.id);
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
    const need = domainBytes(sizeDomain(restoreConfig(img, opts.restore.id)));
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
    let set = this.destroyHooks.get(id);
    if (!set) { set = new Set(); this.destroyHooks.set(id, set); }
    set.add(hook);
    return () => { set.delete(hook); };
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
    this.dying.add(id);
    try {
      await this.pause(d, id, opts);
    } catch (e) {
      this.dying.delete(id);
      throw e;
    }
    const x = this.machine.dp.x;
    const killed = x.domainKill(id);
    if (killed !== 0) throw new InternalError(`destroyDomain: domain_kill(${id}) of a paused live domain returned ${killed}`);
    // parked vCPUs wake on the dying flag and leave without running guest code again
    const vcpus = d.guestModule ? await this.pool.stopDomain(id) : [];
    await d.stop();
    d.markDestroyed();
    for (const hook of this.destroyHooks.get(id) ?? []) await hook();
    this.destroyHooks.delete(id);
    const steps = await destroyEvtchns(this.machine.dp, id, batch);
    for (const h of this.hosts.values()) h.domainDestroyed(id); // its Xen-owned channels are closed and drained
    this.raiseVirq(id, 0, VIRQ_DOM_EXC); // Xen's domain_kill: send_global_virq(VIRQ_DOM_EXC), to the control domain
    const releaseRetries = await releaseWhenUnreferenced(this.machine.dp, id);
    this.machine.releaseDomain(id);
    this.domains.delete(id);
    this.specs.delete(id);
    this.paused.delete(id);
    this.dying.delete(id);
    this.destroyed.add(id);
    return { domain: id, steps, vcpus, releaseRetries };
  }

  private spawnVcpus(spec: DomainSpec): void {
    if (!spec.guest) return;
    const r = this.machine.domain(spec.id);
    for (let v = 0; v < spec.vcpus; v++) {
      this.pool.spawn({
        module: this.machine.module, memory: this.machine.memory, dom: spec.id, vcpu: v, vcpus: spec.vcpus,
        maxPort: r.maxEvtchnPort, guest: spec.guest, config: spec.config, shared: this.opts.shared,
        consumers: this.bindings, resume: this.restored.has(spec.id),
      });
    }
  }

  /** vCPU worker threads running now (all domains). */
  get vcpuThreads(): number { return this.pool.size; }

  /**
   * Start the vCPU threads of every domain that runs a guest module (once;
   * later calls do nothing). A vCPU whose module fails to load, whose main()
   * throws or whose thread exits is reported at once (see `closed`).
   */
  start(): void {
    this.open('start');
    if (this.started) return;
    this.started = true;
    for (const spec of this.specs.values()) this.spawnVcpus(spec);
    if (this.hosts.has('console') && this.opts.consoleStream) this.timers.push(setInterval(() => this.drainConsole(), 20));
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
      for (const [id, spec] of this.specs) {
        if (this.dying.has(id)) continue;
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
      await Promise.all([...this.domains.values()].map((d) => d.stop()));
      this.drainConsole();
      return { vcpus, crashed: [...this.crashed] };
    } finally {
      this.settleClosed();
    }
  }

  /** `await using hv = await Hypervisor.create(…)`: shuts down at the end of the scope. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown();
  }
}
