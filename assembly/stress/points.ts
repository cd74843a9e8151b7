// Named noise points of the stress build (assembly/stress/noise.ts), in
// syntax both compilers accept: the data plane calls noise(NP_X) at the
// point, `wasmxen stress` focuses noise on a scenario's points by number
// (the high 16 bits of G_NOISE_RATE are a mask of points 1..15).
export const NP_LINK_BEFORE_CAS = 1;     // setLink: between reading the tail word and the cmpxchg
export const NP_RAISE_AFTER_PENDING = 2; // set_pending: after PENDING, before the MASKED test
export const NP_RAISE_AFTER_LINKED = 3;  // set_pending: after LINKED, before LINK/HEAD
export const NP_RAISE_BEFORE_READY = 4;  // set_pending: after HEAD/tail, before READY
export const NP_GUEST_CLEAR_LINKED = 5;  // guest: between reading a word and clearing LINKED
export const NP_GUEST_UNMASK = 6;        // guest: unmask fast path, before its cmpxchg
export const NP_GUEST_HEAD = 7;          // guest: after reading HEAD, before consuming
export const NP_RAISE_ABI = 8;           // any raise: after choosing the ABI, before its hook runs
export const NP_RAISE_BEFORE_HEAD = 9;   // set_pending with INJ_READY_BEFORE_HEAD: READY set, HEAD not yet stored
export const NP_BLOCK_BEFORE_WAIT = 10;  // vcpuBlock: blocked = 1 and kick read, before the flag check (I3)
export const NP_UPCALL_BEFORE_KICK = 11; // markEventsPending: flag set, before the kick (I3)
export const NP_UNMASK_BEFORE_RELINK = 12; // EVTCHNOP_unmask (FIFO): PENDING seen, before the relink (I26)
export const NP_RAISE_QUEUES_READ = 13;  // set_pending: lastq and priority read, before the queue pair is locked and they are re-checked (I12)
export const NP_CLOSE_LOCKED = 14;       // EVTCHNOP_close: the closer's event lock held, before the channel's state is read (I17)
