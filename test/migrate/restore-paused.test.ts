// hv.restoreDomain(image, { paused: true }), as Xen's toolstack restores a
// domain: created paused, its vCPU threads not started — no guest code runs —
// until hv.unpauseDomain, so the toolstack attaches its consumers to the
// pre-bound ports first (I56). Also: a held domain is not started by
// hv.start(), saves without starting, and is destroyed without ever running.
import { describe, it, expect, afterEach } from 'vitest';
import { fileURLToPath } from 'node:url';
import { Hypervisor } from '../../src/hypervisor.ts';
import { parseImage } from '../../src/migrate/parse.ts';
import { TP_KIND_CONSOLE } from '../../src/migrate/format.ts';
import { DOMID_SELF, ECS_UNBOUND } from '../../assembly/shared/evtchn-abi.ts';

const GUEST = fileURLToPath(new URL('./guests/resume-counter.mjs', import.meta.url));
const consumers = [{ name: 'console', module: 'console' }];
const RESUMED = 0;

const open: Hypervisor[] = [];
afterEach(async () => { for (const hv of open.splice(0)) await hv.shutdown(); });

/** A 2-vCPU service domain with its console ring offered as a toolstack channel, saved. */
async function image(): Promise<{ image: Uint8Array; conPort: number; conGfn: number }> {
  const hv = await Hypervisor.create({ domains: [{ id: 0, vcpus: 1 }, { id: 1, vcpus: 2 }], consumers });
  try {
    const conGfn = hv.domain(1).layout.freeGfn;
    const conPort = hv.console.openRing(1, conGfn);
    const image = await hv.save(1, { toolstackPorts: [{ port: conPort, remoteDom: DOMID_SELF, kind: TP_KIND_CONSOLE }] });
    return { image, conPort, conGfn };
  } finally {
    await hv.shutdown();
  }
}

/** A target hypervisor with room for the image's domain; `s` is what the guest's vCPUs count their resumes in. */
async function target(): Promise<{ hv: Hypervisor; s: Int32Array }> {
  const shared = new SharedArrayBuffer(64);
  const hv = await Hypervisor.create({ shared, domains: [{ id: 0, vcpus: 1 }], consumers, spareKiB: 1024 });
  open.push(hv);
  return { hv, s: new Int32Array(shared) };
}

/** Wait until word i is at least `value`, or fail naming it (the watchdog). */
async function waitWord(s: Int32Array, i: number, value: number, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (let v = Atomics.load(s, i); v < value; v = Atomics.load(s, i)) {
    if (Date.now() > deadline) throw new Error(`watchdog: ${what} (word ${i} = ${v}, want ${value})`);
    const w = Atomics.waitAsync(s, i, v, 100);
    if (w.async) await w.value;
  }
}

describe('restoreDomain { paused: true }', () => {
  it('into a running hypervisor: no vCPU thread until unpause; the console attaches at its pre-bound port first', async () => {
    const { image: img, conPort, conGfn } = await image();
    const { hv, s } = await target();
    hv.start();
    await hv.restoreDomain(img, { id: 1, guest: GUEST, paused: true });
    expect(hv.isPaused(1)).toBe(true);
    expect(hv.vcpuThreads).toBe(0);
    // the toolstack's turn: the port is pre-bound for the domain itself, the console takes it over
    expect(hv.machine.dp.channel(1, conPort)).toMatchObject({ state: ECS_UNBOUND, remoteDom: 1 });
    expect(hv.console.attachRing(1, conGfn, conPort)).toBe(conPort);
    await hv.pauseDomain(1); // already paused: nothing to do, still held
    expect(hv.vcpuThreads).toBe(0);
    expect(Atomics.load(s, RESUMED)).toBe(0);
    hv.unpauseDomain(1);
    expect(hv.isPaused(1)).toBe(false);
    expect(hv.vcpuThreads).toBe(2);
    await waitWord(s, RESUMED, 2, 'both vCPUs run their resume path');
    hv.unpauseDomain(1); // not paused: nothing to do, no second set of threads
    expect(hv.vcpuThreads).toBe(2);
  });

  it('before start(): start() leaves the held domain alone; unpause then starts it', async () => {
    const { image: img } = await image();
    const { hv, s } = await target();
    await hv.restoreDomain(img, { id: 2, guest: GUEST, paused: true });
    hv.start();
    expect(hv.vcpuThreads).toBe(0);
    hv.unpauseDomain(2);
    expect(hv.vcpuThreads).toBe(2);
    await waitWord(s, RESUMED, 2, 'both vCPUs run their resume path');
  });

  it('unpaused before start(): its threads start with the others at start()', async () => {
    const { image: img } = await image();
    const { hv, s } = await target();
    await hv.restoreDomain(img, { id: 1, guest: GUEST, paused: true });
    hv.unpauseDomain(1);
    expect(hv.vcpuThreads).toBe(0);
    hv.start();
    expect(hv.vcpuThreads).toBe(2);
    await waitWord(s, RESUMED, 2, 'both vCPUs run their resume path');
  });

  it('a held domain saves without starting, and is destroyed without ever running', async () => {
    const { image: img } = await image();
    const { hv, s } = await target();
    hv.start();
    await hv.restoreDomain(img, { id: 1, guest: GUEST, paused: true });
    const again = await hv.save(1);
    const { vcpus, frames, maxPages } = parseImage(img).config;
    expect(parseImage(again).config).toMatchObject({ vcpus, frames, maxPages });
    expect(hv.isPaused(1)).toBe(true); // a save leaves a paused domain paused
    expect(hv.vcpuThreads).toBe(0);
    const r = await hv.destroyDomain(1);
    expect(r.vcpus).toEqual([]);
    expect(hv.domainIds).toEqual([0]);
    expect(Atomics.load(s, RESUMED)).toBe(0);
    // the id is free again, and a restore without `paused` starts at once
    await hv.restoreDomain(img, { id: 1, guest: GUEST });
    expect(hv.vcpuThreads).toBe(2);
    await waitWord(s, RESUMED, 2, 'both vCPUs run their resume path');
  });
});
