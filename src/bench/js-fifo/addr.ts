// Addresses of the shared words the JS reference touches, computed as the
// accessors of assembly/domain and assembly/channel compute them (from the
// domain table; I2). Region bases are immutable once a domain is published,
// so they are read once per domain; everything else is read every time.
import {
  DOMTAB, DOMTAB_ENTRY, DT_GUEST_BASE, DT_GUEST_FRAMES, DT_PRIV_BASE, VCPU_INFO_SIZE, SHARED_INFO_GFN,
  PAGE_SHIFT, CB_READY,
} from '../../../assembly/shared/layout.ts';
import type { PrivateLayout } from '../../wasm/private-layout.ts';
import { EVTCHN_FIFO_EVENT_WORDS_PER_PAGE } from '../../../assembly/shared/fifo-abi.ts';

export interface DomainBases { guest: number; frames: number; priv: number }

export class JsAddr {
  private readonly bases: (DomainBases | undefined)[] = [];

  /** `L`: the data plane's private-layout table (I54), the offsets this reference reads and writes. */
  constructor(readonly u32: Uint32Array, readonly L: PrivateLayout) {}

  ld(addr: number): number { return Atomics.load(this.u32, addr >>> 2); }

  dom(d: number): DomainBases {
    let b = this.bases[d];
    if (!b) {
      const e = DOMTAB + d * DOMTAB_ENTRY;
      b = { guest: this.ld(e + DT_GUEST_BASE), frames: this.ld(e + DT_GUEST_FRAMES), priv: this.ld(e + DT_PRIV_BASE) };
      if (b.guest === 0) throw new Error(`JS reference: no domain ${d}`);
      this.bases[d] = b;
    }
    return b;
  }

  field(d: number, off: number): number { return this.dom(d).priv + off; }
  channel(d: number, port: number): number { return this.dom(d).priv + this.L.D_CHANNELS + port * this.L.CHANNEL_BYTES; }
  vcpu(d: number, v: number): number { return this.dom(d).priv + this.L.D_VCPUS + v * this.L.VCPU_BYTES; }
  queue(d: number, v: number, prio: number): number { return this.vcpu(d, v) + this.L.V_QUEUES + prio * this.L.QUEUE_BYTES; }
  vcpuInfo(d: number, v: number): number { return this.dom(d).guest + (SHARED_INFO_GFN << PAGE_SHIFT) + v * VCPU_INFO_SIZE; }

  gfn(d: number, gfn: number): number {
    const b = this.dom(d);
    return gfn >= b.frames ? 0 : b.guest + gfn * 4096;
  }

  /** fifoWordAddr (assembly/fifo/event-word.ts): num_evtchns first, then the page gfn (I8). */
  eventWord(d: number, port: number): number {
    if (port >= this.ld(this.field(d, this.L.D_FIFO_NUM_EVTCHNS))) return 0;
    const gfn = this.ld(this.field(d, this.L.D_FIFO_ARRAY) + ((port / EVTCHN_FIFO_EVENT_WORDS_PER_PAGE) | 0) * 4);
    const page = this.gfn(d, gfn);
    return page === 0 ? 0 : page + (port % EVTCHN_FIFO_EVENT_WORDS_PER_PAGE) * 4;
  }

  /** controlBlockAddr (assembly/fifo/queue.ts): state before location (I7). */
  controlBlock(d: number, v: number): number {
    const rec = this.vcpu(d, v);
    if (this.ld(rec + this.L.V_CB_STATE) !== CB_READY) return 0;
    const gfn = this.ld(rec + this.L.V_CB_GFN);
    const off = this.ld(rec + this.L.V_CB_OFFSET);
    return this.dom(d).guest + gfn * 4096 + off;
  }
}
