// Model-based test: random sequences of hypercalls, Xen-side raises and guest
// actions run on the wasm channel layer and on the plain-TS reference model;
// every return value and the observable state after every command must agree
// (status of every valid port, event words, control blocks, upcall flags,
// port counters). fast-check shrinks a failing sequence to a minimal one.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { ReferenceModel } from '../../src/model/reference-model.ts';
import { WasmChannelImpl } from '../../src/channel/wasm-impl.ts';
import type { ChannelImpl } from '../helpers/impls.ts';
import { DOMID_SELF } from '../../assembly/shared/evtchn-abi.ts';
import { stressScale } from '../helpers/litmus.ts';

const DOMAINS = [
  { domid: 0, vcpus: 2, frames: 16 },                        // control domain, stays 2-level
  { domid: 1, vcpus: 2, frames: 16, maxEvtchnPort: 200 },    // FIFO
  { domid: 2, vcpus: 1, frames: 16, maxEvtchnPort: 70 },     // FIFO, small port space
];
const FIFO_DOMS = [1, 2];

type Cmd =
  | { op: 'allocUnbound'; c: number; dom: number; remote: number }
  | { op: 'bindInterdomain'; c: number; remote: number; port: number }
  | { op: 'bindVirq'; c: number; virq: number; vcpu: number }
  | { op: 'bindIpi'; c: number; vcpu: number }
  | { op: 'close' | 'send' | 'unmask'; c: number; port: number }
  | { op: 'status'; c: number; dom: number; port: number }
  | { op: 'bindVcpu'; c: number; port: number; vcpu: number }
  | { op: 'setPriority'; c: number; port: number; prio: number }
  | { op: 'raiseVirq'; dom: number; vcpu: number; virq: number }
  | { op: 'guestMask' | 'guestUnmask'; dom: number; port: number }
  | { op: 'drain'; dom: number; vcpu: number };

const dom = fc.constantFrom(0, 1, 2);
const anyDom = fc.constantFrom(0, 1, 2, 7, DOMID_SELF);
const port = fc.oneof(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 140 }), fc.constant(-1));
const vcpu = fc.oneof(fc.integer({ min: 0, max: 2 }), fc.constant(-1));
const virq = fc.oneof(fc.constantFrom(0, 1, 3, 11), fc.integer({ min: 0, max: 25 }));

const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('allocUnbound' as const), c: dom, dom: anyDom, remote: anyDom }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('bindInterdomain' as const), c: dom, remote: anyDom, port }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('bindVirq' as const), c: dom, virq, vcpu }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('bindIpi' as const), c: dom, vcpu }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constantFrom('close' as const, 'send' as const, 'unmask' as const), c: dom, port }) },
  { weight: 6, arbitrary: fc.record({ op: fc.constant('send' as const), c: dom, port: fc.integer({ min: 1, max: 8 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('status' as const), c: dom, dom: anyDom, port }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('bindVcpu' as const), c: dom, port, vcpu }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('setPriority' as const), c: dom, port, prio: fc.integer({ min: 0, max: 16 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('raiseVirq' as const), dom, vcpu: fc.integer({ min: 0, max: 1 }), virq }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constantFrom('guestMask' as const, 'guestUnmask' as const), dom: fc.constantFrom(1, 2), port: fc.integer({ min: 0, max: 10 }) }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('drain' as const), dom: fc.constantFrom(1, 2), vcpu: fc.integer({ min: 0, max: 1 }) }) },
);

function apply(m: ChannelImpl, k: Cmd): unknown {
  const C = (d: number) => ({ dom: d, vcpu: 0 });
  switch (k.op) {
    case 'allocUnbound': return m.allocUnbound(C(k.c), k.dom, k.remote);
    case 'bindInterdomain': return m.bindInterdomain(C(k.c), k.remote, k.port);
    case 'bindVirq': return m.bindVirq(C(k.c), k.virq, k.vcpu);
    case 'bindIpi': return m.bindIpi(C(k.c), k.vcpu);
    case 'close': return m.close(C(k.c), k.port);
    case 'send': return m.send(C(k.c), k.port);
    case 'unmask': return m.unmask(C(k.c), k.port);
    case 'status': return m.status(C(k.c), k.dom, k.port);
    case 'bindVcpu': return m.bindVcpu(C(k.c), k.port, k.vcpu);
    case 'setPriority': return m.setPriority(C(k.c), k.port, k.prio);
    case 'raiseVirq': m.raiseVirq(k.dom, k.vcpu, k.virq); return undefined;
    case 'guestMask': return m.guestMask(k.dom, k.port);
    case 'guestUnmask': m.guestUnmask(k.dom, k.port); return undefined;
    case 'drain': return m.drain(k.dom, k.vcpu >= DOMAINS[k.dom].vcpus ? 0 : k.vcpu);
  }
}

/** Everything a guest or the toolstack could observe. */
function observe(m: ChannelImpl): unknown {
  return DOMAINS.map((d) => {
    const valid = m.validEvtchns(d.domid);
    const ports = [];
    for (let p = 0; p < valid; p++) {
      const s = m.status({ dom: 0, vcpu: 0 }, d.domid, p);
      ports.push([p, s, m.eventWord(d.domid, p), m.isPending(d.domid, p), m.isMasked(d.domid, p)]);
    }
    const vcpus = [];
    for (let v = 0; v < d.vcpus; v++) vcpus.push([m.upcallPending(d.domid, v), m.controlBlock(d.domid, v)]);
    return { dom: d.domid, abi: m.abi(d.domid), valid, active: m.activeEvtchns(d.domid), ports, vcpus };
  });
}

/** fast-check's seed: fixed by default, printed in the test name; WASMXEN_SEED overrides. */
const SEED = Number(process.env.WASMXEN_SEED ?? 20261206) | 0;

describe(`model-based: wasm channel layer vs reference model (seed ${SEED}; WASMXEN_SEED overrides)`, () => {
  it('agree on every return value and all observable state after every command', () => {
    fc.assert(
      fc.property(fc.array(cmd, { minLength: 1, maxLength: 60, size: 'max' }), (cmds) => {
        const model = new ReferenceModel(DOMAINS);
        const wasm = new WasmChannelImpl(DOMAINS);
        for (const d of FIFO_DOMS) { model.bootFifo(d); wasm.bootFifo(d); }
        cmds.forEach((k, i) => {
          const want = apply(model, k);
          const got = apply(wasm, k);
          expect(got, `command #${i} ${JSON.stringify(k)}: result`).toEqual(want);
          expect(observe(wasm), `after command #${i} ${JSON.stringify(k)}`).toEqual(observe(model));
        });
      }),
      { numRuns: Math.ceil(300 * stressScale()), seed: SEED },
    );
  });
});
