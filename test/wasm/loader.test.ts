import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { compileDataPlane, instantiateDataPlane, CANARY_EXPECT, wasmFile } from '../../src/wasm/module.ts';
import { planMemory, createSharedMemory } from '../../src/wasm/memory-map.ts';
import { ConfigError } from '../../src/errors.ts';
import { checkWasm } from '../../scripts/check-wasm.mjs';
import { G_CANARY, GLOBAL_BYTES, PAGE_SIZE } from '../../assembly/shared/layout.ts';

describe('wasm loader', () => {
  it('instantiates both builds on one shared memory and the wait canary passes', () => {
    const mem = createSharedMemory(planMemory([{ domid: 0, vcpus: 1, frames: 4 }]));
    for (const build of ['release', 'debug'] as const) {
      const x = instantiateDataPlane(compileDataPlane(build), mem);
      expect(x.waitCanary(G_CANARY)).toBe(CANARY_EXPECT);
    }
  });

  it('refuses a non-shared memory', () => {
    const mem = new WebAssembly.Memory({ initial: 1, maximum: 1 });
    expect(() => instantiateDataPlane(compileDataPlane('release'), mem)).toThrow();
  });
});

describe('wasm safety gate (scripts/check-wasm.mjs)', () => {
  it('passes the built modules', () => {
    for (const build of ['release', 'debug', 'stress', 'layout2'] as const) {
      expect(checkWasm(new Uint8Array(readFileSync(wasmFile(build))))).toEqual([]);
    }
  });

  // minimal modules assembled by hand: header, then sections
  const header = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  const name = (s: string) => [s.length, ...Buffer.from(s)];
  const section = (id: number, body: number[]) => [id, body.length, ...body];
  const sharedMemImport = section(2, [1, ...name('env'), ...name('memory'), 0x02, 0x03, 1, 1]);

  it('accepts a module importing only a shared env.memory', () => {
    expect(checkWasm(new Uint8Array([...header, ...sharedMemImport]))).toEqual([]);
  });

  it('rejects a data section', () => {
    const data = section(11, [0]);
    expect(checkWasm(new Uint8Array([...header, ...sharedMemImport, ...data])).join()).toMatch(/data section/);
  });

  it('rejects a start section', () => {
    const start = section(8, [0]);
    expect(checkWasm(new Uint8Array([...header, ...sharedMemImport, ...start])).join()).toMatch(/start section/);
  });

  it('rejects a foreign import and a missing or unshared memory', () => {
    const fnImport = section(2, [1, ...name('env'), ...name('abort'), 0x00, 0x00]);
    expect(checkWasm(new Uint8Array([...header, ...fnImport])).join()).toMatch(/foreign import env\.abort/);
    expect(checkWasm(new Uint8Array([...header])).join()).toMatch(/not imported/);
    const unshared = section(2, [1, ...name('env'), ...name('memory'), 0x02, 0x01, 1, 1]);
    expect(checkWasm(new Uint8Array([...header, ...unshared])).join()).toMatch(/not shared/);
  });
});

describe('memory map', () => {
  it('lays out domains page-aligned after the global header', () => {
    const plan = planMemory([
      { domid: 0, vcpus: 2, frames: 16, maxEvtchnPort: 4095 },
      { domid: 7, vcpus: 1, frames: 8 },
    ]);
    const [a, b] = plan.domains;
    expect(a.guestBase).toBe(GLOBAL_BYTES);
    expect(a.privBase).toBe(a.guestBase + 16 * PAGE_SIZE);
    expect(a.channelCapacity).toBe(4096);
    expect(b.guestBase).toBe(a.privBase + a.privBytes);
    expect(b.channelCapacity).toBe(1024);
    for (const r of plan.domains) {
      expect(r.guestBase % PAGE_SIZE).toBe(0);
      expect(r.privBase % PAGE_SIZE).toBe(0);
    }
    expect(plan.bytes).toBeGreaterThanOrEqual(b.privBase + b.privBytes);
  });

  it('rejects configurations that can not work, naming the value', () => {
    expect(() => planMemory([{ domid: 300, vcpus: 1, frames: 4 }])).toThrow(ConfigError);
    expect(() => planMemory([{ domid: 1, vcpus: 33, frames: 4 }])).toThrow(/33 vCPUs/);
    expect(() => planMemory([{ domid: 1, vcpus: 1, frames: 1 }])).toThrow(/guest frames/);
    expect(() => planMemory([{ domid: 1, vcpus: 1, frames: 4 }, { domid: 1, vcpus: 1, frames: 4 }])).toThrow(/used twice/);
    expect(() => planMemory([{ domid: 1, vcpus: 1, frames: 4, maxEvtchnPort: 131072 }])).toThrow(/maxEvtchnPort/);
    expect(() => planMemory(Array.from({ length: 5 }, (_, i) => ({ domid: i, vcpus: 1, frames: 262144 })))).toThrow(/4 GiB/);
  });
});
