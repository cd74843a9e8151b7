#!/usr/bin/env node
// The `wasmxen` command: runs the bundled CLI (npm install builds it).
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(cli)) {
  console.error('wasmxen: dist/cli.js is missing; run `npm run build` (npm install does it)');
  process.exit(1);
}
await import(cli.href);
