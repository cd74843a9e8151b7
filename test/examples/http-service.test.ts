// examples/http-service.mjs: concurrent HTTP requests, each an event-channel
// round trip between two domains; every request answered, the Prometheus
// counters add up, SIGTERM shuts it down cleanly.
import { describe, it, expect } from 'vitest';
import { fileURLToPath } from 'node:url';
import { runHttpService, checkHttpServiceRun } from '../helpers/http-service.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const scale = Math.max(1, Number(process.env.WASMXEN_STRESS_SCALE ?? '1') || 1);

describe('examples/http-service.mjs', () => {
  it('answers every concurrent request through a frontend/backend round trip, counts them at /metrics, exits 0 on SIGTERM', async () => {
    const requests = 2000 * scale;
    const r = await runHttpService('examples/http-service.mjs', root, requests, 32);
    checkHttpServiceRun(r, requests, expect);
  });
});
