// Xen's public errno values (spec §3.4). Hypercalls return them negated.
export const EPERM = 1;
export const ENOENT = 2;
export const ESRCH = 3;
export const E2BIG = 7;
export const EAGAIN = 11;
export const ENOMEM = 12;
export const EACCES = 13;
export const EFAULT = 14;
export const EBUSY = 16;
export const EEXIST = 17;
export const EINVAL = 22;
export const ENOSPC = 28;
export const ENOSYS = 38;
export const ENODATA = 61;
export const ERESTART = 85;
export const EOPNOTSUPP = 95;
