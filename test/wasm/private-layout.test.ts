// The hypervisor-private layout table (I54): every build exports the whole
// private map of assembly/shared/private-layout.ts; the layout2 build really
// is another layout (so a test moving a domain between the two cannot pass
// vacuously); each layout is well formed; the guest sees the same bytes
// whichever layout runs it; and a thread never attaches a module to a memory
// another layout laid out.
import { describe, it, expect } from 'vitest';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileDataPlane } from '../../src/wasm/module.ts';
import { DataPlane, createMachine, type Machine } from '../../src/wasm/data-plane.ts';
import { planMemory } from '../../src/wasm/memory-map.ts';
import { privateLayoutOf, PRIVATE_LAYOUT_NAMES, buildForLayout, type PrivateLayout } from '../../src/wasm/private-layout.ts';
import { bootFifoGuest } from '../../src/guest/fifo-boot.ts';
import { ConfigError, LayoutMismatchError } from '../../src/errors.ts';
import type { WasmBuild } from '../../src/wasm/exports.ts';
import {
  G_VERSION, PAGE_SIZE, CB_READY, LINK_TRIES_BUCKETS, EVTCHN_FIFO_MAX_ARRAY_PAGES, XEN_LEGACY_MAX_VCPUS,
} from '../../assembly/shared/layout.ts';
import { EVTCHN_FIFO_MAX_QUEUES } from '../../assembly/shared/fifo-abi.ts';
import { NR_VIRQS } from '../../assembly/shared/evtchn-abi.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const layoutOf = (build: WasmBuild) => privateLayoutOf(compileDataPlane(build));

/** Every word of a record as [name, first byte, bytes]: arrays at their full length. */
function fields(L: PrivateLayout, prefix: 'D_' | 'V_' | 'Q_' | 'C_'): [string, number, number][] {
  const size: Record<string, number> = {
    D_STAT_LINK_TRIES: 4 * LINK_TRIES_BUCKETS, V_QUEUES: EVTCHN_FIFO_MAX_QUEUES * L.QUEUE_BYTES, V_VIRQ_TO_EVTCHN: 4 * NR_VIRQS,
  };
  const regionOffsets = new Set(['D_FIFO_ARRAY', 'D_VCPUS', 'D_CHANNELS']); // where tables start in the region, not header words
  return PRIVATE_LAYOUT_NAMES.filter((n) => n.startsWith(prefix) && !regionOffsets.has(n)).map((n) => [n, L[n], size[n] ?? 4]);
}

describe('the private-layout table (I54)', () => {
  it('every build exports the whole private map, and nothing but it is named in the table', () => {
    const defined = [...readFileSync(join(root, 'assembly/shared/private-layout.ts'), 'utf8').matchAll(/^export const (\w+)/gm)].map((m) => m[1]);
    expect([...PRIVATE_LAYOUT_NAMES].sort()).toEqual(defined.sort());
    for (const build of ['release', 'debug', 'stress', 'layout2'] as const) {
      // the module's exported globals are exactly the table: nothing private is exported unnamed
      const globals = WebAssembly.Module.exports(compileDataPlane(build)).filter((e) => e.kind === 'global').map((e) => e.name);
      expect(globals.sort(), build).toEqual([...PRIVATE_LAYOUT_NAMES].sort());
      const L = layoutOf(build);
      for (const n of PRIVATE_LAYOUT_NAMES) expect(Number.isInteger(L[n]), `${build} ${n}`).toBe(true);
      expect(L.LAYOUT_VERSION, build).toBe(build === 'layout2' ? 2 : 1);
    }
    expect(layoutOf('debug')).toEqual(layoutOf('release'));
    expect(layoutOf('stress')).toEqual(layoutOf('release'));
  });

  it('layout 2 is another layout: every record kind moved or grew', () => {
    const a = layoutOf('release');
    const b = layoutOf('layout2');
    for (const prefix of ['D_', 'V_', 'Q_', 'C_'] as const) {
      const moved = fields(a, prefix).filter(([n]) => a[n as keyof PrivateLayout] !== b[n as keyof PrivateLayout]).map(([n]) => n);
      expect(moved.length, `${prefix}* words at other offsets`).toBeGreaterThan(0);
    }
    expect(b.DOM_HEADER_BYTES).toBeGreaterThan(a.DOM_HEADER_BYTES);
    expect(b.VCPU_BYTES).toBeGreaterThan(a.VCPU_BYTES);
    expect(b.CHANNEL_BYTES).toBeGreaterThan(a.CHANNEL_BYTES);
    expect(b.D_CHANNELS).not.toBe(a.D_CHANNELS);
    // the memory plan follows: the same domain takes a larger private region in layout 2
    const dom = [{ domid: 1, vcpus: 2, frames: 64 }];
    expect(planMemory(dom, 0, b).domains[0].privBytes).toBeGreaterThan(planMemory(dom, 0, a).domains[0].privBytes);
    expect(planMemory(dom).domains[0].privBytes).toBe(planMemory(dom, 0, a).domains[0].privBytes); // the default: release's
  });

  it('each layout is well formed: every word inside its record, no two words overlapping, tables in order', () => {
    for (const build of ['release', 'layout2'] as const) {
      const L = layoutOf(build);
      const records: [string, 'D_' | 'V_' | 'Q_' | 'C_', number][] = [
        ['domain header', 'D_', L.DOM_HEADER_BYTES], ['vCPU record', 'V_', L.VCPU_BYTES], ['queue record', 'Q_', L.QUEUE_BYTES], ['channel record', 'C_', L.CHANNEL_BYTES],
      ];
      for (const [what, prefix, bytes] of records) {
        const f = fields(L, prefix).sort((x, y) => x[1] - y[1]);
        for (const [n, at, len] of f) {
          expect(at % 4, `${build} ${n} is word-aligned`).toBe(0);
          expect(at + len, `${build} ${n} fits the ${what} (${bytes} bytes)`).toBeLessThanOrEqual(bytes);
        }
        for (let i = 1; i < f.length; i++) expect(f[i][1], `${build} ${f[i][0]} overlaps ${f[i - 1][0]}`).toBeGreaterThanOrEqual(f[i - 1][1] + f[i - 1][2]);
      }
      expect(L.D_FIFO_ARRAY).toBe(L.DOM_HEADER_BYTES);
      expect(L.D_VCPUS).toBe(L.D_FIFO_ARRAY + 4 * EVTCHN_FIFO_MAX_ARRAY_PAGES);
      expect(L.D_CHANNELS).toBe(L.D_VCPUS + XEN_LEGACY_MAX_VCPUS * L.VCPU_BYTES);
    }
  });

  it('the guest sees the same bytes under either layout; only the private region differs', () => {
    const run = (build: WasmBuild) => {
      const m = createMachine([{ domid: 1, vcpus: 2, frames: 64 }, { domid: 2, vcpus: 1, frames: 64 }], build);
      const x = m.dp.x;
      const g1 = bootFifoGuest(m.dp, 1, 2, 1023);
      bootFifoGuest(m.dp, 2, 1, 1023);
      const unbound = x.evtchnAllocUnbound(1, 1, 2);
      const remote = x.evtchnBindInterdomain(2, 1, unbound);
      const ipi = x.evtchnBindIpi(1, 1);
      expect([unbound, remote, ipi].every((p) => p > 0)).toBe(true);
      // fresh event words are MASKED: unmask, so the raises below link into their queues
      expect([x.guestFifoUnmask(1, g1.gsGfn, unbound), x.guestFifoUnmask(1, g1.gsGfn, ipi)]).toEqual([0, 0]);
      expect(x.evtchnSetPriority(1, ipi, 3)).toBe(0);
      for (let i = 0; i < 3; i++) expect(x.evtchnSend(2, remote)).toBe(0);
      expect(x.evtchnSend(1, ipi)).toBe(0);
      return { m, unbound, remote, ipi };
    };
    const guestBytes = (m: Machine, dom: number) => {
      const base = m.dp.x.addrGuestBase(dom) >>> 0;
      return m.dp.u8.slice(base, base + m.domain(dom).frames * PAGE_SIZE);
    };
    const ra = run('release');
    const rb = run('layout2');
    const { m: a, unbound, remote, ipi } = ra;
    const b = rb.m;
    expect([rb.unbound, rb.remote, rb.ipi]).toEqual([unbound, remote, ipi]);
    for (const dom of [1, 2]) expect(Buffer.compare(guestBytes(a, dom), guestBytes(b, dom)), `domain ${dom}'s guest frames`).toBe(0);
    // the same state, read through each build's table at different places: every private reader
    // of DataPlane agrees, and the values are the ones the operations above must have left
    const view = (m: Machine) => ({
      channels: [[1, unbound], [1, ipi], [2, remote]].map(([d, p]) => m.dp.channel(d, p)),
      stats: [1, 2].map((d) => m.dp.stats(d)),
      tails: [m.dp.queueTail(1, 0, 7), m.dp.queueTail(1, 1, 3)],
      cb: [m.dp.controlBlockState(1, 0), m.dp.controlBlockState(1, 1), m.dp.controlBlockState(2, 0)],
      blocked: [m.dp.vcpuBlocked(1, 0), m.dp.vcpuBlocked(1, 1)],
      kicks: [m.dp.vcpuKicks(1, 0), m.dp.vcpuKicks(1, 1)],
      dom: [1, 2].map((d) => [m.dp.abi(d), m.dp.domainFlags(d), m.dp.parkedMask(d), m.dp.pollMask(d), m.dp.validEvtchns(d), m.dp.activeEvtchns(d), m.dp.fifoNumEvtchns(d)]),
    });
    const va = view(a);
    expect(view(b)).toEqual(va);
    expect(va.channels[0]).toMatchObject({ remoteDom: 2, notifyVcpu: 0 });
    expect(va.channels[1]).toMatchObject({ notifyVcpu: 1 });
    expect(va.channels[2]).toMatchObject({ remoteDom: 1 });
    expect(va.tails).toEqual([unbound, ipi]);        // each raised port is its queue's tail
    expect(va.cb).toEqual([CB_READY, CB_READY, CB_READY]);
    expect(va.stats[0].upcalls).toBe(2);               // vCPU 0 and 1 each flagged once (counted in every build)
    expect(va.dom.map((d) => d[0])).toEqual(['fifo', 'fifo']);
    expect(va.dom.map((d) => d[5])).toEqual([2, 1]);   // active ports: domain 1's unbound-then-bound port and its IPI; domain 2's end
    expect(a.dp.layout.C_REMOTE_DOM).not.toBe(b.dp.layout.C_REMOTE_DOM);
  });

  it('a module never attaches to a memory another layout laid out (G_VERSION): LayoutMismatchError', () => {
    const one = createMachine([{ domid: 1, vcpus: 1, frames: 8 }], 'release');
    const two = createMachine([{ domid: 1, vcpus: 1, frames: 8 }], 'layout2');
    expect(one.dp.load32(G_VERSION)).toBe(1);
    expect(two.dp.load32(G_VERSION)).toBe(2);
    expect(() => DataPlane.attach(compileDataPlane('layout2'), one.memory)).toThrow(LayoutMismatchError);
    expect(() => DataPlane.attach(compileDataPlane('release'), two.memory)).toThrow(/laid out for hypervisor-private layout version 2, but the data plane attaching to it uses version 1/);
    expect(DataPlane.attach(compileDataPlane('layout2'), two.memory).layout.LAYOUT_VERSION).toBe(2);
  });

  it('maps layout versions to builds; an unbuilt version or a stress build of layout 2 is a ConfigError', () => {
    expect(buildForLayout(undefined)).toBe('release');
    expect(buildForLayout(1)).toBe('release');
    expect(buildForLayout(2)).toBe('layout2');
    expect(buildForLayout(1, true)).toBe('stress');
    expect(() => buildForLayout(3)).toThrow(ConfigError);
    expect(() => buildForLayout(0)).toThrow(/versions 1 and 2/);
    expect(() => buildForLayout(2, true)).toThrow(/stress build/);
  });

  it('no TypeScript outside assembly/ imports the private map: it reads the table (I54)', () => {
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const p = join(dir, name);
        if (statSync(p).isDirectory()) walk(p);
        else if (p.endsWith('.ts') && /from\s*['"][^'"]*shared\/private-layout/.test(readFileSync(p, 'utf8'))) offenders.push(p.slice(root.length));
      }
    };
    for (const d of ['src', 'workers', 'test', 'bench']) walk(join(root, d));
    expect(offenders).toEqual([]);
  });
});
