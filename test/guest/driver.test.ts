// The guest driver's port → handler table (src/guest/driver.ts): port 0 and
// ~0 are never bindings or indices, bounds are checked first, a binding is
// released only if still its own, spurious events are counted (I18).
import { describe, it, expect } from 'vitest';
import { createMachine } from '../../src/wasm/data-plane.ts';
import { guestLayout } from '../../src/guest/layout.ts';
import { bootFifo } from '../../src/guest/kernel.ts';
import { Guest } from '../../src/guest/guest.ts';
import { GuestDriver, DriverError, INVALID_PORT } from '../../src/guest/driver.ts';
import { EvtchnError } from '../../src/errors.ts';
import { EINVAL } from '../../assembly/shared/errno.ts';

function setup(handlers: Record<string, (port: number) => void> = {}) {
  const maxPort = 100;
  const layout = guestLayout(1, maxPort);
  const m = createMachine([{ domid: 1, vcpus: 1, frames: layout.freeGfn + 4, maxEvtchnPort: maxPort }], 'debug');
  bootFifo(m.dp, 1, 1, layout);
  const g = new Guest(m.dp, { dom: 1, vcpu: 0, vcpus: 1, maxPort, config: undefined, stopping: () => false }, layout, () => handlers);
  return { m, g, layout, maxPort };
}

describe('guest driver: binding rules', () => {
  it('refuses port 0, ~0, ports above the limit and non-integers, before touching the table', () => {
    const { g } = setup({ a: () => {} });
    for (const p of [0, INVALID_PORT, -1, 101, 2 ** 40, 1.5, NaN]) {
      expect(() => g.driver.bind(p, 'a'), `port ${p}`).toThrow(DriverError);
    }
    expect(g.driver.handlerOf(0)).toBeUndefined();
    expect(g.driver.handlerOf(INVALID_PORT)).toBeUndefined();
  });

  it('names a missing handler and a double binding in its error', () => {
    const { g } = setup({ a: () => {} });
    expect(() => g.driver.bind(5, 'nope')).toThrow(/no handler 'nope'.*has: a/);
    g.driver.bind(5, 'a');
    expect(() => g.driver.bind(5, 'a')).toThrow(/already bound to 'a'/);
  });

  it('counts events on unbound and invalid ports as spurious, never crashes', () => {
    const { g } = setup({ a: () => {} });
    g.driver.dispatch(7);
    g.driver.dispatch(0);
    g.driver.dispatch(INVALID_PORT);
    g.driver.dispatch(5000);
    expect(g.driver.spurious()).toBe(4);
  });

  it('releases a binding only if the port is still its own (close + reuse by another binding)', () => {
    const calls: string[] = [];
    const { g } = setup({ old: (p) => calls.push(`old:${p}`), fresh: (p) => calls.push(`fresh:${p}`) });
    const p = g.hc.bindIpi(0);
    const stale = g.listen(p, 'old');
    g.close(stale);                       // mask, unbind, EVTCHNOP_close
    const q = g.hc.bindIpi(0);            // lowest free: the same port again
    expect(q).toBe(p);
    const current = g.listen(q, 'fresh');
    expect(g.driver.unbind(stale)).toBe(false); // a late second unbind of the old binding
    expect(g.driver.handlerOf(q)).toBe('fresh');
    g.send(q);
    g.poll();
    expect(calls).toEqual([`fresh:${q}`]);
    expect(g.driver.unbind(current)).toBe(true);
  });

  it('a handler may unbind its own port without deadlock; no call after unbind returns', () => {
    let calls = 0;
    let b: ReturnType<Guest['listen']> | undefined;
    const { g } = setup({ once: () => { calls++; g.driver.unbind(b!); } });
    const p = g.hc.bindIpi(0);
    b = g.listen(p, 'once');
    g.send(p); g.poll();
    g.send(p); g.poll();
    expect(calls).toBe(1);
    expect(g.driver.spurious()).toBe(1);
  });

  it('hypercall failures surface as EvtchnError with errno, op, domain and port', () => {
    const { g } = setup();
    try {
      g.send(77);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(EvtchnError);
      const err = e as EvtchnError;
      expect([err.errno, err.op, err.domain, err.port]).toEqual([EINVAL, 'EVTCHNOP_send', 1, 77]);
      expect(err.message).toMatch(/EVTCHNOP_send on domain 1 port 77 failed: -EINVAL/);
    }
  });

  it('the table lives in guest memory: a second driver of the same domain sees the same bindings', () => {
    const { m, g, layout, maxPort } = setup({ a: () => {} });
    g.driver.bind(9, 'a');
    const other = new GuestDriver(m.dp, 1, layout, maxPort, { a: () => {} });
    expect(other.handlerOf(9)).toBe('a');
  });
});
