// Parties of the guest-driver race "unbind while a handler runs": a vCPU
// dispatches events of a port whose binding another vCPU keeps removing and
// re-adding. Never: a handler that starts, or is still running, after the
// unbind of its binding returned (I18). The race is forced, not hoped for:
// every other handler call holds until the unbind of its binding has released
// the entry, so that unbind is provably waiting on a running handler.
import type { PartyContext } from '../registry.ts';
import { GuestDriver } from '../../guest/driver.ts';
import { guestLayout } from '../../guest/layout.ts';
import { rng } from './fifo.ts';
import { nextEvent, type GuestRef } from './guest-ops.ts';

export const D_ANNOUNCED = 7300; // generation of the binding that exists or is about to
export const D_RETURNED = 7301;  // generation whose unbind has returned
export const D_DONE = 7302;      // the unbinder finished
export const D_CALLS = 7303;     // handler calls
export const D_OVERLAPS = 7305;  // unbinds that released the entry while its handler ran: the race I18 is about
export const DRIVER_CTL_WORDS = 7310;

/** Bound of one held handler call (about a second of spinning): an unbinder descheduled that long costs one overlap, not a hang. */
const HOLD_SPINS = 20_000_000;

export interface DriverArgs extends GuestRef {
  dom: number;
  vcpus: number;
  maxPort: number;
  port: number;
  vcpu: number;
  rounds: number;
  seed: number;
  /** unbinder: keep going past `rounds` until the handler has run this often (a slow start under load) */
  minCalls?: number;
  /** the unbinder goes on until this many of its unbinds released the entry under a running handler */
  minOverlaps?: number;
}

/** Dispatches the port's events as the guest kernel does; the handler checks I18. */
export function driverVcpu(ctx: PartyContext): { calls: number } {
  const { dp, ctl } = ctx;
  const a = ctx.args as DriverArgs;
  const x = dp.x;
  let calls = 0;
  const driver = new GuestDriver(dp, a.dom, guestLayout(a.vcpus, a.maxPort), a.maxPort, {
    h: () => {
      const gen = ctl.load(D_ANNOUNCED);
      if (ctl.load(D_RETURNED) >= gen) throw new Error(`handler started after unbind of binding #${gen} returned`);
      if ((calls & 1) === 1) {
        // Hold until the unbind of binding #gen has cleared the entry. The entry
        // cannot come back before that unbind returns, and it returns only
        // after we do, so an empty entry here is an unbind waiting on us.
        for (let spins = 0; driver.handlerOf(a.port) !== undefined && spins < HOLD_SPINS && !ctl.stopped; spins++);
        if (driver.handlerOf(a.port) === undefined) ctl.add(D_OVERLAPS, 1);
      } else {
        for (let i = 0; i < 200; i++) ctl.load(D_CALLS); // stay a while: an unbind may start meanwhile
      }
      if (ctl.load(D_RETURNED) >= gen) throw new Error(`unbind of binding #${gen} returned while its handler was running`);
      ctl.add(D_CALLS, 1);
      calls++;
    },
  });
  while (ctl.load(D_DONE) === 0 && !ctl.stopped) {
    x.vcpuBlock(a.dom, a.vcpu, 1e6);
    x.clearUpcallPending(a.dom, a.vcpu);
    for (let p = nextEvent(dp, a, a.vcpu); p !== 0; p = nextEvent(dp, a, a.vcpu)) driver.dispatch(p);
    ctl.progress(ctx.index);
  }
  return { calls };
}

/** Keeps binding and unbinding the port's handler from another vCPU. */
export function driverUnbinder(ctx: PartyContext): { rounds: number } {
  const { dp, ctl } = ctx;
  const a = ctx.args as DriverArgs;
  const next = rng(a.seed);
  const driver = new GuestDriver(dp, a.dom, guestLayout(a.vcpus, a.maxPort), a.maxPort, { h: () => {} });
  // beyond `rounds`, go on (at most 100× as long) while too few handler calls or overlaps were seen
  const more = (r: number) => r <= a.rounds
    || (r <= 100 * a.rounds && (ctl.load(D_CALLS) < (a.minCalls ?? 0) || ctl.load(D_OVERLAPS) < (a.minOverlaps ?? 0)));
  for (let r = 1; more(r) && !ctl.stopped; r++) {
    ctl.store(D_ANNOUNCED, r); // before the entry exists: a handler seeing it is never early
    const b = driver.bind(a.port, 'h');
    for (let i = next() % 2000; i > 0; i--) ctl.load(D_CALLS);
    if (!driver.unbind(b)) throw new Error(`round ${r}: unbind found the entry taken by another binding`);
    ctl.store(D_RETURNED, r);
    if ((r & 63) === 0) ctl.progress(ctx.index);
  }
  ctl.store(D_DONE, 1);
  return { rounds: ctl.load(D_RETURNED) };
}

/** Raises the port over and over (a device that never stops). */
export function driverRaiser(ctx: PartyContext): { raises: number } {
  const { dp, ctl } = ctx;
  const a = ctx.args as DriverArgs;
  let raises = 0;
  while (ctl.load(D_DONE) === 0 && !ctl.stopped) {
    dp.x.evtchnSetPending(a.dom, a.vcpu, a.port); // the ABI's set_pending
    if ((++raises & 255) === 0) ctl.progress(ctx.index);
  }
  return { raises };
}
