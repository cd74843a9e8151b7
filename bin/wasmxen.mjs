#!/usr/bin/env node
// The `wasmxen` command: runs the bundled CLI (the build makes it; the package ships it).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(cli)) {
  console.error(`wasmxen: ${fileURLToPath(cli)} is missing: in a clone of wasmxen run \`npm run build\`; ` +
    'in an installed package reinstall wasmxen (its tarball ships the build)');
  process.exit(3); // the CLI's status for "could not run" (src/cli/exit.ts)
}
await import(cli.href);
