// Cells of fifo-pingpong, ipi-storm and virq-timer.
import { createBenchMachine, bindInterdomainStreams, bindIpiStreams, bindTimerVirq, unmaskPort } from '../machine.ts';
import { BenchPage } from '../page.ts';
import type { CellSpec } from '../runner.ts';
import type { ImplName } from './types.ts';
import { BENCH_MODE_VIRQ } from '../../../assembly/bench/layout.ts';
import { tuning } from './tuning.ts';

/** Spin rounds on the upcall flag before blocking, for the latency workloads (≈ tens of µs). */
const LATENCY_SPINS = 20000;

const isMessage = (impl: ImplName) => impl === 'postmessage' || impl === 'comlink';
const engineOf = (impl: ImplName) => (impl === 'wasmxen' ? 'wasm' : 'js');

function messageAttach(page: BenchPage) {
  return { pageSab: page.i32.buffer as SharedArrayBuffer, pageAddr: 0 };
}

/** One round trip at a time from domain 1's vCPU to domain 2's and back, over one interdomain channel. */
export function pingPongCell(impl: ImplName, abi: '2l' | 'fifo' = 'fifo'): CellSpec {
  const geometry = { ports: 1, streams: 2, publishLog2: 0, recvFirst: 1, sendFirst: 1 };
  if (isMessage(impl)) {
    const page = BenchPage.standalone();
    const pm = impl === 'postmessage';
    return {
      attach: messageAttach(page), page, geometry, links: [[0, 1]],
      parties: [{ role: pm ? 'msgPinger' : 'comlinkPinger', args: {} }, { role: pm ? 'msgEcho' : 'comlinkEcho', args: {} }],
    };
  }
  const bm = createBenchMachine([{ domid: 1, vcpus: 1 }, { domid: 2, vcpus: 1 }], 1023, 2, abi);
  const { sendFirst: a, recvFirst: b } = bindInterdomainStreams(bm, { sendDom: 1, recvDom: 2, streams: 1, ports: 1 });
  // the channel is used both ways: domain 1 takes the answers on its end too
  unmaskPort(bm, 1, a);
  bm.drainAll();
  const engine = engineOf(impl);
  const a1 = bm.arg(1, 0);
  const a2 = bm.arg(2, 0);
  return {
    attach: { module: bm.m.module, memory: bm.m.memory, pageAddr: bm.pageAddr }, page: bm.page, geometry,
    parties: [
      { role: 'pinger', args: { engine, dom: 1, vcpu: 0, arg: a1.addr, gpa: a1.gpa, gsGfn: bm.guestRef(1), port: a, expect: a, spins: LATENCY_SPINS } },
      { role: 'echo', args: { engine, dom: 2, vcpu: 0, arg: a2.addr, gpa: a2.gpa, gsGfn: bm.guestRef(2), expect: b, reply: b, spins: LATENCY_SPINS } },
    ],
  };
}

/** Two vCPUs of one domain raising IPIs on each other as fast as their windows allow, each also taking its own. */
export function ipiStormCell(impl: ImplName, ports: number): CellSpec {
  const t = tuning(ports);
  const geometry = { ports, streams: 2, publishLog2: t.publishLog2, recvFirst: 1, sendFirst: 1 };
  const sides = [0, 1].map((v) => ({ sendStream: v, recvStream: 1 - v, senders: 2, batch: t.sendBatch }));
  if (isMessage(impl)) {
    const page = BenchPage.standalone();
    const role = impl === 'postmessage' ? 'msgIpi' : 'comlinkIpi';
    return { attach: messageAttach(page), page, geometry, links: [[0, 1]], parties: sides.map((args) => ({ role, args })) };
  }
  const bm = createBenchMachine([{ domid: 1, vcpus: 2 }], Math.max(1023, 1024 * Math.ceil((2 * ports + 2) / 1024) - 1), 1);
  // stream v is sent by vCPU v and notifies the other vCPU
  const first = bindIpiStreams(bm, 1, 2, ports, (s) => 1 - s);
  bm.drainAll();
  const engine = engineOf(impl);
  return {
    attach: { module: bm.m.module, memory: bm.m.memory, pageAddr: bm.pageAddr }, page: bm.page, geometry: { ...geometry, ...first },
    parties: sides.map((side, v) => {
      const arg = bm.arg(1, v);
      return {
        role: 'ipiVcpu',
        args: { ...side, engine, dom: 1, vcpu: v, gsGfn: bm.layout(1).gsGfn, arg: arg.addr, gpa: arg.gpa, spins: t.receiverSpins },
      };
    }),
  };
}

/** Xen's timer raising VIRQ_TIMER on a vCPU, the next tick only once the last was handled. */
export function virqTimerCell(impl: ImplName): CellSpec {
  const VIRQ_TIMER = 0;
  const geometry = { ports: 1, streams: 1, publishLog2: 0, recvFirst: 1, sendFirst: 1, virq: VIRQ_TIMER };
  if (isMessage(impl)) {
    const page = BenchPage.standalone();
    const pm = impl === 'postmessage';
    return {
      attach: messageAttach(page), page, geometry, links: [[0, 1]],
      parties: [
        pm ? { role: 'msgSender', args: { first: 0, count: 1, batch: 1, spins: LATENCY_SPINS } }
          : { role: 'comlinkSender', args: { first: 0, count: 1, batch: 1 } },
        { role: pm ? 'msgReceiver' : 'comlinkReceiver', args: { streams: [0], senders: 1 } },
      ],
    };
  }
  const bm = createBenchMachine([{ domid: 1, vcpus: 1 }], 1023, 1);
  const port = bindTimerVirq(bm, 1, 0, VIRQ_TIMER);
  bm.drainAll();
  const engine = engineOf(impl);
  return {
    attach: { module: bm.m.module, memory: bm.m.memory, pageAddr: bm.pageAddr }, page: bm.page,
    geometry: { ...geometry, recvFirst: port, sendFirst: port },
    parties: [
      // "Xen": not a vCPU; dom/vcpu name the target of the raise
      { role: 'streamSender', args: { engine, mode: BENCH_MODE_VIRQ, dom: 1, vcpu: 0, arg: 0, gpa: 0, first: 0, count: 1, batch: 1, spins: LATENCY_SPINS } },
      {
        role: 'streamReceiver',
        args: { engine, dom: 1, gsGfn: bm.layout(1).gsGfn, vcpu: 0, streams: [0], senders: 1, batch: 1, spins: LATENCY_SPINS, holdoff: 0, holdoffSpins: 0 },
      },
    ],
  };
}
