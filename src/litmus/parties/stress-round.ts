// The round scenarios of `wasmxen stress` by name, and the party that runs
// one role of any of them (args.scenario, args.role).
import type { PartyContext } from '../registry.ts';
import { runRounds, type AnyRoundDef, type RoundArgs, type StressPartyResult } from './stress-core.ts';
import { raiseDrain, maskUnmask, unmaskTail, priorityChange, vcpuMove } from './stress-fifo.ts';
import { closeSend, bindVcpuSend, closeBothEnds, ipiStorm } from './stress-channels.ts';
import { resetRace, abiSwitch } from './stress-abi.ts';
import { continuedMemoryOps } from './stress-memory.ts';
import { destroyRace } from './stress-destroy.ts';

export const ROUNDS: Record<string, AnyRoundDef> = {
  'raise-drain': raiseDrain,
  'mask-unmask': maskUnmask,
  'unmask-tail': unmaskTail,
  'priority-change': priorityChange,
  'vcpu-move': vcpuMove,
  'close-send': closeSend,
  'bind-vcpu-send': bindVcpuSend,
  'close-both-ends': closeBothEnds,
  'ipi-storm': ipiStorm,
  'reset': resetRace,
  'abi-switch': abiSwitch,
  'continuations': continuedMemoryOps,
  'destroy': destroyRace,
};

export function stressRound(ctx: PartyContext): StressPartyResult {
  const a = ctx.args as RoundArgs;
  const def = ROUNDS[a.scenario];
  if (!def) throw new Error(`no round scenario '${a.scenario}'`);
  return runRounds(ctx, def);
}
