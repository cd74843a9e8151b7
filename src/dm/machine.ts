// A machine with a guest domain and a device-model domain, both booted into
// their event channels (FIFO by default, or 2-level), the device-model region
// laid out in the device-model domain's frames and the DMA engine pointed at
// the guest's command page.
// For single-thread tests and for litmus-style race runs (src/dm/race.ts);
// the library path builds the same on a Hypervisor (src/dm/device-model.ts).
import { createMachine, type Machine } from '../wasm/data-plane.ts';
import type { WasmBuild } from '../wasm/exports.ts';
import { guestLayout, type GuestLayout } from '../guest/layout.ts';
import { bootGuest, type GuestAbi } from '../guest/kernel.ts';
import { planDeviceModel, type DeviceModelConfig, type DeviceModelPlan } from './plan.ts';
import { DmRegion } from './region.ts';
import { dmaGuestLayout, type DmaGuestLayout } from './exerciser.ts';
import { PAGE_SIZE } from '../../assembly/shared/layout.ts';

/** How `createDmaMachine` sizes the guest and the device model. */
export interface DmaMachineOptions extends Omit<DeviceModelConfig, 'guestFrames'> {
  build?: WasmBuild;
  /** the guest domain (default 1) and the device-model domain (default 0, the control domain, as dom0's QEMU) */
  guestDom?: number;
  dmDom?: number;
  /** device-model worker threads = vCPUs of the device-model domain; default 2 */
  workers?: number;
  /** guest RAM for DMA buffers; default 6 MiB */
  bufBytes?: number;
  maxEvtchnPort?: number;
  /** event-channel ABI both kernels boot into; default fifo */
  abi?: GuestAbi;
}

/** A machine with a DMA guest domain and a device-model domain, laid out and booted. */
export interface DmaMachine {
  machine: Machine;
  plan: DeviceModelPlan;
  region: DmRegion;
  guestDom: number;
  dmDom: number;
  workers: number;
  maxEvtchnPort: number;
  /** guest kernel layouts (event channels) of both domains */
  guestKernel: GuestLayout;
  dmKernel: GuestLayout;
  /** the guest's controller memory */
  dma: DmaGuestLayout;
}

/** Lay out and boot a machine for DMA runs: a guest domain and a device-model domain with its region. */
export function createDmaMachine(o: DmaMachineOptions = {}): DmaMachine {
  const guestDom = o.guestDom ?? 1;
  const dmDom = o.dmDom ?? 0;
  const workers = o.workers ?? 2;
  const maxEvtchnPort = o.maxEvtchnPort ?? 255;
  const guestKernel = guestLayout(1, maxEvtchnPort);
  const dmKernel = guestLayout(workers, maxEvtchnPort);
  const diskBytes = o.diskBytes ?? 16 * 2 ** 20;
  const dma = dmaGuestLayout({ firstFreeGfn: guestKernel.freeGfn, diskSectors: diskBytes / 512, bufBytes: o.bufBytes });
  const plan = planDeviceModel({ ...o, guestFrames: dma.frames, diskBytes });
  const machine = createMachine([
    { domid: dmDom, vcpus: workers, frames: dmKernel.freeGfn + plan.bytes / PAGE_SIZE, maxEvtchnPort, control: true },
    { domid: guestDom, vcpus: 1, frames: dma.frames, maxEvtchnPort, control: false },
  ], o.build ?? 'release');
  bootGuest(machine.dp, dmDom, workers, dmKernel, o.abi ?? 'fifo');
  bootGuest(machine.dp, guestDom, 1, guestKernel, o.abi ?? 'fifo');
  const region = DmRegion.create(machine.dp, { dmDom, regionGfn: dmKernel.freeGfn, guestDom, plan });
  region.grant(dma.holeGpa / PAGE_SIZE, dma.holeBytes / PAGE_SIZE, false);
  region.initDma(plan, dma.ringGfn, workers);
  return { machine, plan, region, guestDom, dmDom, workers, maxEvtchnPort, guestKernel, dmKernel, dma };
}
