// Public API of wasmxen. Re-exports only.
export { Hypervisor, VIRQ_TIMER } from './hypervisor.ts';
export type { DomainSpec, HypervisorOptions, ShutdownReport } from './hypervisor.ts';
export { Domain } from './domain.ts';
export { Guest } from './guest/guest.ts';
export type { GuestModule, GuestContext } from './guest/guest.ts';
export type { Binding, Handler } from './guest/driver.ts';
export { INVALID_PORT, DriverError } from './guest/driver.ts';
export type { PortStatus } from './guest/hypercalls.ts';
export type { VcpuReport } from './vcpu/protocol.ts';
export { EvtchnError, ConfigError, RuntimeCheckError, errnoName } from './errors.ts';
export { planMemory, createSharedMemory } from './wasm/memory-map.ts';
export type { DomainConfig, DomainRegion, MemoryPlan } from './wasm/memory-map.ts';
export { DataPlane, createMachine } from './wasm/data-plane.ts';
export type { Machine, ChannelRecord, DomainStats } from './wasm/data-plane.ts';
export { formatEventWord, dumpFifoQueues } from './wasm/decode.ts';
export { bootFifoGuest, GuestBootError } from './guest/fifo-boot.ts';
export * from '../assembly/shared/fifo-abi.ts';
export * from '../assembly/shared/errno.ts';
