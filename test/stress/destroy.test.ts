// The destroy scenario proves its races happen before its clean runs are
// trusted: sends that raced the destroy (raised after kill, then dropped on
// an UNBOUND channel) and DMA completed after kill then refused are seen;
// and a second injection, the consumer close without drain, is caught by it
// as well (a callback still running when evtchn_destroy returned).
import { describe, it, expect } from 'vitest';
import { scenarioByName } from '../../src/stress/scenarios.ts';
import { runScenario } from '../../src/stress/runner.ts';
import { CLEAN_SECONDS, DETECT_BUDGET_S, SEED, summary } from './helpers.ts';

describe('wasmxen stress --scenario destroy', () => {
  it('the interesting outcomes occur: a send raced the destroy and got the peer-closed result; DMA raced the device model letting go', async () => {
    const r = await runScenario(scenarioByName('destroy')!, { seconds: Math.max(CLEAN_SECONDS, 2), seed: SEED });
    expect(r.forbidden + r.watchdog, summary(r)).toBe(0);
    expect(r.outcomes['send-raced'], summary(r)).toBeGreaterThan(0);
    expect(r.outcomes['dma-raced'], summary(r)).toBeGreaterThan(0);
  }, 60_000);

  it('no-drain (a Xen-owned channel freed without waiting for its callbacks) is caught here too', async () => {
    const r = await runScenario(scenarioByName('destroy')!, { seconds: DETECT_BUDGET_S, seed: SEED, inject: 'no-drain' });
    expect(r.failure?.outcome, summary(r)).toBe('callback-after-destroy');
  }, 60_000);
});
