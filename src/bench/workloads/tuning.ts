// Loop parameters of the stream workloads, the same for every implementation
// (bench/README.md explains each). Spins are loop rounds, not time.
export interface Tuning {
  /** events a sender raises per call into its loop (latency is stamped once per call) */
  sendBatch: number;
  /** events a receiver takes per call (latency samples are collected once per call) */
  recvBatch: number;
  /** rounds a sender re-reads full windows before sleeping */
  senderSpins: number;
  /** rounds an idle receiver watches its upcall flag before blocking */
  receiverSpins: number;
  /** interrupt moderation: events to let gather after an idle spell */
  holdoff: number;
  holdoffSpins: number;
  /** counts are published every 2^publishLog2 events */
  publishLog2: number;
}

/** For streams with `inFlight` events allowed in flight in total. */
export function tuning(inFlight: number): Tuning {
  return {
    sendBatch: 256,
    recvBatch: 256,
    senderSpins: 1000,
    receiverSpins: 1000,
    holdoff: inFlight >= 64 ? Math.floor(inFlight / 2) : 0,
    holdoffSpins: 20000,
    publishLog2: inFlight >= 64 ? 6 : 0,
  };
}
