// The split-driver state of the migrating default scenario (`run
// --migrate-at`): one page of the *frontend's* memory (domain 1), so it moves
// with the domain image. The backend maps it (the stand-in for a grant map:
// the toolstack offers its gfn in the store word S_RING_GFN) and never keeps
// any of it on its own side, so a fresh backend on the target host carries on
// where the source's stopped.
//
// Producer/consumer pairs, each index written by one side only (I50):
//   ping:   REQ_PROD (frontend) → REQ_CONS (backend): a consumed request is
//           delivered; RSP_PROD (backend) → RSP_CONS (frontend): a consumed
//           response is a delivered pong;
//   fan-in: FANIN_REQ[i] (frontend) → FANIN_CONS[i] (backend), one request in
//           flight per port;
//   IPIs:   IPI_SENT[to] (sender vCPU) → IPI_SEEN[to] (vCPU `to`).
// A request's counters move only with its index: the sender counts "sent"
// after producing it, the consumer counts "delivered" when it consumes it
// (never twice: the index says what was consumed). An event (the
// notification) may be lost across a move — the index is not: the resume
// path re-notifies every request still unconsumed (I50).
// The frontend's own port numbers live here too: invalid after a move, they
// are rewritten by its resume path with the ports bound on the target.
// So do its toolstack channels' progress (I56): the console lines written and
// the next monitor answer to read; the console and monitor rings themselves
// are pages of their own, carried the same way.
import { PAGE_SIZE } from '../../assembly/shared/layout.ts';
import type { DataPlane } from '../wasm/data-plane.ts';
import { FANIN_PORTS } from './demo-shared.ts';

export const RING_PING_REQ_PROD = 0;
export const RING_PING_REQ_CONS = 1;
export const RING_PING_RSP_PROD = 2;
export const RING_PING_RSP_CONS = 3;
export const RING_FANIN_REQ = 8;              // + i
export const RING_FANIN_CONS = RING_FANIN_REQ + FANIN_PORTS; // + i
export const RING_IPI_SENT = 24;              // + to
export const RING_IPI_SEEN = 26;              // + to
export const RING_PORT_PING = 28;             // the frontend's local ports
export const RING_PORT_FANIN = 32;            // + i
export const RING_PORT_IPI = 40;              // + to
export const RING_MON_SEEN = 4;               // the next monitor answer to read (MonitorClient's cursor)
export const RING_CON_LINES = 5;              // console lines written
export const RING_PORT_CONSOLE = 44;          // the frontend's ends of its toolstack channels
export const RING_PORT_MONITOR = 45;
export const RING_INT_WORDS = 48;

/** Pongs between two console lines, and between two monitor requests. */
export const CONSOLE_EVERY = 512;
export const MONITOR_EVERY = 256;
// BigInt64 words from byte 512: send timestamps (monotonic ns, comparable across processes of one host)
export const RING_T_BYTE = 512;
export const RT_PING = 0;
export const RT_PONG = 1;
export const RT_FANIN = 2;                    // + i

export interface RingView { i32: Int32Array; t: BigInt64Array }

/** The ring page at `gfn` of domain `dom`, through `dp`'s memory. */
export function ringView(dp: DataPlane, dom: number, gfn: number): RingView {
  const base = dp.x.addrGfn(dom, gfn) >>> 0;
  return {
    i32: new Int32Array(dp.memory.buffer, base, RING_INT_WORDS),
    t: new BigInt64Array(dp.memory.buffer, base + RING_T_BYTE, (PAGE_SIZE - RING_T_BYTE) / 8),
  };
}

/** The ring page's gfn as the store word carries it (0 = not offered). */
export const offerGfn = (gfn: number) => gfn + 1;
export const offeredGfn = (word: number) => word - 1;
