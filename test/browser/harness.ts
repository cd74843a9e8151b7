// What the browser tests share: `wasmxen serve`'s server in this process on
// 127.0.0.1 and Debian's headless Chromium, started before a file's tests and
// stopped after them; screenshots go to test-artifacts/browser/ (gitignored).
import { beforeAll, afterAll } from 'vitest';
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Server } from 'node:http';
import type { Browser } from 'playwright-core';
import { demoServer, listen } from '../../src/serve/server.ts';

const CHROMIUM = '/usr/bin/chromium';
export const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/browser/', import.meta.url));

/** The server's base URL and the browser, valid inside the tests of the file that called this. */
export function browserHarness(): { readonly base: string; readonly browser: Browser } {
  let server: Server | undefined;
  const h = { base: '', browser: undefined as unknown as Browser };
  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} is missing: install Debian's Chromium (apt-get update && apt-get install -y chromium) to run this test`);
    }
    mkdirSync(ARTIFACTS, { recursive: true });
    server = demoServer();
    h.base = await listen(server, '127.0.0.1', 0);
    const { chromium } = await import('playwright-core');
    h.browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 60_000);
  afterAll(async () => {
    await h.browser?.close();
    server?.closeAllConnections();
    await new Promise((resolve) => server ? server.close(resolve) : resolve(undefined));
  });
  return h;
}
