// The demo page's HTTP server (`wasmxen serve`): node:http on a loopback
// address, serving the browser bundle (dist/browser/) and the wasm builds
// from wherever the package is installed. Every response carries the
// headers that make the page cross-origin isolated — the precondition for a
// shared WebAssembly.Memory between the page's Web Workers:
// Cross-Origin-Opener-Policy: same-origin and
// Cross-Origin-Embedder-Policy: require-corp (and, for its own subresources,
// Cross-Origin-Resource-Policy: same-origin). Nothing is fetched from any
// other origin, so the page works without network access. /build-info.json
// is the build the served wasm and bundles belong to (buildInfo: version,
// build hash, commit): a bench result exported by the page carries it, as
// `wasmxen bench --json` does, so `wasmxen merge` can put the two together.
import { createServer, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, normalize, sep, extname } from 'node:path';
import { projectRoot } from '../paths.ts';
import { BuildMissingError } from '../errors.ts';
import { buildInfo } from '../campaign/provenance.ts';

/** Headers on every response (the page is cross-origin isolated only if the document and every worker script carry them). */
export const ISOLATION_HEADERS: Readonly<Record<string, string>> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'X-Content-Type-Options': 'nosniff',
  'Cache-Control': 'no-store',
};

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
};

/** The wasm builds the page may fetch, by the name it asks for. */
const WASM = new Set(['wasmxen.wasm', 'wasmxen.stress.wasm', 'wasmxen.debug.wasm']);

/** The files the page needs, under the package root; BuildMissingError names the first one missing. */
export function servedRoot(): { browser: string; build: string } {
  const root = projectRoot();
  const browser = join(root, 'dist', 'browser');
  for (const f of [join(browser, 'index.html'), join(browser, 'page.js'), join(browser, 'runner.worker.js'), join(browser, 'vcpu.worker.js'), join(browser, 'bench.worker.js'), join(root, 'build', 'wasmxen.wasm')]) {
    if (!existsSync(f)) throw new BuildMissingError(f, 'the browser demo\'s file');
  }
  return { browser, build: join(root, 'build') };
}

/** The file `urlPath` names, or undefined (404): /, /index.html, /assets/<file under dist/browser>, /wasm/<a wasm build>. */
export function resolveRequest(urlPath: string, dirs: { browser: string; build: string }): string | undefined {
  let path: string;
  try { path = decodeURIComponent(urlPath); } catch { return undefined; }
  if (path === '/' || path === '/index.html') return join(dirs.browser, 'index.html');
  if (path.startsWith('/wasm/')) {
    const name = path.slice('/wasm/'.length);
    return WASM.has(name) ? join(dirs.build, name) : undefined;
  }
  if (path.startsWith('/assets/')) {
    const file = normalize(join(dirs.browser, path.slice('/assets/'.length)));
    if (!file.startsWith(dirs.browser + sep) || !(extname(file) in TYPES)) return undefined;
    return file;
  }
  return undefined;
}

/** A server (not yet listening) for the demo page. */
export function demoServer(): Server {
  const dirs = servedRoot();
  return createServer((req, res) => {
    for (const [k, v] of Object.entries(ISOLATION_HEADERS)) res.setHeader(k, v);
    const reply = (status: number, type: string, body: string | Buffer) => {
      res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') { reply(405, 'text/plain; charset=utf-8', 'only GET and HEAD\n'); return; }
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path === '/build-info.json') { reply(200, 'application/json; charset=utf-8', JSON.stringify(buildInfo())); return; }
    const file = resolveRequest(path, dirs);
    if (!file) { reply(404, 'text/plain; charset=utf-8', 'not found\n'); return; }
    readFile(file).then(
      (body) => reply(200, TYPES[extname(file)] ?? 'application/octet-stream', body),
      () => reply(404, 'text/plain; charset=utf-8', 'not found\n'),
    );
  });
}

/** Start the demo server on `host`:`port` (0: any free port); resolves with its URL. */
export function listen(server: Server, host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const a = server.address();
      const p = typeof a === 'object' && a ? a.port : port;
      resolve(`http://${host.includes(':') ? `[${host}]` : host}:${p}/`);
    });
  });
}
