// hv.restoreDomain(image, { paused: true }), as Xen's toolstack restores a
// domain: created paused (I28), its vCPUs park at their first boundary and
// run no guest code until hv.unpauseDomain, so the toolstack attaches its
// consumers to the pre-bound ports first (I56). Also: restored paused before
// hv.start(), a paused domain saves and stays paused, and is destroyed
// without ever having run guest code.
import { describe, it, expect, afterEach } from 'vitest';
import { fileURLToPath } from 'node:url';
import { Hypervisor } from '../../src/hypervisor.ts';
import { parseImage } from '../../src/migrate/parse.ts';
import { TP_KIND_CONSOLE } from '../../src/migrate/format.ts';
import { DOMID_SELF, ECS_UNBOUND } from '../../assembly/shared/evtchn-abi.ts';
import { waitWord, waitBits } from '../helpers/wait-word.ts';

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


describe('restoreDomain { paused: true }', () => {
  /** Every vCPU of `id` parked at its first boundary (I28): from here on nothing it does is still to come. */
  const parked = (hv: Hypervisor, id: number) => waitBits(hv.machine.dp.i32, hv.machine.dp.parkedMaskIndex(id), 0b11, `domain ${id}'s vCPUs park`);
  const parkedNow = (hv: Hypervisor, id: number) => (Atomics.load(hv.machine.dp.i32, hv.machine.dp.parkedMaskIndex(id)) & 0b11) === 0b11;

  it('into a running hypervisor: its vCPUs park before any guest code until unpause; the console attaches at its pre-bound port first', async () => {
    const { image: img, conPort, conGfn } = await image();
    const { hv, s } = await target();
    hv.start();
    await hv.restoreDomain(img, { id: 1, guest: GUEST, paused: true });
    expect(hv.isPaused(1)).toBe(true);
    await parked(hv, 1);
    expect(Atomics.load(s, RESUMED)).toBe(0);
    // the toolstack's turn: the port is pre-bound for the domain itself, the console takes it over
    expect(hv.machine.dp.channel(1, conPort)).toMatchObject({ state: ECS_UNBOUND, remoteDom: 1 });
    expect(hv.console.attachRing(1, conGfn, conPort)).toBe(conPort);
    await hv.pauseDomain(1); // already paused and parked: resolves at once
    hv.unpauseDomain(1);
    expect(hv.isPaused(1)).toBe(false);
    await waitWord(s, RESUMED, 2, 'both vCPUs run their resume path');
    expect(hv.vcpuThreads).toBe(2);
  });

  it('pauseDomain right after the restore resolves only once its vCPUs have parked, as a first pause does (I28)', async () => {
    const { image: img } = await image();
    const { hv, s } = await target();
    hv.start();
    await hv.restoreDomain(img, { id: 1, guest: GUEST, paused: true });
    await hv.pauseDomain(1); // the threads are still starting: marked paused is not parked yet
    expect(parkedNow(hv, 1)).toBe(true);
    expect(Atomics.load(s, RESUMED)).toBe(0);
    hv.unpauseDomain(1);
    await waitWord(s, RESUMED, 2, 'both vCPUs run their resume path');
  });

  it('a shutdown while it is still paused runs none of its guest code: no resume path, no crash', async () => {
    const { image: img } = await image();
    const { hv, s } = await target();
    hv.start();
    await hv.restoreDomain(img, { id: 1, guest: GUEST, paused: true });
    await parked(hv, 1);
    const r = await open.pop()!.shutdown();
    expect(r.crashed).toEqual([]);
    expect(r.vcpus.filter((v) => v.dom === 1)).toHaveLength(2);
    expect(Atomics.load(s, RESUMED)).toBe(0);
  });

  it('before start(): start() brings its vCPUs up parked; unpause lets them resume', async () => {
    const { image: img } = await image();
    const { hv, s } = await target();
    await hv.restoreDomain(img, { id: 2, guest: GUEST, paused: true });
    hv.start();
    await parked(hv, 2);
    expect(Atomics.load(s, RESUMED)).toBe(0);
    hv.unpauseDomain(2);
    await waitWord(s, RESUMED, 2, 'both vCPUs run their resume path');
  });

  it('unpaused before start(): its vCPUs resume at start()', async () => {
    const { image: img } = await image();
    const { hv, s } = await target();
    await hv.restoreDomain(img, { id: 1, guest: GUEST, paused: true });
    hv.unpauseDomain(1);
    expect(hv.vcpuThreads).toBe(0);
    hv.start();
    await waitWord(s, RESUMED, 2, 'both vCPUs run their resume path');
  });

  it('a paused domain saves and stays paused, and is destroyed without ever having run guest code', async () => {
    const { image: img } = await image();
    const { hv, s } = await target();
    hv.start();
    await hv.restoreDomain(img, { id: 1, guest: GUEST, paused: true });
    await parked(hv, 1);
    const again = await hv.save(1);
    const { vcpus, frames, maxPages } = parseImage(img).config;
    expect(parseImage(again).config).toMatchObject({ vcpus, frames, maxPages });
    expect(hv.isPaused(1)).toBe(true); // a save leaves a paused domain paused
    const r = await hv.destroyDomain(1);
    expect(r.vcpus.map((v) => v.destroyed)).toEqual([true, true]); // left from their park, not from guest code
    expect(hv.domainIds).toEqual([0]);
    expect(Atomics.load(s, RESUMED)).toBe(0);
    // the id is free again, and a restore without `paused` resumes at once
    await hv.restoreDomain(img, { id: 1, guest: GUEST });
    await waitWord(s, RESUMED, 2, 'both vCPUs run their resume path');
  });
});
