// A consumer taking over a restored domain's toolstack channel (I56):
// evtchnAttachXen turns the restorer's pre-bound UNBOUND port into the
// consumer's Xen-owned channel with Xen-style validation, and the ring it
// serves keeps what the guest had put in it.
import { describe, it, expect } from 'vitest';
import { PassThrough } from 'node:stream';
import { Hypervisor } from '../../src/hypervisor.ts';
import { ConsoleClient, MonitorClient } from '../../src/consumers/clients.ts';
import { EvtchnError } from '../../src/errors.ts';
import { CONSOLE_MAGIC, C_RING_MAGIC, C_RING_PROD, C_RING_CONS, C_RING_DATA } from '../../src/consumers/console-ring.ts';
import { RING_MAGIC, R_MAGIC, R_REQ_PROD, R_REQS } from '../../src/consumers/monitor-ring.ts';
import { EINVAL, EBUSY, ENOENT, ESRCH } from '../../assembly/shared/errno.ts';
import { DOMID_SELF } from '../../assembly/shared/evtchn-abi.ts';
import { PAGE_SIZE } from '../../assembly/shared/layout.ts';

async function hv(stream?: PassThrough, abi: '2l' | 'fifo' = 'fifo') {
  return Hypervisor.create({
    domains: [{ id: 0, vcpus: 1 }, { id: 1, vcpus: 2 }],
    consumers: [{ name: 'monitor', module: 'monitor' }, { name: 'console', module: 'console' }],
    consoleStream: stream, abi,
  });
}

/** A console ring page as a guest left it: the magic, and `text` written but not consumed. */
function consoleRingWith(h: Hypervisor, dom: number, gfn: number, text: string): Uint32Array {
  const base = h.machine.dp.x.addrGfn(dom, gfn) >>> 0;
  const ring = new Uint32Array(h.machine.dp.memory.buffer, base, PAGE_SIZE / 4);
  const bytes = new TextEncoder().encode(text);
  h.machine.dp.u8.set(bytes, base + C_RING_DATA);
  Atomics.store(ring, C_RING_MAGIC, CONSOLE_MAGIC);
  Atomics.store(ring, C_RING_CONS, 0);
  Atomics.store(ring, C_RING_PROD, bytes.length);
  return ring;
}

describe('attach: a consumer takes over a pre-bound toolstack port (I56)', () => {
  for (const abi of ['fifo', '2l'] as const) it(`${abi}: the console keeps the ring's unconsumed bytes and collects them with the next ones`, async () => {
    const stream = new PassThrough();
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    const h = await hv(stream, abi);
    try {
      const d1 = h.domain(1);
      const x = h.machine.dp.x;
      const gfn = d1.layout.freeGfn;
      const ring = consoleRingWith(h, 1, gfn, 'before the move\n');
      expect(x.evtchnAllocUnboundAt(1, 1, DOMID_SELF, 9)).toBe(9); // the restorer's pre-binding
      expect(h.console.attachRing(1, gfn, 9)).toBe(9);
      expect(Atomics.load(ring, C_RING_PROD)).toBe(16); // not cleared
      expect(Atomics.load(ring, C_RING_CONS)).toBe(0);
      expect(d1.status(9)).toEqual({ status: 'unbound', vcpu: 0, remoteDom: 1 });
      expect(x.evtchnClose(1, 9)).toBe(-EINVAL); // Xen-owned now: the guest cannot close it
      const local = d1.bindInterdomain(1, 9);
      new ConsoleClient(d1.guest(), gfn, local).write('after the move\n');
      h.console.close(1, 9);
      expect(d1.status(local).status).toBe('unbound');
    } finally {
      await h.shutdown();
    }
    expect(Buffer.concat(chunks).toString()).toBe('before the move\nafter the move\n');
  });

  it('the monitor answers the requests posted before the move at the next notification', async () => {
    const h = await hv();
    try {
      const d1 = h.domain(1);
      const x = h.machine.dp.x;
      const gfn = d1.layout.freeGfn + 1;
      const ring = new Uint32Array(h.machine.dp.memory.buffer, x.addrGfn(1, gfn) >>> 0, PAGE_SIZE / 4);
      Atomics.store(ring, R_MAGIC, RING_MAGIC);
      Atomics.store(ring, R_REQS, 10);
      Atomics.store(ring, R_REQ_PROD, 1); // posted on the source, its notification lost with the channel table
      expect(x.evtchnAllocUnboundAt(1, 1, DOMID_SELF, 5)).toBe(5);
      expect(h.monitor.attachRing(1, gfn, 5, 1)).toBe(5);
      expect(d1.status(5)).toEqual({ status: 'unbound', vcpu: 1, remoteDom: 1 });
      const local = d1.bindInterdomain(1, 5);
      const client = new MonitorClient(d1.guest(), gfn, local);
      client.post(20);
      expect(client.responses()).toEqual([11, 21]);
      expect(h.monitor.stats()).toMatchObject({ calls: 1, answered: 2 });
    } finally {
      await h.shutdown();
    }
  });

  it('refuses, with Xen\'s errno and nothing changed, any port that is not an UNBOUND guest port for the expected remote', async () => {
    const h = await hv();
    try {
      const d1 = h.domain(1);
      const x = h.machine.dp.x;
      const gfn = d1.layout.freeGfn;
      const ring = consoleRingWith(h, 1, gfn, 'kept\n');
      const before = ring.slice();
      const errno = (f: () => unknown) => {
        try { f(); } catch (e) { expect(e).toBeInstanceOf(EvtchnError); return (e as EvtchnError).errno; }
        return 0;
      };
      expect(x.evtchnAllocUnboundAt(1, 1, 0, 7)).toBe(7); // offered to domain 0, not to the domain itself
      const ipi = d1.bindIpi(0);
      const xenPort = h.console.openRing(1, d1.layout.freeGfn + 2);
      expect(x.evtchnAllocUnboundAt(1, 1, DOMID_SELF, 12)).toBe(12);
      expect(errno(() => h.console.attachRing(1, gfn, 7))).toBe(EINVAL);         // wrong remote
      expect(h.console.attach(1, gfn, 7, { remoteDom: 0 })).toBe(7);               // the right one: taken
      expect(errno(() => h.console.attachRing(1, gfn, ipi))).toBe(EINVAL);       // not UNBOUND
      expect(errno(() => h.console.attachRing(1, gfn, 11))).toBe(EINVAL);        // free
      expect(errno(() => h.console.attachRing(1, gfn, 0))).toBe(EINVAL);         // port 0
      expect(errno(() => h.console.attachRing(1, gfn, 1 << 20))).toBe(EINVAL);   // beyond the valid ports
      expect(errno(() => h.console.attachRing(1, gfn, xenPort))).toBe(EBUSY);    // Xen-owned already
      expect(errno(() => h.console.attachRing(1, gfn, 7))).toBe(EBUSY);          // … and the one just taken
      expect(errno(() => h.monitor.attachRing(1, gfn, 12, 2))).toBe(ENOENT);     // no vCPU 2
      expect(errno(() => h.console.attachRing(5, gfn, 12))).toBe(ESRCH);        // no domain 5
      expect(d1.status(12)).toEqual({ status: 'unbound', vcpu: 0, remoteDom: 1 });
      expect(x.evtchnClose(1, 12)).toBe(0); // still the guest's own: refusals left it as it was
      expect(d1.status(ipi).status).toBe('ipi');
      expect(ring.slice()).toEqual(before);
    } finally {
      await h.shutdown();
    }
  });
});
