// The machine a wasmxen or JS-reference bench cell runs on: domains booted
// into FIFO by their guest kernels' boot code, channels bound through the
// guest hypercall ABI exactly as a guest would, and one bench page in the
// receiving domain's RAM (the ring page a frontend and backend would share
// by grant). Setup runs on the calling thread; the parties attach later.
import { InternalError } from '../errors.ts';
import { createMachine, type Machine } from '../wasm/data-plane.ts';
import { guestLayout, type GuestLayout, SCRATCH_PER_VCPU } from '../guest/layout.ts';
import { bootGuest, type GuestAbi } from '../guest/kernel.ts';
import { GuestHypercalls } from '../guest/hypercalls.ts';
import { PAGE_SIZE } from '../../assembly/shared/layout.ts';
import { BenchPage } from './page.ts';

export interface BenchDomain { domid: number; vcpus: number }

export interface BenchMachine {
  m: Machine;
  page: BenchPage;
  /** byte address of the bench page in the machine's memory */
  pageAddr: number;
  layout(dom: number): GuestLayout;
  /** the EVTCHNOP struct of (dom, vcpu): byte address, guest-physical address */
  arg(dom: number, vcpu: number): { addr: number; gpa: number };
  hc(dom: number, vcpu?: number): GuestHypercalls;
  /** consume whatever the binds left pending on every vCPU (bind_interdomain raises once, spec §5.2) */
  drainAll(): number;
  abi: GuestAbi;
  /** the guest argument of the wasm bench loops: the FIFO driver frame, or bit 31 | the 2-level state frame */
  guestRef(dom: number): number;
}

const BENCH_GUEST_2L = 0x80000000;

/** Domains, booted; the bench page lives in `pageDom`'s first free frame. */
export function createBenchMachine(domains: BenchDomain[], maxPort: number, pageDom: number, abi: GuestAbi = 'fifo'): BenchMachine {
  const layouts = new Map<number, GuestLayout>();
  for (const d of domains) layouts.set(d.domid, guestLayout(d.vcpus, maxPort));
  const m = createMachine(domains.map((d) => ({
    domid: d.domid, vcpus: d.vcpus, frames: layouts.get(d.domid)!.freeGfn + 2, maxEvtchnPort: maxPort,
  })), 'release');
  for (const d of domains) bootGuest(m.dp, d.domid, d.vcpus, layouts.get(d.domid)!, abi);
  const layout = (dom: number) => {
    const l = layouts.get(dom);
    if (!l) throw new RangeError(`no domain ${dom} in this bench machine`);
    return l;
  };
  const pageAddr = m.dp.x.addrGfn(pageDom, layout(pageDom).freeGfn) >>> 0;
  const hcs = new Map<string, GuestHypercalls>();
  const guestRef = (dom: number) => (abi === 'fifo' ? layout(dom).gsGfn : (BENCH_GUEST_2L | layout(dom).twoLevelGfn) >>> 0);
  return {
    m,
    abi,
    guestRef,
    page: new BenchPage(m.memory.buffer, pageAddr),
    pageAddr,
    layout,
    arg(dom, vcpu) {
      const l = layout(dom);
      return {
        addr: (m.dp.x.addrGfn(dom, l.scratchGfn) >>> 0) + vcpu * SCRATCH_PER_VCPU,
        gpa: l.scratchGfn * PAGE_SIZE + vcpu * SCRATCH_PER_VCPU,
      };
    },
    hc(dom, vcpu = 0) {
      const key = `${dom}.${vcpu}`;
      let h = hcs.get(key);
      if (!h) hcs.set(key, h = new GuestHypercalls(m.dp, dom, vcpu, layout(dom).scratchGfn));
      return h;
    },
    drainAll() {
      const x = m.dp.x;
      let n = 0;
      for (const d of domains) {
        for (let v = 0; v < d.vcpus; v++) {
          do {
            x.clearUpcallPending(d.domid, v);
            const l = layout(d.domid);
            while ((abi === 'fifo' ? x.guestFifoNext(d.domid, l.gsGfn, v) : x.guestTwoLevelNext(d.domid, l.twoLevelGfn, v)) !== 0) n++;
          } while (x.upcallPending(d.domid, v) !== 0);
        }
      }
      return n;
    },
  };
}

/** Guest unmask of a receiving port: locally, or EVTCHNOP_unmask if it is pending (spec §10.4). */
export function unmaskPort(bm: BenchMachine, dom: number, port: number, vcpu = 0): void {
  const x = bm.m.dp.x;
  const l = bm.layout(dom);
  if (bm.abi === '2l') x.guestTwoLevelRoute(dom, l.twoLevelGfn, port, vcpu);
  const rc = bm.abi === 'fifo' ? x.guestFifoUnmask(dom, l.gsGfn, port) : x.guestTwoLevelUnmask(dom, l.twoLevelGfn, vcpu, port);
  if (rc < 0) throw new InternalError(`bench setup: unmask of port ${port} in domain ${dom} failed: ${rc}`);
  if (rc === 1) bm.hc(dom).unmask(port);
}

export interface StreamPorts { sendFirst: number; recvFirst: number }

function contiguous(ports: number[], what: string): number {
  ports.forEach((p, i) => {
    if (p !== ports[0] + i) throw new InternalError(`bench setup: ${what} ports are not contiguous (${ports[0]}.. then ${p} at ${i})`);
  });
  return ports[0];
}

/**
 * `streams × ports` interdomain channels from `sendDom` to `recvDom`: the
 * receiver allocates unbound ports, the sender binds them; stream s's
 * receiving ports get priority `priority(s)` and notify `recvVcpu`.
 */
export function bindInterdomainStreams(bm: BenchMachine, o: {
  sendDom: number; recvDom: number; recvVcpu?: number; streams: number; ports: number; priority?: (s: number) => number;
}): StreamPorts {
  const send: number[] = [];
  const recv: number[] = [];
  const hr = bm.hc(o.recvDom);
  const hs = bm.hc(o.sendDom);
  for (let s = 0; s < o.streams; s++) {
    for (let i = 0; i < o.ports; i++) {
      const r = hr.allocUnbound(o.sendDom);
      send.push(hs.bindInterdomain(o.recvDom, r));
      recv.push(r);
      if (o.recvVcpu) hr.bindVcpu(r, o.recvVcpu);
      if (o.priority) hr.setPriority(r, o.priority(s));
      unmaskPort(bm, o.recvDom, r);
    }
  }
  return { sendFirst: contiguous(send, 'sending'), recvFirst: contiguous(recv, 'receiving') };
}

/** IPI streams inside `dom`: stream s's ports notify vCPU `target(s)`; any vCPU may send them. */
export function bindIpiStreams(bm: BenchMachine, dom: number, streams: number, ports: number, target: (s: number) => number): StreamPorts {
  const all: number[] = [];
  for (let s = 0; s < streams; s++) {
    for (let i = 0; i < ports; i++) {
      const p = bm.hc(dom).bindIpi(target(s));
      unmaskPort(bm, dom, p);
      all.push(p);
    }
  }
  const first = contiguous(all, 'IPI');
  return { sendFirst: first, recvFirst: first };
}

/** VIRQ_TIMER bound on `vcpu` of `dom`; returns its port. */
export function bindTimerVirq(bm: BenchMachine, dom: number, vcpu: number, virq: number): number {
  const p = bm.hc(dom, vcpu).bindVirq(virq, vcpu);
  unmaskPort(bm, dom, p);
  return p;
}
