// Locks in shared memory: a mutex and a reader/writer lock, both usable from
// any thread that instantiated the module (guest vCPU workers and the shell).
//
// Waiting: spin LOCK_SPINS times (a holder on the other core usually releases
// within that), then sleep with atomic.wait. Every sleeper first sets the
// WAITERS flag by CAS on the exact value it then waits on, and every release
// whose result still carries WAITERS wakes all sleepers, so a wake-up can not
// be lost (I4): a release either happens before the CAS (the CAS then fails and
// the sleeper re-reads) or after it (the release sees WAITERS and notifies, and
// atomic.wait fails with "not-equal" if the word already changed).
//
// Locks here protect hypervisor-private state only; nothing a guest can write
// is ever a lock word, so a guest can not hold a hypervisor lock (I5).

const LOCK_SPINS = 200;

export const LOCK_WRITER: u32 = 0x80000000;
export const LOCK_WAITERS: u32 = 0x40000000;
const LOCK_READERS: u32 = 0x3fffffff;

// ----------------------------------------------------------------- mutex

/** Mutex acquire. The word is 0 (free), LOCK_WRITER, or LOCK_WRITER|LOCK_WAITERS. */
export function mutexAcquire(addr: usize): void {
  if (atomic.cmpxchg<u32>(addr, 0, LOCK_WRITER) == 0) return;
  mutexAcquireSlow(addr);
}

function mutexAcquireSlow(addr: usize): void {
  let spins = 0;
  while (true) {
    let cur = atomic.load<u32>(addr);
    if ((cur & LOCK_WRITER) == 0) {
      // keep WAITERS if others sleep: they must still be woken by our release
      if (atomic.cmpxchg<u32>(addr, cur, cur | LOCK_WRITER) == cur) return;
      continue;
    }
    if (spins < LOCK_SPINS) { spins++; continue; }
    sleepOn(addr, cur);
  }
}

export function mutexTryAcquire(addr: usize): bool {
  let cur = atomic.load<u32>(addr);
  if ((cur & LOCK_WRITER) != 0) return false;
  return atomic.cmpxchg<u32>(addr, cur, cur | LOCK_WRITER) == cur;
}

export function mutexRelease(addr: usize): void {
  let old = atomic.xchg<u32>(addr, 0);
  if ((old & LOCK_WAITERS) != 0) atomic.notify(addr, -1);
}

// -------------------------------------------------------- reader/writer lock
// Word: LOCK_WRITER | LOCK_WAITERS | reader count (30 bits). Writers wait for
// zero readers; readers wait while a writer holds it. Not writer-preferring:
// Xen's rwlocks are fair, but every read section here is short and bounded.

export function readLock(addr: usize): void {
  let spins = 0;
  while (true) {
    let cur = atomic.load<u32>(addr);
    if ((cur & LOCK_WRITER) == 0) {
      if (atomic.cmpxchg<u32>(addr, cur, cur + 1) == cur) return;
      continue;
    }
    if (spins < LOCK_SPINS) { spins++; continue; }
    sleepOn(addr, cur);
  }
}

/** One attempt, as Xen's read_trylock: fails only if a writer holds the lock. */
export function readTryLock(addr: usize): bool {
  let cur = atomic.load<u32>(addr);
  while ((cur & LOCK_WRITER) == 0) {
    let seen = atomic.cmpxchg<u32>(addr, cur, cur + 1);
    if (seen == cur) return true;
    cur = seen; // another reader came or left; bounded by the number of threads
  }
  return false;
}

export function readUnlock(addr: usize): void {
  let old = atomic.sub<u32>(addr, 1);
  if ((old & LOCK_READERS) == 1 && (old & LOCK_WAITERS) != 0) wakeAll(addr);
}

export function writeLock(addr: usize): void {
  let spins = 0;
  while (true) {
    let cur = atomic.load<u32>(addr);
    if ((cur & (LOCK_WRITER | LOCK_READERS)) == 0) {
      if (atomic.cmpxchg<u32>(addr, cur, cur | LOCK_WRITER) == cur) return;
      continue;
    }
    if (spins < LOCK_SPINS) { spins++; continue; }
    sleepOn(addr, cur);
  }
}

export function writeUnlock(addr: usize): void {
  mutexRelease(addr);
}

// ---------------------------------------------------------------- helpers

function sleepOn(addr: usize, cur: u32): void {
  let want = cur | LOCK_WAITERS;
  if (cur != want && atomic.cmpxchg<u32>(addr, cur, want) != cur) return;
  atomic.wait<i32>(addr, <i32>want, -1);
}

function wakeAll(addr: usize): void {
  atomic.and<u32>(addr, ~LOCK_WAITERS);
  atomic.notify(addr, -1);
}
