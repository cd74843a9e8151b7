// I48: a vCPU parks (and can be saved) only where its whole state is in
// guest memory. Between two re-issues of a continued call the guest runs its
// events (onPreempted); the handler's hypercalls reuse the register context
// and the scratch argument struct, which hold the interrupted call's only
// after the handler returns. Every boundary the vCPU reaches must therefore
// see the continued call's struct intact whenever its context says a
// continuation is in flight — else an image taken there is restored with
// another call's arguments (an extent list read from a port number).
import { describe, it, expect } from 'vitest';
import { createMachine } from '../../src/wasm/data-plane.ts';
import { guestLayout, SCRATCH_REGS } from '../../src/guest/layout.ts';
import { bootGuest } from '../../src/guest/kernel.ts';
import { Guest } from '../../src/guest/guest.ts';
import { MemoryHypercalls } from '../../src/guest/memory-hypercalls.ts';
import { XENMEM_decrease_reservation } from '../../assembly/shared/memory-abi.ts';
import { HCALL_REGS_STATE, HCALL_PREEMPTED } from '../../assembly/shared/hypercall-abi.ts';
import { PAGE_SIZE } from '../../assembly/shared/layout.ts';

describe('no boundary inside a continuation\'s interrupt handler (I48)', () => {
  it('every boundary reached with a continuation in flight sees the continued call\'s argument struct, though the handler made hypercalls', () => {
    const maxPort = 1023;
    const layout = guestLayout(1, maxPort);
    const m = createMachine([{ domid: 1, vcpus: 1, frames: layout.freeGfn + 16, maxEvtchnPort: maxPort }], 'debug', { preemptEvery: 1 });
    bootGuest(m.dp, 1, 1, layout, '2l');
    const seen: { preempted: boolean; intact: boolean }[] = [];
    let g!: Guest;
    let struct: Uint8Array | undefined; // the continued call's argument struct, as it was when first preempted
    const scratch = () => new Uint8Array(m.memory.buffer, (m.dp.x.addrGuestBase(1) >>> 0) + g.hc.gpa, SCRATCH_REGS);
    const regsState = () => new DataView(m.memory.buffer, (m.dp.x.addrGuestBase(1) >>> 0) + g.hc.gpa + SCRATCH_REGS).getUint32(HCALL_REGS_STATE, true);
    g = new Guest(m.dp, {
      dom: 1, vcpu: 0, vcpus: 1, maxPort, config: undefined, stopping: () => false,
      boundary: () => {
        const preempted = regsState() === HCALL_PREEMPTED;
        seen.push({ preempted, intact: !preempted || !struct || scratch().every((b, i) => b === struct![i]) });
      },
    }, layout, () => ({ tick: () => {} }));
    const ipi = g.bindIpi(0, 'tick').port;
    const mem = new MemoryHypercalls(g.hc.stub, g.hc.args, g.hc.gpa, 64);
    const list = new DataView(m.memory.buffer, (m.dp.x.addrGuestBase(1) >>> 0) + layout.freeGfn * PAGE_SIZE, PAGE_SIZE);
    const n = 6;
    for (let i = 0; i < n; i++) mem.setExtent(list, i, layout.freeGfn + 1 + i);
    let handled = 0;
    g.hc.stub.onPreempted = () => {
      struct ??= scratch().slice();
      // the handler's own hypercalls: each a boundary, each rewriting the scratch struct
      g.send(ipi);
      g.send(ipi);
      handled += g.poll();
    };
    const out = mem.reservation(XENMEM_decrease_reservation, { extentStart: layout.freeGfn * PAGE_SIZE, nrExtents: n });
    expect(out.result).toBe(n);
    expect(out.continuations).toBe(n - 1);
    expect(handled).toBeGreaterThan(0); // the handler really ran hypercalls and events between the re-issues
    expect(seen.filter((s) => s.preempted).length).toBeGreaterThanOrEqual(n - 1); // the boundary before each re-issue
    expect(seen.filter((s) => !s.intact)).toEqual([]);
  });
});
