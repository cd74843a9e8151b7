// The wasm channel layer with the reference model's surface (EvtchnOps plus
// guest-side helpers and observations), so that one test suite — and the
// model-based test — runs against both implementations.
import { createMachine, type Machine, type ChannelRecord } from '../wasm/data-plane.ts';
import { bootFifoGuest, type FifoGuestLayout } from '../guest/fifo-boot.ts';
import { WasmEvtchnOps } from './wasm-ops.ts';
import { EINVAL } from '../../assembly/shared/errno.ts';
import type { ReferenceDomainConfig } from '../model/reference-model.ts';

export class WasmChannelImpl extends WasmEvtchnOps {
  readonly machine: Machine;
  private readonly gs = new Map<number, number>();

  constructor(domains: ReferenceDomainConfig[], build: 'release' | 'debug' = 'debug') {
    const machine = createMachine(domains.map((d) => ({ ...d })), build);
    super(machine.dp);
    this.machine = machine;
  }

  fifoSetPending(dom: number, vcpu: number, port: number): number { return this.dp.x.fifoSetPending(dom, vcpu, port); }
  eventWord(dom: number, port: number): number | undefined { return this.dp.eventWord(dom, port); }
  upcallPending(dom: number, vcpu: number): 0 | 1 { return this.dp.upcallPending(dom, vcpu) ? 1 : 0; }
  controlBlock(dom: number, vcpu: number): { ready: number; head: number[] } | undefined { return this.dp.controlBlock(dom, vcpu); }
  queueTail(dom: number, vcpu: number, prio: number): number { return this.dp.queueTail(dom, vcpu, prio); }
  validEvtchns(dom: number): number { return this.dp.validEvtchns(dom); }
  activeEvtchns(dom: number): number { return this.dp.activeEvtchns(dom); }
  abi(dom: number): 'fifo' | '2l' { return this.dp.abi(dom); }
  fifoNumEvtchns(dom: number): number { return this.dp.fifoNumEvtchns(dom); }
  channel(dom: number, port: number): ChannelRecord { return this.dp.channel(dom, port); }
  isPending(dom: number, port: number): boolean { return this.dp.x.evtchnIsPending(dom, port) !== 0; }
  isMasked(dom: number, port: number): boolean { return this.dp.x.evtchnIsMasked(dom, port) !== 0; }

  guestBytes(dom: number, gfn: number, offset: number, length: number): Uint8Array {
    const base = (this.dp.x.addrGfn(dom, gfn) >>> 0) + offset;
    return this.dp.u8.slice(base, base + length);
  }

  bootFifo(dom: number, firstGfn = 1): FifoGuestLayout {
    const region = this.machine.domain(dom);
    const layout = bootFifoGuest(this.dp, dom, region.vcpus, region.maxEvtchnPort, firstGfn);
    this.gs.set(dom, layout.gsGfn);
    return layout;
  }

  guestMask(dom: number, port: number): number {
    const gs = this.gs.get(dom);
    if (gs === undefined) return -EINVAL;
    return this.dp.x.guestFifoMask(dom, gs, port);
  }

  guestUnmask(dom: number, port: number): void {
    const gs = this.gs.get(dom);
    if (gs !== undefined && this.dp.x.guestFifoUnmask(dom, gs, port) === 1) this.unmask({ dom, vcpu: 0 }, port);
  }

  drain(dom: number, vcpu: number): number[] {
    const gs = this.gs.get(dom)!;
    const x = this.dp.x;
    const out: number[] = [];
    do {
      x.clearUpcallPending(dom, vcpu);
      for (let p = x.guestFifoNext(dom, gs, vcpu); p !== 0; p = x.guestFifoNext(dom, gs, vcpu)) out.push(p >>> 0);
    } while (x.upcallPending(dom, vcpu) !== 0);
    return out;
  }
}
