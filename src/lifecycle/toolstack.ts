// The toolstack's half of the domain lifecycle (the data plane's half is
// assembly/domain/destroy.ts): pause with a bound, and the re-invocation
// loops of the preemptible destroy and of the release — each step returns
// -ERESTART and the toolstack calls it again after yielding, as libxl
// re-issues XEN_DOMCTL_destroydomain while Xen answers -ERESTART (XSA-344).
import type { DataPlane } from '../wasm/data-plane.ts';
import { ERESTART, ESRCH, EINVAL, EBUSY } from '../../assembly/shared/errno.ts';
import { ConfigError, DomainStateError, InternalError, PauseTimeoutError } from '../errors.ts';
import { yieldToEventLoop } from '../platform/host.ts';

/** Mask of vCPUs 0..n-1. */
export function allVcpus(n: number): number {
  return n >= 32 ? 0xffffffff : ((1 << n) - 1) >>> 0;
}

/**
 * Pause `dom` (I28): set the request, wake every vCPU, and resolve once all
 * `vcpus` have parked. After `timeoutMs` the request is withdrawn (the domain
 * runs on) and PauseTimeoutError names the vCPUs that did not park.
 * `onRequested` runs after the request is set (a service domain parks its idle vCPUs).
 */
export async function pauseAndWait(dp: DataPlane, dom: number, vcpus: number, timeoutMs: number,
  onRequested?: () => void, onWithdrawn?: () => void): Promise<void> {
  checkPauseBound(timeoutMs);
  requestPause(dp, dom, vcpus, onRequested);
  const missing = await parkedOrMissing(dp, dom, vcpus, timeoutMs);
  if (missing.length === 0) return;
  dp.x.domainUnpause(dom);
  onWithdrawn?.();
  throw new PauseTimeoutError(dom, missing[0], missing, timeoutMs);
}

/**
 * Set `dom`'s pause request (I28) and wake its `vcpus` so each reaches a
 * boundary and parks; `onRequested` runs once the request is set (a service
 * domain parks its idle vCPUs). Does not wait: pauseAndWait does.
 */
export function requestPause(dp: DataPlane, dom: number, vcpus: number, onRequested?: () => void): void {
  dp.x.domainPause(dom);
  onRequested?.();
  for (let v = 0; v < vcpus; v++) dp.x.kickVcpu(dom, v); // a blocked vCPU reaches its boundary now
}

/**
 * A domain paused already (by an earlier request, or restored paused):
 * resolve once all `vcpus` have parked, as the request that paused it does.
 * After `timeoutMs`, PauseTimeoutError names the vCPUs that did not park; the
 * pause stays (it is not this caller's to withdraw).
 */
export async function waitParked(dp: DataPlane, dom: number, vcpus: number, timeoutMs: number): Promise<void> {
  checkPauseBound(timeoutMs);
  const missing = await parkedOrMissing(dp, dom, vcpus, timeoutMs);
  if (missing.length > 0) throw new PauseTimeoutError(dom, missing[0], missing, timeoutMs);
}

function checkPauseBound(timeoutMs: number): void {
  if (!(timeoutMs > 0)) throw new ConfigError(`pause bound ${timeoutMs} ms: give timeoutMs a positive number of milliseconds`);
}

/** Wait until every one of `vcpus` has parked (D_PARKED), at most `timeoutMs`: [] then, else the vCPUs still running. */
async function parkedOrMissing(dp: DataPlane, dom: number, vcpus: number, timeoutMs: number): Promise<number[]> {
  const all = allVcpus(vcpus);
  const idx = dp.parkedMaskIndex(dom);
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const parked = Atomics.load(dp.i32, idx);
    if (((parked >>> 0) & all) === all) return [];
    const left = deadline - performance.now();
    if (left <= 0) {
      const missing: number[] = [];
      for (let v = 0; v < vcpus; v++) if (((parked >>> v) & 1) === 0) missing.push(v);
      return missing;
    }
    // vcpuParkEnter notifies this word after setting its bit
    const w = Atomics.waitAsync(dp.i32, idx, parked, left);
    if (w.async) await w.value;
  }
}

/** evtchn_destroy until done, at most `batch` ports per step, yielding to the event loop between steps. */
export async function destroyEvtchns(dp: DataPlane, dom: number, batch: number): Promise<number> {
  if (!Number.isInteger(batch) || batch < 1) throw new RangeError(`destroy batch ${batch} must be a positive integer`);
  for (let step = 1; ; step++) {
    const rc = dp.x.domainDestroyStep(dom, batch);
    if (rc === 0) return step;
    if (rc === -ESRCH) throw new DomainStateError(dom, 'absent', `domain ${dom} does not exist`);
    if (rc === -EINVAL) throw new DomainStateError(dom, 'in-use', `domain ${dom} is not dying: kill it (domainKill) before destroying its event channels`);
    if (rc !== -ERESTART) throw new InternalError(`evtchn_destroy of domain ${dom} returned ${rc}`);
    await yieldToEventLoop();
  }
}

/**
 * Unpublish the dead domain and wait until no reference is held (I27); a
 * reference outlives its hypercall only by that call's length, so the loop is
 * bounded by `timeoutMs` only to turn a leak into an error.
 */
export async function releaseWhenUnreferenced(dp: DataPlane, dom: number, timeoutMs = 10_000): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (let retries = 0; ; retries++) {
    const rc = dp.x.domainRelease(dom);
    if (rc === 0) return retries;
    if (rc === -EBUSY) throw new DomainStateError(dom, 'in-use', `domain ${dom} still has event channels: finish evtchn_destroy first`);
    if (rc !== -ERESTART) throw new InternalError(`domain release of ${dom} returned ${rc}`);
    if (performance.now() > deadline) {
      throw new DomainStateError(dom, 'in-use', `domain ${dom}: ${dp.x.domainRefs(dom)} reference(s) still held after ${timeoutMs} ms (a Xen-internal user that never let go): its regions and id stay reserved`);
    }
    await yieldToEventLoop();
  }
}

/**
 * Tear down a domain that never ran and that nobody references (a restore
 * that failed after creating it), synchronously: kill, close every port,
 * release. Any answer but done (or "more to do" for the port batches) is a
 * broken invariant and throws, rather than looping on it.
 */
export function destroyUnstarted(dp: DataPlane, dom: number): void {
  dp.x.domainKill(dom);
  for (let rc = -ERESTART; rc !== 0;) {
    rc = dp.x.domainDestroyStep(dom, 1 << 20);
    if (rc !== 0 && rc !== -ERESTART) throw new InternalError(`evtchn_destroy of unstarted domain ${dom} returned ${rc}`);
  }
  const rc = dp.x.domainRelease(dom);
  if (rc !== 0) throw new InternalError(`release of unstarted domain ${dom} returned ${rc} (${dp.x.domainRefs(dom)} reference(s) held)`);
}
