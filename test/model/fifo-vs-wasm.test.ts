// The model's FIFO layer (Xen side §9.5–§9.7, guest side §10.3–§10.4) against
// the wasm data plane, single-threaded: random raise / mask / unmask /
// retarget / set_priority / drain sequences must leave identical event
// words, control blocks, queue tails, lastq and upcall flags.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { ReferenceModel } from '../../src/model/index.ts';
import { fifoMachine } from '../helpers/fifo-machine.ts';
import { DOMID_SELF } from '../../assembly/shared/evtchn-abi.ts';
import { formatEventWord } from '../../src/wasm/decode.ts';

const PORTS = 8;
const VCPUS = 2;
const D1 = { dom: 1, vcpu: 0 };

type Op =
  | { k: 'raise'; p: number }
  | { k: 'mask'; p: number }
  | { k: 'unmask'; p: number }
  | { k: 'hyperUnmask'; p: number }
  | { k: 'prio'; p: number; q: number }
  | { k: 'retarget'; p: number; v: number }
  | { k: 'drain'; v: number };

const port = fc.integer({ min: 1, max: PORTS });
const vcpu = fc.integer({ min: 0, max: VCPUS - 1 });
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: port.map((p) => ({ k: 'raise' as const, p })) },
  { weight: 1, arbitrary: port.map((p) => ({ k: 'mask' as const, p })) },
  { weight: 2, arbitrary: port.map((p) => ({ k: 'unmask' as const, p })) },
  { weight: 1, arbitrary: port.map((p) => ({ k: 'hyperUnmask' as const, p })) },
  { weight: 1, arbitrary: fc.record({ p: port, q: fc.constantFrom(0, 3, 7, 15) }).map((r) => ({ k: 'prio' as const, ...r })) },
  { weight: 1, arbitrary: fc.record({ p: port, v: vcpu }).map((r) => ({ k: 'retarget' as const, ...r })) },
  { weight: 2, arbitrary: vcpu.map((v) => ({ k: 'drain' as const, v })) },
);

describe('reference model vs wasm FIFO data plane', () => {
  it('agree on every guest-visible word and Xen-private queue state', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 80, size: 'max' }), (ops) => {
        const w = fifoMachine({ domains: [{ domid: 1, vcpus: VCPUS }] });
        const x = w.dp.x;
        const gs = w.guest.get(1)!.gsGfn;
        const m = new ReferenceModel([{ domid: 1, vcpus: VCPUS, frames: 64 }]);
        m.bootFifo(1);
        for (let p = 1; p <= PORTS; p++) {
          expect(m.allocUnbound(D1, DOMID_SELF, 1)).toEqual({ rc: 0, port: p });
          w.bind(1, p, 0);
        }
        const snapshot = (src: 'model' | 'wasm') => {
          const words: string[] = [];
          const lastq: string[] = [];
          for (let p = 0; p <= PORTS; p++) {
            words.push(formatEventWord(src === 'model' ? m.eventWord(1, p) : w.dp.eventWord(1, p)));
            const c = src === 'model' ? m.channel(1, p) : w.dp.channel(1, p);
            lastq.push(`${c.lastq.prio}/${c.lastq.vcpu} n${c.notifyVcpu} p${c.priority}`);
          }
          const vcpus = [];
          for (let v = 0; v < VCPUS; v++) {
            const tails: number[] = [];
            for (let q = 0; q < 16; q++) tails.push(src === 'model' ? m.queueTail(1, v, q) : w.dp.queueTail(1, v, q));
            vcpus.push({
              cb: src === 'model' ? m.controlBlock(1, v) : w.dp.controlBlock(1, v),
              tails,
              upcall: src === 'model' ? m.upcallPending(1, v) : w.dp.upcallPending(1, v),
            });
          }
          return { words, lastq, vcpus };
        };
        for (const o of ops) {
          switch (o.k) {
            case 'raise': {
              const v = m.channel(1, o.p).notifyVcpu;
              expect(m.fifoSetPending(1, v, o.p)).toBe(x.fifoSetPending(1, v, o.p));
              break;
            }
            case 'mask':
              expect(m.guestMask(1, o.p)).toBe(x.guestFifoMask(1, gs, o.p));
              break;
            case 'unmask':
              m.guestUnmask(1, o.p);
              w.unmask(1, o.p);
              break;
            case 'hyperUnmask':
              expect(m.unmask(D1, o.p)).toBe(0);
              x.fifoUnmask(1, o.p);
              break;
            case 'prio':
              expect(m.setPriority(D1, o.p, o.q)).toBe(x.fifoSetPriority(1, o.p, o.q));
              break;
            case 'retarget':
              expect(m.bindVcpu(D1, o.p, o.v)).toBe(0);
              x.channelSetNotifyVcpu(1, o.p, o.v);
              break;
            case 'drain':
              expect(m.drain(1, o.v)).toEqual(w.drain(1, o.v));
              break;
          }
          expect(snapshot('model')).toEqual(snapshot('wasm'));
        }
      }),
      { numRuns: 150 },
    );
  });
});
