// The live view's data (src/browser/domain-snapshot.ts) read through the
// named accessors from a real machine, in Node: what a send leaves in the
// receiver's event word and queues, decoded as Xen's FIFO ABI defines it,
// and agreeing with the diagnostic decoder (formatEventWord).
import { describe, it, expect } from 'vitest';
import { Hypervisor } from '../../src/hypervisor.ts';
import { formatEventWord } from '../../src/wasm/decode.ts';
import { snapshotDomain } from '../../src/browser/domain-snapshot.ts';

describe('snapshotDomain', () => {
  it('decodes a masked pending event, then the same event linked on its queue once unmasked', async () => {
    await using hv = await Hypervisor.create({ domains: [{ id: 1, vcpus: 1 }, { id: 2, vcpus: 2 }] });
    const d1 = hv.domain(1);
    const d2 = hv.domain(2);
    const remote = d2.allocUnbound(1);
    d2.setPriority(remote, 5);
    d2.bindVcpu(remote, 1);
    const local = d1.bindInterdomain(2, remote);
    const bindRaise = snapshotDomain(hv.machine.dp, 2, 2);
    d1.send(local);
    const s = snapshotDomain(hv.machine.dp, 2, 2);
    expect(s.abi).toBe('fifo');
    expect(s.vcpus.map((v) => v.vcpu)).toEqual([0, 1]);
    expect(s.vcpus.every((v) => v.queues.length === 16)).toBe(true);
    const p = s.ports.find((x) => x.port === remote)!;
    expect(p).toMatchObject({ state: 'interdomain', notifyVcpu: 1, priority: 5, pending: true, masked: true, linked: false, busy: false });
    // a masked event is never linked: vCPU 1's priority-5 queue is as it was before the send
    expect(s.vcpus[1].queues[5]).toEqual(bindRaise.vcpus[1].queues[5]);
    // the same word through the diagnostic decoder
    for (const x of s.ports) {
      const flags = /\[([-P][-M][-L][-B])\]/.exec(formatEventWord(x.word))![1];
      expect(flags, `port ${x.port}`).toBe(`${x.pending ? 'P' : '-'}${x.masked ? 'M' : '-'}${x.linked ? 'L' : '-'}${x.busy ? 'B' : '-'}`);
    }
    // listening unmasks the port: the pending event is linked on vCPU 1's priority-5 queue and delivered
    const got = new Promise<number>((resolve) => d2.on(remote, resolve));
    expect(await got).toBe(remote);
    const after = snapshotDomain(hv.machine.dp, 2, 2);
    expect(after.ports.find((x) => x.port === remote)).toMatchObject({ pending: false, masked: false, linked: false });
    const q = after.vcpus[1].queues[5];
    expect(q.tail).toBe(remote); // Xen's tail names the last event linked on this queue
    expect(q.ready).toBe(false); // drained
  });

  it('leaves free ports out and stops at maxPorts', async () => {
    await using hv = await Hypervisor.create({ domains: [{ id: 1, vcpus: 1 }, { id: 2, vcpus: 1 }] });
    for (let i = 0; i < 5; i++) hv.domain(2).allocUnbound(1);
    const s = snapshotDomain(hv.machine.dp, 2, 1, 3);
    expect(s.ports.length).toBe(3);
    expect(s.ports.every((x) => x.state !== 'free')).toBe(true);
    expect(s.ports.map((x) => x.port)).toEqual([...s.ports.map((x) => x.port)].sort((a, b) => a - b));
  });
});
