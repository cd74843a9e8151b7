// The data plane's locks (assembly/sync/lock.ts) with JS Atomics, for the
// JS reference implementation: the same words, the same protocol (spin, then
// sleep with the WAITERS flag, I4), so either implementation may hold a lock
// the other waits on. Addresses are byte addresses in the machine's memory.

const LOCK_SPINS = 200;
export const LOCK_WRITER = 0x80000000 | 0;
export const LOCK_WAITERS = 0x40000000;
const LOCK_READERS = 0x3fffffff;

export class JsLocks {
  constructor(readonly i32: Int32Array) {}

  mutexAcquire(addr: number): void {
    const i = addr >>> 2;
    if (Atomics.compareExchange(this.i32, i, 0, LOCK_WRITER) === 0) return;
    let spins = 0;
    for (;;) {
      const cur = Atomics.load(this.i32, i);
      if ((cur & LOCK_WRITER) === 0) {
        if (Atomics.compareExchange(this.i32, i, cur, cur | LOCK_WRITER) === cur) return;
        continue;
      }
      if (spins < LOCK_SPINS) { spins++; continue; }
      this.sleepOn(i, cur);
    }
  }

  mutexRelease(addr: number): void {
    const i = addr >>> 2;
    const old = Atomics.exchange(this.i32, i, 0);
    if ((old & LOCK_WAITERS) !== 0) Atomics.notify(this.i32, i);
  }

  readLock(addr: number): void {
    const i = addr >>> 2;
    let spins = 0;
    for (;;) {
      const cur = Atomics.load(this.i32, i);
      if ((cur & LOCK_WRITER) === 0) {
        if (Atomics.compareExchange(this.i32, i, cur, cur + 1) === cur) return;
        continue;
      }
      if (spins < LOCK_SPINS) { spins++; continue; }
      this.sleepOn(i, cur);
    }
  }

  readTryLock(addr: number): boolean {
    const i = addr >>> 2;
    let cur = Atomics.load(this.i32, i);
    while ((cur & LOCK_WRITER) === 0) {
      const seen = Atomics.compareExchange(this.i32, i, cur, cur + 1);
      if (seen === cur) return true;
      cur = seen;
    }
    return false;
  }

  readUnlock(addr: number): void {
    const i = addr >>> 2;
    const old = Atomics.sub(this.i32, i, 1);
    if ((old & LOCK_READERS) === 1 && (old & LOCK_WAITERS) !== 0) {
      Atomics.and(this.i32, i, ~LOCK_WAITERS);
      Atomics.notify(this.i32, i);
    }
  }

  private sleepOn(i: number, cur: number): void {
    const want = cur | LOCK_WAITERS;
    if (cur !== want && Atomics.compareExchange(this.i32, i, cur, want) !== cur) return;
    Atomics.wait(this.i32, i, want);
  }
}
