// `wasmxen stress --scenario destroy`: a domain D is destroyed (kill, the
// preemptible evtchn_destroy, the mapcache letting go, release) while its
// peers use it, one round per iteration, and re-created with the same id and
// the same space for the next round.
//   role 0  the toolstack: kill D, evtchn_destroy in random batches, the
//           device model's mcGuestGone/mcRelease, then checks D before the
//           release (every port FREE, no FREE port pending), then releases
//   role 1  domain 1: sends on its channels to D, binds D's offered ports and
//           closes them, sends into D's Xen-owned channel (the consumer's
//           callback runs on this thread), and sends each of its channels to
//           the survivor 3 exactly once
//   role 2  domain 3 and the hypervisor: notify_via_xen on D's Xen-owned port,
//           VIRQ_TIMER raised on D, and DMA into D's memory through the mapcache
// Must never happen: an event between survivors lost or duplicated; a raise
// landing on a port of D after it was closed (I17, I29); a consumer callback
// running after D's evtchn_destroy returned (I23); a DMA mapped but not done
// (I30); anything left behind (references, mapcache entries, a survivor's
// port count disagreeing with its table); an errno Xen never gives.
import type { RoundDef, RoundArgs, RoundEnv, OutcomeDef } from './stress-core.ts';
import { sw, jitter } from './stress-core.ts';
import { step, drainFifo } from './stress-ops.ts';
import { guestLayout } from '../../guest/layout.ts';
import { bootGuest } from '../../guest/kernel.ts';
import { dmExports } from '../../dm/exports.ts';
import { DOMID_SELF, ECS_FREE, ECS_UNBOUND } from '../../../assembly/shared/evtchn-abi.ts';
import { EINVAL, ESRCH, ERESTART } from '../../../assembly/shared/errno.ts';
import { SI_EVTCHN_PENDING, PAGE_SIZE } from '../../../assembly/shared/layout.ts';
import { MC_FIXED_BYTES, MCA_LOCKED, DM_REV_LOCKED, MCS_ENTRIES_LINKED } from '../../../assembly/shared/dm-layout.ts';

export interface DestroyArgs extends RoundArgs {
  /** the destroyed domain, its peer and the survivor */
  dom: number;
  peer: number;
  survivor: number;
  vcpus: number;
  maxPort: number;
  /** D's regions, re-used by every incarnation */
  region: { guestBase: number; frames: number; privBase: number; privBytes: number; width: number; capacity: number };
  /** the mapcache region (in the survivor's frames) and the gfns DMA targets in D */
  dm: number;
  dmaGfn: number;
  /** channels 1 → 3 (ports of 1, ports of 3), sent once per round each */
  survivorPorts: number[];
  survivorTargets: number[];
  survivorGsGfn: number;
  peerGsGfn: number;
  consumerSlot: number;
  /** channels per round between 1 and D, and ports D offers 1 for late binds */
  channels: number;
  offers: number;
}

export const DESTROY_OUTCOMES: OutcomeDef[] = [
  { id: 'quiet', kind: 'acceptable', text: 'the destroy ran, and no operation of a peer overlapped the window between kill and the last close' },
  { id: 'send-raced', kind: 'interesting', text: 'a send into D raised a still-bound port after D was marked dying, and a later send found its channel UNBOUND (the peer-closed result)' },
  { id: 'bind-raced', kind: 'interesting', text: 'a bind to a port D offered succeeded after D was marked dying, and the destroy then unbound it (Xen\'s bind_interdomain ignores is_dying)' },
  { id: 'dma-raced', kind: 'interesting', text: 'DMA into D completed after D was marked dying, and a later one was refused (-EFAULT) once the device model let go' },
  { id: 'lost', kind: 'forbidden', text: 'an event between the survivors was lost' },
  { id: 'duplicated', kind: 'forbidden', text: 'an event between the survivors was delivered twice' },
  { id: 'raise-after-close', kind: 'forbidden', text: 'a port of D is FREE yet pending: a raise landed after the destroy closed it (I17, I29)' },
  { id: 'callback-after-destroy', kind: 'forbidden', text: 'a consumer callback on D\'s Xen-owned channel was still running after evtchn_destroy returned (I23)' },
  { id: 'dma-half-done', kind: 'forbidden', text: 'a DMA was mapped but could not access or unmap its window (I30)' },
  { id: 'leak', kind: 'forbidden', text: 'something outlived D: a reference, a mapcache entry, an open port of D, or a peer whose port count disagrees with its table' },
  { id: 'errno', kind: 'forbidden', text: 'an operation returned an errno Xen never gives there' },
];
const O_QUIET = 0, O_SEND = 1, O_BIND = 2, O_DMA = 3, O_LOST = 4, O_DUP = 5, O_RAISE_AFTER_CLOSE = 6;
const O_CALLBACK = 7, O_DMA_HALF = 8, O_LEAK = 9, O_ERRNO = 10;

// scratch words
const W_DYING = 0;        // role 0 marked D dying
const W_DESTROYED = 1;    // evtchn_destroy returned 0
const W_RELEASED = 2;     // D released: the peers stop
const W_IN_CALLBACK = 3;  // a consumer callback is running
const W_SEND_RACED = 4;   // a send raised D after W_DYING
const W_SEND_DROPPED = 5; // a send found its channel to D UNBOUND
const W_BIND_RACED = 6;
const W_DMA_AFTER = 7;    // DMA done after W_DYING
const W_DMA_REFUSED = 8;
const W_XEN_PORT = 9;
const W_CHANNELS = 16;    // + i: 1's port of channel i to D
const W_OFFERS = 48;      // + i: D's offered port i

interface St { seen: Map<number, number> }

const fail = (env: RoundEnv<unknown>, outcome: number, detail: string): number => {
  env.out.fail(outcome, detail, env.round);
  return -1;
};

/** kill, evtchn_destroy to the end in random batches, as the toolstack; returns the steps. */
function destroySteps(env: RoundEnv<DestroyArgs>): number {
  const x = env.x;
  const a = env.args;
  const batch = 1 + (env.next() % 16);
  for (let steps = 1; ; steps++) {
    const rc = step(env, 'close', 0, 0, () => x.domainDestroyStep(a.dom, batch), a.dom);
    if (rc === 0) return steps;
    if (rc !== -ERESTART) { fail(env, O_ERRNO, `evtchn_destroy step returned ${rc}`); return steps; }
  }
}

function release(env: RoundEnv<DestroyArgs>, mapcache = true): void {
  const x = env.x;
  const a = env.args;
  const dm = dmExports(env.dp);
  // the mapcache lets go: refuse new DMA, wait for DMA in flight (role 2 finishes it)
  if (mapcache) {
    dm.mcGuestGone(a.dm);
    for (let r = dm.mcRelease(a.dm); r !== 0; r = dm.mcRelease(a.dm)) {
      if (r !== -ERESTART) { fail(env, O_ERRNO, `mcRelease returned ${r}`); break; }
    }
  }
  for (let r = x.domainRelease(a.dom); r !== 0; r = x.domainRelease(a.dom)) {
    if (r !== -ERESTART) { fail(env, O_ERRNO, `domain release returned ${r}`); break; }
  }
}

/** Create D again in its regions, boot it 2-level, open its channels with 1, its offers, its Xen-owned port and VIRQ. */
function recreate(env: RoundEnv<DestroyArgs>): void {
  const x = env.x;
  const a = env.args;
  const r = a.region;
  x.domainCreate(a.dom, r.guestBase, r.frames, r.privBase, r.privBytes, a.vcpus, a.maxPort, r.width, r.capacity);
  bootGuest(env.dp, a.dom, a.vcpus, guestLayout(a.vcpus, a.maxPort), '2l');
  for (let i = 0; i < a.channels; i++) {
    const lp = x.evtchnAllocUnbound(a.dom, DOMID_SELF, a.peer);
    const pp = x.evtchnBindInterdomain(a.peer, a.dom, lp);
    if (lp < 0 || pp < 0) throw new Error(`channel ${i} to D: alloc ${lp}, bind ${pp}`);
    env.ctl.store(sw(W_CHANNELS + i), pp);
  }
  for (let i = 0; i < a.offers; i++) {
    const p = x.evtchnAllocUnbound(a.dom, DOMID_SELF, a.peer);
    if (p < 0) throw new Error(`offer ${i}: ${p}`);
    env.ctl.store(sw(W_OFFERS + i), p);
  }
  const xp = x.evtchnAllocUnboundXen(a.dom, 0, a.peer, a.consumerSlot);
  const bound = xp < 0 ? xp : x.evtchnBindInterdomain(a.peer, a.dom, xp);
  if (bound < 0) throw new Error(`Xen-owned port: ${xp}, bind ${bound}`);
  env.ctl.store(sw(W_XEN_PORT), xp);
  env.ctl.store(sw(W_CHANNELS + a.channels), bound); // 1's end of the Xen-owned channel
  if (x.evtchnBindVirq(a.dom, 0, 0) < 0) throw new Error('bind_virq on D failed');
  const dm = dmExports(env.dp);
  if (dm.mcInit(a.dm, a.dom, 4, 64, 32, 8, 0, MC_FIXED_BYTES, r.frames) !== 0) throw new Error('mcInit failed');
}

/** The pending bit of `port` in D's 2-level shared_info, read raw (the usable filter would hide a FREE port's). */
function rawPending2l(env: RoundEnv<DestroyArgs>, port: number): boolean {
  const base = env.x.addrGfn(env.args.dom, 0) >>> 0;
  return ((env.dp.load32(base + SI_EVTCHN_PENDING + 4 * (port >>> 5)) >>> (port & 31)) & 1) === 1;
}

function survivorCount(env: RoundEnv<DestroyArgs>, dom: number): number {
  let open = 0;
  const valid = env.dp.validEvtchns(dom);
  for (let p = 1; p < valid; p++) if (env.dp.channel(dom, p).state !== ECS_FREE) open++;
  return open;
}

export const destroyRace: RoundDef<DestroyArgs, St> = {
  roles: 3,
  setup() { return { seen: new Map() }; },
  prepare(st, env) {
    const x = env.x;
    const a = env.args;
    if (x.domainExists(a.dom) !== 0) {
      // round 0: D was created by the setup; take it down quietly first
      x.domainKill(a.dom);
      while (x.domainDestroyStep(a.dom, 64) === -ERESTART) { /* re-invoke */ }
      release(env, false); // no mapcache yet
    }
    // the peer closes its ends of the last incarnation's channels (UNBOUND now)
    for (let p = 1; p < env.dp.validEvtchns(a.peer); p++) {
      const c = env.dp.channel(a.peer, p);
      if (c.state === ECS_UNBOUND && c.remoteDom === a.dom) x.evtchnClose(a.peer, p);
    }
    for (let w = 0; w < 16; w++) env.ctl.store(sw(w), 0);
    recreate(env);
    st.seen.clear();
  },
  act(st, env) {
    const x = env.x;
    const a = env.args;
    if (env.role === 0) {
      jitter(env.next, 4096);
      if (x.domainKill(a.dom) !== 0) { fail(env, O_ERRNO, 'domain_kill failed on a live domain'); return; }
      env.ctl.store(sw(W_DYING), 1);
      destroySteps(env);
      if (env.ctl.load(sw(W_IN_CALLBACK)) !== 0) fail(env, O_CALLBACK, 'evtchn_destroy returned while a callback on D\'s Xen-owned channel ran');
      env.ctl.store(sw(W_DESTROYED), 1);
      // D before its release: every port closed, none pending
      for (let p = 1; p < 1024; p++) {
        if (env.dp.channel(a.dom, p).state !== ECS_FREE) { fail(env, O_LEAK, `port ${p} of D is open after evtchn_destroy`); break; }
        if (rawPending2l(env, p)) { fail(env, O_RAISE_AFTER_CLOSE, `port ${p} of D is FREE and pending: a raise came after its close`); break; }
      }
      if (env.dp.activeEvtchns(a.dom) !== 0) fail(env, O_LEAK, `D's active_evtchns is ${env.dp.activeEvtchns(a.dom)} after evtchn_destroy`);
      release(env);
      env.ctl.store(sw(W_RELEASED), 1);
      return;
    }
    if (env.role === 1) {
      const mine = Array.from({ length: a.channels }, (_, i) => env.ctl.load(sw(W_CHANNELS + i)));
      const toXen = env.ctl.load(sw(W_CHANNELS + a.channels));
      const offers = Array.from({ length: a.offers }, (_, i) => env.ctl.load(sw(W_OFFERS + i)));
      let survivorsSent = 0;
      let o = 0;
      while (env.ctl.load(sw(W_RELEASED)) === 0) {
        if (survivorsSent < a.survivorPorts.length) {
          const rc = x.evtchnSend(a.peer, a.survivorPorts[survivorsSent++]);
          if (rc !== 0) { fail(env, O_ERRNO, `send between survivors returned ${rc}`); return; }
        }
        const p = mine[env.next() % mine.length];
        const dying = env.ctl.load(sw(W_DYING)) === 1;
        const rc = step(env, 'send', p, 0, () => x.evtchnSend(a.peer, p), a.peer);
        if (rc !== 0) { fail(env, O_ERRNO, `send to D returned ${rc}`); return; }
        const state = env.dp.channel(a.peer, p).state;
        if (state === ECS_UNBOUND) env.ctl.add(sw(W_SEND_DROPPED), 1);
        else if (dying) env.ctl.add(sw(W_SEND_RACED), 1);
        // the Xen-owned channel: the consumer's callback runs here, with no lock held (I23)
        const c = x.evtchnSend(a.peer, toXen);
        if (c === 1) {
          env.ctl.add(sw(W_IN_CALLBACK), 1);
          if (env.ctl.load(sw(W_DESTROYED)) !== 0) fail(env, O_CALLBACK, 'a consumer callback began after evtchn_destroy returned');
          jitter(env.next, 2048);
          if (env.ctl.load(sw(W_DESTROYED)) !== 0) fail(env, O_CALLBACK, 'evtchn_destroy returned while this consumer callback ran');
          env.ctl.add(sw(W_IN_CALLBACK), -1);
          x.consumerCallDone();
        } else if (c !== 0) { fail(env, O_ERRNO, `send to the Xen-owned channel returned ${c}`); return; }
        if (o < offers.length && env.next() % 4 === 0) {
          const dyingB = env.ctl.load(sw(W_DYING)) === 1;
          const b = step(env, 'bind_interdomain', offers[o], 0, () => x.evtchnBindInterdomain(a.peer, a.dom, offers[o]), a.peer);
          o++;
          if (b > 0) {
            if (dyingB) env.ctl.add(sw(W_BIND_RACED), 1);
            if (env.next() % 2 === 0 && x.evtchnClose(a.peer, b) !== 0) { fail(env, O_ERRNO, 'close of a fresh bind failed'); return; }
          } else if (b !== -EINVAL && b !== -ESRCH) { fail(env, O_ERRNO, `bind to D returned ${b}`); return; }
        }
      }
      while (survivorsSent < a.survivorPorts.length) {
        const rc = x.evtchnSend(a.peer, a.survivorPorts[survivorsSent++]);
        if (rc !== 0) { fail(env, O_ERRNO, `send between survivors returned ${rc}`); return; }
      }
      return;
    }
    // role 2: the survivor's and the hypervisor's uses of D
    const dm = dmExports(env.dp);
    const gpa = (a.dmaGfn + (env.round % 4)) * PAGE_SIZE;
    while (env.ctl.load(sw(W_RELEASED)) === 0) {
      const n = x.notifyViaXenEventChannel(a.dom, env.ctl.load(sw(W_XEN_PORT)));
      if (n !== 0 && n !== -EINVAL) { fail(env, O_ERRNO, `notify_via_xen returned ${n}`); return; }
      x.raiseVirq(a.dom, 0, 0);
      const dying = env.ctl.load(sw(W_DYING)) === 1;
      const v = dm.mcMap(a.dm, gpa, PAGE_SIZE, 1);
      if (v > 0) {
        const w = dm.mcAccess(a.dm, v, PAGE_SIZE, MCA_LOCKED) >>> 0;
        if (w === 0) { fail(env, O_DMA_HALF, `DMA mapped at ${v} but its window is gone (${dm.mcLastError()})`); return; }
        env.dp.u32.fill(env.round, w >>> 2, (w + PAGE_SIZE) >>> 2); // the transfer
        jitter(env.next, 1024);
        const u = dm.mcInvalidateEntry(a.dm, v);
        if (u !== 0) { fail(env, O_DMA_HALF, `DMA unmap failed with ${u}`); return; }
        if (dying) env.ctl.add(sw(W_DMA_AFTER), 1);
      } else if (v === -14) {
        env.ctl.add(sw(W_DMA_REFUSED), 1);
      } else { fail(env, O_ERRNO, `DMA map returned ${v}`); return; }
    }
  },
  check(st, env) {
    const x = env.x;
    const a = env.args;
    // the survivor got each of its ports exactly once
    drainFifo(env, a.survivor, a.survivorGsGfn, 0, (p) => st.seen.set(p, (st.seen.get(p) ?? 0) + 1));
    // the peer consumes what D and the Xen-owned channel raised on it, so its closed ports can be reused (spec §9.8)
    drainFifo(env, a.peer, a.peerGsGfn, 0, () => {});
    for (const p of a.survivorTargets) {
      const n = st.seen.get(p) ?? 0;
      if (n === 0) return fail(env, O_LOST, `the survivor's port ${p} got no event`);
      if (n > 1) return fail(env, O_DUP, `the survivor's port ${p} got ${n} events`);
    }
    if (x.domainExists(a.dom) !== 0 || x.domainRefs(a.dom) !== 0) return fail(env, O_LEAK, `D still exists or is referenced (${x.domainRefs(a.dom)})`);
    const rev = env.dp.load32(a.dm + DM_REV_LOCKED);
    const linked = env.dp.load32(a.dm + MCS_ENTRIES_LINKED);
    if (rev !== 0 || linked !== 0) return fail(env, O_LEAK, `mapcache entries left: locked list ${rev}, linked ${linked}`);
    for (const d of [a.peer, a.survivor]) {
      if (survivorCount(env, d) !== env.dp.activeEvtchns(d)) {
        return fail(env, O_LEAK, `domain ${d}: active_evtchns ${env.dp.activeEvtchns(d)} but ${survivorCount(env, d)} open ports`);
      }
    }
    if (env.ctl.load(sw(W_SEND_RACED)) > 0 && env.ctl.load(sw(W_SEND_DROPPED)) > 0) return O_SEND;
    if (env.ctl.load(sw(W_BIND_RACED)) > 0) return O_BIND;
    if (env.ctl.load(sw(W_DMA_AFTER)) > 0 && env.ctl.load(sw(W_DMA_REFUSED)) > 0) return O_DMA;
    return O_QUIET;
  },
};
