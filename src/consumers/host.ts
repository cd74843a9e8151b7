// The hypervisor side of Xen-owned channels, as the shell drives them:
// open (alloc_unbound_xen + the consumer's bookkeeping), close (the
// two-phase free under the consumer's lock), and the two built-in consumers'
// host APIs: the monitor ring and the console.
import type { DataPlane } from '../wasm/data-plane.ts';
import { ConfigError, EvtchnError } from '../errors.ts';
import {
  RING_MAGIC, RING_POISON, R_MAGIC, M_LOCK, M_COUNT, entryBase, findEntry, ME_DOM, ME_PORT, ME_GFN, ME_FLAGS,
  M_MAX_ENTRIES, ME_LIVE, ME_CLOSED, M_CALLS, M_ANSWERED, M_LATE_STARTS, M_POISON_HITS, lockWord, unlockWord,
} from './monitor-ring.ts';
import { CONSOLE_MAGIC, C_RING_MAGIC, CS_OUT_W, CS_OUT_R, CS_OUT_DATA, CS_OUT_BYTES } from './console-ring.ts';
import { PAGE_SIZE } from '../../assembly/shared/layout.ts';

/** A registered consumer as the shell sees it. */
export class ConsumerHost {
  protected readonly s: Int32Array;

  constructor(readonly dp: DataPlane, readonly name: string, readonly slot: number, readonly state: SharedArrayBuffer) {
    this.s = new Int32Array(state, 0, 128);
  }

  /**
   * A Xen-owned port in `dom` for `remoteDom` (default: `dom` itself, which
   * binds it with a loopback bind_interdomain), with `ringGfn` recorded for
   * the callback. Returns the Xen port.
   */
  open(dom: number, ringGfn: number, opts: { vcpu?: number; remoteDom?: number } = {}): number {
    return this.track(dom, ringGfn, () => {
      const port = this.dp.x.evtchnAllocUnboundXen(dom, opts.vcpu ?? 0, opts.remoteDom ?? dom, this.slot);
      if (port < 0) throw new EvtchnError(`alloc_unbound_xen(${this.name})`, -port, dom);
      return port;
    });
  }

  /**
   * Take over the toolstack channel of a restored domain (I56): `port` is the
   * UNBOUND port the restorer pre-bound at the number the image recorded (for
   * `remoteDom`, default `dom` itself), and becomes this consumer's Xen-owned
   * channel for the ring at `ringGfn`. Throws EvtchnError with Xen's errno if
   * the port is not such a port (EINVAL), is Xen-owned already (EBUSY), or the
   * domain or vCPU does not exist (ESRCH, ENOENT).
   */
  attach(dom: number, ringGfn: number, port: number, opts: { vcpu?: number; remoteDom?: number } = {}): number {
    return this.track(dom, ringGfn, () => {
      const rc = this.dp.x.evtchnAttachXen(dom, port, opts.vcpu ?? 0, opts.remoteDom ?? dom, this.slot);
      if (rc < 0) throw new EvtchnError(`attach_xen(${this.name})`, -rc, dom, port);
      return rc;
    });
  }

  /**
   * Make a channel with `make` and record it for the callbacks, under the
   * consumer's lock (taken before the event lock, as close does: I23's lock
   * order); a full
   * table is refused before the channel is made.
   */
  private track(dom: number, ringGfn: number, make: () => number): number {
    lockWord(this.s, M_LOCK);
    try {
      let i = 0;
      const n = Atomics.load(this.s, M_COUNT);
      for (; i < n; i++) if (!(Atomics.load(this.s, entryBase(i) + ME_FLAGS) & ME_LIVE)) break;
      if (i >= M_MAX_ENTRIES) {
        throw new ConfigError(`${this.name}: at most ${M_MAX_ENTRIES} open channels: close one (a destroyed domain's close with it) before opening another`);
      }
      const port = make();
      const b = entryBase(i);
      Atomics.store(this.s, b + ME_DOM, dom);
      Atomics.store(this.s, b + ME_PORT, port);
      Atomics.store(this.s, b + ME_GFN, ringGfn);
      Atomics.store(this.s, b + ME_FLAGS, ME_LIVE);
      if (i === n) Atomics.store(this.s, M_COUNT, n + 1);
      return port;
    } finally {
      unlockWord(this.s, M_LOCK);
    }
  }

  /**
   * Tear the channel down: the first half of the free under the consumer's
   * own lock (callbacks take that lock: holding it across the drain would
   * deadlock), the drain and the free without it; after this returns no
   * callback for the port runs or can start, and the ring may be freed.
   */
  close(dom: number, port: number): void {
    const e = this.entry(dom, port);
    lockWord(this.s, M_LOCK);
    let rc: number;
    try {
      rc = this.dp.x.evtchnFreeXenBegin(dom, port);
    } finally {
      unlockWord(this.s, M_LOCK);
    }
    if (rc < 0) throw new EvtchnError(`free_xen_event_channel(${this.name})`, -rc, dom, port);
    this.dp.x.evtchnFreeXenEnd(dom, port);
    if (e >= 0) Atomics.store(this.s, e + ME_FLAGS, ME_CLOSED);
  }

  /**
   * Domain `dom` was destroyed: evtchn_destroy closed its Xen-owned ports and
   * drained their callbacks (I23, I29); forget their entries, so a later
   * domain with the same id and port is never taken for the dead one.
   * Returns the number of entries dropped.
   */
  domainDestroyed(dom: number): number {
    let dropped = 0;
    lockWord(this.s, M_LOCK);
    try {
      for (let i = 0, n = Atomics.load(this.s, M_COUNT); i < n; i++) {
        const b = entryBase(i);
        if (Atomics.load(this.s, b + ME_DOM) === dom && (Atomics.load(this.s, b + ME_FLAGS) & ME_LIVE)) {
          Atomics.store(this.s, b + ME_FLAGS, ME_CLOSED);
          dropped++;
        }
      }
    } finally {
      unlockWord(this.s, M_LOCK);
    }
    return dropped;
  }

  protected entry(dom: number, port: number): number {
    return findEntry(this.s, dom, port, ME_LIVE);
  }

  protected ringOf(dom: number, ringGfn: number, words = PAGE_SIZE / 4): Uint32Array {
    return new Uint32Array(this.dp.memory.buffer, this.dp.x.addrGfn(dom, ringGfn) >>> 0, words);
  }
}

/** The monitor consumer's counters. */
export interface MonitorStats {
  calls: number;
  answered: number;
  /** callbacks that started after their channel's close returned (0 unless the drain is broken) */
  lateStarts: number;
  /** callbacks that found their ring already freed (0 unless the drain is broken) */
  poisonHits: number;
}

/** The monitor consumer's host side: a vm_event-style ring per guest, answered inside the hypervisor. */
export class MonitorHost extends ConsumerHost {
  /** Set up the ring page in the guest and open the channel; returns the Xen port. */
  openRing(dom: number, ringGfn: number, vcpu = 0): number {
    const ring = this.ringOf(dom, ringGfn);
    ring.fill(0);
    Atomics.store(ring, R_MAGIC, RING_MAGIC);
    return this.open(dom, ringGfn, { vcpu });
  }

  /**
   * Take over a restored domain's monitor ring at the toolstack port the
   * image recorded (attach, I56): the ring is not touched — requests posted
   * before the move are in it and are answered at the next notification.
   */
  attachRing(dom: number, ringGfn: number, port: number, vcpu = 0): number {
    return this.attach(dom, ringGfn, port, { vcpu });
  }

  /** Close the channel, then free the ring: the page is poisoned (a late callback would notice). */
  closeRing(dom: number, port: number): void {
    const e = this.entry(dom, port);
    const ringGfn = e >= 0 ? Atomics.load(this.s, e + ME_GFN) : -1;
    this.close(dom, port);
    if (ringGfn >= 0) this.ringOf(dom, ringGfn).fill(RING_POISON);
  }

  stats(): MonitorStats {
    return {
      calls: Atomics.load(this.s, M_CALLS), answered: Atomics.load(this.s, M_ANSWERED),
      lateStarts: Atomics.load(this.s, M_LATE_STARTS), poisonHits: Atomics.load(this.s, M_POISON_HITS),
    };
  }
}

/** Where the console's bytes go: a Node Writable fits, as does anything with write(). */
export interface ByteSink {
  write(chunk: Uint8Array): unknown;
}

/** The console consumer's host side: bytes guests write to their console ring, drained into a Node stream (any ByteSink). */
export class ConsoleHost extends ConsumerHost {
  private readonly out = new Uint8Array(this.state, CS_OUT_DATA, CS_OUT_BYTES);

  /** Set up the console ring page in the guest and open the channel; returns the Xen port. */
  openRing(dom: number, ringGfn: number): number {
    const ring = this.ringOf(dom, ringGfn);
    ring.fill(0);
    Atomics.store(ring, C_RING_MAGIC, CONSOLE_MAGIC);
    return this.open(dom, ringGfn);
  }

  /**
   * Take over a restored domain's console ring at the toolstack port the
   * image recorded, as xenconsoled does on the target (attach, I56): the ring
   * is not touched — bytes written before the move and not yet consumed are
   * in it and are collected at the next notification.
   */
  attachRing(dom: number, ringGfn: number, port: number): number {
    return this.attach(dom, ringGfn, port);
  }

  /** Move the bytes the callbacks collected into `stream`; returns how many. */
  drainTo(stream: ByteSink): number {
    const w = Atomics.load(this.s, CS_OUT_W);
    let r = Atomics.load(this.s, CS_OUT_R);
    const n = (w - r) >>> 0;
    if (n === 0) return 0;
    const bytes = new Uint8Array(n);
    for (let i = 0; i < n; i++, r = (r + 1) >>> 0) bytes[i] = this.out[r % CS_OUT_BYTES];
    Atomics.store(this.s, CS_OUT_R, r);
    stream.write(bytes);
    return n;
  }
}

