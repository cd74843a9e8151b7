// Typed errors of the library's own paths (src/errors.ts): a call in the
// wrong state is an InvalidStateError, a bad configuration a ConfigError, a
// domain still in use a DomainStateError, a broken invariant of wasmxen an
// InternalError; each with its stable code and a message that says what was
// wrong and what to do.
import { describe, it, expect } from 'vitest';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hypervisor } from '../../src/hypervisor.ts';
import { createMachine } from '../../src/wasm/data-plane.ts';
import { ConfigError, DomainStateError, HandlerError, InternalError, InvalidArgumentError, InvalidStateError, NoSuchDomainError, VcpuCrashError } from '../../src/errors.ts';
import { destroyUnstarted } from '../../src/lifecycle/toolstack.ts';
import { ImageWriter } from '../../src/migrate/writer.ts';
import { createDmaMachine } from '../../src/dm/machine.ts';
import { DmaServer } from '../../src/dm/server.ts';
import { createMac, tagsEqual } from '../../src/platform/hmac.browser.ts';
import { resolveScenarios, runScenario } from '../../src/stress/runner.ts';
import { SCENARIOS } from '../../src/stress/scenarios.ts';
import { INJECTIONS } from '../../src/stress/inject.ts';
import { main as balloonMain } from '../../src/guests/balloon.ts';
import type { Guest } from '../../src/guest/guest.ts';
import { memMachine } from '../helpers/mem-machine.ts';
import { shapeSource, regsGpa } from '../migrate/helpers.ts';
import { saveDomainImage } from '../../src/migrate/save.ts';
import { parseImage } from '../../src/migrate/parse.ts';
import { restoreConfig, fillDomain } from '../../src/migrate/restore.ts';
import { runDefaultScenario } from '../../src/scenarios/default.ts';
import { DeviceModel } from '../../src/dm/index.ts';
import { dmaMachine } from '../dm/library-machine.ts';
import { encodeEmulator } from '../../src/migrate/emulator.ts';
import { REC_LENGTH_MAX, REC_TYPE_EMULATOR_CONTEXT } from '../../src/migrate/format.ts';
import { DmaExerciser } from '../../src/dm/exerciser.ts';
import { HypercallStub } from '../../src/guest/hypercall-stub.ts';
import { PAGE_SIZE } from '../../assembly/shared/layout.ts';
import { ReferenceModel } from '../../src/model/index.ts';
import { expectTyped, thrown, rejected } from './expect-typed.ts';

describe('InvalidStateError: a call its object\'s state does not allow', () => {
  it('irqDisable and irqEnable inside an event handler', async () => {
    const errors: unknown[] = [];
    const hv = await Hypervisor.create({ domains: [{ id: 1, vcpus: 1 }, { id: 2, vcpus: 1 }], onError: (e) => errors.push(e) });
    try {
      const b = hv.domain(2).allocUnbound(1);
      const f = hv.domain(1).bindInterdomain(2, b);
      let calls = 0;
      hv.domain(2).on(b, () => {
        calls++;
        if (calls === 1) hv.domain(2).guest(0).irqDisable();
        else hv.domain(2).guest(0).irqEnable();
      });
      for (let i = 0; i < 2; i++) {
        const seen = errors.length;
        hv.domain(1).send(f);
        while (errors.length === seen) await new Promise((r) => setImmediate(r));
      }
      expect(errors).toHaveLength(2);
      const [dis, en] = errors.map((e) => expectTyped(e, HandlerError, 'WASMXEN_HANDLER').cause);
      expectTyped(dis, InvalidStateError, 'WASMXEN_INVALID_STATE', /^irqDisable: called inside an event handler/, /call it outside handlers/);
      expectTyped(en, InvalidStateError, 'WASMXEN_INVALID_STATE', /^irqEnable: called inside an event handler/, /call it outside handlers/);
      expect((dis as InvalidStateError).op).toBe('irqDisable');
    } finally {
      await hv.shutdown();
    }
  });

  it('guest() of a domain that runs a guest module', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wasmxen-guest-'));
    try {
      const file = join(dir, 'idle.mjs');
      writeFileSync(file, 'export const handlers = () => ({});\nexport function main() {}\n');
      const hv = await Hypervisor.create({ domains: [{ id: 1, vcpus: 1, guest: file }] });
      try {
        const e = expectTyped(thrown(() => hv.domain(1).guest(0)), InvalidStateError, 'WASMXEN_INVALID_STATE',
          /^guest: domain 1 runs guest module/, /call guest\(\) on a service domain/);
        expect(e.op).toBe('guest');
      } finally {
        await hv.shutdown();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a DmaServer asked to serve before a vCPU is attached', () => {
    const m = createDmaMachine({ workers: 1 });
    const server = new DmaServer(m.machine.dp, m.region.addr, 0, undefined, 16);
    expectTyped(thrown(() => server.bindWakeup()), InvalidStateError, 'WASMXEN_INVALID_STATE', /^DmaServer: .*attach\(vcpu\) first/);
    expectTyped(thrown(() => server.connect(m.guestDom, 1)), InvalidStateError, 'WASMXEN_INVALID_STATE', /attach\(vcpu\) first/);
  });
});

describe('DomainStateError and InternalError from the toolstack', () => {
  it('releasing a machine\'s domain that is still published is refused (I27)', () => {
    const m = createMachine([{ domid: 1, vcpus: 1, frames: 64 }], 'release');
    const e = expectTyped(thrown(() => m.releaseDomain(1)), DomainStateError, 'WASMXEN_DOMAIN_STATE',
      /domain 1 is still published or referenced/, /kill it, destroy its event channels/);
    expect(e.state).toBe('in-use');
    expect(e.domain).toBe(1);
  });

  it('tearing down an "unstarted" domain that does not exist is a broken invariant, not a loop', () => {
    const m = createMachine([{ domid: 1, vcpus: 1, frames: 64 }], 'release');
    const e = expectTyped(thrown(() => destroyUnstarted(m.dp, 5)), InternalError, 'WASMXEN_INTERNAL',
      /^evtchn_destroy of unstarted domain 5 returned -3: an invariant of wasmxen broke/, /please report it/);
    expect(e.what).toBe('evtchn_destroy of unstarted domain 5 returned -3');
  });

  it('an image writer asked for a record after END', () => {
    const w = new ImageWriter(() => {});
    w.end();
    expectTyped(thrown(() => w.record(1)), InternalError, 'WASMXEN_INTERNAL', /^image writer: a record was written after END/);
  });
});

describe('ConfigError for what can not be run as configured', () => {
  it('a keyed image in the browser bundle', () => {
    for (const f of [() => createMac('sha256', 'k'), () => tagsEqual(new Uint8Array(1), new Uint8Array(1))]) {
      expectTyped(thrown(f), ConfigError, 'WASMXEN_CONFIG', /need Node's crypto/, /drop the key in the browser/);
    }
  });

  it('a stress scenario or injected bug that does not exist, or an injection without the stress build', async () => {
    expectTyped(thrown(() => resolveScenarios('no-such')), ConfigError, 'WASMXEN_CONFIG', /no stress scenario 'no-such'/, new RegExp(SCENARIOS[0].name));
    const opts = { seconds: 1, seed: 1 } as Parameters<typeof runScenario>[1];
    expectTyped(await rejected(runScenario(SCENARIOS[0], { ...opts, inject: 'no-such-bug' })), ConfigError, 'WASMXEN_CONFIG',
      /no injectable bug 'no-such-bug': use one of/, new RegExp(INJECTIONS[0].name));
    expectTyped(await rejected(runScenario(SCENARIOS[0], { ...opts, inject: INJECTIONS[0].name, build: 'release' })), ConfigError, 'WASMXEN_CONFIG',
      /needs the stress build: drop build 'release'/);
  });

  it('the balloon guest without a shared buffer', () => {
    const g = { shared: undefined, config: {} } as unknown as Guest;
    expectTyped(thrown(() => balloonMain(g)), ConfigError, 'WASMXEN_CONFIG', /needs a shared buffer: give Hypervisor.create a `shared`/);
  });

  it('a consumer module that exports no consumer: the hypervisor refuses to start it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wasmxen-consumer-'));
    try {
      const file = join(dir, 'not-a-consumer.mjs');
      writeFileSync(file, 'export const x = 1;\n');
      const err = await rejected((async () => {
        const hv = await Hypervisor.create({ domains: [{ id: 1, vcpus: 1 }], consumers: [{ name: 'bad', module: file }] });
        await hv.shutdown();
      })());
      const e = err instanceof VcpuCrashError ? err.cause : err;
      expectTyped(e, ConfigError, 'WASMXEN_CONFIG', /exports no consumer: give it a default export/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('InternalError from fillDomain', () => {
  it('a data-plane refusal while filling a restored domain (an image that was not validated for it) is a broken invariant', () => {
    const t = memMachine();
    shapeSource(t, 1);
    const { image } = saveDomainImage(t.m.dp, t.m.domain(1), { regsGpa: regsGpa(t.layout.scratchGfn) });
    const img = parseImage(image);
    // a region smaller than the image's domain: restoreConfig would never lay it out so
    const m = createMachine([{ ...restoreConfig(img, 7), frames: img.config.frames - 8 }], 'debug');
    const e = expectTyped(thrown(() => fillDomain(m.dp, m.domain(7), img)), InternalError, 'WASMXEN_INTERNAL',
      /^restore of domain 7: setting gfn \d+'s p2m type failed: -E[A-Z]+ on a validated image: an invariant of wasmxen broke/);
    expect(e.what).toMatch(/^restore of domain 7/);
  });
});

describe('ConfigError for out-of-range options', () => {
  it('a pause bound that is not positive; a run of no time', async () => {
    const hv = await Hypervisor.create({ domains: [{ id: 1, vcpus: 1 }] });
    try {
      expectTyped(await rejected(hv.pauseDomain(1, { timeoutMs: 0 })), ConfigError, 'WASMXEN_CONFIG', /pause bound 0 ms: give timeoutMs a positive number/);
      expect(hv.isPaused(1)).toBe(false);
    } finally {
      await hv.shutdown();
    }
    expectTyped(await rejected(runDefaultScenario({ seconds: 0 })), ConfigError, 'WASMXEN_CONFIG', /a run of 0 s: give seconds in \(0, /);
  });

  it('a device model given unowned frames outside its guest', async () => {
    const m = await dmaMachine({ seed: 1, transfers: 1 });
    try {
      const err = await rejected(DeviceModel.create(m.hv, {
        domain: 0, guest: 1, plan: m.plan, ringGfn: m.layout.ringGfn, workers: 0, unowned: [[m.layout.frames + 10, 4]],
      }));
      expectTyped(err, ConfigError, 'WASMXEN_CONFIG', /an unowned range\) are outside the guest's RAM: give ranges inside it/);
    } finally {
      await m.hv.shutdown();
    }
  });
});

describe('ConfigError for what an image or a device model can not hold', () => {
  it('an emulator context whose disk is not whole sectors; a record larger than REC_LENGTH_MAX', () => {
    const ctx = { ringGfn: 1, sqCons: 0, disk: new Uint8Array(100) };
    expectTyped(thrown(() => encodeEmulator(ctx)), ConfigError, 'WASMXEN_CONFIG', /a disk of 100 bytes is not whole 512-byte sectors/);
    const w = new ImageWriter(() => {});
    const mib = new Uint8Array(2 ** 20);
    const parts = Array.from({ length: REC_LENGTH_MAX / 2 ** 20 + 1 }, () => mib); // one buffer, viewed again and again
    expectTyped(thrown(() => w.record(REC_TYPE_EMULATOR_CONTEXT, ...parts)), ConfigError, 'WASMXEN_CONFIG',
      /record EMULATOR_CONTEXT of \d+ bytes exceeds REC_LENGTH_MAX/, /plan a smaller disk/);
  });

  it('a DMA exerciser given a layout outside its domain, or asked to resume with no driver state', () => {
    const m = createDmaMachine({ workers: 1 });
    const base = { dom: m.guestDom, diskSectors: m.plan.diskSectors, seed: 1 };
    expectTyped(thrown(() => new DmaExerciser(m.machine.dp, { ...base, layout: { ...m.dma, ringGfn: 1 << 20 } }, () => {})), ConfigError, 'WASMXEN_CONFIG',
      /command page gfn 1048576 is not RAM of domain 1: give a layout from dmaGuestLayout/);
    expectTyped(thrown(() => new DmaExerciser(m.machine.dp, { ...base, layout: m.dma, resume: true }, () => {})), ConfigError, 'WASMXEN_CONFIG',
      /no driver state at .* to resume from: resume only a domain whose exerciser ran before it was saved/);
  });
});

describe('InvalidArgumentError for a guest\'s hypercall arguments and a domain\'s gfns', () => {
  it('too many hypercall arguments, one that is not an integer, a register context outside the domain\'s RAM; a gfn out of range', async () => {
    const hv = await Hypervisor.create({ domains: [{ id: 1, vcpus: 1 }, { id: 2, vcpus: 1 }] });
    try {
      const stub = hv.domain(1).guest(0).hc.stub;
      const e = expectTyped(thrown(() => stub.load(32, [1, 2, 3, 4, 5, 6])), InvalidArgumentError, 'WASMXEN_INVALID_ARGUMENT',
        /^hypercall on domain 1: argument count 6 is not at most 5$/);
      expect(e.domain).toBe(1);
      expectTyped(thrown(() => stub.load(32, [1.5])), InvalidArgumentError, 'WASMXEN_INVALID_ARGUMENT',
        /^hypercall on domain 1: argument 0 1.5 is not an integer 0..2\^53-1 or a bigint$/);
      const frames = hv.machine.domain(1).frames;
      const outside = new HypercallStub(hv.machine.dp, 1, 0, frames * PAGE_SIZE); // the next region, not domain 1's RAM
      outside.load(32, []);
      expectTyped(thrown(() => outside.step()), InvalidArgumentError, 'WASMXEN_INVALID_ARGUMENT',
        new RegExp(`register context at guest address ${frames * PAGE_SIZE} is not inside the domain's RAM \\(the entry returned -E[A-Z]+\\)`));
      expectTyped(thrown(() => hv.domain(1).memory.p2mType(frames)), InvalidArgumentError, 'WASMXEN_INVALID_ARGUMENT',
        new RegExp(`^p2mType on domain 1: gfn ${frames} is not an integer in 0..${frames - 1}$`));
    } finally {
      await hv.shutdown();
    }
  });
});

describe('the reference model (wasmxen/model) refuses what names nothing', () => {
  it('a domain it does not have; a vCPU or port a domain does not have', () => {
    const model = new ReferenceModel([{ domid: 1, vcpus: 1, frames: 64 }]);
    const e = expectTyped(thrown(() => model.abi(9)), NoSuchDomainError, 'WASMXEN_NO_SUCH_DOMAIN', /^no domain 9 \(this hypervisor has domains 1\)$/);
    expect(e.known).toEqual([1]);
    expectTyped(thrown(() => model.fifoSetPending(1, 4, 1)), InvalidArgumentError, 'WASMXEN_INVALID_ARGUMENT', /^fifoSetPending on domain 1: vCPU 4 is not a vCPU of the domain$/);
    expectTyped(thrown(() => model.fifoSetPending(1, 0, 99999)), InvalidArgumentError, 'WASMXEN_INVALID_ARGUMENT', /^fifoSetPending on domain 1: port 99999 is not a valid port/);
    expectTyped(thrown(() => model.drain(1, 2)), InvalidArgumentError, 'WASMXEN_INVALID_ARGUMENT', /^drain on domain 1: vCPU 2 is not a vCPU of the domain$/);
  });
});
