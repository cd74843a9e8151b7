// What a service embedding the library can rely on when things go wrong
// (src/hypervisor.ts, src/domain.ts): a throwing handler never reaches the
// event loop and the domain keeps serving; a vCPU thread that crashes is
// reported at once and rejects hv.closed; after shutdown every operation
// throws HypervisorClosedError; bad domains, ports and vCPUs are typed errors.
import { describe, it, expect, afterEach } from 'vitest';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hypervisor } from '../../src/hypervisor.ts';
import {
  HandlerError, HypervisorClosedError, InvalidArgumentError, NoSuchDomainError, VcpuCrashError, WasmxenError, EvtchnError, ConfigError,
} from '../../src/errors.ts';

const pair = (extra: Partial<Parameters<typeof Hypervisor.create>[0]> = {}) =>
  Hypervisor.create({ domains: [{ id: 1, vcpus: 1 }, { id: 2, vcpus: 2 }], ...extra });

/** Interdomain channel 1 → 2; returns [frontend port, backend port]. */
function connect(hv: Hypervisor): [number, number] {
  const b = hv.domain(2).allocUnbound(1);
  return [hv.domain(1).bindInterdomain(2, b), b];
}

/** A promise and its resolver, resolved by the n-th call. */
function after<T>(n: number): { hit: (v: T) => void; done: Promise<T[]> } {
  const got: T[] = [];
  let resolve!: (v: T[]) => void;
  const done = new Promise<T[]>((r) => { resolve = r; });
  return { hit: (v) => { got.push(v); if (got.length === n) resolve(got); }, done };
}

let dir: string | undefined;
afterEach(() => { if (dir) rmSync(dir, { recursive: true, force: true }); dir = undefined; });

function guestModule(source: string): string {
  dir ??= mkdtempSync(join(tmpdir(), 'wasmxen-guest-'));
  const file = join(dir, `g${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(file, source);
  return file;
}

describe('a service-domain handler that throws', () => {
  it('reaches onError with domain, vCPU, port and the original error, and the domain keeps serving', async () => {
    const errors = after<HandlerError>(2);
    const hv = await pair({ onError: (e) => errors.hit(e as HandlerError) });
    const [fp, bp] = connect(hv);
    const boom = new Error('handler bug');
    const calls = after<number>(3);
    let n = 0;
    hv.domain(2).on(bp, (port) => {
      calls.hit(port);
      if (++n <= 2) throw boom;
    });
    // one event at a time: a port that is already pending does not queue a second event
    for (let i = 0; i < 3; i++) {
      const seen = n;
      hv.domain(1).send(fp);
      while (n === seen) await new Promise((r) => setImmediate(r));
    }
    expect(await calls.done).toEqual([bp, bp, bp]);
    const [e1, e2] = await errors.done;
    for (const e of [e1, e2]) {
      expect(e).toBeInstanceOf(HandlerError);
      expect(e).toBeInstanceOf(WasmxenError);
      expect(e.code).toBe('WASMXEN_HANDLER');
      expect(e.domain).toBe(2);
      expect(e.vcpu).toBe(0);
      expect(e.port).toBe(bp);
      expect(e.cause).toBe(boom);
      expect(e.message).toBe(`the handler of port ${bp} on domain 2 (vCPU 0) failed: handler bug`);
    }
    const down = await hv.shutdown();
    expect(down.crashed).toEqual([]);
  });

  it("an async handler's rejection reaches 'error' listeners", async () => {
    const hv = await pair();
    const [fp, bp] = connect(hv);
    const got = new Promise<HandlerError>((r) => hv.once('error', (e) => r(e as HandlerError)));
    const cause = new Error('async bug');
    hv.domain(2).on(bp, async () => { await Promise.resolve(); throw cause; });
    hv.domain(1).send(fp);
    const e = await got;
    expect(e).toBeInstanceOf(HandlerError);
    expect(e.cause).toBe(cause);
    expect([e.domain, e.port]).toEqual([2, bp]);
    await hv.shutdown();
  });

  it('with neither onError nor a listener it becomes a process warning, not a crash', async () => {
    const hv = await pair();
    const [fp, bp] = connect(hv);
    const warned = new Promise<Error>((r) => process.once('warning', r));
    hv.domain(2).on(bp, () => { throw new Error('unobserved'); });
    hv.domain(1).send(fp);
    const w = await warned;
    expect(w).toBeInstanceOf(HandlerError);
    expect(w.message).toMatch(/unobserved/);
    await hv.shutdown();
  });
});

describe('a guest module whose vCPU dies', () => {
  for (const [what, source, expectText] of [
    ['main() throws', 'export function main() { throw new Error("main failed"); }', /vCPU \d of domain 3 crashed: main failed/],
    ['the module fails to load', 'throw new Error("bad module");', /vCPU \d of domain 3 crashed: bad module/],
    ['main() exits the thread', 'export function main() { process.exit(7); }', /vCPU \d of domain 3 exited \(code 7\) before the hypervisor stopped it/],
  ] as const) {
    it(`${what}: reported at once ('error' names domain and vCPU) and hv.closed rejects, before any shutdown`, async () => {
      const guest = guestModule(source);
      const hv = await Hypervisor.create({ domains: [{ id: 3, vcpus: 2, guest }] });
      const errors = after<VcpuCrashError>(2);
      hv.on('error', (e) => errors.hit(e as VcpuCrashError));
      hv.start();
      await expect(hv.closed).rejects.toThrow(expectText);
      const got = await errors.done;
      expect(got.map((e) => e.vcpu).sort()).toEqual([0, 1]);
      for (const e of got) {
        expect(e).toBeInstanceOf(VcpuCrashError);
        expect(e.domain).toBe(3);
        expect(e.message).toMatch(expectText);
      }
      if (what === 'main() exits the thread') expect(got[0].exitCode).toBe(7);
      else expect((got[0].cause as Error).message).toMatch(/failed|bad module/);
      const down = await hv.shutdown();
      expect(down.vcpus).toEqual([]);
      expect(down.crashed).toHaveLength(2);
    });
  }

  it('a healthy guest module: hv.closed resolves when shutdown completes', async () => {
    const guest = guestModule('export function report(g) { return { vcpu: g.vcpu }; }');
    const hv = await Hypervisor.create({ domains: [{ id: 1, vcpus: 2, guest }] });
    let closed = false;
    void hv.closed.then(() => { closed = true; });
    hv.start();
    const down = await hv.shutdown();
    await hv.closed;
    expect(closed).toBe(true);
    expect(down.crashed).toEqual([]);
    expect(down.vcpus.map((v) => v.guest)).toEqual(expect.arrayContaining([{ vcpu: 0 }, { vcpu: 1 }]));
  });
});

describe('after shutdown()', () => {
  it('every operation throws HypervisorClosedError; shutdown itself is idempotent', async () => {
    const hv = await pair();
    const [fp, bp] = connect(hv);
    const d1 = hv.domain(1);
    const d2 = hv.domain(2);
    const first = hv.shutdown();
    expect(hv.shutdown()).toBe(first);
    await first;
    expect(hv.isShutDown).toBe(true);
    const ops: [string, () => unknown][] = [
      ['send', () => d1.send(fp)],
      ['allocUnbound', () => d2.allocUnbound(1)],
      ['bindInterdomain', () => d1.bindInterdomain(2, bp)],
      ['bindIpi', () => d2.bindIpi(1)],
      ['bindVirq', () => d1.bindVirq(0)],
      ['status', () => d1.status(fp)],
      ['bindVcpu', () => d2.bindVcpu(bp, 1)],
      ['setPriority', () => d1.setPriority(fp, 3)],
      ['on', () => d2.on(bp, () => {})],
      ['guest', () => d1.guest()],
      ['domain', () => hv.domain(1)],
      ['start', () => hv.start()],
      ['raiseVirq', () => hv.raiseVirq(1, 0, 0)],
      ['startTimer', () => hv.startTimer(10)],
      ['consumer', () => hv.consumer('monitor')],
    ];
    for (const [op, call] of ops) {
      let thrown: unknown;
      try { call(); } catch (e) { thrown = e; }
      expect(thrown, op).toBeInstanceOf(HypervisorClosedError);
      expect((thrown as HypervisorClosedError).code).toBe('WASMXEN_CLOSED');
      expect((thrown as Error).message, op).toMatch(new RegExp(`^${op}( on domain \\d)?: the hypervisor has been shut down`));
    }
    await hv.closed;
  });

  it('Symbol.asyncDispose shuts it down (await using)', async () => {
    const hv = await pair();
    {
      await using scoped = hv;
      expect(scoped.isShutDown).toBe(false);
    }
    expect(hv.isShutDown).toBe(true);
    await hv.closed;
  });
});

describe('argument checks', () => {
  it('an unknown domain is a NoSuchDomainError naming the domains there are', async () => {
    const hv = await pair();
    expect(() => hv.domain(9)).toThrow(NoSuchDomainError);
    expect(() => hv.domain(9)).toThrow('no domain 9 (this hypervisor has domains 1, 2)');
    try { hv.domain(9); } catch (e) { expect((e as NoSuchDomainError).domain).toBe(9); }
    expect(() => hv.raiseVirq(9, 0, 0)).toThrow(NoSuchDomainError);
    expect(() => hv.consumer('monitor')).toThrow(new ConfigError("no consumer 'monitor' registered: pass it in HypervisorOptions.consumers (have: none)"));
    await hv.shutdown();
  });

  it('non-integer and out-of-range ports and vCPUs are InvalidArgumentErrors, never truncated', async () => {
    const hv = await pair();
    const [fp, bp] = connect(hv);
    const d1 = hv.domain(1);
    const d2 = hv.domain(2);
    const cases: [() => unknown, string][] = [
      [() => d1.send(1.5), 'send on domain 1: port 1.5 is not an integer in 1..1023'],
      [() => d1.send(fp + 2 ** 32), `send on domain 1: port ${fp + 2 ** 32} is not an integer in 1..1023`],
      [() => d1.send(0), 'send on domain 1: port 0 is not an integer in 1..1023'],
      [() => d1.send(1024), 'send on domain 1: port 1024 is not an integer in 1..1023'],
      [() => d1.send(NaN), 'send on domain 1: port NaN is not an integer in 1..1023'],
      [() => d1.send('1' as unknown as number), 'send on domain 1: port "1" is not an integer in 1..1023'],
      [() => d1.status(-1), 'status on domain 1: port -1 is not an integer in 1..1023'],
      [() => d2.bindIpi(2), 'bindIpi on domain 2: vCPU 2 is not an integer in 0..1'],
      [() => d2.bindVcpu(bp, 0.5), 'bindVcpu on domain 2: vCPU 0.5 is not an integer in 0..1'],
      [() => d1.guest(1), 'guest on domain 1: vCPU 1 is not an integer in 0..0'],
      [() => d1.allocUnbound(1.5), 'allocUnbound on domain 1: domain 1.5 is not an integer in 0..32767'],
      [() => d2.on(bp, 'x' as unknown as () => void), 'on on domain 2: handler "x" is not a function'],
      [() => hv.raiseVirq(1, 3, 0), 'raiseVirq on domain 1: vCPU 3 is not an integer in 0..0'],
    ];
    for (const [call, message] of cases) {
      let thrown: unknown;
      try { call(); } catch (e) { thrown = e; }
      expect(thrown, message).toBeInstanceOf(InvalidArgumentError);
      expect((thrown as Error).message).toBe(message);
    }
    // a valid port number that is not bound is Xen's to refuse: EvtchnError with its errno
    expect(() => d1.send(77)).toThrow(EvtchnError);
    // an integer domid is Xen's to judge (alloc_unbound records any remote domid, as Xen does)
    expect(d1.allocUnbound(40)).toBeGreaterThan(0);
    await hv.shutdown();
  });
});

describe('an embedder whose error callbacks throw', () => {
  it('onError and an \'error\' listener that throw become process warnings; the domain keeps serving', async () => {
    const hv = await pair({ onError: () => { throw new Error('onError bug'); } });
    hv.on('error', () => { throw new Error('listener bug'); });
    const [fp, bp] = connect(hv);
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    let n = 0;
    hv.domain(2).on(bp, () => { n++; throw new Error('handler bug'); });
    for (let i = 1; i <= 2; i++) {
      hv.domain(1).send(fp);
      while (n < i) await new Promise((r) => setImmediate(r));
    }
    while (warnings.length < 4) await new Promise((r) => setImmediate(r));
    process.off('warning', onWarning);
    expect(warnings.sort()).toEqual([
      "an 'error' listener threw: Error: listener bug", "an 'error' listener threw: Error: listener bug",
      'onError threw: Error: onError bug', 'onError threw: Error: onError bug',
    ]);
    const down = await hv.shutdown();
    expect(down.crashed).toEqual([]);
  });
});

describe('guest-module startup', () => {
  it('a guest module that does not exist is a ConfigError at create(), before any thread starts', async () => {
    const missing = join(tmpdir(), 'wasmxen-no-such-guest.mjs');
    await expect(Hypervisor.create({ domains: [{ id: 1, vcpus: 1, guest: missing }] }))
      .rejects.toThrow(new ConfigError(`domain 1: guest module ${missing} does not exist`));
    await expect(Hypervisor.create({ domains: [{ id: 1, vcpus: 1, guest: '' }] }))
      .rejects.toThrow(ConfigError);
  });
});
