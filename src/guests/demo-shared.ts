// The default scenario's shared words (g.shared): the "xenstore" handshake
// between the two guests and the exactly-once counters of every flow.
// Int32 words; timestamps in a BigInt64 view after them.

export const FANIN_PORTS = 8;

export const S_QUIESCE = 0;        // 1: senders stop starting new events
export const S_PING_PORT = 1;      // backend's ping port (0 = not yet offered)
export const S_FANIN_PORT = 2;     // + i: backend's fan-in ports
export const S_IPI_PORT = 12;      // + dom slot * 2 + vcpu: IPI port delivering to that vCPU
// S_SENDING: vCPUs between their quiesce check and their send (a Dekker pair with
// S_QUIESCE: once the main thread stored S_QUIESCE and then read 0 here, no send
// can start any more, so sent counts are final — src/scenarios/run-phases.ts)
export const S_SENDING = 16;
export const S_BOOTED = 17;        // bit dom slot * 2 + vcpu: that vCPU finished its setup (its first sends counted)
// --migrate-at (src/guests/demo-split-ring.ts): the frontend's ring page offered to the
// backend (its gfn + 1; 0 = not yet), and the toolstack's disconnect of the backend
export const S_RING_GFN = 18;
export const S_DISCONNECT = 19;    // 1: the backend touches the frontend's rings no more (the toolstack waits S_BACK_BUSY 0)
export const S_BACK_BUSY = 21;     // backend vCPUs inside a ring service (a Dekker pair with S_DISCONNECT)
export const S_RESCAN = 22;        // bit vcpu: that backend vCPU re-reads the rings once (reconnected after a disconnect)
export const S_RESUMED = 23;       // 1: the moved frontend's vCPU 0 finished its resume path (its other vCPUs wait for it)
export const S_DUPLICATED = 20;    // deliveries with no matching send
// flows: sent/delivered pairs
export const F_PING = 24;          // frontend → backend
export const F_PONG = 26;          // backend → frontend
export const F_FANIN = 28;         // + 2 * i: fan-in port i
export const F_IPI = 28 + 2 * FANIN_PORTS; // + 2 * (dom slot * 2 + vcpu)
export const S_TICKS = F_IPI + 8;  // + dom slot * 2 + vcpu: timer VIRQs handled
// --migrate-at's toolstack channels (src/scenarios/toolstack-channels.ts): what the
// frontend did on this host, each counted before the send that makes it visible
export const S_MON_POSTED = S_TICKS + 4;   // monitor requests posted
export const S_MON_ANSWERED = S_TICKS + 5; // monitor answers read
export const S_CON_LINES = S_TICKS + 6;    // console lines written
export const INT_WORDS = S_TICKS + 7;
// BigInt64 timestamps (process.hrtime, comparable across threads)
export const T_PING = 0;
export const T_PONG = 1;
export const T_FANIN = 2;          // + i
export const T_IPI = 2 + FANIN_PORTS; // + dom slot * 2 + vcpu
export const TIME_WORDS = T_IPI + 4;

export const SHARED_BYTES = INT_WORDS * 4 + TIME_WORDS * 8 + 8;

export interface DemoViews {
  i32: Int32Array;
  t: BigInt64Array;
}

export function demoViews(sab: SharedArrayBuffer): DemoViews {
  const tOff = Math.ceil((INT_WORDS * 4) / 8) * 8;
  return { i32: new Int32Array(sab, 0, INT_WORDS), t: new BigInt64Array(sab, tOff, TIME_WORDS) };
}

/** Every vCPU of the scenario booted (bit slot * 2 + vcpu of S_BOOTED). */
export const ALL_BOOTED = 0b1111;

/** The vCPU a flow delivers to: [domain, vCPU] (for a drain that cannot finish). */
export function receiverOf(flow: number): [number, number] {
  if (flow === F_PING) return [2, 0];
  if (flow === F_PONG) return [1, 0];
  if (flow < F_IPI) return [2, 1];
  const me = (flow - F_IPI) / 2;
  return [1 + (me >> 1), me & 1];
}

// Counters are 32-bit words that wrap: compare them modulo 2^32 (the main
// thread widens them by sampling, src/util/wide-counter.ts).
export const sentOf = (flow: number) => flow;
export const deliveredOf = (flow: number) => flow + 1;

/** Every exactly-once flow (sent index, delivered index = sent + 1). */
export function allFlows(): number[] {
  const f = [F_PING, F_PONG];
  for (let i = 0; i < FANIN_PORTS; i++) f.push(F_FANIN + 2 * i);
  for (let i = 0; i < 4; i++) f.push(F_IPI + 2 * i);
  return f;
}
