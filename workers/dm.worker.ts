// Thin entry point of a device-model worker: attach to the shared memory,
// become vCPU `worker` of the device-model domain, serve the storage
// controller (src/dm/server.ts) until told to stop.
import * as Comlink from 'comlink';
import { workerStart, yieldToEventLoop } from '../src/platform/worker.ts';
import { DataPlane } from '../src/wasm/data-plane.ts';
import { Guest } from '../src/guest/guest.ts';
import { guestLayout } from '../src/guest/layout.ts';
import { DmaServer } from '../src/dm/server.ts';
import { DM_CONTROL_STOP, type DmWorkerApi, type DmWorkerData, type DmWorkerReport } from '../src/dm/protocol.ts';

const { data: d, endpoint } = await workerStart<DmWorkerData>();
const control = new Int32Array(d.control);
const stopping = () => Atomics.load(control, DM_CONTROL_STOP) !== 0;
const dp = DataPlane.attach(d.module, d.memory);
const server = new DmaServer(dp, d.dm, d.worker, undefined, d.depth, d.seed);
const guest = new Guest(dp, { dom: d.dmDom, vcpu: d.worker, vcpus: d.vcpus, maxPort: d.maxPort, config: undefined, stopping },
  guestLayout(d.vcpus, d.maxPort), () => server.handlers());
server.attach(guest);

const api: DmWorkerApi = {
  setup() {
    server.bindWakeup();
  },
  connect(guestDom, guestPort) {
    return server.connect(guestDom, guestPort);
  },
  async run(): Promise<DmWorkerReport> {
    while (!stopping() && !server.dead()) {
      // serve in slices so control messages (connect) get through on this event loop
      const until = Date.now() + 50;
      server.serve(() => stopping() || Date.now() > until, 20);
      await yieldToEventLoop();
    }
    return { worker: d.worker, commands: server.commands, lateWakeups: guest.kernel.stats.lateWakeups, dead: server.dead() };
  },
};

Comlink.expose(api, endpoint);
