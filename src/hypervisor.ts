// The hypervisor shell: lays out the shared memory, creates domains, boots
// their FIFO event channels from the guest side (as Linux's boot CPU does),
// runs vCPU worker threads for domains with a guest module, raises VIRQs,
// and shuts everything down cleanly.
import { createMachine, type Machine } from './wasm/data-plane.ts';
import type { WasmBuild } from './wasm/exports.ts';
import { guestLayout } from './guest/layout.ts';
import { bootGuest, type GuestAbi } from './guest/kernel.ts';
import { Domain } from './domain.ts';
import { VcpuPool } from './vcpu/pool.ts';
import type { VcpuReport } from './vcpu/protocol.ts';
import { ConfigError } from './errors.ts';
import { PAGE_SIZE } from '../assembly/shared/layout.ts';
import type { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { consumerModulePath } from './paths.ts';
import { consumerId, type ConsumerSpec, type ConsumerBinding, type XenConsumer } from './consumers/types.ts';
import { ConsumerRegistry } from './consumers/registry.ts';
import { ConsumerHost, MonitorHost, ConsoleHost } from './consumers/host.ts';

export interface DomainSpec {
  id: number;
  vcpus: number;
  /** highest port (Xen's max_evtchn_port); default 1023 */
  maxEvtchnPort?: number;
  /** guest RAM beyond what the kernel uses, in KiB; default 256 */
  ramKiB?: number;
  /** path of a guest module run on every vCPU thread; none: a service domain served on this thread */
  guest?: string;
  /** handed to the guest module as g.config (the toolstack's xenstore entries) */
  config?: unknown;
  /** the control domain (default: id 0) */
  control?: boolean;
  /** the event-channel ABI the guest boots into (default: the hypervisor's) */
  abi?: GuestAbi;
  /** reservation limit in pages (Xen's max_pages); default: every frame the domain has, all populated */
  maxPages?: number;
  /** 64 (default) or 32: a 32-bit domain's preemptible hypercalls continue after every item */
  guestWidth?: 64 | 32;
}

export interface HypervisorOptions {
  domains: DomainSpec[];
  /** which wasm build runs the data plane; default release */
  build?: WasmBuild;
  /** a buffer every guest sees as g.shared */
  shared?: SharedArrayBuffer;
  /**
   * The ABI guests use: every domain starts in 2-level (as in Xen); with
   * 'fifo' (the default) the guest kernel moves to FIFO with init_control at boot.
   */
  abi?: GuestAbi;
  /** Xen-internal consumers ('monitor', 'console' or module paths), at most 7 distinct (Xen's limit) */
  consumers?: ConsumerSpec[];
  /** where the console consumer's bytes go (default: nowhere, they are counted) */
  consoleStream?: Writable;
  /**
   * Items a 64-bit caller's preemptible hypercall (memory_op reservations,
   * HVMOP/DMOP modified-memory, EVTCHNOP_reset) does before it creates a
   * continuation; default 64. A 32-bit domain's calls continue after every item.
   */
  preemptEvery?: number;
}

export interface ShutdownReport {
  vcpus: VcpuReport[];
}

export const VIRQ_TIMER = 0;

export class Hypervisor {
  private readonly domains = new Map<number, Domain>();
  private readonly pool: VcpuPool;
  private timers: NodeJS.Timeout[] = [];
  private started = false;
  private down = false;
  private readonly hosts = new Map<string, ConsumerHost>();
  private bindings: ConsumerBinding[] = [];
  private registry!: ConsumerRegistry;
  private consoleBytes = 0;

  private constructor(readonly machine: Machine, private readonly opts: HypervisorOptions) {
    this.pool = new VcpuPool(machine.dp);
  }

  /** Register the consumers in the 7-slot table and load them on this thread. */
  private async setupConsumers(specs: readonly ConsumerSpec[]): Promise<void> {
    const x = this.machine.dp.x;
    for (const spec of specs) {
      const module = consumerModulePath(spec.module);
      const mod = (await import(pathToFileURL(module).href)) as { default?: XenConsumer; consumer?: XenConsumer };
      const c = mod.default ?? mod.consumer;
      if (!c) throw new ConfigError(`consumer module ${module} exports no consumer`);
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
    const h = this.hosts.get(name);
    if (!h) throw new RangeError(`no consumer '${name}' registered (have: ${[...this.hosts.keys()].join(', ') || 'none'})`);
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

  static async create(opts: HypervisorOptions): Promise<Hypervisor> {
    if (!opts.domains?.length) throw new ConfigError('a hypervisor needs at least one domain');
    const plans = opts.domains.map((d) => {
      const maxPort = d.maxEvtchnPort ?? 1023;
      const layout = guestLayout(d.vcpus, maxPort);
      const ram = d.ramKiB ?? 256;
      if (!Number.isInteger(ram) || ram < 0) throw new ConfigError(`domain ${d.id}: ramKiB must be a whole number of KiB, not ${ram}`);
      return { spec: d, layout, frames: layout.freeGfn + Math.ceil((ram * 1024) / PAGE_SIZE) };
    });
    const machine = createMachine(plans.map(({ spec, frames }) => ({
      domid: spec.id, vcpus: spec.vcpus, frames, maxEvtchnPort: spec.maxEvtchnPort ?? 1023, control: spec.control,
      maxPages: spec.maxPages, guestWidth: spec.guestWidth,
    })), opts.build ?? 'release', { preemptEvery: opts.preemptEvery });
    const hv = new Hypervisor(machine, opts);
    await hv.setupConsumers(opts.consumers ?? []);
    for (const { spec, layout } of plans) {
      const abi = spec.abi ?? opts.abi ?? 'fifo';
      if (abi !== 'fifo' && abi !== '2l') throw new ConfigError(`domain ${spec.id}: abi must be 'fifo' or '2l', not '${abi}'`);
      bootGuest(machine.dp, spec.id, spec.vcpus, layout, abi);
      hv.domains.set(spec.id, new Domain(machine.dp, machine.domain(spec.id), layout, spec.guest, hv.registry));
    }
    return hv;
  }

  domain(id: number): Domain {
    const d = this.domains.get(id);
    if (!d) throw new RangeError(`no domain ${id} (domains: ${[...this.domains.keys()].join(', ')})`);
    return d;
  }

  /** Start the vCPU threads of every domain that runs a guest module. */
  start(): void {
    if (this.started) return;
    this.started = true;
    for (const spec of this.opts.domains) {
      if (!spec.guest) continue;
      const r = this.machine.domain(spec.id);
      for (let v = 0; v < spec.vcpus; v++) {
        this.pool.spawn({
          module: this.machine.module, memory: this.machine.memory, dom: spec.id, vcpu: v, vcpus: spec.vcpus,
          maxPort: r.maxEvtchnPort, guest: spec.guest, config: spec.config, shared: this.opts.shared,
          consumers: this.bindings,
        });
      }
    }
    if (this.hosts.has('console') && this.opts.consoleStream) this.timers.push(setInterval(() => this.drainConsole(), 20));
  }

  /** Raise a VIRQ as Xen does (per-vCPU ones on `vcpu`); returns false if it was dropped. */
  raiseVirq(dom: number, vcpu: number, virq: number): boolean {
    return this.machine.dp.x.raiseVirq(dom, vcpu, virq) === 1;
  }

  /** Raise VIRQ_TIMER on every vCPU of every domain `hz` times a second (a periodic timer). */
  startTimer(hz: number): void {
    if (!(hz > 0 && hz <= 1000)) throw new ConfigError(`timer rate ${hz} Hz is out of range: use 1..1000`);
    const t = setInterval(() => {
      for (const spec of this.opts.domains) for (let v = 0; v < spec.vcpus; v++) this.raiseVirq(spec.id, v, VIRQ_TIMER);
    }, 1000 / hz);
    this.timers.push(t);
  }

  /** Stop timers, vCPU threads and service domains; returns every vCPU's report. */
  async shutdown(): Promise<ShutdownReport> {
    if (this.down) return { vcpus: [] };
    this.down = true;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    const vcpus = await this.pool.stopAll();
    await Promise.all([...this.domains.values()].map((d) => d.stop()));
    this.drainConsole();
    return { vcpus };
  }
}
