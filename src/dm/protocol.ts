// The control protocol between DeviceModel (main thread) and its worker
// threads (workers/dm.worker.ts): comlink for setup, connection and teardown
// only; commands travel through shared memory and event channels.

export interface DmWorkerData {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  /** Int32Array words: [0] stop flag */
  control: SharedArrayBuffer;
  dmDom: number;
  /** this worker's index = its vCPU in the device-model domain */
  worker: number;
  vcpus: number;
  maxPort: number;
  /** the device-model region's address */
  dm: number;
  /** commands in progress per worker */
  depth: number;
  seed: number;
}

export interface DmWorkerReport {
  worker: number;
  commands: number;
  /** sleeps that ran into their timeout with an upcall pending (must stay 0) */
  lateWakeups: number;
  dead: boolean;
}

export interface DmWorkerApi {
  /** Bind this worker's wake-up IPI. */
  setup(): void;
  /** Bind the guest's doorbell port (one worker); returns the device model's port. */
  connect(guestDom: number, guestPort: number): number;
  /** Serve until the stop flag is set or the device model dies. */
  run(): Promise<DmWorkerReport>;
}

export const DM_CONTROL_STOP = 0;
