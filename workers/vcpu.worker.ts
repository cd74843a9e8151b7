// Thin entry point of a vCPU: attach to the shared memory, load the guest
// module, run main() and then the upcall loop until the hypervisor sets the
// stop flag and kicks the vCPU.
import * as Comlink from 'comlink';
import { workerStart, yieldToEventLoop } from '../src/platform/worker.ts';
import { moduleUrl } from '../src/platform/host.ts';
import { DataPlane } from '../src/wasm/data-plane.ts';
import { Guest, type GuestModule } from '../src/guest/guest.ts';
import { guestLayout } from '../src/guest/layout.ts';
import { ConsumerRegistry } from '../src/consumers/registry.ts';
import { CONTROL_STOP, type VcpuApi, type VcpuReport, type VcpuWorkerData } from '../src/vcpu/protocol.ts';
import { ParkGate, DomainDyingExit } from '../src/lifecycle/park.ts';

const { data: d, endpoint } = await workerStart<VcpuWorkerData>();
const control = new Int32Array(d.control);
const stopping = () => Atomics.load(control, CONTROL_STOP) !== 0;
const dp = DataPlane.attach(d.module, d.memory);
const mod = (await import(moduleUrl(d.guest))) as GuestModule & { default?: GuestModule };
const gm: GuestModule = mod.default ?? mod;
const consumers = await ConsumerRegistry.load(dp, d.consumers);
// hypercall and upcall boundaries: park while the domain is paused, leave when it dies (I28)
const gate = new ParkGate(dp, d.dom, d.vcpu, stopping);
const guest = new Guest(
  dp,
  { dom: d.dom, vcpu: d.vcpu, vcpus: d.vcpus, maxPort: d.maxPort, config: d.config, shared: d.shared, stopping, consumers,
    boundary: () => gate.check() },
  guestLayout(d.vcpus, d.maxPort),
  gm.handlers ?? (() => ({})),
);

const api: VcpuApi = {
  async run(): Promise<VcpuReport> {
    let destroyed = false;
    try {
      guest.kernel.online(); // among the running vCPU threads, which decide whether a blocking vCPU spins (I51)
      // a domain created or restored paused runs no guest code before its unpause, nor at all if the
      // hypervisor shuts down first (the park is left on a stop, still paused)
      const stoppedInPark = gate.check() && stopping();
      if (!stoppedInPark) {
        // a domain restored here resumes (its guest state is in its memory, src/guest/resume.ts)
        await (d.resume ? gm.resume : gm.main)?.(guest);
        let since = Date.now();
        while (!stopping()) {
          guest.block(50); // the upcall boundary (gate.check), then block and run the upcall
          // let control messages through now and then (comlink runs on this event loop)
          if (Date.now() - since > 50) { await yieldToEventLoop(); since = Date.now(); }
        }
        guest.poll(); // a last boundary, and what is pending
      }
    } catch (e) {
      // the domain is being destroyed: this vCPU runs no more guest code (not even report())
      if (!(e instanceof DomainDyingExit)) throw e;
      destroyed = true;
    } finally {
      guest.kernel.offline(); // no longer among the running vCPU threads (I51)
    }
    return {
      dom: d.dom, vcpu: d.vcpu, kernel: guest.kernel.stats, spurious: guest.driver.spurious(),
      guest: destroyed ? undefined : gm.report?.(guest), ...(destroyed ? { destroyed } : {}),
    };
  },
  stats() {
    return guest.kernel.stats;
  },
};

Comlink.expose(api, endpoint);
