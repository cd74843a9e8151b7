// The library path of a toolstack channel across a save and restore (I56):
// hv.save records the console's and the monitor's ports as toolstack ports
// (DOMID_SELF: the domain binds them itself), Hypervisor.restore pre-binds
// them at the same numbers, the target's consumers attach there without
// touching the rings, and what the guest had written but the source had not
// taken is taken on the target — once — followed by what it writes next.
import { describe, it, expect } from 'vitest';
import { Hypervisor } from '../../src/hypervisor.ts';
import { ConsoleClient, MonitorClient } from '../../src/consumers/clients.ts';
import { EvtchnError } from '../../src/errors.ts';
import { TP_KIND_CONSOLE, TP_KIND_OTHER } from '../../src/migrate/format.ts';
import { parseImage } from '../../src/migrate/parse.ts';
import { C_RING_PROD, C_RING_CONS, C_RING_DATA, CONSOLE_DATA_BYTES } from '../../src/consumers/console-ring.ts';
import { R_REQ_PROD, R_REQS, RING_SLOTS } from '../../src/consumers/monitor-ring.ts';
import { DOMID_SELF } from '../../assembly/shared/evtchn-abi.ts';
import { EINVAL } from '../../assembly/shared/errno.ts';
import { PAGE_SIZE } from '../../assembly/shared/layout.ts';
import { thrown } from '../errors/expect-typed.ts';

const consumers = [{ name: 'monitor', module: 'monitor' }, { name: 'console', module: 'console' }];

function sink() {
  const chunks: Uint8Array[] = [];
  return { stream: { write: (c: Uint8Array) => chunks.push(c) }, text: () => Buffer.concat(chunks).toString('utf8') };
}

/** What a guest leaves when a pause lands at its send: the bytes in the ring, the notification not made. */
function writeUnsent(hv: Hypervisor, dom: number, gfn: number, text: string): void {
  const base = hv.machine.dp.x.addrGfn(dom, gfn) >>> 0;
  const ring = new Uint32Array(hv.machine.dp.memory.buffer, base, 3);
  let prod = Atomics.load(ring, C_RING_PROD);
  for (const b of new TextEncoder().encode(text)) { hv.machine.dp.u8[base + C_RING_DATA + (prod % CONSOLE_DATA_BYTES)] = b; prod = (prod + 1) >>> 0; }
  Atomics.store(ring, C_RING_PROD, prod);
}

function postUnsent(hv: Hypervisor, dom: number, gfn: number, req: number): void {
  const ring = new Uint32Array(hv.machine.dp.memory.buffer, hv.machine.dp.x.addrGfn(dom, gfn) >>> 0, PAGE_SIZE / 4);
  const prod = Atomics.load(ring, R_REQ_PROD);
  Atomics.store(ring, R_REQS + (prod % RING_SLOTS), req);
  Atomics.store(ring, R_REQ_PROD, prod + 1);
}

async function source() {
  const out = sink();
  const hv = await Hypervisor.create({ domains: [{ id: 0, vcpus: 1 }, { id: 1, vcpus: 2 }], consumers, consoleStream: out.stream });
  const d = hv.domain(1);
  const monGfn = d.layout.freeGfn;
  const conGfn = monGfn + 1;
  const monPort = hv.monitor.openRing(1, monGfn);
  const conPort = hv.console.openRing(1, conGfn);
  const conLocal = d.bindInterdomain(1, conPort);
  const monLocal = d.bindInterdomain(1, monPort);
  new ConsoleClient(d.guest(), conGfn, conLocal).write('taken on the source\n');
  new MonitorClient(d.guest(), monGfn, monLocal).post(1); // answered on the source
  writeUnsent(hv, 1, conGfn, 'written before the move\n');
  postUnsent(hv, 1, monGfn, 2);
  const ports = [
    { port: conPort, remoteDom: DOMID_SELF, kind: TP_KIND_CONSOLE },
    { port: monPort, remoteDom: DOMID_SELF, kind: TP_KIND_OTHER },
  ];
  return { hv, out, monGfn, conGfn, monPort, conPort, ports };
}

describe('toolstack channels across save and restore (I56)', () => {
  for (const id of [1, 3]) {
    it(`restored as domain ${id}: the console and monitor attach at the recorded ports and carry on, nothing lost or taken twice`, async () => {
      const s = await source();
      let image: Uint8Array;
      const sourceMonitor = s.hv.monitor;
      try {
        image = await s.hv.save(1, { toolstackPorts: s.ports });
        expect(parseImage(image).toolstackPorts).toEqual(s.ports);
      } finally {
        await s.hv.shutdown();
      }
      expect(s.out.text()).toBe('taken on the source\n');
      expect(sourceMonitor.stats()).toMatchObject({ answered: 1 });

      const out = sink();
      const { hv, domain } = await Hypervisor.restore(image, { domains: [{ id: 0, vcpus: 1 }], consumers, consoleStream: out.stream, restore: { id } });
      try {
        // pre-bound by the restore: unbound, for the domain itself, at the same numbers
        expect(domain.status(s.conPort)).toEqual({ status: 'unbound', vcpu: 0, remoteDom: id });
        expect(domain.status(s.monPort)).toEqual({ status: 'unbound', vcpu: 0, remoteDom: id });
        expect(hv.console.attachRing(id, s.conGfn, s.conPort)).toBe(s.conPort);
        expect(hv.monitor.attachRing(id, s.monGfn, s.monPort)).toBe(s.monPort);
        const ring = new Uint32Array(hv.machine.dp.memory.buffer, hv.machine.dp.x.addrGfn(id, s.conGfn) >>> 0, 3);
        expect(Atomics.load(ring, C_RING_PROD) - Atomics.load(ring, C_RING_CONS)).toBe(24); // the moved bytes, untouched
        // the guest's resume: its ends bound again to the ports its config names
        const conLocal = domain.bindInterdomain(id, s.conPort);
        const monLocal = domain.bindInterdomain(id, s.monPort);
        new ConsoleClient(domain.guest(), s.conGfn, conLocal).write('written after the move\n');
        const mon = new MonitorClient(domain.guest(), s.monGfn, monLocal, { words: new Int32Array([1]), at: 0 }); // read answer 0 on the source
        expect(mon.unanswered()).toBe(1); // its notification was lost with the source's channel table
        mon.post(3);
        expect(mon.unanswered()).toBe(0);
        expect(mon.responses()).toEqual([3, 4]);
        expect(hv.monitor.stats()).toMatchObject({ answered: 2 });
      } finally {
        await hv.shutdown();
      }
      expect(out.text()).toBe('written before the move\nwritten after the move\n');
    });
  }

  it('an image without the toolstack ports: nothing to attach to (EINVAL), the ring untouched', async () => {
    const s = await source();
    let image: Uint8Array;
    try {
      image = await s.hv.save(1);
    } finally {
      await s.hv.shutdown();
    }
    const { hv } = await Hypervisor.restore(image, { domains: [{ id: 0, vcpus: 1 }], consumers, restore: { id: 1 } });
    try {
      const ring = new Uint32Array(hv.machine.dp.memory.buffer, hv.machine.dp.x.addrGfn(1, s.conGfn) >>> 0, 3);
      const before = ring.slice();
      const e = thrown(() => hv.console.attachRing(1, s.conGfn, s.conPort));
      expect(e).toBeInstanceOf(EvtchnError);
      expect((e as EvtchnError).errno).toBe(EINVAL);
      expect(ring.slice()).toEqual(before);
      expect(hv.domain(1).status(s.conPort).status).toBe('closed');
    } finally {
      await hv.shutdown();
    }
  });
});
