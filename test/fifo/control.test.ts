// EVTCHNOP_init_control and EVTCHNOP_expand_array: every argument check in
// Xen's order with Xen's errno (spec §9.2, §9.3), and their state effects.
import { describe, it, expect } from 'vitest';
import { createMachine } from '../../src/wasm/data-plane.ts';
import { EINVAL, ENOENT, ENOSPC, EOPNOTSUPP } from '../../assembly/shared/errno.ts';
import { EVTCHN_FIFO_CB_MAX_OFFSET } from '../../assembly/shared/fifo-abi.ts';
import { SI_EVTCHN_PENDING } from '../../assembly/shared/layout.ts';

function machine(frames = 200, vcpus = 2, maxEvtchnPort = 131071) {
  const m = createMachine([{ domid: 3, vcpus, frames, maxEvtchnPort }], 'debug');
  return { m, x: m.dp.x };
}

describe('EVTCHNOP_init_control', () => {
  it('checks vcpu, then offset bound, then alignment, before anything else', () => {
    const { m, x } = machine();
    // a bad vcpu wins over a bad offset and a bad gfn
    expect(x.fifoInitControl(3, 999999, 0, 4025, 2)).toBe(-ENOENT);
    expect(x.fifoInitControl(3, 5, 0, 0, -1)).toBe(-ENOENT); // vcpu ~0 as unsigned
    expect(x.fifoInitControl(3, 5, 0, EVTCHN_FIFO_CB_MAX_OFFSET + 8, 0)).toBe(-EINVAL);
    expect(x.fifoInitControl(3, 5, 0, 4028, 0)).toBe(-EINVAL); // > 4024 and unaligned
    expect(x.fifoInitControl(3, 5, 0, 12, 0)).toBe(-EINVAL);   // not a multiple of 8
    expect(m.dp.abi(3)).toBe('2l');
  });

  it('a bad frame on the first call leaves the domain in 2-level', () => {
    const { m, x } = machine();
    expect(x.fifoInitControl(3, 200, 0, 0, 0)).toBe(-EINVAL);      // one past the last frame
    expect(x.fifoInitControl(3, 5, 1, 0, 0)).toBe(-EINVAL);        // gfn ≥ 2^32
    expect(m.dp.abi(3)).toBe('2l');
    expect(m.dp.controlBlockState(3, 0)).toBe(0);
  });

  it('first call switches to FIFO; offset 4024 is the last valid one; a repeat on the same vCPU is -EINVAL', () => {
    const { m, x } = machine();
    expect(x.fifoInitControl(3, 5, 0, EVTCHN_FIFO_CB_MAX_OFFSET, 0)).toBe(0);
    expect(m.dp.abi(3)).toBe('fifo');
    expect(m.dp.controlBlock(3, 0)).toBeDefined();
    expect(m.dp.controlBlock(3, 1)).toBeUndefined();
    expect(x.fifoInitControl(3, 6, 0, 0, 0)).toBe(-EINVAL);        // already initialised
    expect(x.fifoInitControl(3, 5, 0, 0, 1)).toBe(0);              // two vCPUs may share a page
    expect(x.fifoInitControl(3, 6, 0, 0, 1)).toBe(-EINVAL);
    // later calls still check the frame
    const n = machine();
    expect(n.x.fifoInitControl(3, 5, 0, 0, 0)).toBe(0);
    expect(n.x.fifoInitControl(3, 9999, 0, 0, 1)).toBe(-EINVAL);
    expect(n.m.dp.controlBlock(3, 1)).toBeUndefined();
  });

  it('carries 2-level pending bits over as sticky flags below the old limit, priority 7 for all (spec §9.2 5f)', () => {
    const { m, x } = machine(200, 1);
    const si = x.addrGfn(3, 0);
    // ports 3 and 40 pending in the 2-level bitmap (flat little-endian bit array)
    m.dp.u8[si + SI_EVTCHN_PENDING + (3 >> 3)] |= 1 << (3 & 7);
    m.dp.u8[si + SI_EVTCHN_PENDING + (40 >> 3)] |= 1 << (40 & 7);
    expect(x.fifoInitControl(3, 5, 0, 0, 0)).toBe(0);
    expect(m.dp.channel(3, 3).stickyPending).toBe(true);
    expect(m.dp.channel(3, 40).stickyPending).toBe(true);
    expect(m.dp.channel(3, 4).stickyPending).toBe(false);
    expect(m.dp.channel(3, 4).priority).toBe(7);
    expect(m.dp.channel(3, 63).priority).toBe(7);
    expect(m.dp.channel(3, 0).priority).toBe(0); // port 0 is not converted
    // not raised at init: re-raised when expand_array covers them (spec §9.3)
    expect(m.dp.controlBlock(3, 0)!.ready).toBe(0);
    // the page must be MASKED-free for the replay to queue them
    expect(x.fifoExpandArray(3, 10, 0)).toBe(0);
    expect(m.dp.eventWord(3, 3)).toBe(0xa0000028); // linked to 40
    expect(m.dp.eventWord(3, 40)).toBe(0xa0000000);
    expect(m.dp.controlBlock(3, 0)!.head[7]).toBe(3);
    expect(m.dp.controlBlock(3, 0)!.ready).toBe(0x80);
  });
});

describe('EVTCHNOP_expand_array', () => {
  it('is -EOPNOTSUPP in 2-level mode', () => {
    const { x } = machine();
    expect(x.fifoExpandArray(3, 10, 0)).toBe(-EOPNOTSUPP);
  });

  it('checks the frame; grows num_evtchns by 1024 per page up to 128 pages, then -ENOSPC', () => {
    const { m, x } = machine(200);
    expect(x.fifoInitControl(3, 1, 0, 0, 0)).toBe(0);
    expect(x.fifoExpandArray(3, 200, 0)).toBe(-EINVAL);
    expect(x.fifoExpandArray(3, 0, 1)).toBe(-EINVAL);
    expect(m.dp.fifoNumEvtchns(3)).toBe(0);
    for (let i = 0; i < 128; i++) expect(x.fifoExpandArray(3, 10 + i, 0)).toBe(0);
    expect(m.dp.fifoNumEvtchns(3)).toBe(131072);
    expect(x.fifoExpandArray(3, 150, 0)).toBe(-ENOSPC);
    expect(x.addrEventWord(3, 131071)).toBe(x.addrGfn(3, 137) + 4 * 1023);
    expect(x.addrEventWord(3, 1024)).toBe(x.addrGfn(3, 11));
  });
});

describe('raise without an array page or control block', () => {
  it('a port beyond the array is remembered; the replay skips ports without storage (spec §9.3 step 5)', () => {
    const n = createMachine([{ domid: 2, vcpus: 1, frames: 64, maxEvtchnPort: 4095 }], 'debug');
    const y = n.dp.x;
    expect(y.guestFifoSetup(2, 1)).toBe(0);
    expect(y.guestFifoInitVcpu(2, 1, 0, 2, 0)).toBe(0);
    expect(y.guestFifoAddArrayPage(2, 1, 3)).toBe(0);
    y.fifoPortInit(2, 1500);
    expect(y.fifoSetPending(2, 0, 1500)).toBe(0); // no word: sticky flag only
    expect(n.dp.channel(2, 1500).stickyPending).toBe(true);
    expect(n.dp.controlBlock(2, 0)!.ready).toBe(0);
    // port 1500 has no storage yet (valid_evtchns is 64): the replay stops before it
    expect(n.dp.validEvtchns(2)).toBe(64);
    expect(y.guestFifoAddArrayPage(2, 1, 4)).toBe(0);
    expect(n.dp.eventWord(2, 1500)).toBe(0x40000000);
    expect(n.dp.channel(2, 1500).stickyPending).toBe(true);
  });

  it('replays sticky flags for valid ports, even unusable ones, and the flag is never cleared (spec §9.3)', () => {
    const n = createMachine([{ domid: 2, vcpus: 1, frames: 64, maxEvtchnPort: 4095 }], 'debug');
    const y = n.dp.x;
    expect(y.guestFifoSetup(2, 1)).toBe(0);
    expect(y.guestFifoInitVcpu(2, 1, 0, 2, 0)).toBe(0);
    y.fifoPortInit(2, 17);
    expect(y.fifoSetPending(2, 0, 17)).toBe(0);
    expect(n.dp.channel(2, 17).stickyPending).toBe(true);
    expect(y.guestFifoAddArrayPage(2, 1, 3)).toBe(0);
    // the guest filled the page with MASKED: the replay sets PENDING but does not link
    expect(n.dp.eventWord(2, 17)).toBe(0xc0000000 >>> 0);
    expect(n.dp.channel(2, 17).stickyPending).toBe(true);
  });

  it('drops an event aimed at a vCPU without a control block, leaving the word untouched (XSA-107, 8aa0e9d2)', () => {
    const n = createMachine([{ domid: 2, vcpus: 2, frames: 64 }], 'debug');
    const y = n.dp.x;
    expect(y.guestFifoSetup(2, 1)).toBe(0);
    expect(y.guestFifoInitVcpu(2, 1, 0, 2, 0)).toBe(0);
    expect(y.guestFifoAddArrayPage(2, 1, 3)).toBe(0);
    y.fifoPortInit(2, 8);
    y.channelSetNotifyVcpu(2, 8, 1);
    expect(y.guestFifoUnmask(2, 1, 8)).toBe(0);
    expect(y.fifoSetPending(2, 1, 8)).toBe(2); // RAISE_DROPPED
    expect(n.dp.eventWord(2, 8)).toBe(0);
    expect(n.dp.stats(2).noControlBlock).toBe(1);
    expect(n.dp.upcallPending(2, 1)).toBe(0);
  });
});
