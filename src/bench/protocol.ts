// Between the bench runner (main thread) and its party workers: comlink for
// setup and results only.
import type { MessagePort } from 'node:worker_threads';
import type { RoleResult } from './roles/context.ts';

export interface BenchWorkerData {
  /** wasmxen and the JS reference: the machine */
  module?: WebAssembly.Module;
  memory?: WebAssembly.Memory;
  /** message-passing baselines: the bench page lives here instead */
  pageSab?: SharedArrayBuffer;
  /** byte address of the bench page in memory.buffer (or 0 in pageSab) */
  pageAddr: number;
  ctl: SharedArrayBuffer;
  parties: number;
  /** MessagePorts to the other parties (transferred) */
  ports: MessagePort[];
}

export interface BenchWorkerApi {
  run(role: string, args: unknown): Promise<RoleResult>;
}
