// Litmus: unbind while a handler runs. vCPU 0 dispatches a port that a
// device keeps raising; vCPU 1 keeps binding and unbinding its handler.
// Never: a handler that starts, or still runs, after its unbind returned
// (I18); a deadlock (watchdog). The race is proven: the unbinder goes on until
// ten of its unbinds cleared the entry while the handler ran (the handler
// holds on every other call until that happens).
import { describe, it, expect } from 'vitest';
import { abiMachine, ABIS } from '../helpers/abi-machine.ts';
import { runParties } from '../../src/harness/run.ts';
import { Ctl } from '../../src/harness/ctl.ts';
import { dumpFifoQueues } from '../../src/wasm/decode.ts';
import { DRIVER_CTL_WORDS, D_CALLS, D_OVERLAPS, D_RETURNED, type DriverArgs } from '../../src/litmus/parties/driver.ts';
import { stressScale, LITMUS_CONFIGS } from '../helpers/litmus.ts';

for (const cfg of LITMUS_CONFIGS) for (const abi of ABIS) {
  describe(`litmus [${cfg.name}, ${abi}]: unbind × dispatch`, () => {
    it('no handler runs after its unbind returned (I18)', async () => {
      const maxPort = 63;
      const m = abiMachine(abi, [{ domid: 1, vcpus: 2, maxPort }], cfg.build);
      if (cfg.noise) m.dp.x.stressConfigure(cfg.noise.rate, cfg.noise.spins, cfg.noise.yieldLog2, 0);
      const port = m.dp.x.evtchnBindIpi(1, 0);
      m.listen(1, port, 0);
      const ctl = Ctl.create(DRIVER_CTL_WORDS);
      const args: DriverArgs = { dom: 1, ...m.guestArgs(1), vcpus: 2, maxPort, port, vcpu: 0, rounds: Math.ceil(3000 * stressScale()), seed: 9, minCalls: 200, minOverlaps: 10 };
      await runParties({
        module: m.module, memory: m.memory, ctl, timeoutMs: 30_000 * stressScale(), stallMs: 10_000,
        dump: () => dumpFifoQueues(m.dp, 1, 2),
        parties: [
          { party: 'driverVcpu', args },
          { party: 'driverUnbinder', args: { ...args, vcpu: 1 } },
          { party: 'driverRaiser', background: true, args },
        ],
      });
      expect(ctl.load(D_CALLS)).toBeGreaterThanOrEqual(200);
      // the race happened: unbinds released the entry under a running handler (the unbinder goes on until 10 did; the watchdog bounds it)
      expect(ctl.load(D_OVERLAPS), `the race never happened: ${ctl.load(D_OVERLAPS)} unbinds overlapped a handler in ${ctl.load(D_RETURNED)} rounds`).toBeGreaterThanOrEqual(10);
    });
  });
}
