// Every bench party a worker can run, by name.
import type { Role } from './context.ts';
import { wasmSender, wasmReceiver } from './wasm.ts';

export const ROLES: Record<string, Role> = {
  wasmSender, wasmReceiver,
};
