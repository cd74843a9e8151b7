// ABI dispatch ("port ops", spec §7) behind the usable filter (spec §4.5).
import { type ModelDomain, isUsable } from './model-domain.ts';
import {
  fifoSetPending, fifoClearPending, fifoUnmask, fifoIsBusy, fifoPortInit, fifoIsPending, fifoIsMasked,
} from './model-fifo.ts';
import {
  twoLevelSetPending, twoLevelClearPending, twoLevelUnmask, twoLevelIsPending, twoLevelIsMasked,
} from './model-twolevel.ts';

/** evtchn_port_set_pending: nothing unless usable; returns the ABI's RAISE_* bits. */
export function portSetPending(d: ModelDomain, vcpu: number, port: number): number {
  if (!isUsable(d.channels[port])) return 0;
  return d.abi === 'fifo' ? fifoSetPending(d, vcpu, port) : twoLevelSetPending(d, vcpu, port);
}

export function portClearPending(d: ModelDomain, port: number): void {
  if (!isUsable(d.channels[port])) return;
  if (d.abi === 'fifo') fifoClearPending(d, port);
  else twoLevelClearPending(d, port);
}

export function portUnmask(d: ModelDomain, port: number): void {
  if (!isUsable(d.channels[port])) return;
  if (d.abi === 'fifo') fifoUnmask(d, port);
  else twoLevelUnmask(d, port);
}

export function portIsPending(d: ModelDomain, port: number): boolean {
  if (!isUsable(d.channels[port])) return false;
  return d.abi === 'fifo' ? fifoIsPending(d, port) : twoLevelIsPending(d, port);
}

export function portIsMasked(d: ModelDomain, port: number): boolean {
  if (!isUsable(d.channels[port])) return true;
  return d.abi === 'fifo' ? fifoIsMasked(d, port) : twoLevelIsMasked(d, port);
}

/** is_busy exists only for FIFO (spec §7, §9.8); not filtered (allocation asks about FREE ports). */
export function portIsBusy(d: ModelDomain, port: number): boolean {
  return d.abi === 'fifo' && fifoIsBusy(d, port);
}

/** Port-init hook of every guest bind; FIFO only (spec §9.4). */
export function portInit(d: ModelDomain, port: number): void {
  if (d.abi === 'fifo') fifoPortInit(d, port);
}
