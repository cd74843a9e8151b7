// Typed errors of the library. Messages say what was wrong and what to do.

/** A configuration that can not be laid out or run. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** The V8 this process runs on miscompiles the data plane (see design §4). */
export class RuntimeCheckError extends Error {
  override name = 'RuntimeCheckError';
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

export function errnoName(errno: number): string {
  return ERRNO_NAMES[errno] ?? `errno ${errno}`;
}

/** A hypercall returned -errno. */
export class EvtchnError extends Error {
  override name = 'EvtchnError';
  constructor(
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

/** An operation named a domain that is paused, dying or destroyed (or never existed). */
export class DomainStateError extends Error {
  override name = 'DomainStateError';
  constructor(
    readonly domain: number,
    readonly state: 'paused' | 'dying' | 'destroyed' | 'absent' | 'in-use',
    message: string,
  ) {
    super(message);
  }
}

/** pause() gave up: a vCPU did not reach a hypercall or upcall boundary within the bound. */
export class PauseTimeoutError extends Error {
  override name = 'PauseTimeoutError';
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
