// The guest driver's port → handler table (what Linux's events_base.c and
// FreeBSD's xen_intr.c keep), in the guest's own memory so that every vCPU
// thread of the domain sees one table.
//
// - Port 0 is reserved and never a binding; INVALID_PORT (~0) is the one
//   invalid-port marker and never an index. Every port is bounds-checked
//   against the domain's port limit before any table access.
// - table[port] = serial << 8 | handler + 1, 0 = unbound. A binding is
//   released only if the entry is still its own (a closed port may already
//   be reused by a newer binding).
// - active[port] counts dispatches in flight (bit 31: an unbinder waits).
//   Dispatch bumps it before reading the entry; unbind clears the entry, then
//   waits for the count to drain, so no handler starts after unbind returns
//   (I18) — except the caller's own dispatch when a handler unbinds its port.
// - Index 0 of both arrays (port 0's slots) holds the binding serial counter
//   and the spurious-event counter.
// - info[port] says what the bound port is (src/guest/resume.ts), so a
//   resumed guest can bind it again; written after the entry, cleared by the
//   unbind that released the entry.
import type { DataPlane } from '../wasm/data-plane.ts';
import type { GuestLayout } from './layout.ts';
import { WasmxenError } from '../errors.ts';

/** The one invalid-port marker (~0): never a port, never an index. */
export const INVALID_PORT = 0xffffffff;
const WAITING = 0x80000000 | 0;
const COUNT = 0x7fffffff;

/** An event handler: called with the port whose event arrived. */
export type Handler = (port: number) => void;

/** A port bound to a handler; `close` releases it. */
export interface Binding {
  readonly port: number;
  readonly token: number;
  readonly handler: string;
}

/** The guest driver's port → handler table refused a binding. */
export class DriverError extends WasmxenError {
  override name = 'DriverError';
  override readonly code = 'WASMXEN_DRIVER';
}

export class GuestDriver {
  private readonly table: Int32Array;
  private readonly active: Int32Array;
  private readonly info: Int32Array;
  private readonly names: string[];
  private readonly fns: Handler[];
  /** port being dispatched on this thread (0 = none) */
  private dispatching = 0;

  constructor(dp: DataPlane, readonly dom: number, layout: GuestLayout, readonly maxPort: number,
    handlers: Record<string, Handler>) {
    const n = maxPort + 1;
    this.table = new Int32Array(dp.memory.buffer, dp.x.addrGfn(dom, layout.tableGfn) >>> 0, n);
    this.active = new Int32Array(dp.memory.buffer, dp.x.addrGfn(dom, layout.activeGfn) >>> 0, n);
    this.info = new Int32Array(dp.memory.buffer, dp.x.addrGfn(dom, layout.infoGfn) >>> 0, n);
    // sorted: every vCPU thread running the same module derives the same indices
    this.names = Object.keys(handlers).sort();
    this.fns = this.names.map((k) => handlers[k]);
    if (this.names.length > 255) throw new DriverError('at most 255 handler names per guest module');
  }

  /**
   * Add a handler after construction. Only for a domain whose vCPUs all run
   * on one thread (a service domain on the main thread): other threads would
   * not know the new index.
   */
  addHandler(name: string, fn: Handler): void {
    if (this.names.includes(name)) throw new DriverError(`handler '${name}' exists already`);
    if (this.names.length >= 255) throw new DriverError('at most 255 handlers per domain');
    this.names.push(name);
    this.fns.push(fn);
  }

  private validPort(port: number): boolean {
    return Number.isInteger(port) && port > 0 && port !== INVALID_PORT && port <= this.maxPort;
  }

  /** Route events of `port` to the handler named `handler` (every vCPU of the domain). */
  bind(port: number, handler: string): Binding {
    if (!this.validPort(port)) throw new DriverError(`bind: port ${port} is not a usable port of domain ${this.dom} (1..${this.maxPort})`);
    const idx = this.names.indexOf(handler);
    if (idx < 0) throw new DriverError(`bind: no handler '${handler}' in this guest module (has: ${this.names.join(', ') || 'none'})`);
    const serial = (Atomics.add(this.table, 0, 1) + 1) & 0xffffff;
    const token = ((serial << 8) | (idx + 1)) | 0;
    if (Atomics.compareExchange(this.table, port, 0, token) !== 0) {
      throw new DriverError(`bind: port ${port} of domain ${this.dom} is already bound to '${this.handlerOf(port)}'`);
    }
    return { port, token, handler };
  }

  /**
   * Release `b` if the port is still bound to it, then wait until no vCPU is
   * still running its handler. Returns false if the entry belonged to another
   * binding already (nothing released).
   */
  unbind(b: Binding): boolean {
    if (!this.validPort(b.port)) return false;
    if (Atomics.compareExchange(this.table, b.port, b.token, 0) !== b.token) return false;
    Atomics.store(this.info, b.port, 0);
    const self = this.dispatching === b.port ? 1 : 0; // a handler unbinding its own port
    for (let spins = 0; (Atomics.load(this.active, b.port) & COUNT) > self; spins++) {
      if (spins < 1000) continue;
      const cur = Atomics.or(this.active, b.port, WAITING) | WAITING;
      if ((cur & COUNT) > self) Atomics.wait(this.active, b.port, cur, 10);
    }
    Atomics.and(this.active, b.port, COUNT);
    return true;
  }

  /** Record what bound `port` is (a binding-info word, src/guest/resume.ts). */
  describe(port: number, info: number): void {
    if (this.validPort(port)) Atomics.store(this.info, port, info | 0);
  }

  /** Every bound port: its entry (handler) and binding info. */
  bound(): { port: number; token: number; info: number }[] {
    const out: { port: number; token: number; info: number }[] = [];
    for (let p = 1; p <= this.maxPort; p++) {
      const token = Atomics.load(this.table, p);
      if (token !== 0) out.push({ port: p, token, info: Atomics.load(this.info, p) >>> 0 });
    }
    return out;
  }

  /**
   * After a move (src/guest/resume.ts): every port number in the table is
   * invalid — Linux zaps each IRQ's port, FreeBSD sets it to ~0 — so every
   * entry and its info are cleared. Only while no vCPU dispatches.
   */
  invalidateAll(): void {
    for (let p = 1; p <= this.maxPort; p++) { Atomics.store(this.table, p, 0); Atomics.store(this.info, p, 0); }
  }

  /** Put a binding (its entry, so its handler) at the port it was bound again to after a move. */
  adopt(port: number, token: number, info: number): void {
    if (!this.validPort(port)) throw new DriverError(`adopt: port ${port} is not a usable port of domain ${this.dom} (1..${this.maxPort})`);
    if (Atomics.compareExchange(this.table, port, 0, token) !== 0) {
      throw new DriverError(`adopt: port ${port} of domain ${this.dom} is already bound to '${this.handlerOf(port)}'`);
    }
    Atomics.store(this.info, port, info | 0);
  }

  /** The handler name an entry (token) routes to. */
  handlerName(token: number): string {
    return this.names[(token & 0xff) - 1] ?? '?';
  }

  handlerOf(port: number): string | undefined {
    if (!this.validPort(port)) return undefined;
    const v = Atomics.load(this.table, port);
    return v === 0 ? undefined : this.names[(v & 0xff) - 1];
  }

  /** Run the handler bound to `port`; an event on an unbound or invalid port is counted, not fatal. */
  dispatch(port: number): void {
    if (!this.validPort(port)) {
      Atomics.add(this.active, 0, 1);
      return;
    }
    Atomics.add(this.active, port, 1);
    const prev = this.dispatching;
    try {
      const v = Atomics.load(this.table, port);
      const fn = v === 0 ? undefined : this.fns[(v & 0xff) - 1];
      if (fn === undefined) {
        Atomics.add(this.active, 0, 1);
      } else {
        this.dispatching = port;
        fn(port);
      }
    } finally {
      this.dispatching = prev;
      const old = Atomics.sub(this.active, port, 1);
      if ((old & WAITING) !== 0 && (old & COUNT) <= 2) Atomics.notify(this.active, port);
    }
  }

  /** Events that arrived on unbound or invalid ports. */
  spurious(): number {
    return Atomics.load(this.active, 0);
  }
}
