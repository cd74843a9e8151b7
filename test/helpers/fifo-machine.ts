// A machine with FIFO booted in every domain, for single-thread data-plane tests.
import { onTestFailed } from 'vitest';
import { createMachine, type Machine } from '../../src/wasm/data-plane.ts';
import { bootFifoGuest, type FifoGuestLayout } from '../../src/guest/fifo-boot.ts';
import { dumpFifoQueues } from '../../src/wasm/decode.ts';
import type { WasmBuild } from '../../src/wasm/exports.ts';

export interface FifoMachine extends Machine {
  guest: Map<number, FifoGuestLayout>;
  /** Bind `port` as the channel layer will: port-init hook (priority 7), notify vCPU. */
  bind(dom: number, port: number, vcpu?: number): void;
  /** Guest: unmask locally (fast path); returns the fast path's result. */
  unmaskLocal(dom: number, port: number): number;
  /** Guest: full unmask — fast path, then EVTCHNOP_unmask's FIFO hook if needed. */
  unmask(dom: number, port: number): void;
  /** Guest: drain vCPU `vcpu` as one upcall does; returns ports in dispatch order. */
  drain(dom: number, vcpu: number): number[];
  dump(dom: number): string;
}

export interface FifoMachineOptions {
  domains?: { domid: number; vcpus: number; maxPort?: number; frames?: number }[];
  build?: WasmBuild;
  boot?: boolean;
}

export function fifoMachine(opts: FifoMachineOptions = {}): FifoMachine {
  const domains = opts.domains ?? [{ domid: 1, vcpus: 2 }];
  const m = createMachine(
    domains.map((d) => ({ domid: d.domid, vcpus: d.vcpus, frames: d.frames ?? 64, maxEvtchnPort: d.maxPort ?? 1023 })),
    opts.build ?? 'debug',
  );
  const x = m.dp.x;
  const guest = new Map<number, FifoGuestLayout>();
  if (opts.boot !== false) {
    for (const d of domains) guest.set(d.domid, bootFifoGuest(m.dp, d.domid, d.vcpus, d.maxPort ?? 1023));
  }
  const gs = (dom: number) => {
    const g = guest.get(dom);
    if (!g) throw new Error(`domain ${dom} did not boot FIFO`);
    return g.gsGfn;
  };
  // a failing test prints every domain's queues decoded
  onTestFailed(() => {
    for (const d of domains) console.error(dumpFifoQueues(m.dp, d.domid, d.vcpus));
  });
  return Object.assign(m, {
    guest,
    bind(dom: number, port: number, vcpu = 0) {
      x.fifoPortInit(dom, port);
      x.channelSetNotifyVcpu(dom, port, vcpu);
    },
    unmaskLocal(dom: number, port: number) {
      return x.guestFifoUnmask(dom, gs(dom), port);
    },
    unmask(dom: number, port: number) {
      if (x.guestFifoUnmask(dom, gs(dom), port) === 1) x.fifoUnmask(dom, port);
    },
    drain(dom: number, vcpu: number) {
      const out: number[] = [];
      do {
        x.clearUpcallPending(dom, vcpu);
        for (let p = x.guestFifoNext(dom, gs(dom), vcpu); p !== 0; p = x.guestFifoNext(dom, gs(dom), vcpu)) {
          out.push(p);
          if (out.length > 1_000_000) throw new Error('drain does not terminate');
        }
      } while (x.upcallPending(dom, vcpu) !== 0);
      return out;
    },
    dump(dom: number) {
      return dumpFifoQueues(m.dp, dom, domains.find((d) => d.domid === dom)!.vcpus);
    },
  });
}
