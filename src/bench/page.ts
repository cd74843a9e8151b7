// TypeScript view of the bench page (layout in assembly/bench/layout.ts): the
// JS parties (reference implementation, message-passing baselines) run the
// same accounting on it as the wasm loops, and the runner reads the counts.
// Every access is an Atomics operation on an Int32Array.
import {
  BENCH_PAGE_BYTES, BH_STOP, BH_ERRORS, BH_ERR_STREAM, BH_ERR_EXPECTED, BH_ERR_GOT, BH_RECV_FIRST,
  BH_SEND_FIRST, BH_PORTS, BH_STREAMS, BH_PUBLISH, BH_VIRQ, BH_LATE, BH_PROGRESS, BH_WAITERS, BH_ECHOES, BH_UNORDERED,
  BP_STREAMS, BP_STREAM_BYTES, BP_MAX_STREAMS, SS_SENT, SS_CURSOR, SS_SEEN, SR_EXPECT, SR_COUNT, SP_DELIVERED, SQ_SENT,
} from '../../assembly/bench/layout.ts';

export interface PageGeometry {
  recvFirst: number;
  sendFirst: number;
  /** ports per stream: the window */
  ports: number;
  streams: number;
  /** publish a stream's delivered count every 2^publishLog2 events */
  publishLog2: number;
  virq?: number;
  /** events of a stream may arrive in any order (2-level guests): the wasm receiver accounts per port */
  unordered?: boolean;
}

export interface StreamError { stream: number; expected: number; got: number }

const w = (byte: number) => byte >> 2;

export class BenchPage {
  readonly i32: Int32Array;

  /** `buffer` is the machine's memory (or a SharedArrayBuffer), `addr` the page's byte address in it. */
  constructor(buffer: ArrayBufferLike, readonly addr: number) {
    if (addr % 64 !== 0) throw new RangeError(`bench page at ${addr} is not 64-byte aligned`);
    this.i32 = new Int32Array(buffer, addr, BENCH_PAGE_BYTES / 4);
  }

  static standalone(): BenchPage {
    return new BenchPage(new SharedArrayBuffer(BENCH_PAGE_BYTES), 0);
  }

  /** Zero the page and write the geometry; only while no party runs. */
  reset(g: PageGeometry): void {
    if (g.streams < 1 || g.streams > BP_MAX_STREAMS) throw new RangeError(`1..${BP_MAX_STREAMS} streams, not ${g.streams}`);
    for (let i = 0; i < this.i32.length; i++) Atomics.store(this.i32, i, 0);
    this.set(BH_RECV_FIRST, g.recvFirst);
    this.set(BH_SEND_FIRST, g.sendFirst);
    this.set(BH_PORTS, g.ports);
    this.set(BH_STREAMS, g.streams);
    this.set(BH_PUBLISH, g.publishLog2);
    this.set(BH_VIRQ, g.virq ?? 0);
    this.set(BH_UNORDERED, g.unordered ? 1 : 0);
  }

  get(byte: number): number { return Atomics.load(this.i32, w(byte)) >>> 0; }
  set(byte: number, v: number): void { Atomics.store(this.i32, w(byte), v | 0); }
  add(byte: number, v: number): number { return Atomics.add(this.i32, w(byte), v) >>> 0; }
  index(byte: number): number { return w(byte); }

  stream(s: number, field: number): number { return BP_STREAMS + s * BP_STREAM_BYTES + field; }

  get ports(): number { return this.get(BH_PORTS); }
  get streams(): number { return this.get(BH_STREAMS); }
  get recvFirst(): number { return this.get(BH_RECV_FIRST); }
  get sendFirst(): number { return this.get(BH_SEND_FIRST); }
  get publishMask(): number { return (1 << this.get(BH_PUBLISH)) - 1; }

  sent(s: number): number { return this.get(this.stream(s, SS_SENT)); }
  /** The receiver's exact count (its private word; exact once the receiver is idle). */
  delivered(s: number): number { return this.get(this.stream(s, SR_COUNT)); }
  published(s: number): number { return this.get(this.stream(s, SP_DELIVERED)); }
  totalSent(): number { let t = 0; for (let s = 0; s < this.streams; s++) t += this.sent(s); return t; }
  totalDelivered(): number { let t = 0; for (let s = 0; s < this.streams; s++) t += this.delivered(s); return t; }

  get stopped(): boolean { return this.get(BH_STOP) !== 0; }
  stop(): void {
    this.set(BH_STOP, 1);
    Atomics.add(this.i32, w(BH_PROGRESS), 1);
    Atomics.notify(this.i32, w(BH_PROGRESS));
  }

  get errors(): number { return this.get(BH_ERRORS); }
  get lateWakeups(): number { return this.get(BH_LATE); }
  get echoes(): number { return this.get(BH_ECHOES); }
  lastError(): StreamError {
    return { stream: this.get(BH_ERR_STREAM) | 0, expected: this.get(BH_ERR_EXPECTED), got: this.get(BH_ERR_GOT) | 0 };
  }

  /** Record an accounting violation as the wasm loops do (benchFail). */
  fail(stream: number, expected: number, got: number): void {
    this.set(BH_ERR_STREAM, stream);
    this.set(BH_ERR_EXPECTED, expected);
    this.set(BH_ERR_GOT, got);
    this.add(BH_ERRORS, 1);
  }

  // words the JS loops use directly (indices into i32)
  static readonly W = {
    progress: w(BH_PROGRESS), waiters: w(BH_WAITERS), stop: w(BH_STOP), echoes: w(BH_ECHOES), late: w(BH_LATE),
  };
  static readonly F = { sent: SS_SENT, cursor: SS_CURSOR, seen: SS_SEEN, expect: SR_EXPECT, count: SR_COUNT, delivered: SP_DELIVERED, sentPublished: SQ_SENT };
}
