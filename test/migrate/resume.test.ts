// The guest's resume path (spec §8, issue 12 item 2): a FIFO frontend with a
// timer VIRQ, an IPI and a split-driver ring to a backend is saved while its
// backend has answered only part of its requests, restored on another
// hypervisor whose own backend takes over, and resumed: every port comes back
// invalid and rebound (FIFO re-registered, VIRQ and IPI rebound in place with
// their handlers, the interdomain channel reconnected through the toolstack
// handshake with the target's backend), and the frontend re-sends what was not
// answered — every request answered exactly once at the application level.
import { describe, it, expect } from 'vitest';
import { Hypervisor, VIRQ_TIMER } from '../../src/hypervisor.ts';
import type { Domain } from '../../src/domain.ts';
import { PAGE_SIZE } from '../../assembly/shared/layout.ts';

const K = 20;        // requests
const ANSWERED = 8;  // the source backend answers these, then stalls
const SLOTS = 64;
// ring page words: producer/consumer indices and counters; slots from word 16 (id, response)
const REQ_PROD = 0, RSP_PROD = 1, RSP_CONS = 2, TICKS = 4, IPIS = 5, SLOT0 = 16;

/** The frontend's ring page and answered[] page, through the frontend's memory (its backend maps it, as a grant would). */
function ringOf(hv: Hypervisor, dom: number): { ring: Int32Array; answered: Int32Array } {
  const d = hv.domain(dom);
  const g = d.layout.freeGfn;
  const base = hv.machine.dp.x.addrGfn(dom, g) >>> 0;
  return { ring: new Int32Array(hv.machine.memory.buffer, base, PAGE_SIZE / 4), answered: new Int32Array(hv.machine.memory.buffer, base + PAGE_SIZE, PAGE_SIZE / 4) };
}

/** A backend on `hv`'s domain 0 serving `front`'s ring on its port `fport`; answers at most `limit`. */
function backend(hv: Hypervisor, front: number, fport: number, limit: number): { served: () => number } {
  const b = hv.domain(0);
  const { ring } = ringOf(hv, front);
  let reqCons = 0; // the backend's own state: it stays on its host
  let served = 0;
  const bport = b.bindInterdomain(front, fport);
  b.on(bport, () => {
    while (reqCons < Atomics.load(ring, REQ_PROD) && served < limit) {
      const slot = SLOT0 + 2 * (reqCons % SLOTS);
      Atomics.store(ring, slot + 1, Atomics.load(ring, slot)); // the response carries the request's id
      reqCons++;
      served++;
      Atomics.add(ring, RSP_PROD, 1);
      b.send(bport);
    }
  });
  return { served: () => served };
}

/** The frontend's handlers, in registration order: timer, IPI, ring responses; `waiters` resolve on progress. */
function frontendHandlers(hv: () => Hypervisor, dom: number, waiters: Set<() => void>) {
  const kick = () => { for (const w of [...waiters]) w(); };
  return [
    () => { Atomics.add(ringOf(hv(), dom).ring, TICKS, 1); kick(); },
    () => { Atomics.add(ringOf(hv(), dom).ring, IPIS, 1); kick(); },
    () => {
      const { ring, answered } = ringOf(hv(), dom);
      while (Atomics.load(ring, RSP_CONS) < Atomics.load(ring, RSP_PROD)) {
        const c = Atomics.load(ring, RSP_CONS);
        Atomics.add(answered, Atomics.load(ring, SLOT0 + 2 * (c % SLOTS) + 1), 1);
        Atomics.store(ring, RSP_CONS, c + 1);
      }
      kick();
    },
  ];
}

function until(waiters: Set<() => void>, cond: () => boolean, what: string, ms = 20_000): Promise<void> {
  if (cond()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { waiters.delete(check); reject(new Error(`watchdog: ${what} not reached in ${ms} ms`)); }, ms);
    const check = () => { if (cond()) { clearTimeout(timer); waiters.delete(check); resolve(); } };
    waiters.add(check);
  });
}

function queue(ring: Int32Array, ids: number[]): void {
  for (const id of ids) {
    const p = Atomics.load(ring, REQ_PROD);
    Atomics.store(ring, SLOT0 + 2 * (p % SLOTS), id);
    Atomics.store(ring, SLOT0 + 2 * (p % SLOTS) + 1, 0);
    Atomics.store(ring, REQ_PROD, p + 1);
  }
}

describe('guest resume after a move', () => {
  it('FIFO re-registered, VIRQ and IPI rebound with their handlers, the ring reconnected to the target backend, nothing lost or answered twice', async () => {
    const waiters = new Set<() => void>();
    const src = await Hypervisor.create({ build: 'debug', abi: 'fifo', domains: [{ id: 0, vcpus: 1 }, { id: 1, vcpus: 2, ramKiB: 16 }] });
    let dst: Hypervisor | undefined;
    try {
      const f: Domain = src.domain(1);
      const [tick, ipi, responses] = frontendHandlers(() => src, 1, waiters);
      const timerPort = f.bindVirq(VIRQ_TIMER, 0);
      f.on(timerPort, tick);
      const ipiPort = f.bindIpi(1);
      f.on(ipiPort, ipi);
      const ringPort = f.allocUnbound(0); // the frontend offers, the backend binds (Linux's xenbus handshake)
      f.on(ringPort, responses);
      backend(src, 1, ringPort, ANSWERED);
      const { ring, answered } = ringOf(src, 1);
      queue(ring, Array.from({ length: K }, (_, i) => i + 1));
      f.send(ringPort);
      await until(waiters, () => Atomics.load(ring, RSP_CONS) === ANSWERED, 'the source backend answering its part');
      src.raiseVirq(1, 0, VIRQ_TIMER);
      await until(waiters, () => Atomics.load(ring, TICKS) === 1, 'a tick on the source');

      const image = await src.save(1, { keepPaused: true });
      dst = await (async () => {
        const { hv } = await Hypervisor.restore(image, { build: 'debug', abi: 'fifo', domains: [{ id: 0, vcpus: 1, ramKiB: 64 }], restore: { id: 1 } });
        return hv;
      })();
      const target = dst;
      await src.destroyDomain(1); // the target has it: the source copy goes
      const moved = target.domain(1);
      const [tick2, ipi2, responses2] = frontendHandlers(() => target, 1, waiters);
      for (const h of [tick2, ipi2, responses2]) moved.handler(h); // the same names, in the same order
      expect(target.machine.dp.abi(1)).toBe('2l');
      let backendDst: { served: () => number } | undefined;
      const r = moved.resume((lost) => {
        expect(lost).toMatchObject({ port: ringPort, remoteDom: 0, handler: 'h3' });
        const port = moved.allocUnbound(lost.remoteDom); // offered to the *target's* backend
        backendDst = backend(target, 1, port, Infinity);
        return port;
      });
      expect(target.machine.dp.abi(1)).toBe('fifo'); // init_control again on every vCPU
      expect(r.dropped).toEqual([]);
      expect([...r.ports.keys()].sort((a, b) => a - b)).toEqual([timerPort, ipiPort, ringPort].sort((a, b) => a - b));
      const newRing = r.ports.get(ringPort)!;
      expect(moved.status(r.ports.get(timerPort)!)).toMatchObject({ status: 'virq', virq: VIRQ_TIMER, vcpu: 0 });
      expect(moved.status(r.ports.get(ipiPort)!)).toMatchObject({ status: 'ipi', vcpu: 1 });
      expect(moved.status(newRing)).toMatchObject({ status: 'interdomain', remoteDom: 0 });

      // the frontend re-sends what was not answered (blkfront's recover): a fresh ring, the same ids
      const t = ringOf(target, 1);
      expect(Array.from(t.answered.subarray(1, K + 1))).toEqual(Array.from(answered.subarray(1, K + 1)));
      const unanswered = Array.from({ length: K }, (_, i) => i + 1).filter((id) => Atomics.load(t.answered, id) === 0);
      expect(unanswered).toHaveLength(K - ANSWERED);
      Atomics.store(t.ring, REQ_PROD, 0); Atomics.store(t.ring, RSP_PROD, 0); Atomics.store(t.ring, RSP_CONS, 0);
      queue(t.ring, unanswered);
      moved.send(newRing);
      await until(waiters, () => Atomics.load(t.ring, RSP_CONS) === unanswered.length, 'the target backend answering the rest');
      expect(backendDst!.served()).toBe(K - ANSWERED);
      expect(Array.from(t.answered.subarray(1, K + 1))).toEqual(new Array(K).fill(1)); // each exactly once

      // the timer and IPIs carry on in the target, through the same handlers
      target.raiseVirq(1, 0, VIRQ_TIMER);
      await until(waiters, () => Atomics.load(t.ring, TICKS) === 2, 'a tick on the target');
      moved.send(r.ports.get(ipiPort)!);
      await until(waiters, () => Atomics.load(t.ring, IPIS) === 1, 'an IPI on the target');
      expect(moved.spurious()).toBe(0);
    } finally {
      await src.shutdown();
      await dst?.shutdown();
    }
  });
});
