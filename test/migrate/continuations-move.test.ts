// Continuations across a move (issue 12 items 4 and 5): every preemptible op
// is saved at every preemption point, sent over a real TCP socket on
// 127.0.0.1 to a second wasmxen process (`wasmxen receive`), restored there
// at another address, and finished from the register context alone; the end
// state equals a run that never moved. The target may be a "newer"
// hypervisor (another preemption budget, another private-region layout
// version — and the reverse move, from layout 2 to 1); with
// continuation-mask-change injected on the target the move is caught.
import { describe, it, expect } from 'vitest';
import { memMachine, type MemMachine } from '../helpers/mem-machine.ts';
import { regsGpa } from './helpers.ts';
import { startReceiver } from './peer.ts';
import { sendDomains, type Outgoing } from '../../src/migrate/sender.ts';
import { saveDomain } from '../../src/migrate/save.ts';
import { parseImage } from '../../src/migrate/parse.ts';
import { domainDigest } from '../../src/migrate/digest.ts';
import { arrive, type Reply, type ArrivedDomain } from '../../src/migrate/receiver.ts';
import type { WasmBuild } from '../../src/wasm/exports.ts';
import {
  XENMEM_increase_reservation as INC, XENMEM_decrease_reservation as DEC, XENMEM_populate_physmap as POP,
} from '../../assembly/shared/memory-abi.ts';
import { HVMOP_modified_memory, HVMOP_set_mem_type, HVMMEM_ram_ro } from '../../assembly/shared/hvm-abi.ts';
import { __HYPERVISOR_memory_op, __HYPERVISOR_event_channel_op, __HYPERVISOR_hvm_op, __HYPERVISOR_dm_op } from '../../assembly/shared/hypercall-abi.ts';
import { EVTCHNOP_reset, DOMID_SELF } from '../../assembly/shared/evtchn-abi.ts';
import { ER_DOM } from '../../assembly/shared/evtchn-structs.ts';
import { HCALL_REGS_SIZE } from '../../assembly/shared/hypercall-abi.ts';
import { PAGE_SIZE } from '../../assembly/shared/layout.ts';

const NONE = 1 << 30;
const NR = 24;
const KEY = 'migration-test-key';

/** One preemptible call on a fresh machine: which domains move, how to set it up and start it. */
interface Case {
  name: string;
  /** domains that move (the caller first); control: restored as the control domain */
  moving: { dom: number; control?: boolean }[];
  ramFrames?: number;
  /** prepare state and load the call into `dom`'s register context; returns the calling domain */
  start(t: MemMachine): number;
}

function writeList(t: MemMachine, dom: number, order: number): number {
  const list = t.frame(dom, t.listGfn);
  for (let i = 0; i < NR; i++) t.mem(dom).setExtent(list, i, t.listGfn + 1 + i * (1 << order));
  return t.listGfn * PAGE_SIZE;
}

function reservationCase(name: string, cmd: number, order: number, dom: number): Case {
  return {
    name, moving: [{ dom }],
    start(t) {
      const mem = t.mem(dom);
      const at = writeList(t, dom, order);
      if (cmd !== DEC) {
        t.m.dp.x.hypercallSetPreemptEvery(NONE);
        if (mem.reservation(DEC, { extentStart: at, nrExtents: NR, extentOrder: order }).result !== NR) throw new Error('setup');
      }
      mem.writeReservation({ extentStart: at, nrExtents: NR, extentOrder: order });
      mem.stub.load(__HYPERVISOR_memory_op, [cmd, mem.argsGpa]);
      return dom;
    },
  };
}

const CASES: Case[] = [
  reservationCase('decrease_reservation', DEC, 0, 1),
  reservationCase('decrease_reservation order 1', DEC, 1, 1),
  reservationCase('populate_physmap', POP, 0, 1),
  reservationCase('increase_reservation order 1', INC, 1, 1),
  reservationCase('32-bit decrease_reservation (a continuation after every extent)', DEC, 0, 2),
  ...[HVMOP_modified_memory, HVMOP_set_mem_type].map((op): Case => ({
    name: op === HVMOP_modified_memory ? 'HVMOP_modified_memory' : 'HVMOP_set_mem_type',
    // the device model (control domain 0) and the guest it serves move together, as a stub domain would
    moving: [{ dom: 0, control: true }, { dom: 1 }], ramFrames: 700,
    start(t) {
      t.m.dp.x.domainSetLogDirty(1, 1);
      const mem = t.mem(0);
      if (op === HVMOP_modified_memory) mem.writeModifiedMemory(1, 40, 600);
      else mem.writeSetMemType(1, HVMMEM_ram_ro, 40, 600);
      mem.stub.load(__HYPERVISOR_hvm_op, [op, mem.argsGpa]);
      return 0;
    },
  })),
  {
    name: 'XEN_DMOP_modified_memory (progress in the caller\'s buffer: nr_extents and opaque)',
    moving: [{ dom: 0, control: true }, { dom: 1 }], ramFrames: 260,
    start(t) {
      t.m.dp.x.domainSetLogDirty(1, 1);
      const bufGfn = t.listGfn;
      t.mem(0).writeDmModifiedMemory(t.frame(0, bufGfn), bufGfn * PAGE_SIZE, [{ firstPfn: 30, nr: 5 }, { firstPfn: 100, nr: 1 }, { firstPfn: 200, nr: 12 }]);
      t.mem(0).stub.load(__HYPERVISOR_dm_op, [1, 2, bufGfn * PAGE_SIZE]);
      return 0;
    },
  },
  {
    name: 'EVTCHNOP_reset (reset_cont position in the command word)', moving: [{ dom: 1 }],
    start(t) {
      for (let i = 0; i < 300; i++) if (t.m.dp.x.evtchnBindIpi(1, 0) !== i + 1) throw new Error('setup');
      t.hc(1).args.setUint16(ER_DOM, DOMID_SELF, true);
      t.hc(1).stub.load(__HYPERVISOR_event_channel_op, [EVTCHNOP_reset, t.hc(1).gpa]);
      return 1;
    },
  },
];

function digestOf(t: MemMachine, dom: number) {
  return domainDigest(t.m.dp, dom, t.frames, [[regsGpa(t.layout.scratchGfn)(0), HCALL_REGS_SIZE]]);
}

/** The run that never moved: the call completes on the machine it started on. */
function unmoved(c: Case, budget: number, build: WasmBuild = 'debug') {
  const t = memMachine({ preemptEvery: budget, ramFrames: c.ramFrames, build });
  const caller = c.start(t);
  t.m.dp.x.hypercallSetPreemptEvery(budget);
  const stub = t.hc(caller).stub;
  let points = 0;
  while (!stub.step()) points++;
  return { result: stub.result(), points, digests: c.moving.map((m) => digestOf(t, m.dom)) };
}

/** The run stopped after `k` continuations, for saving. */
function stopped(c: Case, budget: number, k: number, build: WasmBuild = 'debug'): { t: MemMachine; caller: number } {
  const t = memMachine({ preemptEvery: budget, ramFrames: c.ramFrames, build });
  const caller = c.start(t);
  t.m.dp.x.hypercallSetPreemptEvery(budget);
  for (let i = 0; i < k; i++) if (t.hc(caller).stub.step()) throw new Error(`completed before point ${k}`);
  if (!t.hc(caller).stub.inFlight()) throw new Error('no continuation in flight');
  return { t, caller };
}

function outgoing(t: MemMachine, c: Case): Outgoing[] {
  return c.moving.map((m) => ({
    domid: m.dom, control: m.control,
    save: (sink) => { saveDomain(t.m.dp, t.m.domain(m.dom), sink, { regsGpa: regsGpa(t.layout.scratchGfn), key: KEY }); },
  }));
}

function arrived(reply: Reply): ArrivedDomain[] {
  if (!reply.ok) throw new Error(`refused: ${reply.error}`);
  return reply.domains;
}

/** Move `c` at every point under `budget` from a `source` build to a receiver started with `args`; the per-point outcomes. */
async function moveEveryPoint(c: Case, budget: number, args: string[], source: WasmBuild = 'debug', targetLayout = 1) {
  const ref = unmoved(c, budget, source);
  expect(ref.points).toBeGreaterThan(0);
  const peer = await startReceiver(['--count', String(ref.points), '--key', KEY, ...args]);
  const outcomes: { k: number; result: number | undefined; same: boolean; moved: boolean }[] = [];
  for (let k = 1; k <= ref.points; k++) {
    const { t, caller } = stopped(c, budget, k, source);
    const { reply } = await sendDomains(peer.port, outgoing(t, c));
    const doms = arrived(reply);
    expect(reply.ok && reply.layoutVersion).toBe(targetLayout);
    const callerVcpu = doms[c.moving.findIndex((m) => m.dom === caller)].vcpus[0];
    expect(callerVcpu.continuation).toBe(true);
    // restored elsewhere: the target's memory map differs from the source's
    expect(doms.every((d, i) => d.guestBase !== t.m.domain(c.moving[i].dom).guestBase)).toBe(true);
    const same = callerVcpu.result === ref.result && doms.every((d, i) => JSON.stringify(d.digest) === JSON.stringify(ref.digests[i]));
    outcomes.push({ k, result: callerVcpu.result, same, moved: true });
  }
  const done = await peer.exit;
  expect(done.code, done.stderr).toBe(0);
  return { ref, outcomes };
}

describe('a call moved mid-continuation finishes in another process as if it never moved', () => {
  for (const c of CASES) {
    it(`${c.name}: every preemption point`, async () => {
      const budget = 1; // a continuation at every point the op has (hvm_op: every 256 pages; reset: every 64 ports)
      // the target preempts as the source did: the progress the call leaves behind (DMOP's buffer) matches too
      const { ref, outcomes } = await moveEveryPoint(c, budget, ['--preempt-every', String(budget)]);
      expect(outcomes).toHaveLength(ref.points);
      for (const o of outcomes) expect(o, `moved at point ${o.k}`).toMatchObject({ result: ref.result, same: true });
    }, 300_000);
  }
});

describe('version skew: a "newer" target', () => {
  it('with another preemption budget finishes the older one\'s continuations the same', async () => {
    const c = CASES[0];
    const { ref, outcomes } = await moveEveryPoint(c, 1, ['--preempt-every', '5', '--gap-frames', '101']);
    for (const o of outcomes) expect(o, `moved at point ${o.k}`).toMatchObject({ result: ref.result, same: true });
  }, 300_000);

  it('with continuation-mask-change injected is caught: a moved call ends wrong', async () => {
    const c = CASES[0];
    const { ref, outcomes } = await moveEveryPoint(c, 1, ['--inject', 'continuation-mask-change']);
    const wrong = outcomes.filter((o) => !o.same || o.result !== ref.result);
    expect(wrong.length, 'the injected decode went unnoticed').toBeGreaterThan(0);
  }, 300_000);
});

describe('version skew: a target with another private-region layout (I55)', () => {
  // The image holds nothing of the private region, so a call saved by one layout finishes on the
  // other exactly as if it never moved. Not vacuous: the two builds' tables differ
  // (test/wasm/private-layout.test.ts), and the reply names the layout that restored the domains.
  const DIRECTIONS: { from: WasmBuild; fromVersion: number; toVersion: number }[] = [
    { from: 'release', fromVersion: 1, toVersion: 2 },
    { from: 'layout2', fromVersion: 2, toVersion: 1 },
  ];
  for (const { from, fromVersion, toVersion } of DIRECTIONS) {
    it(`layout ${fromVersion} → ${toVersion}, in this process: every preemptible op at every point ends as the unmoved run`, () => {
      for (const c of CASES) {
        const ref = unmoved(c, 1, from);
        expect(ref.points, c.name).toBeGreaterThan(0);
        // the same call on either layout: the same points, result and memory (the layout is invisible to the guest)
        const other = unmoved(c, 1, from === 'release' ? 'layout2' : 'release');
        expect({ points: other.points, result: other.result, digests: other.digests }, c.name).toEqual({ points: ref.points, result: ref.result, digests: ref.digests });
        for (let k = 1; k <= ref.points; k++) {
          const { t, caller } = stopped(c, 1, k, from);
          expect(t.m.dp.layout.LAYOUT_VERSION).toBe(fromVersion);
          const images = c.moving.map((m) => {
            const chunks: Uint8Array[] = [];
            saveDomain(t.m.dp, t.m.domain(m.dom), (chunk) => chunks.push(chunk), { regsGpa: regsGpa(t.layout.scratchGfn), key: KEY });
            return Buffer.concat(chunks);
          });
          const { reply } = arrive({ domains: c.moving.map((m) => ({ domid: m.dom, control: m.control })) }, images,
            { key: KEY, preemptEvery: 1, layoutVersion: toVersion });
          expect(reply.ok && reply.layoutVersion, `${c.name} at point ${k}`).toBe(toVersion);
          const doms = arrived(reply);
          const callerVcpu = doms[c.moving.findIndex((m) => m.dom === caller)].vcpus[0];
          expect(callerVcpu.continuation, `${c.name} at point ${k}`).toBe(true);
          expect({ result: callerVcpu.result, digests: doms.map((d) => d.digest) }, `${c.name} moved at point ${k}`)
            .toEqual({ result: ref.result, digests: ref.digests });
        }
      }
    }, 300_000);
  }

  it('an image whose SAVE_INFO names a layout version newer than any this wasmxen knows restores and finishes on both (I55)', () => {
    const c = CASES[CASES.length - 1]; // EVTCHNOP_reset: a continuation whose position is in the command word
    const ref = unmoved(c, 1, 'release');
    const { t } = stopped(c, 1, 1, 'release');
    // a saver from the future: the same state, SAVE_INFO says layout 99
    const future = Object.assign(Object.create(t.m.dp) as typeof t.m.dp, { layout: { ...t.m.dp.layout, LAYOUT_VERSION: 99 } });
    const chunks: Uint8Array[] = [];
    saveDomain(future, t.m.domain(1), (chunk) => chunks.push(chunk), { regsGpa: regsGpa(t.layout.scratchGfn), key: KEY });
    const image = Buffer.concat(chunks);
    expect(parseImage(image, { key: KEY }).saveInfo).toMatchObject({ layoutVersion: 99 });
    for (const layoutVersion of [1, 2]) {
      const { reply } = arrive({ domains: [{ domid: 1 }] }, [image], { key: KEY, preemptEvery: 1, layoutVersion });
      const [dom] = arrived(reply);
      expect({ layout: reply.ok && reply.layoutVersion, result: dom.vcpus[0].result, digest: dom.digest })
        .toEqual({ layout: layoutVersion, result: ref.result, digest: ref.digests[0] });
    }
  });

  it('layout 1 → 2 in another process: every preemptible op at every point', async () => {
    for (const c of CASES) {
      const { ref, outcomes } = await moveEveryPoint(c, 1, ['--preempt-every', '1', '--layout', '2'], 'release', 2);
      expect(outcomes).toHaveLength(ref.points);
      for (const o of outcomes) expect(o, `${c.name} moved at point ${o.k}`).toMatchObject({ result: ref.result, same: true });
    }
  }, 600_000);

  it('layout 2 → 1 in another process: every preemptible op at every point', async () => {
    for (const c of CASES) {
      const { ref, outcomes } = await moveEveryPoint(c, 1, ['--preempt-every', '1'], 'layout2', 1);
      expect(outcomes).toHaveLength(ref.points);
      for (const o of outcomes) expect(o, `${c.name} moved at point ${o.k}`).toMatchObject({ result: ref.result, same: true });
    }
  }, 600_000);

  it('a layout this wasmxen was not built with is refused before the receiver listens: exit 3 (an error), one line', async () => {
    await expect(startReceiver(['--layout', '3'])).rejects.toThrow(/exited \(3\) before listening: wasmxen: private-layout version 3 is not built: this wasmxen has versions 1 and 2\n$/);
    await expect(startReceiver(['--layout', '2', '--inject', 'continuation-mask-change'])).rejects.toThrow(/stress build, which has private-layout version 1 only/);
  }, 60_000);
});

describe('a bad image over the socket', () => {
  it('is refused whole by the receiving process: the reply names the fault, it exits 1 with one line', async () => {
    const c = CASES[0];
    const { t } = stopped(c, 1, 3);
    const peer = await startReceiver(['--key', KEY]);
    const { reply } = await sendDomains(peer.port, [{
      domid: 1,
      save: (sink) => {
        let n = 0;
        saveDomain(t.m.dp, t.m.domain(1), (chunk) => {
          // flip one byte of the fourth chunk in flight: the chain of checksums or the tag must catch it
          if (++n === 4) { chunk = chunk.slice(); chunk[chunk.length - 1] ^= 0x20; }
          sink(chunk);
        }, { regsGpa: regsGpa(t.layout.scratchGfn), key: KEY });
      },
    }]);
    expect(reply.ok).toBe(false);
    expect(reply.ok ? '' : reply.fault).toMatch(/checksum|reserved|auth-tag/);
    const done = await peer.exit;
    expect(done.code).toBe(1);
    expect(done.stderr.trim().split('\n')).toHaveLength(1);
    expect(done.stderr).toMatch(/^wasmxen: migration refused: record \d+ \(\w+\) /); // the first fault, named
  }, 60_000);
});
