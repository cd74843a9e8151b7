// EVTCHNOP_reset / reset_cont (spec §13.1): closes every guest-closable port,
// preempts every 64 ports with a continuation the guest re-issues, answers
// -EBUSY/-EAGAIN/-EINVAL/-EPERM as Xen does, and returns FIFO domains to 2-level.
import { describe, it, expect } from 'vitest';
import { createMachine } from '../../src/wasm/data-plane.ts';
import { guestLayout } from '../../src/guest/layout.ts';
import { bootGuest } from '../../src/guest/kernel.ts';
import { Guest } from '../../src/guest/guest.ts';
import { EBUSY, EAGAIN, EINVAL, EPERM, ERESTART, ESRCH, ENOSYS } from '../../assembly/shared/errno.ts';
import { EVTCHNOP_RESET_CONT_SHIFT } from '../../assembly/shared/evtchn-structs.ts';
import { DOMID_SELF, EVTCHNOP_reset, EVTCHNOP_reset_cont } from '../../assembly/shared/evtchn-abi.ts';

function setup(abi: '2l' | 'fifo' = 'fifo') {
  const maxPort = 1023;
  const layout = guestLayout(1, maxPort);
  const m = createMachine([
    { domid: 0, vcpus: 1, frames: layout.freeGfn + 2 },
    { domid: 1, vcpus: 1, frames: layout.freeGfn + 2, maxEvtchnPort: maxPort },
    { domid: 2, vcpus: 1, frames: layout.freeGfn + 2, maxEvtchnPort: maxPort },
  ], 'debug');
  for (const d of [0, 1, 2]) bootGuest(m.dp, d, 1, layout, abi);
  const guest = (dom: number) => new Guest(m.dp, { dom, vcpu: 0, vcpus: 1, maxPort, config: undefined, stopping: () => false }, layout, () => ({}));
  return { m, x: m.dp.x, guest };
}

describe('EVTCHNOP_reset', () => {
  it('preempts every 64 ports: -ERESTART until done, then everything is closed and the domain is 2-level', () => {
    const { m, x } = setup('fifo');
    for (let i = 0; i < 200; i++) expect(x.evtchnBindIpi(1, 0)).toBe(i + 1);
    expect(m.dp.abi(1)).toBe('fifo');
    const rcs = [x.evtchnReset(1, DOMID_SELF, EVTCHNOP_reset)];
    const cmds: number[] = [];
    while (rcs[rcs.length - 1] === -ERESTART) {
      cmds.push(x.continuationArg0Lo());
      rcs.push(x.evtchnReset(1, DOMID_SELF, cmds[cmds.length - 1]));
    }
    expect(rcs).toEqual([-ERESTART, -ERESTART, -ERESTART, 0]); // stops after 64, 128, 192
    // each continuation is reset_cont with its port / 64 above EVTCHNOP_RESET_CONT_SHIFT (I42)
    expect(cmds).toEqual([1, 2, 3].map((b) => EVTCHNOP_reset_cont | (b << EVTCHNOP_RESET_CONT_SHIFT)));
    expect(m.dp.activeEvtchns(1)).toBe(0);
    expect(m.dp.abi(1)).toBe('2l');
    expect(m.dp.controlBlockState(1, 0)).toBe(0);
    expect(x.evtchnStatus(1, DOMID_SELF, 200)).toBe(0);
    expect(x.evtchnStatusOut(0)).toBe(0); // closed
  });

  it('through the guest ABI: the guest re-issues reset_cont; the kernel is 2-level afterwards', () => {
    const { m, x, guest } = setup('fifo');
    const g = guest(1);
    for (let i = 0; i < 130; i++) g.hc.bindIpi(0);
    expect(g.reset()).toBe(2);
    expect(g.abi).toBe('2l');
    expect(m.dp.activeEvtchns(1)).toBe(0);
    // no reset in progress: a plain reset_cont (as real Xen leaves it) is a fresh reset, not -EBUSY (spec §5.3)
    expect(g.hc.op(EVTCHNOP_reset_cont)).toBe(0);
    void x;
  });

  it('a second fresh reset while one is in progress is -EBUSY; reset_cont without one resets from port 1', () => {
    const { m, x } = setup('fifo');
    for (let i = 0; i < 100; i++) x.evtchnBindIpi(1, 0);
    expect(x.evtchnReset(1, DOMID_SELF, EVTCHNOP_reset)).toBe(-ERESTART);
    const cont = x.continuationArg0Lo();
    expect(x.evtchnReset(1, DOMID_SELF, EVTCHNOP_reset)).toBe(-EBUSY);
    expect(x.evtchnReset(1, DOMID_SELF, cont)).toBe(0);
    for (let i = 0; i < 100; i++) x.evtchnBindIpi(1, 0);
    expect(x.evtchnReset(1, DOMID_SELF, EVTCHNOP_reset_cont)).toBe(-ERESTART); // Xen: -EBUSY (spec §5.3)
    expect(x.evtchnReset(1, DOMID_SELF, x.continuationArg0Lo())).toBe(0);
    expect(m.dp.activeEvtchns(1)).toBe(0);
  });

  it('refuses a position beyond the port limit (-EINVAL); one beyond the valid ports completes (a moved domain); stray bits elsewhere -ENOSYS', () => {
    const { m, x, guest } = setup('fifo');
    const g = guest(1);
    const limit = m.domain(1).maxEvtchnPort;
    expect(x.evtchnReset(1, DOMID_SELF, EVTCHNOP_reset_cont | ((Math.floor(limit / 64) + 1) << EVTCHNOP_RESET_CONT_SHIFT))).toBe(-EINVAL);
    // one bucket of ports is valid until a bind needs more: a position beyond it finds nothing to close
    expect(m.dp.validEvtchns(1)).toBe(64);
    expect(x.evtchnReset(1, DOMID_SELF, EVTCHNOP_reset_cont | (2 << EVTCHNOP_RESET_CONT_SHIFT))).toBe(0);
    expect(g.hc.op(EVTCHNOP_reset | (1 << EVTCHNOP_RESET_CONT_SHIFT))).toBe(-ENOSYS);
  });

  it('-EAGAIN if the guest opened channels behind the scan (spec §13.1 step 5)', () => {
    const { m, x } = setup('fifo');
    for (let i = 0; i < 100; i++) x.evtchnBindIpi(1, 0);
    expect(x.evtchnReset(1, DOMID_SELF, EVTCHNOP_reset)).toBe(-ERESTART); // ports 1..64 closed
    expect(x.evtchnBindIpi(1, 0)).toBe(1);                    // reopened below the cursor
    expect(x.evtchnReset(1, DOMID_SELF, x.continuationArg0Lo())).toBe(-EAGAIN);
    expect(m.dp.abi(1)).toBe('fifo');                         // not switched
    expect(x.evtchnReset(1, DOMID_SELF, EVTCHNOP_reset)).toBe(0); // a fresh reset finishes
  });

  it('checks the domain, the permission, and that a remote target is paused', () => {
    const { x } = setup('2l');
    expect(x.evtchnReset(1, 9, EVTCHNOP_reset)).toBe(-ESRCH);
    expect(x.evtchnReset(1, 2, EVTCHNOP_reset)).toBe(-EPERM);
    expect(x.evtchnReset(0, 2, EVTCHNOP_reset)).toBe(-EINVAL); // the control domain, but domain 2 runs
    x.evtchnBindIpi(2, 0);
    x.domainPause(2);
    expect(x.evtchnReset(0, 2, EVTCHNOP_reset)).toBe(0);
    x.domainUnpause(2);
  });

  it('interdomain peers become UNBOUND; reset of a 2-level domain stays 2-level', () => {
    const { x } = setup('2l');
    const p2 = x.evtchnAllocUnbound(2, DOMID_SELF, 1);
    const p1 = x.evtchnBindInterdomain(1, 2, p2);
    expect(x.evtchnReset(1, DOMID_SELF, EVTCHNOP_reset)).toBe(0);
    expect(x.evtchnStatus(2, DOMID_SELF, p2)).toBe(0);
    expect([x.evtchnStatusOut(0), x.evtchnStatusOut(2)]).toEqual([1, 1]); // unbound, remote dom 1
    expect(x.evtchnStatus(1, DOMID_SELF, p1)).toBe(0);
    expect(x.evtchnStatusOut(0)).toBe(0);
  });

  it('the struct ABI: reset takes a 2-byte struct and is never read past it', () => {
    const { x, guest } = setup('fifo');
    const g = guest(1);
    g.hc.bindIpi(0);
    expect(g.hc.reset(DOMID_SELF).result).toBe(0);
    expect(g.hc.op(EVTCHNOP_reset)).toBe(0); // nothing left: completes at once
    void x; void EINVAL;
  });
});

describe('SCHEDOP_poll', () => {
  it('returns at once for a pending port, -EINVAL for an invalid or unusable one or more than 128 ports', () => {
    const { guest, x } = setup('fifo');
    const g = guest(1);
    const p = g.hc.bindIpi(0);
    x.evtchnSend(1, p);
    expect(() => g.schedPoll([p], 10_000)).not.toThrow(); // pending: returns without sleeping
    expect(() => g.schedPoll([p + 1], 0)).toThrow(/SCHEDOP_poll.*-EINVAL/); // FREE: not usable
    expect(() => g.schedPoll([5000], 0)).toThrow(/-EINVAL/);
    expect(() => g.schedPoll(new Array(129).fill(p), 0)).toThrow(/-EINVAL/);
  });

  it('times out when nothing is pending, and leaves no polling state behind', () => {
    const { m, x, guest } = setup('fifo');
    const g = guest(1);
    const p = g.hc.bindIpi(0);
    const kickWord = m.dp.x.addrVcpuKick(1, 0) >>> 0;
    const kick = m.dp.load32(kickWord);
    g.schedPoll([p], 20); // nobody raises: returns only through the timeout
    expect(m.dp.load32(kickWord)).toBe(kick); // not woken by a kick
    expect(m.dp.vcpuBlocked(1, 0)).toBe(0);
    expect(m.dp.pollMask(1)).toBe(0);
    // no longer polling: a raise now marks the port pending but kicks nobody (I20)
    x.evtchnSend(1, p);
    expect(m.dp.load32(kickWord)).toBe(kick);
    expect(() => g.schedPoll([p], 10_000)).not.toThrow(); // pending: returns without sleeping
  });

  it('an upcall already pending ends the poll at once', () => {
    const { m, x, guest } = setup('fifo');
    const g = guest(1);
    const p = g.hc.bindIpi(0);
    x.markEventsPending(1, 0);
    g.schedPoll([p], 10_000);
    expect(m.dp.upcallPending(1, 0)).toBe(1);
  });
});
