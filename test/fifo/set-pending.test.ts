// FIFO raise/unmask/clear transitions on one thread (spec §9.5, §9.7), with
// the guest consuming as Linux does (spec §10.3, §10.4).
import { describe, it, expect } from 'vitest';
import { fifoMachine } from '../helpers/fifo-machine.ts';
import { EINVAL } from '../../assembly/shared/errno.ts';

const P = 0x80000000, M = 0x40000000, L = 0x20000000;
const u = (n: number) => n >>> 0;

describe('fifoSetPending', () => {
  it('a second raise of a LINKED event only keeps PENDING; no link, no upcall', () => {
    const m = fifoMachine();
    const { x } = m.dp;
    m.bind(1, 5); m.unmask(1, 5);
    expect(x.fifoSetPending(1, 0, 5)).toBe(1);
    expect(x.fifoSetPending(1, 0, 5)).toBe(0);
    expect(m.dp.eventWord(1, 5)).toBe(u(P | L));
    expect(m.dp.stats(1).upcalls).toBe(1);
    expect(m.dp.stats(1).linkTries.reduce((a, b) => a + b)).toBe(0);
    expect(m.drain(1, 0)).toEqual([5]);
  });

  it('an event already consumed but still PENDING is re-queued when raised', () => {
    const m = fifoMachine();
    const { x } = m.dp;
    m.bind(1, 5); m.unmask(1, 5);
    x.fifoSetPending(1, 0, 5);
    x.guestFifoMask(1, m.guest.get(1)!.gsGfn, 5);
    expect(m.drain(1, 0)).toEqual([]); // masked: unlinked, not dispatched, still PENDING
    expect(m.dp.eventWord(1, 5)).toBe(u(P | M));
    expect(x.fifoSetPending(1, 0, 5)).toBe(0); // masked: no link
    expect(m.dp.eventWord(1, 5)).toBe(u(P | M));
    m.unmask(1, 5); // fast path refuses (PENDING), Xen relinks
    expect(m.drain(1, 0)).toEqual([5]);
  });

  it('old-tail invalidation: a port moved to another vCPU never gets LINK written on its old queue (I13)', () => {
    const m = fifoMachine();
    const { x } = m.dp;
    for (const p of [5, 6]) { m.bind(1, p); m.unmask(1, p); }
    x.fifoSetPending(1, 0, 5);
    expect(m.drain(1, 0)).toEqual([5]);
    expect(m.dp.queueTail(1, 0, 7)).toBe(5); // stale tail, Xen cannot know it was consumed
    x.channelSetNotifyVcpu(1, 5, 1);          // bind_vcpu(5 → vCPU 1)
    x.fifoSetPending(1, 1, 5);
    expect(m.dp.channel(1, 5).lastq).toEqual({ prio: 7, vcpu: 1 });
    expect(m.dp.queueTail(1, 0, 7)).toBe(0);  // invalidated
    expect(m.dp.queueTail(1, 1, 7)).toBe(5);
    x.fifoSetPending(1, 0, 6);                // v0 q7 is empty: 6 becomes HEAD, 5's LINK untouched
    expect(m.dp.eventWord(1, 5)).toBe(u(P | L));
    expect(m.dp.controlBlock(1, 0)!.head[7]).toBe(6);
    expect(m.drain(1, 0)).toEqual([6]);
    expect(m.drain(1, 1)).toEqual([5]);
  });

  it('a LINKED event stays on its queue across bind_vcpu and set_priority (I14)', () => {
    const m = fifoMachine();
    const { x } = m.dp;
    for (const p of [5, 6]) { m.bind(1, p); m.unmask(1, p); }
    x.fifoSetPending(1, 0, 5);
    expect(x.fifoSetPriority(1, 5, 3)).toBe(0);
    x.channelSetNotifyVcpu(1, 5, 1);
    x.fifoClearPending(1, 5);            // (the guest could also have acked it)
    x.fifoSetPending(1, 1, 5);           // still LINKED on (v0, q7): PENDING only
    expect(m.dp.queueTail(1, 1, 3)).toBe(0);
    expect(m.dp.controlBlock(1, 1)!.ready).toBe(0);
    expect(m.drain(1, 1)).toEqual([]);
    expect(m.drain(1, 0)).toEqual([5]);  // delivered where it was queued
    x.fifoSetPending(1, 1, 5);           // now the new queue: (v1, q3)
    expect(m.dp.channel(1, 5).lastq).toEqual({ prio: 3, vcpu: 1 });
    expect(m.dp.controlBlock(1, 1)!.head[3]).toBe(5);
    expect(m.dp.controlBlock(1, 1)!.ready).toBe(1 << 3);
    expect(m.drain(1, 1)).toEqual([5]);
  });

  it('set_priority rejects priorities above 15', () => {
    const m = fifoMachine();
    expect(m.dp.x.fifoSetPriority(1, 5, 16)).toBe(-EINVAL);
    expect(m.dp.x.fifoSetPriority(1, 5, 15)).toBe(0);
    expect(m.dp.channel(1, 5).priority).toBe(15);
  });

  it('READY is set only for a new head, and only a 0→1 READY bit requests an upcall (spec §9.5)', () => {
    const m = fifoMachine();
    const { x } = m.dp;
    for (const p of [5, 6, 7]) { m.bind(1, p); m.unmask(1, p); }
    x.fifoSetPriority(1, 7, 2);
    x.fifoSetPending(1, 0, 5);
    x.fifoSetPending(1, 0, 6);
    expect(m.dp.controlBlock(1, 0)!.ready).toBe(1 << 7);
    x.fifoSetPending(1, 0, 7);          // new head of q2
    expect(m.dp.controlBlock(1, 0)!.ready).toBe((1 << 7) | (1 << 2));
    expect(m.dp.stats(1).upcalls).toBe(1); // the flag was already set
    expect(m.dp.upcallPending(1, 0)).toBe(1);
  });
});

describe('predicates and clear_pending', () => {
  it('isPending/isMasked/isBusy follow the word; no word reads as masked, not pending, not busy', () => {
    const m = fifoMachine({ domains: [{ domid: 1, vcpus: 1, maxPort: 1023 }] });
    const { x } = m.dp;
    m.bind(1, 5);
    expect(x.fifoIsMasked(1, 5)).toBe(1);
    m.unmask(1, 5);
    expect([x.fifoIsPending(1, 5), x.fifoIsMasked(1, 5), x.fifoIsBusy(1, 5)]).toEqual([0, 0, 0]);
    x.fifoSetPending(1, 0, 5);
    expect([x.fifoIsPending(1, 5), x.fifoIsMasked(1, 5), x.fifoIsBusy(1, 5)]).toEqual([1, 0, 1]);
    x.fifoClearPending(1, 5);
    expect(m.dp.eventWord(1, 5)).toBe(L); // clear_pending does not unlink
    expect(m.drain(1, 0)).toEqual([]);    // the guest skips a non-pending entry
    expect(x.fifoIsBusy(1, 5)).toBe(0);
    expect([x.fifoIsPending(1, 2000), x.fifoIsMasked(1, 2000), x.fifoIsBusy(1, 2000)]).toEqual([0, 1, 0]);
  });
});

describe('guest consumption (spec §10.3)', () => {
  it('drains queues in priority order, FIFO within a queue (I15)', () => {
    const m = fifoMachine();
    const { x } = m.dp;
    const prios: Record<number, number> = { 10: 9, 11: 2, 12: 7, 13: 2, 14: 0, 15: 9, 16: 15 };
    for (const [p, q] of Object.entries(prios)) {
      m.bind(1, +p); m.unmask(1, +p); x.fifoSetPriority(1, +p, q);
    }
    for (const p of [10, 11, 12, 13, 14, 15, 16]) x.fifoSetPending(1, 0, p);
    expect(m.drain(1, 0)).toEqual([14, 11, 13, 12, 10, 15, 16]);
  });

  it('a higher-priority event raised mid-drain overtakes the rest of a lower queue', () => {
    const m = fifoMachine();
    const { x } = m.dp;
    const gs = m.guest.get(1)!.gsGfn;
    for (const p of [20, 21, 22, 30]) { m.bind(1, p); m.unmask(1, p); }
    x.fifoSetPriority(1, 30, 1);
    for (const p of [20, 21, 22]) x.fifoSetPending(1, 0, p);
    x.clearUpcallPending(1, 0);
    expect(x.guestFifoNext(1, gs, 0)).toBe(20);
    x.fifoSetPending(1, 0, 30);
    expect(x.guestFifoNext(1, gs, 0)).toBe(30);
    expect(x.guestFifoNext(1, gs, 0)).toBe(21);
    expect(x.guestFifoNext(1, gs, 0)).toBe(22);
    expect(x.guestFifoNext(1, gs, 0)).toBe(0);
  });

  it('survives garbage in its own memory: a HEAD naming an unregistered port ends that queue', () => {
    const m = fifoMachine({ domains: [{ domid: 1, vcpus: 1, maxPort: 1023 }] });
    const { x } = m.dp;
    const gs = m.guest.get(1)!.gsGfn;
    const cb = x.addrControlBlock(1, 0);
    Atomics.store(m.dp.u32, (cb + 8 + 4 * 4) >> 2, 99999); // head[4] = port beyond the array
    Atomics.store(m.dp.u32, cb >> 2, 0xffffffff);          // every READY bit, even reserved ones
    expect(x.guestFifoNext(1, gs, 0)).toBe(0);
    m.bind(1, 5); m.unmask(1, 5);
    x.fifoSetPending(1, 0, 5);
    expect(m.drain(1, 0)).toEqual([5]);
  });
});

describe('guest unmask fast path (spec §10.4, I16)', () => {
  it('leaves unmasked words alone, clears MASKED locally when not pending, defers to Xen when pending', () => {
    const m = fifoMachine({ domains: [{ domid: 1, vcpus: 1, maxPort: 1023 }] });
    const { x } = m.dp;
    const gs = m.guest.get(1)!.gsGfn;
    expect(m.dp.eventWord(1, 8)).toBe(M);
    expect(x.guestFifoUnmask(1, gs, 8)).toBe(0);
    expect(m.dp.eventWord(1, 8)).toBe(0);
    expect(x.guestFifoUnmask(1, gs, 8)).toBe(0);
    expect(m.dp.eventWord(1, 8)).toBe(0);
    x.guestFifoMask(1, gs, 8);
    m.bind(1, 8);
    x.fifoSetPending(1, 0, 8);
    expect(x.guestFifoUnmask(1, gs, 8)).toBe(1);
    expect(m.dp.eventWord(1, 8)).toBe(u(P | M));
    expect(x.guestFifoUnmask(1, gs, 5000)).toBe(-EINVAL);
    expect(x.guestFifoMask(1, gs, 0)).toBe(-EINVAL); // port 0 is never an event
  });
});

describe('upcall and block (I3)', () => {
  it('vcpuBlock returns at once when an upcall is pending and times out otherwise', () => {
    const m = fifoMachine({ domains: [{ domid: 1, vcpus: 1, maxPort: 1023 }] });
    const { x } = m.dp;
    expect(x.vcpuBlock(1, 0, 1e6)).toBe(0);
    expect(m.dp.vcpuBlocked(1, 0)).toBe(0);
    expect(x.markEventsPending(1, 0)).toBe(1);
    expect(x.markEventsPending(1, 0)).toBe(0);
    expect(x.vcpuBlock(1, 0, -1)).toBe(1);
    x.clearUpcallPending(1, 0);
    expect(m.dp.upcallPending(1, 0)).toBe(0);
  });

  it('clearing the upcall flag keeps the other bytes of the word (evtchn_upcall_mask)', () => {
    const m = fifoMachine({ domains: [{ domid: 1, vcpus: 1, maxPort: 1023 }] });
    const { x } = m.dp;
    const vi = x.addrVcpuInfoOf(1, 0);
    m.dp.u8[vi + 1] = 1; // evtchn_upcall_mask
    x.markEventsPending(1, 0);
    expect(m.dp.u8[vi]).toBe(1);
    x.clearUpcallPending(1, 0);
    expect([m.dp.u8[vi], m.dp.u8[vi + 1]]).toEqual([0, 1]);
  });
});
