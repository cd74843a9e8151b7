// Spec §17.2 and §17.3 as exact test vectors: event words, control block,
// Xen's private tail and lastq, upcall flag after every step.
import { describe, it, expect } from 'vitest';
import { fifoMachine } from '../helpers/fifo-machine.ts';
import { formatEventWord } from '../../src/wasm/decode.ts';

const hex = (w: number | undefined) => formatEventWord(w);

describe('spec §17.2: FIFO, vCPU 0, ports 5 and 9 at default priority 7', () => {
  it('raise, link, consume, and re-raise behind a stale tail (I11, I13, I15)', () => {
    const m = fifoMachine({ domains: [{ domid: 1, vcpus: 1 }] });
    const { x } = m.dp;
    const word = (p: number) => m.dp.eventWord(1, p);
    m.bind(1, 5);
    m.bind(1, 9);
    // start: the guest filled the page with MASKED and unmasked 5 and 9 locally
    expect(hex(word(5))).toBe(hex(0x40000000));
    m.unmask(1, 5);
    m.unmask(1, 9);
    expect(word(5)).toBe(0);
    expect(word(9)).toBe(0);
    expect(m.dp.channel(1, 5).lastq).toEqual({ prio: 0, vcpu: 0 });

    // 1. Xen raises 5
    expect(x.fifoSetPending(1, 0, 5)).toBe(1);
    expect(hex(word(5))).toBe(hex(0xa0000000));
    expect(m.dp.channel(1, 5).lastq).toEqual({ prio: 7, vcpu: 0 });
    expect(m.dp.controlBlock(1, 0)!.head[7]).toBe(5);
    expect(m.dp.queueTail(1, 0, 7)).toBe(5);
    expect(m.dp.controlBlock(1, 0)!.ready).toBe(0x80);
    expect(m.dp.upcallPending(1, 0)).toBe(1);
    expect(m.dp.stats(1).upcalls).toBe(1);

    // 2. Xen raises 9: linked behind 5, no READY change, no upcall
    expect(x.fifoSetPending(1, 0, 9)).toBe(1);
    expect(hex(word(9))).toBe(hex(0xa0000000));
    expect(m.dp.channel(1, 9).lastq).toEqual({ prio: 7, vcpu: 0 });
    expect(hex(word(5))).toBe(hex(0xa0000009));
    expect(m.dp.queueTail(1, 0, 7)).toBe(9);
    expect(m.dp.controlBlock(1, 0)!.ready).toBe(0x80);
    expect(m.dp.stats(1).upcalls).toBe(1);
    expect(m.dp.stats(1).linkTries[1]).toBe(1);

    // 3. guest upcall: clears the flag, takes READY, consumes 5 (acked → 0)
    x.clearUpcallPending(1, 0);
    expect(m.dp.upcallPending(1, 0)).toBe(0);
    const gs = m.guest.get(1)!.gsGfn;
    expect(x.guestFifoNext(1, gs, 0)).toBe(5);
    expect(m.dp.controlBlock(1, 0)!.ready).toBe(0);
    expect(hex(word(5))).toBe(hex(0x00000000));
    expect(hex(word(9))).toBe(hex(0xa0000000));

    // 4. consumes 9, then nothing is left
    expect(x.guestFifoNext(1, gs, 0)).toBe(9);
    expect(hex(word(9))).toBe(hex(0x00000000));
    expect(x.guestFifoNext(1, gs, 0)).toBe(0);
    expect(m.dp.upcallPending(1, 0)).toBe(0);

    // 5. Xen raises 5 again: the stale tail 9 is not LINKED → new HEAD, READY, upcall
    expect(x.fifoSetPending(1, 0, 5)).toBe(1);
    expect(hex(word(5))).toBe(hex(0xa0000000));
    expect(hex(word(9))).toBe(hex(0x00000000));
    expect(m.dp.controlBlock(1, 0)!.head[7]).toBe(5);
    expect(m.dp.queueTail(1, 0, 7)).toBe(5);
    expect(m.dp.controlBlock(1, 0)!.ready).toBe(0x80);
    expect(m.dp.upcallPending(1, 0)).toBe(1);
    expect(m.dp.stats(1).upcalls).toBe(2);
    expect(m.drain(1, 0)).toEqual([5]);
  });
});

describe('spec §17.3: FIFO, raising a masked event, then unmasking', () => {
  it('masked raise sets PENDING only; the guest unmask goes to Xen, which links it (I16)', () => {
    const m = fifoMachine({ domains: [{ domid: 1, vcpus: 1 }] });
    const { x } = m.dp;
    m.bind(1, 5);
    expect(m.dp.eventWord(1, 5)).toBe(0x40000000);
    expect(x.fifoSetPending(1, 0, 5)).toBe(1); // newly pending: pollers would be checked
    expect(hex(m.dp.eventWord(1, 5))).toBe(hex(0xc0000000));
    expect(m.dp.controlBlock(1, 0)!.ready).toBe(0);
    expect(m.dp.controlBlock(1, 0)!.head[7]).toBe(0);
    expect(m.dp.upcallPending(1, 0)).toBe(0);

    // the local fast path refuses: PENDING is set
    expect(m.unmaskLocal(1, 5)).toBe(1);
    expect(hex(m.dp.eventWord(1, 5))).toBe(hex(0xc0000000));
    // EVTCHNOP_unmask: MASKED cleared, PENDING seen, linked as a new head
    x.fifoUnmask(1, 5);
    expect(hex(m.dp.eventWord(1, 5))).toBe(hex(0xa0000000));
    expect(m.dp.controlBlock(1, 0)!.head[7]).toBe(5);
    expect(m.dp.controlBlock(1, 0)!.ready).toBe(0x80);
    expect(m.dp.upcallPending(1, 0)).toBe(1);
    expect(m.drain(1, 0)).toEqual([5]);
    expect(m.dp.eventWord(1, 5)).toBe(0);
  });
});
