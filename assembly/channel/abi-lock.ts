// The ABI switch lock (I19): every raise and unmask into a domain holds it
// for read around the ABI hook; init_control's first call and a completed
// reset hold it for write while they switch the domain's ABI and convert its
// pending state. So a raise happens wholly before a switch (its 2-level
// pending bit is converted to FIFO's sticky flag) or wholly after (it uses
// FIFO): none is lost in between.

import { D_ABI_LOCK } from "../shared/private-layout";
import { addrDomField } from "../domain/table";
import { readLock, readUnlock, writeLock, writeUnlock } from "../sync/lock";

@inline export function abiReadLock(dom: u32): void { readLock(addrDomField(dom, D_ABI_LOCK)); }
@inline export function abiReadUnlock(dom: u32): void { readUnlock(addrDomField(dom, D_ABI_LOCK)); }
@inline export function abiWriteLock(dom: u32): void { writeLock(addrDomField(dom, D_ABI_LOCK)); }
@inline export function abiWriteUnlock(dom: u32): void { writeUnlock(addrDomField(dom, D_ABI_LOCK)); }
