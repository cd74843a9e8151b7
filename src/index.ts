// Public API of `wasmxen`, the core: the hypervisor, domains, the guest API,
// typed errors, ABI constants and types. Re-exports only. The harnesses are
// subpaths (wasmxen/bench, wasmxen/stress, wasmxen/dm, wasmxen/model) that
// import the core; nothing here imports them (test/package/core-imports.test.ts).
export { Hypervisor, VIRQ_TIMER, VIRQ_DOM_EXC } from './hypervisor.ts';
export type { DomainSpec, HypervisorOptions, HypervisorEvents, ShutdownReport, PauseOptions, DestroyOptions, DestroyReport } from './hypervisor.ts';
export { Domain } from './domain.ts';
export type { DomainHandler } from './domain.ts';
export { Guest } from './guest/guest.ts';
export type { GuestModule, GuestContext } from './guest/guest.ts';
export type { GuestAbi, KernelStats } from './guest/kernel.ts';
export type { Binding, Handler } from './guest/driver.ts';
export { INVALID_PORT, DriverError } from './guest/driver.ts';
export type { PortStatus } from './guest/hypercalls.ts';
export type { VcpuReport } from './vcpu/protocol.ts';
export {
  WasmxenError, EvtchnError, ConfigError, RuntimeCheckError, BuildMissingError, HypervisorClosedError,
  NoSuchDomainError, InvalidArgumentError, HandlerError, VcpuCrashError, StuckVcpuError, DomainStateError, PauseTimeoutError, errnoName,
  LayoutMismatchError, InternalError, InvalidStateError, DeviceModelError, MigrationError,
} from './errors.ts';
export type { DeviceModelFault, MigrationFault } from './errors.ts';
export type { ConsumerSpec, XenConsumer, ConsumerContext, ConsumerCall } from './consumers/types.ts';
export { ConsumerHost, MonitorHost, ConsoleHost } from './consumers/host.ts';
export type { MonitorStats, ByteSink } from './consumers/host.ts';
export { planMemory, createSharedMemory } from './wasm/memory-map.ts';
export type { DomainConfig, DomainRegion, MemoryPlan } from './wasm/memory-map.ts';
export { DataPlane, createMachine } from './wasm/data-plane.ts';
export type { Machine, ChannelRecord, DomainStats } from './wasm/data-plane.ts';
export type { WasmBuild } from './wasm/exports.ts';
export type { PrivateLayout } from './wasm/private-layout.ts';
export { PRIVATE_LAYOUT_NAMES } from './wasm/private-layout.ts';
export { formatEventWord, dumpFifoQueues } from './wasm/decode.ts';
export { bootFifoGuest, GuestBootError } from './guest/fifo-boot.ts';
export * from '../assembly/shared/fifo-abi.ts';
export * from '../assembly/shared/errno.ts';
// save, restore, moving a domain (src/migrate/, docs/decisions/0005-save-restore.md)
export { ImageError } from './migrate/errors.ts';
export type { ImageFault } from './migrate/errors.ts';
export { parseImage } from './migrate/parse.ts';
export type { DomainImage, ImageConfig, ImagePort, ParseOptions } from './migrate/parse.ts';
export type { HvSaveOptions, HvRestoreOptions, SavableDeviceModel } from './migrate/toolstack.ts';
export type { EmulatorContext } from './migrate/emulator.ts';
export type { SaveFigures } from './migrate/save.ts';
export { TP_KIND_CONSOLE, TP_KIND_STORE, TP_KIND_OTHER, IMAGE_VERSION } from './migrate/format.ts';
export type { Reconnect, ResumeResult, LostChannel } from './guest/resume.ts';
