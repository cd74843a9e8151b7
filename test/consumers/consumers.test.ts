// Xen-internal consumers (spec §11): the guest's restrictions on Xen-owned
// channels with Xen's errnos, the 7-slot consumer table, callbacks on the
// sender's thread with no event-channel lock held (a callback may send and
// close), notify_via_xen_event_channel, and the monitor and console.
import { describe, it, expect } from 'vitest';
import { PassThrough } from 'node:stream';
import { Hypervisor } from '../../src/hypervisor.ts';
import { MonitorClient, ConsoleClient } from '../../src/consumers/clients.ts';
import { consumerId } from '../../src/consumers/types.ts';
import { createMachine } from '../../src/wasm/data-plane.ts';
import { EINVAL, EACCES, ENOSYS, ENOSPC } from '../../assembly/shared/errno.ts';
import { DOMID_SELF, EVTCHNOP_reset } from '../../assembly/shared/evtchn-abi.ts';
import { SI_EVTCHN_PENDING } from '../../assembly/shared/layout.ts';

async function hv(abi: '2l' | 'fifo' = 'fifo', stream?: PassThrough) {
  return Hypervisor.create({
    domains: [{ id: 0, vcpus: 1 }, { id: 1, vcpus: 2 }],
    consumers: [{ name: 'monitor', module: 'monitor' }, { name: 'console', module: 'console' }],
    consoleStream: stream, abi,
  });
}

describe('Xen-owned channels: what a guest may do (spec §11)', () => {
  for (const abi of ['fifo', '2l'] as const) {
    it(`${abi}: close/send/bind_vcpu → -EINVAL, unmask does nothing, set_priority → ${abi === 'fifo' ? '-EACCES' : '-ENOSYS'}, status reports it, reset keeps it`, async () => {
      const h = await hv(abi);
      const d1 = h.domain(1);
      const x = h.machine.dp.x;
      const ring = d1.layout.freeGfn;
      const xenPort = h.monitor.openRing(1, ring);
      expect(x.evtchnClose(1, xenPort)).toBe(-EINVAL);
      expect(x.evtchnSend(1, xenPort)).toBe(-EINVAL);
      expect(x.evtchnBindVcpu(1, xenPort, 1)).toBe(-EINVAL);
      expect(x.evtchnUnmask(1, xenPort)).toBe(0);
      expect(x.evtchnSetPriority(1, xenPort, 3)).toBe(abi === 'fifo' ? -EACCES : -ENOSYS);
      expect(d1.status(xenPort)).toEqual({ status: 'unbound', vcpu: 0, remoteDom: 1 });
      const other = d1.bindIpi(0);
      let rc = x.evtchnReset(1, DOMID_SELF, EVTCHNOP_reset);
      while (rc === -85) rc = x.evtchnReset(1, DOMID_SELF, x.continuationArg0Lo());
      expect(rc).toBe(0);
      expect(d1.status(other).status).toBe('closed');
      expect(d1.status(xenPort).status).toBe('unbound'); // survives the reset
      await h.shutdown();
    });
  }
});

describe('the consumer table', () => {
  it('reuses the slot of a known consumer, takes the first free one, and is full after 7 (Xen BUG()s there)', () => {
    const m = createMachine([{ domid: 0, vcpus: 1, frames: 8 }], 'debug');
    const x = m.dp.x;
    const slots = Array.from({ length: 7 }, (_, i) => x.xenConsumerRegister(consumerId(`c${i}`), 1));
    expect(slots).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(x.xenConsumerRegister(consumerId('c3'), 1)).toBe(3);
    expect(x.xenConsumerRegister(consumerId('c7'), 1)).toBe(-ENOSPC);
  });

  it('the shell refuses an eighth distinct consumer with a message saying why', async () => {
    const consumers = Array.from({ length: 8 }, (_, i) => ({ name: `m${i}`, module: 'monitor' }));
    await expect(Hypervisor.create({ domains: [{ id: 0, vcpus: 1 }], consumers })).rejects.toThrow(/all 7 Xen consumer slots/);
  });
});

describe('callbacks', () => {
  it('the monitor answers a request posted by the guest, on the sending thread, and notifies the guest back', async () => {
    const h = await hv();
    const d1 = h.domain(1);
    const ring = d1.layout.freeGfn;
    const xenPort = h.monitor.openRing(1, ring);
    const local = d1.bindInterdomain(1, xenPort); // the guest binds the monitor's port (loopback)
    const client = new MonitorClient(d1.guest(), ring, local);
    const got = new Promise<number[]>((resolve) => {
      d1.on(local, () => { const r = client.responses(); if (r.length) resolve(r); }); // (the bind raised it once)
    });
    client.post(41);
    expect(await got).toEqual([42]);
    expect(h.monitor.stats()).toMatchObject({ calls: 1, answered: 1, lateStarts: 0, poisonHits: 0 });
    h.monitor.closeRing(1, xenPort);
    expect(d1.status(local)).toMatchObject({ status: 'unbound' });
    await h.shutdown();
  });

  it('the console carries the guest\'s bytes to a Node stream', async () => {
    const stream = new PassThrough();
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    const h = await hv('fifo', stream);
    const d1 = h.domain(1);
    const ring = d1.layout.freeGfn + 1;
    const xenPort = h.console.openRing(1, ring);
    const local = d1.bindInterdomain(1, xenPort);
    const con = new ConsoleClient(d1.guest(), ring, local);
    expect(con.write('hello from domain 1\n')).toBe(20);
    expect(con.write('second line\n')).toBe(12);
    await h.shutdown();
    expect(Buffer.concat(chunks).toString()).toBe('hello from domain 1\nsecond line\n');
    expect(h.consoleBytesWritten).toBe(32);
  });

  it('a callback may send on a second channel and close a third: no event-channel lock is held while it runs', async () => {
    const m = createMachine([{ domid: 1, vcpus: 1, frames: 8 }], 'debug');
    const x = m.dp.x;
    const slot = x.xenConsumerRegister(consumerId('t'), 1);
    const { ConsumerRegistry } = await import('../../src/consumers/registry.ts');
    const reg = new ConsumerRegistry(m.dp);
    const second = x.evtchnBindIpi(1, 0);
    const third = x.evtchnBindIpi(1, 0);
    const log: string[] = [];
    reg.add(slot, {
      name: 't', stateBytes: 0, notify(_ctx, call) {
        log.push(`call vcpu ${call.vcpu} port ${call.port}`);
        log.push(`send ${x.evtchnSend(1, second)}`);   // takes the second channel's lock
        log.push(`close ${x.evtchnClose(1, third)}`);  // takes the event lock and the third's write lock
      },
    }, new SharedArrayBuffer(8));
    const xenPort = x.evtchnAllocUnboundXen(1, 0, 1, slot);
    const local = x.evtchnBindInterdomain(1, 1, xenPort);
    expect(x.evtchnSend(1, local)).toBe(1);   // SEND_CALL_CONSUMER
    expect(reg.dispatch()).toBe(0);
    expect(log).toEqual([`call vcpu 0 port ${xenPort}`, 'send 0', 'close 0']);
    expect(x.evtchnFreeXen(1, xenPort)).toBe(0); // nothing in flight: returns at once
    expect(m.dp.channel(1, xenPort).state).toBe(0);
  });

  it('notify_via_xen_event_channel raises the guest\'s end; a freed Xen port notifies nobody', () => {
    const m = createMachine([{ domid: 1, vcpus: 1, frames: 8 }], 'debug');
    const x = m.dp.x;
    const slot = x.xenConsumerRegister(consumerId('n'), 1);
    const xenPort = x.evtchnAllocUnboundXen(1, 0, 1, slot);
    const local = x.evtchnBindInterdomain(1, 1, xenPort);
    x.clearUpcallPending(1, 0);
    expect(x.evtchnIsPending(1, local)).toBe(1); // raised by the bind itself
    const si = x.addrGfn(1, 0) >>> 0;
    m.dp.u8[si + SI_EVTCHN_PENDING + (local >> 3)] &= ~(1 << (local & 7)); // the guest acks it
    expect(x.notifyViaXenEventChannel(1, xenPort)).toBe(0);
    expect(x.evtchnIsPending(1, local)).toBe(1);
    expect(x.evtchnFreeXen(1, xenPort)).toBe(0);
    m.dp.u8[si + SI_EVTCHN_PENDING + (local >> 3)] &= ~(1 << (local & 7));
    expect(x.notifyViaXenEventChannel(1, xenPort)).toBe(0);
    expect(x.evtchnIsPending(1, local)).toBe(0);
  });
});
