// The host-side handle of a domain. A domain without a guest module is a
// "service domain": its vCPUs are served on the caller's thread (a Node
// service's main thread) with Atomics.waitAsync, so its handlers run on the
// event loop without blocking it; the event path is still the wasm one.
import type { DataPlane } from './wasm/data-plane.ts';
import type { DomainRegion } from './wasm/memory-map.ts';
import { Guest } from './guest/guest.ts';
import type { Binding, Handler } from './guest/driver.ts';
import type { GuestLayout } from './guest/layout.ts';
import type { PortStatus } from './guest/hypercalls.ts';
import type { ConsumerRegistry } from './consumers/registry.ts';
import { DomainMemory } from './mm/domain-memory.ts';
import type { Reconnect, ResumeResult } from './guest/resume.ts';
import { ParkGate, DomainDyingExit } from './lifecycle/park.ts';
import { DomainStateError } from './errors.ts';

export class Domain {
  /** one Guest per vCPU, for service domains; empty when a guest module runs the domain */
  private readonly local: Guest[] = [];
  private serving = false;
  private stopped = false;
  private loops: Promise<void>[] = [];
  private handlerSerial = 0;
  /** per local vCPU: its pause gate (I26), and whether a serving loop runs it */
  private readonly gates: ParkGate[] = [];
  private readonly loopRuns: boolean[] = [];
  private gone = false;

  constructor(readonly dp: DataPlane, readonly region: DomainRegion, readonly layout: GuestLayout,
    readonly guestModule: string | undefined, consumers?: ConsumerRegistry) {
    if (!guestModule) {
      for (let v = 0; v < region.vcpus; v++) {
        const gate = new ParkGate(dp, region.domid, v, () => this.stopped);
        this.gates.push(gate);
        this.loopRuns.push(false);
        this.local.push(new Guest(dp, {
          dom: region.domid, vcpu: v, vcpus: region.vcpus, maxPort: region.maxEvtchnPort, config: undefined,
          stopping: () => this.stopped, consumers,
          // the caller's thread can not park: a hypercall is refused once this vCPU has parked (or the domain is gone)
          boundary: () => this.boundary(v),
        }, layout, () => ({})));
      }
    }
  }

  /** The toolstack's view of this domain's memory: reservation counters, max_pages, log-dirty and the dirty bitmap. */
  get memory(): DomainMemory { return new DomainMemory(this.dp, this.region.domid, this.region.frames); }
  private boundary(vcpu: number): void {
    if (this.gone) throw new DomainStateError(this.id, 'destroyed', `domain ${this.id} has been destroyed: its handle makes no more hypercalls`);
    this.gates[vcpu].refuse('a hypercall');
  }

  get id(): number { return this.region.domid; }
  get vcpus(): number { return this.region.vcpus; }

  /** The guest API of vCPU `vcpu` of this service domain (its hypercalls, driver, rings). */
  guest(vcpu = 0): Guest {
    if (this.gone) throw new DomainStateError(this.id, 'destroyed', `domain ${this.id} has been destroyed: create a new domain to use its id again`);
    const g = this.local[vcpu];
    if (!g) {
      throw new Error(this.local.length === 0
        ? `domain ${this.id} runs guest module ${this.guestModule}; only its guest can make hypercalls`
        : `domain ${this.id} has no vCPU ${vcpu}`);
    }
    return g;
  }

  // ---------------------------------------------- hypercalls (as vCPU 0)
  allocUnbound(remoteDom: number): number { return this.guest().hc.allocUnbound(remoteDom); }
  bindInterdomain(remoteDom: number, remotePort: number): number { return this.guest().hc.bindInterdomain(remoteDom, remotePort); }
  bindIpi(vcpu: number): number { return this.guest().hc.bindIpi(vcpu); }
  bindVirq(virq: number, vcpu = 0): number { return this.guest().hc.bindVirq(virq, vcpu); }
  send(port: number): void { this.guest().send(port); }
  status(port: number): PortStatus { return this.guest().hc.status(port); }
  bindVcpu(port: number, vcpu: number): void { this.guest().hc.bindVcpu(port, vcpu); }
  setPriority(port: number, priority: number): void { this.guest().hc.setPriority(port, priority); }

  /**
   * Call `handler` for every event on `port` (any vCPU), and unmask the port.
   * Starts serving this domain's vCPUs on the current thread if not yet.
   */
  on(port: number, handler: Handler): Binding {
    const name = `h${++this.handlerSerial}`;
    for (const g of this.local) g.driver.addHandler(name, handler);
    const b = this.guest().listen(port, name);
    this.serve();
    return b;
  }

  /**
   * Register the next handler name without binding a port (the name `on`
   * would give it): a restored service domain registers its handlers in the
   * order the saved one did, so the bindings in its memory find them again.
   */
  handler(handler: Handler): string {
    const name = `h${++this.handlerSerial}`;
    for (const g of this.local) g.driver.addHandler(name, handler);
    return name;
  }

  /**
   * This service domain was restored here: rebind its channels (Guest.resume,
   * spec §8) from vCPU 0 and serve its vCPUs. `reconnect` re-creates each
   * interdomain channel with a backend of this host.
   */
  resume(reconnect?: Reconnect): ResumeResult {
    const r = this.guest(0).resume(reconnect);
    this.serve();
    return r;
  }

  /** Stop calling the handler (waits for a running one) and close the port. */
  close(b: Binding): void {
    this.guest().close(b);
  }

  /** Spurious events seen by this service domain (unbound ports). */
  spurious(): number {
    return this.local[0]?.driver.spurious() ?? 0;
  }

  private serve(): void {
    if (this.serving || this.stopped) return;
    this.serving = true;
    this.loops = this.local.map(async (g, v) => {
      this.loopRuns[v] = true;
      try {
        while (!this.stopped) {
          await this.gates[v].checkAsync(); // the upcall boundary: park while paused (I26)
          // after handling events, let timers and I/O run: two service domains
          // answering each other on this thread would otherwise chain microtasks forever
          if (await g.kernel.blockAndRunAsync(1000) > 0) await new Promise<void>((resolve) => setImmediate(resolve));
        }
      } catch (e) {
        if (!(e instanceof DomainDyingExit)) throw e; // the domain is being destroyed: serve no more
      } finally {
        this.loopRuns[v] = false;
      }
    });
  }

  /**
   * A pause was requested: vCPUs without a serving loop run nothing, so they
   * park at once; the serving ones park at their next upcall boundary (I26).
   */
  parkIdle(): void {
    for (let v = 0; v < this.local.length; v++) if (!this.loopRuns[v]) this.dp.x.vcpuParkEnter(this.id, v);
  }

  /** The pause was withdrawn: the vCPUs parked by parkIdle run again. */
  unparkIdle(): void {
    for (let v = 0; v < this.local.length; v++) if (!this.loopRuns[v]) this.dp.x.vcpuParkLeave(this.id, v);
  }

  /** The domain was destroyed: every later call on this handle throws DomainStateError. */
  markDestroyed(): void {
    this.gone = true;
    this.stopped = true;
  }

  get destroyed(): boolean { return this.gone; }

  /** Stop serving; resolves when the loops have ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const g of this.local) this.dp.x.kickVcpu(this.id, g.vcpu);
    await Promise.all(this.loops);
  }
}
