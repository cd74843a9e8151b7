// The hypervisor-private memory map of the loaded data plane: the offsets of
// the per-domain header, per-vCPU, queue and channel records, read once from
// the module's exported table (assembly/index.ts, defined in
// assembly/shared/private-layout.ts) — the TypeScript shell compiles no copy
// of them (I54). A machine reads its table once into a plain frozen object;
// hot paths hold that object, never a lookup by name per event.
import { ConfigError, LayoutMismatchError } from '../errors.ts';
import type { WasmBuild } from './exports.ts';

/**
 * The names of the entries of a wasm build's private-layout table (the keys
 * of {@link PrivateLayout}), in the order assembly/index.ts exports them.
 */
export const PRIVATE_LAYOUT_NAMES = [
  'LAYOUT_VERSION', 'DOM_HEADER_BYTES', 'D_DOMID', 'D_NR_VCPUS', 'D_MAX_EVTCHN_PORT', 'D_ABI',
  'D_VALID_EVTCHNS', 'D_FIFO_NUM_EVTCHNS', 'D_GUEST_WIDTH', 'D_CHANNEL_CAPACITY', 'D_FLAGS', 'D_PARKED',
  'D_POLL_MASK', 'D_EVENT_LOCK', 'D_ACTIVE_EVTCHNS', 'D_XEN_EVTCHNS', 'D_NEXT_EVTCHN', 'D_TOT_PAGES',
  'D_MAX_PAGES', 'D_P2M_TABLE', 'D_DIRTY_BITMAP', 'D_P2M_REMOVALS', 'D_ABI_LOCK', 'D_STAT_LINK_TRIES',
  'D_STAT_LINK_GAVE_UP', 'D_STAT_LOCK_GAVE_UP', 'D_STAT_NO_CONTROL_BLOCK', 'D_STAT_UPCALLS', 'D_STAT_KICKS',
  'D_STAT_RELINK_SKIPPED', 'D_STAT_RAISES', 'D_FIFO_ARRAY', 'D_VCPUS', 'VCPU_BYTES', 'V_KICK', 'V_BLOCKED',
  'V_NOTIFIED', 'V_POLL', 'V_CB_STATE', 'V_CB_GFN', 'V_CB_OFFSET', 'V_VIRQ_LOCK', 'V_QUEUES', 'QUEUE_BYTES',
  'Q_TAIL', 'Q_LOCK', 'V_VIRQ_TO_EVTCHN', 'D_CHANNELS', 'CHANNEL_BYTES', 'C_LOCK', 'C_STATE', 'C_FLAGS',
  'C_NOTIFY_VCPU', 'C_PRIORITY', 'C_FIFO_LASTQ', 'C_REMOTE_DOM', 'C_REMOTE_PORT', 'C_INFLIGHT',
] as const;

/**
 * The hypervisor-private layout of one wasm build, as its module exports it:
 * `LAYOUT_VERSION`, the record sizes (`DOM_HEADER_BYTES`, `VCPU_BYTES`,
 * `QUEUE_BYTES`, `CHANNEL_BYTES`), where the FIFO array, vCPU and channel
 * tables start in a domain's private region (`D_FIFO_ARRAY`, `D_VCPUS`,
 * `D_CHANNELS`), and the byte offset of every word in its record (`D_*` in the
 * domain header, `V_*` in a vCPU record, `Q_*` in a queue record, `C_*` in a
 * channel record). Nothing in it is guest-visible or part of a saved image.
 */
export type PrivateLayout = { readonly [K in (typeof PRIVATE_LAYOUT_NAMES)[number]]: number };

/**
 * Read the table from an instance's exports (immutable i32 globals); throws
 * LayoutMismatchError if an entry is missing (a module from another wasmxen).
 * @internal
 */
export function readPrivateLayout(exports: WebAssembly.Exports): PrivateLayout {
  const read = (name: string): number => {
    const g = exports[name];
    if (!(g instanceof WebAssembly.Global)) {
      throw new LayoutMismatchError(`this wasm build exports no ${name} in its private-layout table: rebuild it with \`npm run build\``);
    }
    return (g.value as number) >>> 0;
  };
  // built in one go and frozen: read per event on the send path (js-reference), so one stable shape
  return Object.freeze(Object.fromEntries(PRIVATE_LAYOUT_NAMES.map((n) => [n, read(n)]))) as PrivateLayout;
}

const byModule = new WeakMap<WebAssembly.Module, PrivateLayout>();

/**
 * The layout of a compiled module, known before any machine memory exists
 * (planMemory sizes the private regions with it): read from an instance on a
 * one-page scratch memory, at most once per module.
 * @internal
 */
export function privateLayoutOf(mod: WebAssembly.Module): PrivateLayout {
  let layout = byModule.get(mod);
  if (!layout) {
    const scratch = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    layout = readPrivateLayout(new WebAssembly.Instance(mod, { env: { memory: scratch } }).exports);
    byModule.set(mod, layout);
  }
  return layout;
}

/** The private-layout versions this wasmxen has a build of. */
const LAYOUT_VERSIONS: readonly number[] = [1, 2];

/**
 * The product build with private-layout version `version` (1: release,
 * 2: layout2); with `stress`, the stress build, which exists in version 1
 * only. ConfigError for a version or combination that was not built.
 * @internal
 */
export function buildForLayout(version: number | undefined, stress = false): WasmBuild {
  const v = version ?? 1;
  if (!LAYOUT_VERSIONS.includes(v)) {
    throw new ConfigError(`private-layout version ${version} is not built: this wasmxen has versions ${LAYOUT_VERSIONS.join(' and ')}`);
  }
  if (stress) {
    if (v !== 1) throw new ConfigError(`bug injection needs the stress build, which has private-layout version 1 only: drop the injection or the layout ${v}`);
    return 'stress';
  }
  return v === 1 ? 'release' : 'layout2';
}
