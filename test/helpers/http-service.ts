// Drives examples/http-service.mjs as a client would: start it on
// 127.0.0.1 (an ephemeral port), send `requests` requests with at most
// `concurrency` in flight over keep-alive connections, read /metrics, send
// SIGTERM and wait for the exit. A watchdog kills a service that hangs and
// fails with what it printed.
import { spawn } from 'node:child_process';
import http from 'node:http';

export interface HttpServiceRun {
  /** status and body of every request, by request index */
  answers: { status: number; body: string }[];
  /** every sample of /metrics, by name with its labels, e.g. 'wasmxen_ring_items_total{ring="request"}' */
  metrics: Map<string, number>;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function get(agent: http.Agent, port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

export function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const sp = line.lastIndexOf(' ');
    out.set(line.slice(0, sp), Number(line.slice(sp + 1)));
  }
  return out;
}

export async function runHttpService(script: string, cwd: string, requests: number, concurrency: number,
  timeoutMs = 60_000): Promise<HttpServiceRun> {
  const child = spawn(process.execPath, [script], { cwd, env: { ...process.env, PORT: '0', HOST: '127.0.0.1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => { stdout += c; });
  child.stderr.setEncoding('utf8').on('data', (c: string) => { stderr += c; });
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((r) => child.once('exit', (code, sig) => r([code, sig])));
  const watchdog = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const look = () => {
        const m = stdout.match(/listening on http:\/\/127\.0\.0\.1:(\d+)/);
        if (m) resolve(Number(m[1]));
      };
      child.stdout.on('data', look);
      void exited.then(([code]) => reject(new Error(`the service exited (${code}) before listening:\n${stdout}${stderr}`)));
    });
    const answers: HttpServiceRun['answers'] = new Array(requests);
    let next = 0;
    // a bounded client loop: `concurrency` workers, each one request at a time
    await Promise.all(Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < requests; i = next++) answers[i] = await get(agent, port, `/request/${i}`);
    }));
    const metrics = parseMetrics((await get(agent, port, '/metrics')).body);
    agent.destroy();
    child.kill('SIGTERM');
    const [exitCode, signal] = await exited;
    return { answers, metrics, exitCode, signal, stdout, stderr };
  } finally {
    clearTimeout(watchdog);
    agent.destroy();
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

/** The checks both tests make: every request answered once, the counters add up, a clean exit. */
export function checkHttpServiceRun(r: HttpServiceRun, requests: number, expect: (v: unknown, m?: string) => any): void {
  const why = `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
  expect(r.answers.filter((a) => a?.status === 200), why).toHaveLength(requests);
  const ids = new Set(r.answers.map((a) => a.body.match(/^round trip (\d+)\n$/)?.[1]));
  expect(ids.has(undefined), 'every body names its round trip').toBe(false);
  expect(ids.size, 'every round trip answered exactly one request').toBe(requests);
  const m = (k: string) => r.metrics.get(k);
  expect(m('wasmxen_http_requests_total'), why).toBe(requests);
  expect(m('wasmxen_http_rejected_total')).toBe(0);
  expect(m('wasmxen_errors_total')).toBe(0);
  expect(m('wasmxen_ring_items_total{ring="request"}')).toBe(requests);
  expect(m('wasmxen_ring_items_total{ring="response"}')).toBe(requests);
  expect(m('wasmxen_evtchn_sends_total{channel="request"}')).toBe(requests);
  expect(m('wasmxen_round_trip_seconds_count')).toBe(requests);
  // events coalesce while a port is pending: at least one event per direction, never more than were sent
  const responseSends = m('wasmxen_evtchn_sends_total{channel="response"}')!;
  expect(responseSends).toBeGreaterThanOrEqual(1);
  expect(responseSends).toBeLessThanOrEqual(requests);
  const backendCalls = m('wasmxen_handler_calls_total{domain="backend"}')!;
  const frontendCalls = m('wasmxen_handler_calls_total{domain="frontend"}')!;
  expect(backendCalls).toBeGreaterThanOrEqual(1);
  expect(backendCalls).toBeLessThanOrEqual(requests);
  expect(frontendCalls).toBeGreaterThanOrEqual(1);
  expect(frontendCalls).toBeLessThanOrEqual(responseSends);
  expect(r.exitCode, why).toBe(0);
  expect(r.signal).toBe(null);
  expect(r.stdout).toContain(`http-service: shut down cleanly after ${requests} requests`);
  expect(r.stderr).toBe('');
}
