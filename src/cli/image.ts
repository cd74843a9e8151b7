// `wasmxen image check FILE`: validate a domain image (src/migrate/) and say
// what it holds, or exit non-zero with one line naming the first fault.
import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { parseImage } from '../migrate/parse.ts';
import { recordName, REC_TYPE_EMULATOR_CONTEXT } from '../migrate/format.ts';
import { VerdictError } from './exit.ts';

export function registerImage(program: Command): void {
  const image = program.command('image').description('domain images written by `wasmxen run --save-at` or hv.save()');
  image
    .command('check')
    .argument('<file>', 'the image')
    .description('validate an image whole (headers, every record and checksum, gfn coverage, the HMAC tag with --key); exit 1 with one line naming the first fault (3 if the file cannot be read)')
    .option('--key <key>', 'the HMAC key the image was authenticated with')
    .option('--json', 'print what the image holds as JSON')
    .action(async (file: string, opts: { key?: string; json?: boolean }) => {
      let bytes: Uint8Array;
      try {
        bytes = await readFile(file);
      } catch (e) {
        throw new Error(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
      }
      let img;
      try {
        img = parseImage(bytes, { key: opts.key });
      } catch (e) {
        throw new VerdictError(`${file}: ${(e as Error).message}`);
      }
      const c = img.config;
      const summary = {
        file, ok: true, format_version: img.version, bytes: img.bytes, records: img.records, authenticated: img.authenticated,
        vcpus: c.vcpus, guest_width: c.guestWidth, frames: c.frames, tot_pages: c.totPages, max_pages: c.maxPages,
        max_evtchn_port: c.maxEvtchnPort, abi_at_save: c.abi,
        continuations: img.vcpus.filter((v) => v.continuation).map((v) => v.vcpu),
        toolstack_ports: img.toolstackPorts.map((p) => p.port),
        ...(img.emulator ? {
          device_model: { record: recordName(REC_TYPE_EMULATOR_CONTEXT), ring_gfn: img.emulator.ringGfn, sq_cons: img.emulator.sqCons, disk_bytes: img.emulator.disk.length },
        } : {}),
      };
      if (opts.json) console.log(JSON.stringify(summary));
      else {
        console.log(`${file}: ok — format ${img.version}, ${img.records} records (${recordName(0)} last), ${img.bytes} bytes` +
          `${img.authenticated ? ', authenticated' : ''}; ${c.vcpus} vCPU(s), ${c.guestWidth}-bit, ${c.totPages}/${c.frames - 1} pages populated` +
          `${summary.continuations.length ? `; continuation in flight on vCPU ${summary.continuations.join(', ')}` : ''}` +
          `${img.emulator ? `; device-model state (${recordName(REC_TYPE_EMULATOR_CONTEXT)}: a ${img.emulator.disk.length}-byte disk, command page at gfn ${img.emulator.ringGfn})` : ''}`);
      }
    });
}
