// Xen's public errno values (spec §3.4). Hypercalls return them negated.
/** Xen's errno EPERM: Operation not permitted. */
export const EPERM = 1;
/** Xen's errno ENOENT: No such entity (e.g. vCPU). */
export const ENOENT = 2;
/** Xen's errno ESRCH: No such domain. */
export const ESRCH = 3;
/** Xen's errno E2BIG: Argument list too long. */
export const E2BIG = 7;
/** Xen's errno EAGAIN: Try again. */
export const EAGAIN = 11;
/** Xen's errno ENOMEM: Out of memory. */
export const ENOMEM = 12;
/** Xen's errno EACCES: Permission denied. */
export const EACCES = 13;
/** Xen's errno EFAULT: Bad address. */
export const EFAULT = 14;
/** Xen's errno EBUSY: Resource busy. */
export const EBUSY = 16;
/** Xen's errno EEXIST: Already exists. */
export const EEXIST = 17;
/** Xen's errno EINVAL: Invalid argument. */
export const EINVAL = 22;
/** Xen's errno ENOSPC: No space left (no free port). */
export const ENOSPC = 28;
/** Xen's errno ENOSYS: Function not implemented. */
export const ENOSYS = 38;
/** Xen's errno ENODATA: No data available. */
export const ENODATA = 61;
/** Xen's errno ERESTART: The hypercall wants a continuation (re-issue it). */
export const ERESTART = 85;
/** Xen's errno EOPNOTSUPP: Operation not supported. */
export const EOPNOTSUPP = 95;
