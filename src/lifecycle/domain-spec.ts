// A DomainSpec checked and laid out before anything is created from it (at
// Hypervisor.create, createDomain and restoreDomain): a guest module that can
// not load, RAM that is not whole KiB or an unknown ABI is a ConfigError
// then, not a crash of every vCPU at start().
import { ConfigError } from '../errors.ts';
import { moduleProblem } from '../platform/host.ts';
import { guestLayout, type GuestLayout } from '../guest/layout.ts';
import type { GuestAbi } from '../guest/kernel.ts';
import { PAGE_SIZE } from '../../assembly/shared/layout.ts';
import type { DomainSpec } from '../hypervisor-options.ts';
import type { DomainConfig } from '../wasm/memory-map.ts';

/** The guest module must be a path or file: URL that loads. */
export function checkGuestModule(d: Pick<DomainSpec, 'id' | 'guest'>): void {
  if (typeof d.guest !== 'string' || d.guest === '') {
    throw new ConfigError(`domain ${d.id}: guest must be the path or file: URL of a guest module, not ${String(d.guest)}`);
  }
  const problem = moduleProblem(d.guest);
  if (problem) throw new ConfigError(`domain ${d.id}: guest module ${problem}`);
}

/** What a checked spec is created with: its kernel layout, its frames (kernel + RAM), its ABI. */
export interface DomainPlan {
  spec: DomainSpec;
  layout: GuestLayout;
  frames: number;
  maxEvtchnPort: number;
  abi: GuestAbi;
}

/** Check `spec` (its module if it has one) and lay it out; `abi` is the hypervisor's default ABI. */
export function planDomain(spec: DomainSpec, abi: GuestAbi | undefined): DomainPlan {
  if (spec.guest !== undefined) checkGuestModule(spec);
  const maxEvtchnPort = spec.maxEvtchnPort ?? 1023;
  const layout = guestLayout(spec.vcpus, maxEvtchnPort);
  const ram = spec.ramKiB ?? 256;
  if (!Number.isInteger(ram) || ram < 0) throw new ConfigError(`domain ${spec.id}: ramKiB must be a whole number of KiB, not ${ram}`);
  const a = spec.abi ?? abi ?? 'fifo';
  if (a !== 'fifo' && a !== '2l') throw new ConfigError(`domain ${spec.id}: abi must be 'fifo' or '2l', not '${a}'`);
  return { spec, layout, frames: layout.freeGfn + Math.ceil((ram * 1024) / PAGE_SIZE), maxEvtchnPort, abi: a };
}

/** The data plane's configuration of a planned domain. */
export function machineConfig(p: DomainPlan): DomainConfig {
  const { spec } = p;
  return {
    domid: spec.id, vcpus: spec.vcpus, frames: p.frames, maxEvtchnPort: p.maxEvtchnPort, control: spec.control,
    maxPages: spec.maxPages, guestWidth: spec.guestWidth,
  };
}
