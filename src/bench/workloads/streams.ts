// Cells of the stream workloads (fifo-1to1, fifo-fanin, mixed-priority):
// `senders` sender threads, each owning `streamsPerSender` streams of `ports`
// ports, into one receiving thread. On the FIFO implementations the senders
// are the vCPUs of domain 1 and the receiver vCPU 0 of domain 2, joined by
// interdomain channels; on the message baselines, threads joined by
// MessageChannels.
import { createBenchMachine, bindInterdomainStreams } from '../machine.ts';
import { BenchPage } from '../page.ts';
import type { CellSpec, PartySpec } from '../runner.ts';
import type { ImplName } from './types.ts';
import { BENCH_MODE_SEND } from '../../../assembly/bench/layout.ts';
import { tuning } from './tuning.ts';

export interface StreamShape {
  senders: number;
  streamsPerSender: number;
  ports: number;
  /** FIFO priority of stream s (receiving side) */
  priority?: (s: number) => number;
  /** the guests' event-channel ABI (default fifo) */
  abi?: '2l' | 'fifo';
}

const SEND_DOM = 1;
const RECV_DOM = 2;

export function streamCell(impl: ImplName, shape: StreamShape): CellSpec {
  const streams = shape.senders * shape.streamsPerSender;
  const t = tuning(shape.ports * streams);
  const geometry = { ports: shape.ports, streams, publishLog2: t.publishLog2, recvFirst: 1, sendFirst: 1 };
  const range = (i: number) => ({ first: i * shape.streamsPerSender, count: shape.streamsPerSender });
  const all = Array.from({ length: streams }, (_, s) => s);
  if (impl === 'postmessage' || impl === 'comlink') {
    const page = BenchPage.standalone();
    const k = shape.senders;
    const parties: PartySpec[] = Array.from({ length: k }, (_, i) => impl === 'postmessage'
      ? { role: 'msgSender', args: { ...range(i), batch: t.sendBatch, spins: t.senderSpins } }
      : { role: 'comlinkSender', args: { ...range(i), batch: t.sendBatch } });
    parties.push({ role: impl === 'postmessage' ? 'msgReceiver' : 'comlinkReceiver', args: { streams: all, senders: k } });
    return {
      attach: { pageSab: page.i32.buffer as SharedArrayBuffer, pageAddr: 0 }, page, geometry, parties,
      links: Array.from({ length: k }, (_, i) => [i, k] as [number, number]),
    };
  }
  const engine = impl === 'wasmxen' ? 'wasm' : 'js';
  const maxPort = Math.max(1023, 1024 * Math.ceil((streams * shape.ports + 2) / 1024) - 1);
  const bm = createBenchMachine([{ domid: SEND_DOM, vcpus: shape.senders }, { domid: RECV_DOM, vcpus: 1 }], maxPort, RECV_DOM, shape.abi);
  const ports = bindInterdomainStreams(bm, { sendDom: SEND_DOM, recvDom: RECV_DOM, streams, ports: shape.ports, priority: shape.priority });
  bm.drainAll();
  const parties: PartySpec[] = Array.from({ length: shape.senders }, (_, i) => {
    const arg = bm.arg(SEND_DOM, i);
    return {
      role: 'streamSender',
      args: {
        engine, mode: BENCH_MODE_SEND, dom: SEND_DOM, vcpu: i, arg: arg.addr, gpa: arg.gpa, ...range(i),
        batch: t.sendBatch, spins: t.senderSpins,
      },
    };
  });
  parties.push({
    role: 'streamReceiver',
    args: {
      engine, dom: RECV_DOM, gsGfn: bm.guestRef(RECV_DOM), vcpu: 0, streams: all, senders: shape.senders,
      batch: t.recvBatch, spins: t.receiverSpins, holdoff: t.holdoff, holdoffSpins: t.holdoffSpins,
    },
  });
  return {
    attach: { module: bm.m.module, memory: bm.m.memory, pageAddr: bm.pageAddr },
    page: bm.page, geometry: { ...geometry, ...ports, unordered: shape.abi === '2l' }, parties,
  };
}
