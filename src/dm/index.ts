// Public API of `wasmxen/dm`: the device model (mapcache, DMA engine, its
// races and scenario). Depends on the core; the core never imports it.
export { DeviceModel } from './device-model.ts';
export { DeviceModelError } from '../errors.ts';
export type { DeviceModelFault } from '../errors.ts';
export type { DeviceModelOptions, DeviceModelStats, DeviceModelReport, QuiesceReport, GuestReleaseReport } from './device-model.ts';
export { planDeviceModel } from './plan.ts';
export type { DeviceModelConfig, DeviceModelPlan } from './plan.ts';
export { MapCache, MapCacheError } from './mapcache.ts';
export type { Mapping } from './mapcache.ts';
export { DmRegion, dmErrorName } from './region.ts';
export type { MapCacheStats, DmaEngineStats, DmFatal, DmFatalKind, McCheckName, DmaStatusName } from './region.ts';
export { DmaExerciser, dmaGuestLayout } from './exerciser.ts';
export type { DmaGuestLayout, ExerciserOptions, ExerciserReport } from './exerciser.ts';
export { DmaServer } from './server.ts';
export { runDmaRace, DM_INJECTIONS, injectionMask } from './race.ts';
export type { DmaRaceOptions, DmaRaceReport } from './race.ts';
export { createDmaMachine } from './machine.ts';
export type { DmaMachine, DmaMachineOptions } from './machine.ts';
export { dmExports } from './exports.ts';
export type { DmExports } from './exports.ts';
export { runDmaWorkload } from './bench.ts';
export type { DmaWorkloadResult } from './bench.ts';
export { runDmaScenario, formatDmaReport } from '../scenarios/dma.ts';
export type { DmaRunOptions, DmaRunReport } from '../scenarios/dma.ts';
