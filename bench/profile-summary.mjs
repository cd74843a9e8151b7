#!/usr/bin/env node
// Summarise `node --cpu-prof` profiles of a bench run: self time per function,
// per thread, with wasm functions named from build/wasmxen.wat (V8 names them
// wasm-function[N]; the release build carries no name section).
//
//   node --no-liftoff --cpu-prof --cpu-prof-dir=prof bin/wasmxen.mjs bench --workload fifo-1to1 --impl wasmxen
//   node bench/profile-summary.mjs prof
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2] ?? '.';
const wat = readFileSync(new URL('../build/wasmxen.wat', import.meta.url), 'utf8');
const names = new Map();
let index = 0;
for (const m of wat.matchAll(/^ \(func \$(\S+)/gm)) names.set(`wasm-function[${index++}]`, m[1].replace(/^assembly\//, ''));

for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort()) {
  const p = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map();
  for (const id of p.samples) {
    const f = byId.get(id).callFrame;
    const key = names.get(f.functionName) ?? `${f.functionName || '(anonymous)'} ${f.url.split('/').pop()}`;
    self.set(key, (self.get(key) ?? 0) + 1);
  }
  const total = p.samples.length;
  if ((self.get('(idle) ') ?? 0) > total * 0.9) continue; // the main thread, waiting for the parties
  console.log(`${file}: ${total} samples`);
  for (const [k, c] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 10)) console.log(`  ${(100 * c / total).toFixed(1).padStart(5)}%  ${k}`);
}
