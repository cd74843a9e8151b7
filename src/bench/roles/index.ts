// Every bench party a worker can run, by name.
import type { Role } from './context.ts';
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
