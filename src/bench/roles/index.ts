// Every bench party a worker can run, by name.
import type { Role, RoleContext, RoleResult } from './context.ts';
import { streamSender, streamReceiver, ipiVcpu } from './streams.ts';
import { pinger, echo } from './pingpong.ts';
import { msgSender, msgReceiver, msgPinger, msgEcho, msgIpi } from './messages.ts';
import { comlinkSender, comlinkReceiver, comlinkPinger, comlinkEcho, comlinkIpi } from './comlink.ts';
import { guestSender, guestReceiver, guestServiceReceiver, guestPinger, guestEcho } from './guests.ts';

export const ROLES: Record<string, Role> = {
  streamSender, streamReceiver, ipiVcpu, pinger, echo,
  msgSender, msgReceiver, msgPinger, msgEcho, msgIpi,
  comlinkSender, comlinkReceiver, comlinkPinger, comlinkEcho, comlinkIpi,
  guestSender, guestReceiver, guestServiceReceiver, guestPinger, guestEcho,
};

/**
 * Run party `role` with `args` in `ctx` (a worker's, or the runner's own for
 * a host party): an unknown name or a party that throws aborts the cell, so
 * the other parties stop waiting for this one.
 */
export async function runRole(ctx: RoleContext, role: string, args: unknown): Promise<RoleResult> {
  try {
    const fn = ROLES[role];
    if (!fn) throw new Error(`bench: unknown party '${role}'`);
    return await fn(ctx, args);
  } catch (e) {
    ctx.ctl.abort();
    throw e;
  }
}
