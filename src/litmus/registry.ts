// Every party a litmus/stress worker can run, by name.
import type { Party } from '../harness/run.ts';
import { fifoSender, fifoReceiver, tailHammer, queueChanger, phasedSender, phasedReceiver } from './parties/fifo.ts';
import { dmaGuest, dmaServer, dmSeed } from '../dm/parties.ts';
import { channelChurner, churnSender, closeBothEnds, ipiVcpu } from './parties/channels.ts';
import { driverVcpu, driverUnbinder, driverRaiser } from './parties/driver.ts';
import { switchingReceiver, resetter, resetVictim, poller, masker, scribble2L } from './parties/abi.ts';
import { consumerFlooder, consumerCloser } from './parties/consumer.ts';
import { stressConsumerCloser } from './parties/stress-consumer.ts';
import { stressRound } from './parties/stress-round.ts';
import { stressHammerSender, stressTailFlipper, stressGoodReceiver, stressStuckGuest } from './parties/stress-hammer.ts';
import { unmaskAckUnmasker, unmaskAckConsumer } from './parties/unmask-ack.ts';

export type { PartyContext, Party } from '../harness/run.ts';

export const PARTIES: Record<string, Party> = {
  fifoSender, fifoReceiver, tailHammer, queueChanger, phasedSender, phasedReceiver,
  channelChurner, churnSender, closeBothEnds, ipiVcpu,
  driverVcpu, driverUnbinder, driverRaiser,
  switchingReceiver, resetter, resetVictim, poller, masker, scribble2L,
  dmaGuest, dmaServer, dmSeed,
  consumerFlooder, consumerCloser, stressConsumerCloser,
  stressRound, stressHammerSender, stressTailFlipper, stressGoodReceiver, stressStuckGuest,
  unmaskAckUnmasker, unmaskAckConsumer,
};
