// Typed errors of the library. Every one is a WasmxenError with a stable
// `code`; messages say what was wrong and what to do, without a "wasmxen:"
// prefix (the CLI adds one when it prints them).

/** The base class of every error the library throws on purpose; `code` is stable across versions. */
export class WasmxenError extends Error {
  override name = 'WasmxenError';
  /** a stable machine-readable code, e.g. 'WASMXEN_CLOSED' */
  readonly code: string = 'WASMXEN_ERROR';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A configuration that can not be laid out or run. */
export class ConfigError extends WasmxenError {
  override name = 'ConfigError';
  override readonly code: string = 'WASMXEN_CONFIG';
}

/** ConfigError's message for a consumer module without a consumer (checked where it is loaded, on any thread). @internal */
export function noConsumer(module: string): string {
  return `consumer module ${module} exports no consumer: give it a default export (or an export named consumer) with a notify() method`;
}

/** The V8 this process runs on miscompiles the data plane (see design §4). */
export class RuntimeCheckError extends WasmxenError {
  override name = 'RuntimeCheckError';
  override readonly code: string = 'WASMXEN_RUNTIME_CHECK';
}

/** A file the package ships (a wasm build, a bundled worker, a built-in module) is not there. */
export class BuildMissingError extends WasmxenError {
  override name = 'BuildMissingError';
  override readonly code = 'WASMXEN_BUILD_MISSING';

  constructor(
    /** absolute path of the missing file */
    readonly file: string,
    what: string,
  ) {
    super(`${what} ${file} is missing: in a clone of wasmxen run \`npm run build\`; ` +
      'in an installed package reinstall wasmxen (its tarball ships the build)');
  }
}

/** An operation on a hypervisor after `shutdown()` began. */
export class HypervisorClosedError extends WasmxenError {
  override name = 'HypervisorClosedError';
  override readonly code = 'WASMXEN_CLOSED';

  constructor(
    /** the operation that was refused, e.g. 'send' */
    readonly op: string,
    /** the domain it was asked of, if any */
    readonly domain?: number,
  ) {
    super(`${op}${domain === undefined ? '' : ` on domain ${domain}`}: the hypervisor has been shut down; create a new one`);
  }
}

/** `hv.domain(id)` (or an option naming a domain) for a domain the hypervisor does not have. */
export class NoSuchDomainError extends WasmxenError {
  override name = 'NoSuchDomainError';
  override readonly code = 'WASMXEN_NO_SUCH_DOMAIN';

  constructor(
    readonly domain: unknown,
    /** the domains there are */
    readonly known: readonly number[],
  ) {
    super(`no domain ${String(domain)} (this hypervisor has domains ${known.join(', ') || 'none'})`);
  }
}

/**
 * An argument the library refuses before it reaches the data plane: a port
 * or vCPU that is not an integer or is out of range for the domain (Xen's
 * ABI takes 32-bit integers; the library never truncates a number silently).
 */
export class InvalidArgumentError extends WasmxenError {
  override name = 'InvalidArgumentError';
  override readonly code = 'WASMXEN_INVALID_ARGUMENT';

  constructor(
    /** what the operation was, e.g. 'send' */
    readonly op: string,
    /** which argument, e.g. 'port' */
    readonly argument: string,
    readonly value: unknown,
    readonly domain: number,
    /** what it must be, e.g. 'an integer in 1..1023' */
    readonly expected: string,
  ) {
    super(`${op} on domain ${domain}: ${argument} ${describeValue(value)} is not ${expected}`);
  }
}

function describeValue(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : typeof v === 'function' ? 'function' : String(v);
}

/** A service domain's handler threw (or its promise rejected); the domain kept serving. */
export class HandlerError extends WasmxenError {
  override name = 'HandlerError';
  override readonly code = 'WASMXEN_HANDLER';

  constructor(
    readonly domain: number,
    /** the vCPU whose upcall ran the handler */
    readonly vcpu: number,
    readonly port: number,
    /** what the handler threw */
    override readonly cause: unknown,
  ) {
    super(`the handler of port ${port} on domain ${domain} (vCPU ${vcpu}) failed: ${messageOf(cause)}`, { cause });
  }
}

/** A vCPU thread of a guest-module domain threw or exited before the hypervisor stopped it. */
export class VcpuCrashError extends WasmxenError {
  override name = 'VcpuCrashError';
  override readonly code = 'WASMXEN_VCPU_CRASH';

  constructor(
    readonly domain: number,
    readonly vcpu: number,
    /** the guest module's error, if it threw */
    override readonly cause: unknown,
    /** the thread's exit code, if it exited */
    readonly exitCode?: number,
  ) {
    super(`vCPU ${vcpu} of domain ${domain} ` + (exitCode === undefined
      ? `crashed: ${messageOf(cause)}`
      : `exited (code ${exitCode}) before the hypervisor stopped it`), { cause });
  }
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

const ERRNO_NAMES: Record<number, string> = {
  1: 'EPERM', 2: 'ENOENT', 3: 'ESRCH', 7: 'E2BIG', 61: 'ENODATA', 11: 'EAGAIN', 12: 'ENOMEM', 13: 'EACCES', 14: 'EFAULT',
  16: 'EBUSY', 17: 'EEXIST', 22: 'EINVAL', 28: 'ENOSPC', 38: 'ENOSYS', 85: 'ERESTART', 95: 'EOPNOTSUPP',
};

const ERRNO_HINTS: Record<number, string> = {
  1: 'the calling domain may not act on that domain (only itself, or the control domain on others)',
  2: 'no such vCPU in the domain',
  3: 'no such domain',
  13: 'the port is not bound, or is owned by a Xen-internal consumer',
  14: 'the argument struct is not inside the guest\'s RAM (outside its frames, or on a frame it gave back)',
  16: 'already in use (a global VIRQ belongs to the control domain; a busy port is still LINKED)',
  17: 'already bound (a VIRQ binds once per vCPU or domain)',
  22: 'invalid argument: the port is not valid or not in a state that allows this operation',
  28: 'no free port below the domain\'s port limit (max_evtchn_port or the ABI limit)',
  38: 'not supported by the active ABI (e.g. set_priority in 2-level mode)',
  95: 'not supported here (no physical IRQs; FIFO operations before init_control)',
};

/** Xen's name of a positive errno value, e.g. errnoName(22) === 'EINVAL'. */
export function errnoName(errno: number): string {
  return ERRNO_NAMES[errno] ?? `errno ${errno}`;
}

/** A hypercall returned -errno. */
export class EvtchnError extends WasmxenError {
  override name = 'EvtchnError';
  override readonly code = 'WASMXEN_EVTCHN';
  constructor(
    /** the hypercall, e.g. 'EVTCHNOP_send' */
    readonly op: string,
    /** positive errno (Xen's value, e.g. 22 for EINVAL) */
    readonly errno: number,
    readonly domain: number,
    readonly port?: number,
  ) {
    super(`${op} on domain ${domain}${port === undefined ? '' : ` port ${port}`} failed: -${errnoName(errno)}` +
      (ERRNO_HINTS[errno] ? ` (${ERRNO_HINTS[errno]})` : ''));
  }
}

/** A vCPU that did not reach a point a run waits for (boot, or the delivery of its events in flight) within a bound. */
export class StuckVcpuError extends WasmxenError {
  override name = 'StuckVcpuError';
  override readonly code = 'WASMXEN_STUCK_VCPU';
  constructor(
    message: string,
    /** the stuck vCPUs, as [domain, vCPU] */
    readonly vcpus: [number, number][],
  ) {
    super(message);
  }
}

/** An operation named a domain that is paused, dying or destroyed (or never existed). */
export class DomainStateError extends WasmxenError {
  override name = 'DomainStateError';
  override readonly code = 'WASMXEN_DOMAIN_STATE';
  constructor(
    readonly domain: number,
    readonly state: 'paused' | 'dying' | 'destroyed' | 'absent' | 'in-use',
    message: string,
  ) {
    super(message);
  }
}

/** pause() gave up: a vCPU did not reach a hypercall or upcall boundary within the bound. */
export class PauseTimeoutError extends WasmxenError {
  override name = 'PauseTimeoutError';
  override readonly code = 'WASMXEN_PAUSE_TIMEOUT';
  constructor(
    readonly domain: number,
    /** the first vCPU that did not park */
    readonly vcpu: number,
    /** every vCPU that did not park */
    readonly vcpus: number[],
    readonly timeoutMs: number,
  ) {
    super(`domain ${domain} did not pause within ${timeoutMs} ms: vCPU ${vcpu}` +
      (vcpus.length > 1 ? ` (and ${vcpus.slice(1).map((v) => `vCPU ${v}`).join(', ')})` : '') +
      ' never reached a hypercall or upcall boundary (a guest loop without hypercalls, or a handler that does not return); ' +
      'the pause was withdrawn and the domain runs on: let that vCPU return, or raise the bound');
  }
}

/**
 * A data plane and a memory (or a module and the build it was asked to be)
 * disagree on the hypervisor-private layout version: a thread attached a
 * module to a memory another layout version laid out, or a module carries no
 * layout table. Every thread of one hypervisor must run the same build.
 */
export class LayoutMismatchError extends WasmxenError {
  override name = 'LayoutMismatchError';
  override readonly code = 'WASMXEN_LAYOUT_MISMATCH';
}

/**
 * An invariant of wasmxen itself broke: the data plane gave an answer the
 * library's own checks rule out. A bug in wasmxen, never a misuse by the
 * caller; the operation was abandoned where it stood.
 */
export class InternalError extends WasmxenError {
  override name = 'InternalError';
  override readonly code = 'WASMXEN_INTERNAL';
  constructor(
    /** what broke, e.g. 'domain_kill(3) returned -22' */
    readonly what: string,
  ) {
    super(`${what}: an invariant of wasmxen broke (a bug in wasmxen, not in how it was called) and the operation was abandoned; ` +
      'please report it with this message');
  }
}

/** A call its object's present state does not allow: inside an event handler, before a required attach, after the end. */
export class InvalidStateError extends WasmxenError {
  override name = 'InvalidStateError';
  override readonly code = 'WASMXEN_INVALID_STATE';
  constructor(
    /** the refused call, e.g. 'irqDisable' */
    readonly op: string,
    /** why it is refused and what to do instead */
    reason: string,
  ) {
    super(`${op}: ${reason}`);
  }
}

/**
 * Why a device model failed: DMA still in flight past a bound (`stuck`), its
 * engine died (`died`), one of its worker threads crashed (`crashed`), or
 * transfers failed their data or status checks (`corrupt`).
 */
export type DeviceModelFault = 'stuck' | 'died' | 'crashed' | 'corrupt';

/** The device model (wasmxen/dm) could not finish what was asked of it; `fault` says why. */
export class DeviceModelError extends WasmxenError {
  override name = 'DeviceModelError';
  override readonly code = 'WASMXEN_DEVICE_MODEL';
  constructor(
    readonly fault: DeviceModelFault,
    /** the guest domain the device model serves */
    readonly domain: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * Why a migration failed: the peer spoke something else (`protocol`), the
 * connection ended early (`closed`), it was asked for what it does not do
 * (`unsupported`), the moved domain did not resume on the target (`resume`),
 * or the target process failed (`target`).
 */
export type MigrationFault = 'protocol' | 'closed' | 'unsupported' | 'resume' | 'target';

/**
 * A migration between two wasmxen processes failed outside the image itself
 * (an image refused by its checks is an ImageError); `fault` says how.
 */
export class MigrationError extends WasmxenError {
  override name = 'MigrationError';
  override readonly code = 'WASMXEN_MIGRATION';
  constructor(
    readonly fault: MigrationFault,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
