// Lock helpers of the channel layer (spec §12). Order: event_lock →
// channel lock → FIFO queue locks; two domains' event locks by domid, two
// channels' locks by (domid, port) (I17).

import { addrEventLock } from "../domain/table";
import { addrChannelLock } from "./record";
import { writeLock, writeUnlock } from "../sync/lock";

export function eventLockPair(a: u32, b: u32): void {
  if (a == b) { writeLock(addrEventLock(a)); return; }
  writeLock(addrEventLock(a < b ? a : b));
  writeLock(addrEventLock(a < b ? b : a));
}

export function eventUnlockPair(a: u32, b: u32): void {
  writeUnlock(addrEventLock(a));
  if (a != b) writeUnlock(addrEventLock(b));
}

/** Write-lock two distinct channels in (domid, port) order. */
export function channelLockPair(d1: u32, p1: u32, d2: u32, p2: u32): void {
  let firstIs1 = d1 < d2 || (d1 == d2 && p1 < p2);
  if (firstIs1) { writeLock(addrChannelLock(d1, p1)); writeLock(addrChannelLock(d2, p2)); }
  else { writeLock(addrChannelLock(d2, p2)); writeLock(addrChannelLock(d1, p1)); }
}

export function channelUnlockPair(d1: u32, p1: u32, d2: u32, p2: u32): void {
  writeUnlock(addrChannelLock(d1, p1));
  writeUnlock(addrChannelLock(d2, p2));
}
