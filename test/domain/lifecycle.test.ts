// The domain lifecycle through the library: pause/unpause of worker vCPUs
// (I28), destroy (I27, I29), re-creation with the same id, and the typed
// errors of a destroyed domain. Worker threads coordinate with the test
// through Atomics on a shared buffer; a watchdog (vitest's timeout plus the
// explicit bounds below) turns a hang into a failure.
import { describe, it, expect, afterEach } from 'vitest';
import { fileURLToPath } from 'node:url';
import { Hypervisor, VIRQ_DOM_EXC } from '../../src/hypervisor.ts';
import { DomainStateError, PauseTimeoutError, EvtchnError } from '../../src/errors.ts';
import { ECS_UNBOUND } from '../../assembly/shared/evtchn-abi.ts';
import { ESRCH } from '../../assembly/shared/errno.ts';
import { waitWord } from '../helpers/wait-word.ts';

const GUEST = fileURLToPath(new URL('./guests/lifecycle-guest.mjs', import.meta.url));
const READY = 0, WORK = 1, GATE = 2, STALLED = 3, PORTS = 16, RECV = 64;
const N = 8;

let hv: Hypervisor | undefined;
afterEach(async () => { await hv?.shutdown(); hv = undefined; });


async function boot(config: { stallVcpu?: number } = {}) {
  const shared = new SharedArrayBuffer(4096);
  const s = new Int32Array(shared);
  hv = await Hypervisor.create({
    shared,
    domains: [
      { id: 1, vcpus: 1 },
      { id: 2, vcpus: 2, guest: GUEST, config: { peer: 1, ports: N, ...config } },
      { id: 3, vcpus: 1 },
    ],
  });
  hv.start();
  await waitWord(s, READY, 1, 'the guest offers its ports');
  const d1 = hv.domain(1);
  const mine = Array.from({ length: N }, (_, i) => d1.bindInterdomain(2, Atomics.load(s, PORTS + i)));
  return { hv, s, d1, mine };
}

const received = (s: Int32Array) => Array.from({ length: N }, (_, i) => Atomics.load(s, RECV + i));

describe('pause / unpause (I28)', () => {
  it('every vCPU parks; a paused domain does no guest work; events raised meanwhile are delivered after unpause, each once', async () => {
    const { hv, s, d1, mine } = await boot();
    await waitWord(s, WORK, Atomics.load(s, WORK) + 1, 'the guest works');
    const before = received(s);
    await hv.pauseDomain(2);
    expect(hv.isPaused(2)).toBe(true);
    expect(hv.machine.dp.parkedMask(2)).toBe(0b11);
    const work = Atomics.load(s, WORK);
    for (const p of mine) d1.send(p); // raised while paused
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    expect(Atomics.load(s, WORK)).toBe(work); // no guest work while paused
    expect(received(s)).toEqual(before);      // nothing handled, nothing lost yet
    hv.unpauseDomain(2);
    for (let i = 0; i < N; i++) await waitWord(s, RECV + i, before[i] + 1, `port ${i}'s event after unpause`);
    await waitWord(s, WORK, work + 1, 'guest work resumes');
    // every vCPU leaves its park (vCPU 1, asleep in the park, wakes on its own time)
    const parkedIdx = hv.machine.dp.parkedMaskIndex(2);
    await waitWord(hv.machine.dp.i32, parkedIdx, 0, 'both vCPUs leave the park');
    // and a second pause/unpause cycle behaves the same
    await hv.pauseDomain(2);
    hv.unpauseDomain(2);
    await waitWord(s, WORK, Atomics.load(s, WORK) + 1, 'guest work resumes again');
  });

  it('a vCPU that never reaches a boundary: pause rejects with PauseTimeoutError naming it, the domain runs on; once it returns, pause succeeds', async () => {
    const { hv, s, d1, mine } = await boot({ stallVcpu: 1 });
    d1.send(mine[N - 1]); // vCPU 1 enters its 'stall' handler and waits there, making no hypercall
    await waitWord(s, STALLED, 1, 'vCPU 1 stalls in its handler');
    const err = await hv.pauseDomain(2, { timeoutMs: 1500 }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(PauseTimeoutError);
    const pe = err as PauseTimeoutError;
    expect(pe.domain).toBe(2);
    expect(pe.vcpu).toBe(1);
    expect(pe.vcpus).toEqual([1]);
    expect(pe.message).toMatch(/vCPU 1 never reached a hypercall or upcall boundary/);
    expect(hv.isPaused(2)).toBe(false);
    const work = Atomics.load(s, WORK);
    await waitWord(s, WORK, work + 1, 'vCPU 0 runs on after the withdrawn pause');
    Atomics.store(s, GATE, 1);
    Atomics.notify(s, GATE);
    await waitWord(s, STALLED, 0, 'the handler returns');
    await hv.pauseDomain(2, { timeoutMs: 20_000 });
    expect(hv.machine.dp.parkedMask(2)).toBe(0b11);
    hv.unpauseDomain(2);
  });

  it('shutdown while a domain is paused: its parked vCPU threads leave and report (no hang)', async () => {
    const { hv: h } = await boot();
    await h.pauseDomain(2);
    hv = undefined;
    const down = await h.shutdown();
    expect(down.vcpus.filter((v) => v.dom === 2).map((v) => v.vcpu).sort()).toEqual([0, 1]);
  });
});

describe('destroy (I27, I29)', () => {
  it('under load: the survivors keep exact accounting and no hang; the peers\' ports turn UNBOUND; the id and space are reused', async () => {
    const { hv, s, d1, mine } = await boot();
    const d3 = hv.domain(3);
    // survivors 1 ↔ 3 ping-pong during the destroy: a lost event would hang (the watchdog fails it)
    const p3 = d3.allocUnbound(1);
    const p1 = d1.bindInterdomain(3, p3);
    let pongs = 0;
    let pings = 0;
    let stop = false;
    const roundTrip = new Promise<void>((resolve) => {
      d3.on(p3, () => { pings++; d3.send(p3); });
      d1.on(p1, () => { pongs++; if (stop) resolve(); else d1.send(p1); });
    });
    d1.send(p1);
    // domain 1 also keeps sending to the dying domain (its sends never fail: raised, or dropped once UNBOUND);
    // that these sends really race the destroy is shown by `wasmxen stress --scenario destroy` (send-raced)
    const spam = setInterval(() => { for (const p of mine) d1.send(p); }, 1);
    const free0 = hv.machine.allocator.freeBytes();
    const threads0 = hv.vcpuThreads;
    const rep = await hv.destroyDomain(2, { batch: 3 });
    clearInterval(spam);
    stop = true;
    await roundTrip;
    expect(rep.steps).toBeGreaterThan(1);       // preempted: each step closed at most 3 ports
    expect(rep.vcpus.map((v) => v.destroyed)).toEqual([true, true]);
    expect(hv.vcpuThreads).toBe(threads0 - 2);
    expect(hv.machine.allocator.freeBytes()).toBeGreaterThan(free0);
    expect(pings).toBe(pongs);                  // exact accounting between the survivors
    for (const p of mine) expect(hv.machine.dp.channel(1, p)).toMatchObject({ state: ECS_UNBOUND, remoteDom: 2 });
    for (const p of mine) d1.send(p);           // dropped: the peer is gone, no error
    expect(d1.status(mine[0])).toEqual({ status: 'unbound', vcpu: 0, remoteDom: 2 });
    // errors on the destroyed domain
    expect(() => hv.domain(2)).toThrow(DomainStateError);
    await expect(hv.destroyDomain(2)).rejects.toThrow(/has been destroyed/);
    await expect(hv.pauseDomain(2)).rejects.toBeInstanceOf(DomainStateError);
    const e = (() => { try { d1.bindInterdomain(2, 1); } catch (x) { return x; } })();
    expect(e).toBeInstanceOf(EvtchnError);
    expect((e as EvtchnError).errno).toBe(ESRCH);
    // the id again, in the freed space
    Atomics.store(s, READY, 0);
    for (let i = 0; i < N; i++) Atomics.store(s, RECV + i, 0);
    await hv.createDomain({ id: 2, vcpus: 2, guest: GUEST, config: { peer: 1, ports: N } });
    expect(hv.machine.allocator.freeBytes()).toBe(free0);
    expect(hv.vcpuThreads).toBe(threads0);
    await waitWord(s, READY, 1, 'the new domain 2 offers its ports');
    const again = Array.from({ length: N }, (_, i) => d1.bindInterdomain(2, Atomics.load(s, PORTS + i)));
    for (const p of again) d1.send(p);
    for (let i = 0; i < N; i++) await waitWord(s, RECV + i, 1, `new domain 2 gets port ${i}'s event`);
  });

  it('a service domain: its handle throws DomainStateError after destroy; 30 create/destroy cycles of one id leak no bytes, ports or threads', async () => {
    hv = await Hypervisor.create({ domains: [{ id: 0, vcpus: 1 }, { id: 1, vcpus: 1 }, { id: 2, vcpus: 2 }] });
    const d1 = hv.domain(1);
    // the control domain hears of every death (Xen: VIRQ_DOM_EXC at the end of domain_kill)
    let domExc = 0;
    hv.domain(0).on(hv.domain(0).bindVirq(VIRQ_DOM_EXC), () => { domExc++; });
    const free0 = hv.machine.allocator.freeBytes();
    const active0 = hv.machine.dp.activeEvtchns(1);
    for (let i = 0; i < 30; i++) {
      const d2 = hv.domain(2);
      const ports = Array.from({ length: 5 }, () => d2.allocUnbound(1));
      const mine = ports.map((p) => d1.bindInterdomain(2, p));
      let got = 0;
      const all = new Promise<void>((resolve) => { for (const p of ports) d2.on(p, () => { if (++got === ports.length) resolve(); }); });
      for (const p of mine) d1.send(p);
      await all;
      await hv.destroyDomain(2, { batch: 1 + (i % 5) });
      expect(() => d2.send(ports[0])).toThrow(DomainStateError);
      for (const p of mine) d1.guest().close({ port: p } as never);
      expect(hv.machine.dp.activeEvtchns(1)).toBe(active0);
      expect(hv.machine.dp.x.domainRefs(2)).toBe(0);
      await hv.createDomain({ id: 2, vcpus: 2 });
      expect(hv.machine.allocator.freeBytes()).toBe(free0);
    }
    expect(hv.vcpuThreads).toBe(0);
    const deadline = Date.now() + 20_000;
    while (domExc === 0) {
      if (Date.now() > deadline) throw new Error('watchdog: no VIRQ_DOM_EXC');
      await new Promise((r) => setImmediate(r));
    }
  });
});

describe('re-creating a guest-module domain', () => {
  it('5 create/destroy cycles of one id with worker vCPUs: every thread ends, bytes and ports come back', async () => {
    const { hv: h, s, d1 } = await boot();
    const threads0 = h.vcpuThreads;
    const active0 = h.machine.dp.activeEvtchns(1);
    await h.destroyDomain(2);
    const free0 = h.machine.allocator.freeBytes();
    for (let i = 0; i < 5; i++) {
      Atomics.store(s, READY, 0);
      await h.createDomain({ id: 2, vcpus: 2, guest: GUEST, config: { peer: 1, ports: N } });
      expect(h.vcpuThreads).toBe(threads0);
      await waitWord(s, READY, 1, `cycle ${i}: domain 2 boots`);
      const rep = await h.destroyDomain(2, { batch: 1 + i });
      expect(rep.vcpus).toHaveLength(2);
      expect(h.vcpuThreads).toBe(threads0 - 2);
      expect(h.machine.allocator.freeBytes()).toBe(free0);
      expect(h.machine.dp.x.domainRefs(2)).toBe(0);
    }
    // domain 1 bound N ports of the first incarnation: UNBOUND now; closing them restores its count
    for (let p = 1; p < h.machine.dp.validEvtchns(1); p++) {
      const c = h.machine.dp.channel(1, p);
      if (c.state === 2 /* ECS_UNBOUND */ && c.remoteDom === 2) d1.guest().hc.close(p);
    }
    expect(h.machine.dp.activeEvtchns(1)).toBe(active0 - N);
  });
});

describe('destroy and the Xen-internal consumers (I23, I29)', () => {
  it('the Xen-owned channels of a destroyed domain are closed and drained, the consumer forgets them, and a re-created domain opens afresh', async () => {
    hv = await Hypervisor.create({
      domains: [{ id: 0, vcpus: 1 }, { id: 1, vcpus: 2 }],
      consumers: [{ name: 'monitor', module: 'monitor' }],
    });
    const ring = hv.domain(1).layout.freeGfn;
    const xenPort = hv.monitor.openRing(1, ring);
    expect(hv.domain(1).status(xenPort).status).toBe('unbound');
    await hv.destroyDomain(1);
    expect((hv.monitor as unknown as { entry(d: number, p: number): number }).entry(1, xenPort)).toBe(-1);
    const e = (() => { try { hv.monitor.close(1, xenPort); } catch (x) { return x; } })();
    expect(e).toBeInstanceOf(EvtchnError);
    expect((e as EvtchnError).errno).toBe(ESRCH);
    const d1 = await hv.createDomain({ id: 1, vcpus: 2 });
    const again = hv.monitor.openRing(1, d1.layout.freeGfn);
    expect(d1.status(again).status).toBe('unbound');
    hv.monitor.close(1, again);
    expect(d1.status(again).status).toBe('closed');
  });
});
