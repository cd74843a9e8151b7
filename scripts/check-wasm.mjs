// Safety gate for every wasm build: a module instantiated by many threads on
// one shared memory must carry no data section (id 11; re-copied over live
// state at every instantiation), no start section (id 8; re-run per thread)
// and import nothing but env.memory. Usage: node scripts/check-wasm.mjs FILE...
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

function readU32(bytes, pos) {
  let result = 0, shift = 0, b;
  do {
    b = bytes[pos.i++];
    result |= (b & 0x7f) << shift;
    shift += 7;
  } while (b & 0x80);
  return result >>> 0;
}

function readName(bytes, pos) {
  const len = readU32(bytes, pos);
  const s = Buffer.from(bytes.subarray(pos.i, pos.i + len)).toString('utf8');
  pos.i += len;
  return s;
}

/** Returns a list of problems (empty when the module is safe). */
export function checkWasm(bytes) {
  const problems = [];
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    return ['not a wasm binary'];
  }
  const pos = { i: 8 };
  let memoryImported = false;
  while (pos.i < bytes.length) {
    const id = bytes[pos.i++];
    const size = readU32(bytes, pos);
    const end = pos.i + size;
    if (id === 11) problems.push('data section present (would overwrite live shared state on every instantiation)');
    if (id === 8) problems.push('start section present (would re-run in every thread)');
    if (id === 2) {
      const count = readU32(bytes, pos);
      for (let k = 0; k < count; k++) {
        const mod = readName(bytes, pos);
        const field = readName(bytes, pos);
        const kind = bytes[pos.i++];
        if (kind === 2 && mod === 'env' && field === 'memory') {
          memoryImported = true;
          const flags = bytes[pos.i++];
          readU32(bytes, pos);
          if (flags & 1) readU32(bytes, pos);
          if (!(flags & 2)) problems.push('env.memory is not shared');
        } else {
          problems.push(`foreign import ${mod}.${field} (kind ${kind})`);
          break; // the rest of the section cannot be parsed without decoding every kind
        }
      }
    }
    pos.i = end;
  }
  if (!memoryImported) problems.push('env.memory is not imported');
  return problems;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  let failed = false;
  for (const file of process.argv.slice(2)) {
    const problems = checkWasm(new Uint8Array(readFileSync(file)));
    for (const p of problems) console.error(`check-wasm: ${file}: ${p}`);
    failed ||= problems.length > 0;
  }
  process.exit(failed ? 1 : 0);
}
