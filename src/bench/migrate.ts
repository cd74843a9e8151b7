// The `migrate` workload of `wasmxen bench`: how long a domain is paused to
// save it (downtime) and how fast images are produced, written, validated
// and restored, against copying the same bytes with fs.copyFile in the same
// run (the floor any save-to-disk could reach). Every run's restored domain
// is compared with the saved one byte for byte (a mismatch throws).
import { mkdtemp, writeFile, copyFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hypervisor } from '../hypervisor.ts';
import { PAGE_SIZE } from '../../assembly/shared/layout.ts';
import { median, spread } from './stats.ts';
import { percent } from './format.ts';
import { BenchCorrectnessError } from './runner.ts';

export interface MigrateBenchResult {
  workload: 'migrate';
  runs: number;
  /** the saved domain: guest RAM and image size */
  ram_kib: number;
  image_bytes: number;
  records: number;
  /** medians over the runs */
  downtime_ms: number;
  save_mb_per_s: number;
  write_mb_per_s: number;
  restore_mb_per_s: number;
  copyfile_mb_per_s: number;
  /** (max − min) / median of the downtime; NaN (JSON null, shown n/a) from one run */
  spread: number;
}

const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;

export async function benchMigrate(runs: number, ramKiB = 32 * 1024, onRun?: (done: number, total: number) => void): Promise<MigrateBenchResult> {
  const dir = await mkdtemp(join(tmpdir(), 'wasmxen-migrate-'));
  const src = await Hypervisor.create({ domains: [{ id: 0, vcpus: 1 }, { id: 1, vcpus: 2, ramKiB }] });
  const dst = await Hypervisor.create({ domains: [{ id: 0, vcpus: 1, ramKiB: 64 }], spareKiB: ramKiB + 1024 });
  try {
    const d = src.domain(1);
    const base = src.machine.dp.x.addrGuestBase(1) >>> 0;
    for (let g = d.layout.freeGfn; g < d.region.frames; g++) src.machine.dp.u8.fill((g * 31) & 0xff, base + g * PAGE_SIZE, base + (g + 1) * PAGE_SIZE);
    const down: number[] = [], save: number[] = [], write: number[] = [], restore: number[] = [], copy: number[] = [];
    let bytes = 0, records = 0;
    for (let i = 0; i <= runs; i++) { // run 0 warms up
      const chunks: Uint8Array[] = [];
      const t0 = process.hrtime.bigint();
      const fig = await src.saveTo(1, (c) => chunks.push(c));
      const tSave = ms(t0);
      bytes = fig.bytes; records = fig.records;
      const file = join(dir, `dom1-${i}.img`);
      const t1 = process.hrtime.bigint();
      await writeFile(file, chunks);
      const tWrite = ms(t1);
      const image = new Uint8Array(bytes);
      let at = 0;
      for (const c of chunks) { image.set(c, at); at += c.length; }
      const t2 = process.hrtime.bigint();
      await dst.restoreDomain(image, { id: 1 });
      const tRestore = ms(t2);
      const a = src.machine.dp.u8.subarray(base + PAGE_SIZE, base + d.region.frames * PAGE_SIZE);
      const rb = dst.machine.dp.x.addrGuestBase(1) >>> 0;
      if (Buffer.compare(a, dst.machine.dp.u8.subarray(rb + PAGE_SIZE, rb + d.region.frames * PAGE_SIZE)) !== 0) {
        throw new BenchCorrectnessError(`migrate bench run ${i}: the restored domain's memory differs from the saved one: save/restore is broken in this build, its figures mean nothing`);
      }
      await dst.destroyDomain(1);
      const t3 = process.hrtime.bigint();
      await copyFile(file, `${file}.copy`);
      const tCopy = ms(t3);
      await rm(`${file}.copy`);
      await rm(file);
      if (i === 0) continue;
      down.push(tSave); save.push(bytes / 1e3 / tSave); write.push(bytes / 1e3 / tWrite);
      restore.push(bytes / 1e3 / tRestore); copy.push(bytes / 1e3 / tCopy);
      onRun?.(i, runs);
    }
    const m = median(down);
    return {
      workload: 'migrate', runs, ram_kib: ramKiB, image_bytes: bytes, records, downtime_ms: m,
      save_mb_per_s: median(save), write_mb_per_s: median(write), restore_mb_per_s: median(restore),
      copyfile_mb_per_s: median(copy), spread: spread(down),
    };
  } finally {
    await src.shutdown();
    await dst.shutdown();
    await rm(dir, { recursive: true, force: true });
  }
}

export function formatMigrateLine(r: MigrateBenchResult): string {
  return `migrate    wasmxen    downtime ${r.downtime_ms.toFixed(1)} ms (spread ${percent(r.spread)}) for ${(r.image_bytes / 2 ** 20).toFixed(1)} MiB ` +
    `(${r.records} records); save ${r.save_mb_per_s.toFixed(0)} MB/s, write ${r.write_mb_per_s.toFixed(0)} MB/s, ` +
    `validate+restore ${r.restore_mb_per_s.toFixed(0)} MB/s; fs.copyFile of the same bytes ${r.copyfile_mb_per_s.toFixed(0)} MB/s`;
}
