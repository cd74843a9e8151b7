// The consumers one Hypervisor registered (HypervisorOptions.consumers): each
// takes a slot of Xen's 7-slot consumer table, has a host handle on the main
// thread (ConsumerHost, MonitorHost, ConsoleHost) and is loaded on every
// thread that may run its notify() (the registry here; vCPU threads load it
// from `bindings`). The console's bytes are drained into consoleStream.
import type { DataPlane } from '../wasm/data-plane.ts';
import { ConfigError, noConsumer } from '../errors.ts';
import { builtinConsumer, moduleUrl } from '../platform/host.ts';
import { consumerId, type ConsumerSpec, type ConsumerBinding, type XenConsumer } from './types.ts';
import { ConsumerRegistry } from './registry.ts';
import { ConsumerHost, MonitorHost, ConsoleHost, type ByteSink } from './host.ts';

export class RegisteredConsumers {
  private readonly hosts = new Map<string, ConsumerHost>();
  /** what a vCPU thread needs to load them (slot, module, state) */
  readonly bindings: ConsumerBinding[] = [];
  private consoleBytes = 0;

  private constructor(private readonly consoleStream: ByteSink | undefined, readonly registry: ConsumerRegistry) {}

  /** Register `specs` in the slot table and load them on this thread. */
  static async register(dp: DataPlane, specs: readonly ConsumerSpec[], consoleStream?: ByteSink): Promise<RegisteredConsumers> {
    const hosts: [string, ConsumerHost][] = [];
    const bindings: ConsumerBinding[] = [];
    for (const spec of specs) {
      const module = builtinConsumer(spec.module);
      const mod = (await import(moduleUrl(module))) as { default?: XenConsumer; consumer?: XenConsumer };
      const c = mod.default ?? mod.consumer;
      if (!c || typeof c.notify !== 'function') throw new ConfigError(noConsumer(module));
      const slot = dp.x.xenConsumerRegister(consumerId(spec.name), spec.drain === false ? 0 : 1);
      if (slot < 0) {
        throw new ConfigError(`consumer '${spec.name}': all 7 Xen consumer slots are taken (Xen would BUG() here): use fewer distinct consumers`);
      }
      const state = new SharedArrayBuffer(Math.max(512, c.stateBytes));
      bindings.push({ name: spec.name, module, slot, state });
      const Host = spec.name === 'monitor' ? MonitorHost : spec.name === 'console' ? ConsoleHost : ConsumerHost;
      hosts.push([spec.name, new Host(dp, spec.name, slot, state)]);
    }
    const r = new RegisteredConsumers(consoleStream, await ConsumerRegistry.load(dp, bindings));
    r.bindings.push(...bindings);
    for (const [name, h] of hosts) r.hosts.set(name, h);
    return r;
  }

  /** The host handle of consumer `name`; ConfigError if it was not registered. */
  host(name: string): ConsumerHost {
    const h = this.hosts.get(name);
    if (!h) throw new ConfigError(`no consumer '${name}' registered: pass it in HypervisorOptions.consumers (have: ${[...this.hosts.keys()].join(', ') || 'none'})`);
    return h;
  }

  /** True when the console is registered and has a stream to drain into. */
  get drainsConsole(): boolean {
    return this.hosts.has('console') && this.consoleStream !== undefined;
  }

  /** Bytes the console consumer has delivered to consoleStream so far. */
  get consoleBytesWritten(): number { return this.consoleBytes; }

  drainConsole(): void {
    const h = this.hosts.get('console');
    if (h instanceof ConsoleHost && this.consoleStream) this.consoleBytes += h.drainTo(this.consoleStream);
  }

  /** Domain `id` is gone: every consumer forgets its Xen-owned channels to it (closed and drained by evtchn_destroy). */
  domainDestroyed(id: number): void {
    for (const h of this.hosts.values()) h.domainDestroyed(id);
  }
}
