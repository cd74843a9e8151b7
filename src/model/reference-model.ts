// ReferenceModel: the plain-TypeScript, single-threaded model of the event
// channel layer (spec §4–§9), the oracle of model-based tests and a benchmark
// baseline. Hypercall arguments are normalised as Xen's structs carry them:
// ports, vCPUs, VIRQs, priorities and offsets as u32 (-1 is 0xFFFFFFFF),
// domids as u16 (spec §3.3). Misuse that no guest could cause (a caller or
// observed domain that does not exist) throws.
import type { EvtchnOps, Caller, PortResult, StatusResult } from '../channel/ops.ts';
import type { ChannelRecord } from '../wasm/data-plane.ts';
import { checkDomains } from '../wasm/memory-map.ts';
import { GuestBootError, type FifoGuestLayout } from '../guest/fifo-boot.ts';
import { InvalidArgumentError, NoSuchDomainError } from '../errors.ts';
import { CB_READY_OFFSET, CB_HEAD_OFFSET, EVTCHN_FIFO_MAX_QUEUES, EVTCHN_FIFO_EVENT_WORDS_PER_PAGE } from '../../assembly/shared/fifo-abi.ts';
import { EFAULT } from '../../assembly/shared/errno.ts';
import { ModelDomain, type ModelHost } from './model-domain.ts';
import * as ch from './model-channels.ts';
import { bindVirq, raiseVirq } from './model-virq.ts';
import { fifoSetPending, fifoWord, fifoNumEvtchns } from './model-fifo.ts';
import { initControl, expandArray } from './model-fifo-control.ts';
import { portIsPending, portIsMasked } from './model-ports.ts';
import {
  type GuestFifoState, newGuestFifoState, guestMask, guestTryUnmaskLocally, handleEvents,
  guestPrepareControlBlock, guestPrepareArrayPage,
} from './model-guest.ts';

/** A domain of the reference model. */
export interface ReferenceDomainConfig {
  domid: number;
  vcpus: number;
  frames: number;
  /** Highest port the domain may use; default 1023 (spec §4.3). */
  maxEvtchnPort?: number;
  /** 2-level word width; default 64. */
  guestWidth?: 64 | 32;
}

const portResult = (rc: number): PortResult => (rc < 0 ? { rc } : { rc: 0, port: rc });

/** The reference model of the event-channel layer: plain single-threaded TypeScript with the same operations as the data plane, for model-based tests. */
export class ReferenceModel implements EvtchnOps, ModelHost {
  private readonly domains = new Map<number, ModelDomain>();
  private readonly guests = new Map<number, GuestFifoState>();

  /** Accepts exactly the configurations createMachine accepts (same validation and defaults). */
  constructor(domains: ReferenceDomainConfig[]) {
    for (const r of checkDomains(domains)) {
      this.domains.set(r.domid, new ModelDomain(r));
      this.guests.set(r.domid, newGuestFifoState(r.vcpus));
    }
  }

  domain(domid: number): ModelDomain | undefined {
    return this.domains.get(domid);
  }

  private dom(domid: number): ModelDomain {
    const d = this.domains.get(domid);
    if (d === undefined) throw new NoSuchDomainError(domid, [...this.domains.keys()]);
    return d;
  }

  // ------------------------------------------------------------ EvtchnOps
  allocUnbound(c: Caller, dom: number, remoteDom: number): PortResult {
    return portResult(ch.allocUnbound(this, this.dom(c.dom), dom, remoteDom));
  }

  bindInterdomain(c: Caller, remoteDom: number, remotePort: number): PortResult {
    return portResult(ch.bindInterdomain(this, this.dom(c.dom), remoteDom, remotePort >>> 0));
  }

  bindVirq(c: Caller, virq: number, vcpu: number): PortResult {
    return portResult(bindVirq(this, this.dom(c.dom), virq >>> 0, vcpu >>> 0));
  }

  bindIpi(c: Caller, vcpu: number): PortResult {
    return portResult(ch.bindIpi(this.dom(c.dom), vcpu >>> 0));
  }

  bindPirq(c: Caller, _pirq: number, _flags: number): PortResult {
    this.dom(c.dom);
    return portResult(ch.bindPirq());
  }

  close(c: Caller, port: number): number {
    return ch.close(this, this.dom(c.dom), port >>> 0);
  }

  send(c: Caller, port: number): number {
    return ch.send(this, this.dom(c.dom), port >>> 0);
  }

  status(c: Caller, dom: number, port: number): StatusResult {
    return ch.status(this, this.dom(c.dom), dom, port >>> 0);
  }

  bindVcpu(c: Caller, port: number, vcpu: number): number {
    return ch.bindVcpu(this.dom(c.dom), port >>> 0, vcpu >>> 0);
  }

  unmask(c: Caller, port: number): number {
    return ch.unmask(this.dom(c.dom), port >>> 0);
  }

  setPriority(c: Caller, port: number, priority: number): number {
    return ch.setPriority(this.dom(c.dom), port >>> 0, priority >>> 0);
  }

  /** `controlGfn` is a u64: any value that is not a RAM frame of the caller is -EINVAL. */
  initControl(c: Caller, controlGfn: number, offset: number, vcpu: number): number {
    return initControl(this.dom(c.dom), controlGfn, offset >>> 0, vcpu >>> 0);
  }

  expandArray(c: Caller, arrayGfn: number): number {
    return expandArray(this.dom(c.dom), arrayGfn);
  }

  raiseVirq(dom: number, vcpu: number, virq: number): void {
    raiseVirq(this, dom, vcpu >>> 0, virq >>> 0);
  }

  /** The raw FIFO set_pending (spec §9.5), without the usable filter: RAISE_NEWLY_PENDING 1 | RAISE_DROPPED 2. */
  fifoSetPending(dom: number, vcpu: number, port: number): number {
    const d = this.dom(dom);
    vcpu >>>= 0;
    port >>>= 0;
    if (!d.vcpuExists(vcpu)) throw new InvalidArgumentError('fifoSetPending', 'vCPU', vcpu, dom, 'a vCPU of the domain');
    if (!d.portIsValid(port)) throw new InvalidArgumentError('fifoSetPending', 'port', port, dom, 'a valid port of the domain');
    return fifoSetPending(d, vcpu, port);
  }

  // --------------------------------------------------------- observation
  /** The FIFO event word as Xen finds it (u32), or undefined if no array page covers `port`. */
  eventWord(dom: number, port: number): number | undefined {
    const w = fifoWord(this.dom(dom), port >>> 0);
    return w === undefined ? undefined : w >>> 0;
  }

  upcallPending(dom: number, vcpu: number): 0 | 1 {
    return this.dom(dom).mem.upcallPending(vcpu);
  }

  /** The control block Xen registered for `vcpu`, or undefined if none. */
  controlBlock(dom: number, vcpu: number): { ready: number; head: number[] } | undefined {
    const d = this.dom(dom);
    const cb = d.vcpus[vcpu]?.cb;
    if (cb === undefined) return undefined;
    const page = d.mem.page(cb.gfn);
    const head: number[] = [];
    for (let q = 0; q < EVTCHN_FIFO_MAX_QUEUES; q++) head.push(page[(cb.offset + CB_HEAD_OFFSET) / 4 + q]);
    return { ready: page[(cb.offset + CB_READY_OFFSET) / 4], head };
  }

  /** Xen's private queue tail (0 = empty/unknown). */
  queueTail(dom: number, vcpu: number, prio: number): number {
    return this.dom(dom).vcpus[vcpu].tails[prio];
  }

  validEvtchns(dom: number): number {
    return this.dom(dom).validEvtchns;
  }

  activeEvtchns(dom: number): number {
    return this.dom(dom).activeEvtchns;
  }

  abi(dom: number): 'fifo' | '2l' {
    return this.dom(dom).abi;
  }

  /** Number of ports covered by FIFO array pages (num_evtchns). */
  fifoNumEvtchns(dom: number): number {
    return fifoNumEvtchns(this.dom(dom));
  }

  /** The channel record; a port without storage reads as a fresh FREE record. */
  channel(dom: number, port: number): ChannelRecord {
    const d = this.dom(dom);
    port >>>= 0;
    if (!d.portIsValid(port)) {
      return { state: 0, notifyVcpu: 0, priority: 0, lastq: { prio: 0, vcpu: 0 }, remoteDom: 0, remotePort: 0, stickyPending: false };
    }
    const c = d.channels[port];
    return {
      state: c.state, notifyVcpu: c.notifyVcpu, priority: c.priority,
      lastq: { prio: c.lastqPrio, vcpu: c.lastqVcpu },
      remoteDom: c.remoteDom, remotePort: c.remotePort, stickyPending: c.stickyPending,
    };
  }

  /** Xen's is_pending / is_masked behind the usable filter (spec §4.5), for valid ports. */
  isPending(dom: number, port: number): boolean {
    const d = this.dom(dom);
    return d.portIsValid(port >>> 0) && portIsPending(d, port >>> 0);
  }

  isMasked(dom: number, port: number): boolean {
    const d = this.dom(dom);
    return !d.portIsValid(port >>> 0) || portIsMasked(d, port >>> 0);
  }

  /** A copy of guest memory, e.g. shared_info's 2-level bitmaps at gfn 0. */
  guestBytes(dom: number, gfn: number, offset: number, length: number): Uint8Array {
    return this.dom(dom).mem.bytes(gfn, offset, length);
  }

  // ---------------------------------------------------------- guest side
  /**
   * Boot FIFO as our guest does (src/guest/fifo-boot.ts): frame `firstGfn`
   * for driver state (zeroed, otherwise unused here), then per vCPU v a
   * zeroed control block at (firstGfn+1+v, 0) and init_control, then array
   * pages filled with MASKED for ports 0..maxEvtchnPort. Throws
   * GuestBootError like bootFifoGuest.
   */
  bootFifo(dom: number, firstGfn = 1): FifoGuestLayout {
    const d = this.dom(dom);
    const g = newGuestFifoState(d.vcpus.length);
    this.guests.set(dom, g);
    const gsGfn = firstGfn;
    if (!d.mem.isRam(gsGfn)) throw new GuestBootError(`domain ${dom}: driver state frame ${gsGfn} is not guest RAM`, EFAULT);
    d.mem.page(gsGfn).fill(0);
    const cbGfn: number[] = [];
    for (let v = 0; v < d.vcpus.length; v++) {
      const gfn = gsGfn + 1 + v;
      let rc = -EFAULT;
      if (d.mem.isRam(gfn)) {
        guestPrepareControlBlock(d.mem, gfn, 0);
        rc = initControl(d, gfn, 0, v);
        if (rc === 0) g.vcpus[v] = { gfn, offset: 0, heads: new Uint32Array(EVTCHN_FIFO_MAX_QUEUES) };
      }
      if (rc !== 0) throw new GuestBootError(`domain ${dom}: init_control on vCPU ${v} (gfn ${gfn}) returned ${rc}`, -rc);
      cbGfn.push(gfn);
    }
    const pages = Math.floor(d.maxEvtchnPort / EVTCHN_FIFO_EVENT_WORDS_PER_PAGE) + 1;
    const arrayGfns: number[] = [];
    for (let i = 0; i < pages; i++) {
      const gfn = gsGfn + 1 + d.vcpus.length + i;
      let rc = -EFAULT;
      if (d.mem.isRam(gfn)) {
        guestPrepareArrayPage(d.mem, gfn);
        rc = expandArray(d, gfn);
        if (rc === 0) g.pages.push(gfn);
      }
      if (rc !== 0) throw new GuestBootError(`domain ${dom}: expand_array with gfn ${gfn} returned ${rc}`, -rc);
      arrayGfns.push(gfn);
    }
    return { gsGfn, cbGfn, arrayGfns, firstFreeGfn: gsGfn + 1 + d.vcpus.length + pages };
  }

  /** Guest mask (spec §10.4): 0, or -EINVAL if the guest has no word for `port`. */
  guestMask(dom: number, port: number): number {
    return guestMask(this.dom(dom).mem, this.guests.get(dom)!, port >>> 0);
  }

  /** Guest unmask (spec §10.4): local fast path; EVTCHNOP_unmask (from vCPU 0) only when PENDING. */
  guestUnmask(dom: number, port: number): void {
    port >>>= 0;
    if (guestTryUnmaskLocally(this.dom(dom).mem, this.guests.get(dom)!, port) === false) {
      this.unmask({ dom, vcpu: 0 }, port);
    }
  }

  /** One upcall on `vcpu` (spec §10.1, §10.3): the ports dispatched, in order. */
  drain(dom: number, vcpu: number): number[] {
    const d = this.dom(dom);
    vcpu >>>= 0;
    if (!d.vcpuExists(vcpu)) throw new InvalidArgumentError('drain', 'vCPU', vcpu, dom, 'a vCPU of the domain');
    const g = this.guests.get(dom)!;
    const out: number[] = [];
    do {
      d.mem.clearUpcallPending(vcpu);
      handleEvents(d.mem, g, vcpu, out);
    } while (d.mem.upcallPending(vcpu) !== 0);
    return out;
  }
}
