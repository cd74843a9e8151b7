// The hypervisor's thread in a browser (see runner-api.ts): fetches the wasm
// builds, runs the scenarios the page asks for, and posts live updates.
import * as Comlink from 'comlink';
import { preloadWasm, engineName } from '../platform/host.browser.ts';
import { runDefaultScenario } from '../scenarios/default.ts';
import type { DataPlane } from '../wasm/data-plane.ts';
import { snapshotDomain } from './domain-snapshot.ts';
import type { RunnerApi, DefaultUpdate } from './runner-api.ts';

const api: RunnerApi = {
  engine: () => engineName(),
  async runDefault(seconds, watch, onUpdate) {
    await preloadWasm('release');
    let dp: DataPlane | undefined;
    let vcpus = 0;
    return runDefaultScenario({
      seconds,
      onStart: (hv) => { dp = hv.machine.dp; vcpus = hv.domain(watch).vcpus; },
      onProgress: (progress) => {
        const u: DefaultUpdate = { progress };
        if (dp) u.domain = snapshotDomain(dp, watch, vcpus);
        void onUpdate(u);
      },
    });
  },
};

Comlink.expose(api);
