// The guest's side of the built-in consumers' rings (guest code, on its own
// memory): post monitor requests and read the answers; write console bytes.
import type { Guest } from '../guest/guest.ts';
import { R_REQ_PROD, R_REQ_CONS, R_RSP_PROD, R_REQS, R_RSPS, RING_SLOTS } from './monitor-ring.ts';
import { C_RING_PROD, C_RING_CONS, C_RING_DATA, CONSOLE_DATA_BYTES } from './console-ring.ts';
import { PAGE_SIZE } from '../../assembly/shared/layout.ts';

/** A word of guest memory (an Int32Array view and an index). */
export interface GuestWord { words: Int32Array; at: number }

export class MonitorClient {
  private readonly ring: Uint32Array;
  private readonly cursor: GuestWord;

  /**
   * `port` is the guest's own end, bound to the monitor's Xen port.
   * `cursor`: where the guest keeps the index of the next answer to read
   * (default: this client's own word); a guest that moves keeps it in its
   * memory, so a resumed client reads on where the moved one stopped.
   */
  constructor(readonly g: Guest, ringGfn: number, readonly port: number, cursor?: GuestWord) {
    this.ring = new Uint32Array(g.dp.memory.buffer, g.dp.x.addrGfn(g.dom, ringGfn) >>> 0, PAGE_SIZE / 4);
    this.cursor = cursor ?? { words: new Int32Array(1), at: 0 };
  }

  /** Requests posted and not yet taken by the monitor (a resumed guest notifies again if any). */
  unanswered(): number {
    return (Atomics.load(this.ring, R_REQ_PROD) - Atomics.load(this.ring, R_REQ_CONS)) >>> 0;
  }

  /** Requests posted so far (the ring's producer index). */
  posted(): number { return Atomics.load(this.ring, R_REQ_PROD); }

  /** Post one request and notify the monitor (its callback runs on this thread, inside the send). */
  post(req: number): void {
    const prod = Atomics.load(this.ring, R_REQ_PROD);
    Atomics.store(this.ring, R_REQS + (prod % RING_SLOTS), req);
    Atomics.store(this.ring, R_REQ_PROD, (prod + 1) >>> 0);
    this.g.send(this.port);
  }

  /** Answers that arrived since the last call. */
  responses(): number[] {
    const prod = Atomics.load(this.ring, R_RSP_PROD);
    const out: number[] = [];
    let seen = Atomics.load(this.cursor.words, this.cursor.at) >>> 0;
    for (; seen !== prod; seen = (seen + 1) >>> 0) out.push(Atomics.load(this.ring, R_RSPS + (seen % RING_SLOTS)));
    Atomics.store(this.cursor.words, this.cursor.at, seen);
    return out;
  }
}

export class ConsoleClient {
  private readonly ring: Uint32Array;
  private readonly data: Uint8Array;

  constructor(readonly g: Guest, ringGfn: number, readonly port: number) {
    const base = g.dp.x.addrGfn(g.dom, ringGfn) >>> 0;
    this.ring = new Uint32Array(g.dp.memory.buffer, base, 3);
    this.data = new Uint8Array(g.dp.memory.buffer, base + C_RING_DATA, CONSOLE_DATA_BYTES);
  }

  /** Bytes written and not yet taken by the console (a resumed guest notifies again if any). */
  unconsumed(): number {
    return (Atomics.load(this.ring, C_RING_PROD) - Atomics.load(this.ring, C_RING_CONS)) >>> 0;
  }

  /** Write `text` (what fits in the ring) and notify the console. Returns the bytes written. */
  write(text: string): number {
    const bytes = new TextEncoder().encode(text);
    let prod = Atomics.load(this.ring, C_RING_PROD);
    const cons = Atomics.load(this.ring, C_RING_CONS);
    let n = 0;
    for (; n < bytes.length && ((prod - cons) >>> 0) < CONSOLE_DATA_BYTES; n++, prod = (prod + 1) >>> 0) {
      this.data[prod % CONSOLE_DATA_BYTES] = bytes[n];
    }
    Atomics.store(this.ring, C_RING_PROD, prod);
    this.g.send(this.port);
    return n;
  }
}
