// Public API of wasmxen. Re-exports only.
export { planMemory, createSharedMemory } from './wasm/memory-map.ts';
export type { DomainConfig, DomainRegion, MemoryPlan } from './wasm/memory-map.ts';
export { DataPlane, createMachine } from './wasm/data-plane.ts';
export type { Machine, ChannelRecord, DomainStats } from './wasm/data-plane.ts';
export { formatEventWord, dumpFifoQueues } from './wasm/decode.ts';
export { ConfigError, RuntimeCheckError } from './errors.ts';
export { bootFifoGuest, GuestBootError } from './guest/fifo-boot.ts';
export * from '../assembly/shared/fifo-abi.ts';
export * from '../assembly/shared/errno.ts';
