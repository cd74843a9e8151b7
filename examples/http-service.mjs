// A node:http service that embeds a hypervisor: every HTTP request becomes an
// event-channel round trip between a frontend and a backend domain, the way
// Xen's split drivers talk. The frontend puts the request on a shared ring
// and notifies the backend over one interdomain channel; the backend drains
// the ring, answers on a second ring and notifies back; the frontend's
// handler completes the HTTP response. Counters are served at /metrics in
// the Prometheus text format (prom-client). SIGTERM closes the listener,
// lets in-flight requests finish, and shuts the hypervisor down.
//
//   PORT=8080 node examples/http-service.mjs
//   curl localhost:8080/hello; curl localhost:8080/metrics
import http from 'node:http';
import client from 'prom-client';
import { Hypervisor } from 'wasmxen';

const RING_SLOTS = 1024; // a power of two: indexes are free-running counters

/** A single-producer single-consumer ring of request ids in shared memory (prod and cons counters first). */
class Ring {
  constructor() {
    this.words = new Int32Array(new SharedArrayBuffer(4 * (2 + RING_SLOTS)));
  }
  push(id) {
    const prod = Atomics.load(this.words, 0);
    if (prod - Atomics.load(this.words, 1) >= RING_SLOTS) return false;
    Atomics.store(this.words, 2 + (prod & (RING_SLOTS - 1)), id);
    Atomics.store(this.words, 0, prod + 1); // publish after the slot
    return true;
  }
  /** Take every id published so far. */
  *drain() {
    for (let cons = Atomics.load(this.words, 1); cons !== Atomics.load(this.words, 0); cons++) {
      const id = Atomics.load(this.words, 2 + (cons & (RING_SLOTS - 1)));
      Atomics.store(this.words, 1, cons + 1);
      yield id;
    }
  }
}

const registry = new client.Registry();
const requests = new client.Counter({ name: 'wasmxen_http_requests_total', help: 'HTTP requests answered through a round trip', registers: [registry] });
const rejected = new client.Counter({ name: 'wasmxen_http_rejected_total', help: 'HTTP requests refused because the request ring was full', registers: [registry] });
const ringItems = new client.Counter({ name: 'wasmxen_ring_items_total', help: 'ring entries consumed, by ring', labelNames: ['ring'], registers: [registry] });
const sends = new client.Counter({ name: 'wasmxen_evtchn_sends_total', help: 'EVTCHNOP_send calls, by channel', labelNames: ['channel'], registers: [registry] });
const upcalls = new client.Counter({ name: 'wasmxen_handler_calls_total', help: 'event handler invocations, by domain', labelNames: ['domain'], registers: [registry] });
const errors = new client.Counter({ name: 'wasmxen_errors_total', help: 'failures the hypervisor reported and survived', registers: [registry] });
const roundTrip = new client.Histogram({
  name: 'wasmxen_round_trip_seconds', help: 'request ring → backend → response ring → frontend',
  buckets: [1e-5, 5e-5, 1e-4, 5e-4, 1e-3, 5e-3, 1e-2, 5e-2], registers: [registry],
});

const hv = await Hypervisor.create({
  domains: [{ id: 1, vcpus: 1 }, { id: 2, vcpus: 1 }],
  onError: (e) => { errors.inc(); console.error(`http-service: ${e.message}`); },
});
const frontend = hv.domain(1);
const backend = hv.domain(2);

// two channels, each offered by its receiver and bound by its sender (the toolstack's handshake)
const requestBackendPort = backend.allocUnbound(1);
const requestPort = frontend.bindInterdomain(2, requestBackendPort);
const responseFrontendPort = frontend.allocUnbound(2);
const responsePort = backend.bindInterdomain(1, responseFrontendPort);
const requestRing = new Ring();
const responseRing = new Ring();

// the backend: answer every request on the ring, then notify once (events coalesce; rings do not)
backend.on(requestBackendPort, () => {
  upcalls.inc({ domain: 'backend' });
  let answered = 0;
  for (const id of requestRing.drain()) {
    ringItems.inc({ ring: 'request' });
    if (!responseRing.push(id)) throw new Error('response ring full: more requests in flight than ring slots');
    answered++;
  }
  if (answered > 0) {
    backend.send(responsePort);
    sends.inc({ channel: 'response' });
  }
});

// the frontend: complete the HTTP responses whose ids came back
const pending = new Map();
frontend.on(responseFrontendPort, () => {
  upcalls.inc({ domain: 'frontend' });
  for (const id of responseRing.drain()) {
    ringItems.inc({ ring: 'response' });
    pending.get(id)?.();
    pending.delete(id);
  }
});

let nextId = 1;
const server = http.createServer(async (req, res) => {
  if (req.url === '/metrics') {
    res.writeHead(200, { 'content-type': registry.contentType });
    res.end(await registry.metrics());
    return;
  }
  const id = nextId++ | 0;
  const stop = roundTrip.startTimer();
  if (!requestRing.push(id)) {
    rejected.inc();
    res.writeHead(503, { 'retry-after': '1' }).end('request ring full\n');
    return;
  }
  pending.set(id, () => {
    stop();
    requests.inc();
    res.writeHead(200, { 'content-type': 'text/plain' }).end(`round trip ${id}\n`);
  });
  frontend.send(requestPort);
  sends.inc({ channel: 'request' });
});

server.listen(Number(process.env.PORT ?? 8080), process.env.HOST ?? '127.0.0.1', () => {
  const { address, port } = server.address();
  console.log(`http-service: listening on http://${address}:${port}`);
});

process.once('SIGTERM', () => {
  // stop accepting, let in-flight round trips finish, then stop the domains
  server.close(async () => {
    await hv.shutdown();
    console.log(`http-service: shut down cleanly after ${(await requests.get()).values[0]?.value ?? 0} requests`);
  });
  server.closeIdleConnections();
});
