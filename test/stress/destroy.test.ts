// The destroy scenario proves its races happen before its clean runs are
// trusted: sends that raced the destroy (raised after kill, then dropped on
// an UNBOUND channel) and DMA completed after kill then refused are seen;
// and a second injection, the consumer close without drain, is caught by it
// as well (a callback still running when evtchn_destroy returned). Bounded
// by chunks and iterations, never by the clock.
import { describe, it, expect } from 'vitest';
import { scenarioByName } from '../../src/stress/scenarios.ts';
import { stressScale } from '../helpers/litmus.ts';
import { SEED, summary, runUntilDecided, runUntilDetected } from './helpers.ts';

describe(`wasmxen stress --scenario destroy (seed ${SEED}; WASMXEN_SEED overrides)`, () => {
  it('the interesting outcomes occur: a send raced the destroy and got the peer-closed result; DMA raced the device model letting go', async () => {
    const r = await runUntilDecided(scenarioByName('destroy')!, {});
    expect(r.forbidden + r.watchdog, summary(r)).toBe(0);
    expect(r.verdict, `the races never happened: ${summary(r)}`).toBe('clean');
    expect(r.outcomes['send-raced'], summary(r)).toBeGreaterThan(0);
    expect(r.outcomes['dma-raced'], summary(r)).toBeGreaterThan(0);
  }, 300_000);

  it('no-drain (a Xen-owned channel freed without waiting for its callbacks) is caught here too', async () => {
    const bound = Math.round(20_000 * stressScale());
    const r = await runUntilDetected(scenarioByName('destroy')!, { inject: 'no-drain' }, bound);
    expect(r.failure?.outcome, `not detected within ${r.iterations} iterations: ${summary(r)}`).toBe('callback-after-destroy');
  }, 300_000);
});
