// Public API of `wasmxen/bench`: the benchmark harness behind `wasmxen bench`.
// Depends on the core; the core never imports it.
export { runBench, selectWorkloads } from './bench.ts';
export type { BenchOptions, BenchResult, BenchReport } from './bench.ts';
export { WORKLOADS, workload } from './workloads/index.ts';
export { IMPLS, BASELINES } from './workloads/types.ts';
export type { ImplName, Variant, Workload } from './workloads/types.ts';
export { formatTable } from './table.ts';
export { renderHtml } from './html.ts';
export { benchDma } from './dma.ts';
export type { Percentiles } from './stats.ts';
export type { MachineInfo } from './machine-info.ts';
