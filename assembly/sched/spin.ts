// The spin budget of a guest kernel's block (I51): a vCPU about to sleep
// first watches its upcall flag for a while — a wake-up across cores costs
// tens of µs, so when a core is free an event arriving soon is cheaper to spin
// for — but only while the vCPU threads running guest code do not outnumber
// the host's cores: then a spinning vCPU only takes the core the vCPU that
// would raise its event needs, so it sleeps at once.
//
// G_VCPUS_RUNNING counts threads between vcpuThreadStart and vcpuThreadStop,
// minus those asleep in guestVcpuBlock (assembly/upcall.ts). It is a heuristic:
// a stale or wrong count (a thread that died without vcpuThreadStop) changes
// how long a vCPU spins, never whether it wakes (I3 does not read it).

import { G_HOST_CORES, G_VCPUS_RUNNING } from "../shared/layout";

/** A thread starts running guest code: count it; `cores` (if not 0) is the host's core count. */
export function vcpuThreadStart(cores: u32): void {
  if (cores != 0) atomic.store<u32>(G_HOST_CORES, cores);
  atomic.add<i32>(G_VCPUS_RUNNING, 1);
}

/** The thread stops running guest code (it leaves its vCPU loop). */
export function vcpuThreadStop(): void {
  atomic.sub<i32>(G_VCPUS_RUNNING, 1);
}

/** A counted thread goes to sleep in guestVcpuBlock / wakes from it. */
@inline export function vcpuThreadSleeps(): void { atomic.sub<i32>(G_VCPUS_RUNNING, 1); }
@inline export function vcpuThreadWakes(): void { atomic.add<i32>(G_VCPUS_RUNNING, 1); }

/** vCPU threads running guest code now (diagnostics and tests). */
export function vcpusRunning(): i32 {
  return atomic.load<i32>(G_VCPUS_RUNNING);
}

/** Spin rounds a counted vCPU may spend before sleeping: `maxSpins` while a core is free for it, else `minSpins`. */
export function spinBudget(maxSpins: u32, minSpins: u32): u32 {
  let cores = atomic.load<u32>(G_HOST_CORES);
  if (cores == 0) return maxSpins;
  return atomic.load<i32>(G_VCPUS_RUNNING) <= <i32>cores ? maxSpins : minSpins;
}
