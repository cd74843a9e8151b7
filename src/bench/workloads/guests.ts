// Cells of the guest-path workloads (guest-stream, guest-fanin,
// service-stream, guest-pingpong, oversubscribed): the same shapes as the data
// plane's stream and ping-pong cells, but every event goes the whole way a
// guest module's does — g.send (EVTCHNOP_send through the guest's hypercall
// stub) → upcall → the guest kernel's drain → the driver's port → handler
// table → the handler, which accounts it. Every receiving port is bound in
// the receiving domain's driver table to the handler named GUEST_HANDLER.
// Baseline: postMessage between the same threads (for service-stream: a
// worker posting to the main thread).
import { createBenchMachine, bindInterdomainStreams, unmaskPort, type BenchMachine } from '../machine.ts';
import { BenchPage } from '../page.ts';
import type { CellSpec, PartySpec } from '../runner.ts';
import type { ImplName } from './types.ts';
import { GuestDriver } from '../../guest/driver.ts';
import { GUEST_HANDLER } from '../roles/guests.ts';
import { tuning } from './tuning.ts';

export interface GuestStreamShape {
  senders: number;
  /** ports per stream: the window */
  ports: number;
  /** the receiving domain is a service domain served on the runner's main thread (Atomics.waitAsync) */
  service?: boolean;
}

const SEND_DOM = 1;
const RECV_DOM = 2;

const maxPortFor = (ports: number) => Math.max(1023, 1024 * Math.ceil((ports + 2) / 1024) - 1);

/** Bind receiving ports first..first+count-1 of `dom` to the guest handler (the driver table lives in guest memory). */
function bindHandlers(bm: BenchMachine, dom: number, maxPort: number, first: number, count: number): void {
  const driver = new GuestDriver(bm.m.dp, dom, bm.layout(dom), maxPort, { [GUEST_HANDLER]: () => { /* runs on the vCPU threads */ } });
  for (let p = first; p < first + count; p++) driver.bind(p, GUEST_HANDLER);
}

/** `senders` guest vCPUs of domain 1, one stream each, into one guest handler on domain 2's vCPU 0. */
export function guestStreamCell(impl: ImplName, shape: GuestStreamShape): CellSpec {
  const streams = shape.senders;
  const t = tuning(shape.ports * streams);
  const geometry = { ports: shape.ports, streams, publishLog2: t.publishLog2, recvFirst: 1, sendFirst: 1 };
  const all = Array.from({ length: streams }, (_, s) => s);
  const sender = (i: number) => ({ first: i, count: 1, batch: t.sendBatch, spins: t.senderSpins });
  if (impl === 'postmessage') {
    const page = BenchPage.standalone();
    const k = shape.senders;
    const parties: PartySpec[] = Array.from({ length: k }, (_, i) => ({ role: 'msgSender', args: sender(i) }));
    const receiver: PartySpec = { role: 'msgReceiver', args: { streams: all, senders: k } };
    return {
      attach: { pageSab: page.i32.buffer as SharedArrayBuffer, pageAddr: 0 }, page, geometry,
      parties: shape.service ? parties : [...parties, receiver],
      ...(shape.service ? { host: { party: receiver } } : {}),
      links: Array.from({ length: k }, (_, i) => [i, k] as [number, number]),
    };
  }
  const maxPort = maxPortFor(streams * shape.ports);
  const bm = createBenchMachine([{ domid: SEND_DOM, vcpus: shape.senders }, { domid: RECV_DOM, vcpus: 1 }], maxPort, RECV_DOM);
  const ports = bindInterdomainStreams(bm, { sendDom: SEND_DOM, recvDom: RECV_DOM, streams, ports: shape.ports });
  bindHandlers(bm, RECV_DOM, maxPort, ports.recvFirst, streams * shape.ports);
  bm.drainAll();
  const parties: PartySpec[] = Array.from({ length: shape.senders }, (_, i) => ({
    role: 'guestSender', args: { dom: SEND_DOM, vcpu: i, vcpus: shape.senders, maxPort, ...sender(i) },
  }));
  const receiver: PartySpec = {
    role: shape.service ? 'guestServiceReceiver' : 'guestReceiver',
    args: {
      dom: RECV_DOM, vcpu: 0, vcpus: 1, maxPort, streams: all, senders: shape.senders,
      // the data plane's receiver moderates its interrupts (fifo-1to1, tuning.ts): so does this one; not the main thread
      ...(shape.service ? {} : { holdoff: t.holdoff, holdoffSpins: t.holdoffSpins }),
    },
  };
  return {
    attach: { module: bm.m.module, memory: bm.m.memory, pageAddr: bm.pageAddr }, page: bm.page,
    geometry: { ...geometry, ...ports },
    parties: shape.service ? parties : [...parties, receiver],
    ...(shape.service ? { host: { party: receiver, dp: bm.m.dp } } : {}),
  };
}

/** One event at a time from a guest handler on domain 1 to one on domain 2 and back: each handler sends the next. */
export function guestPingPongCell(impl: ImplName): CellSpec {
  const geometry = { ports: 1, streams: 2, publishLog2: 0, recvFirst: 1, sendFirst: 1 };
  if (impl === 'postmessage') {
    const page = BenchPage.standalone();
    return {
      attach: { pageSab: page.i32.buffer as SharedArrayBuffer, pageAddr: 0 }, page, geometry, links: [[0, 1]],
      parties: [{ role: 'msgPinger', args: {} }, { role: 'msgEcho', args: {} }],
    };
  }
  const maxPort = 1023;
  const bm = createBenchMachine([{ domid: 1, vcpus: 1 }, { domid: 2, vcpus: 1 }], maxPort, 2);
  const { sendFirst: a, recvFirst: b } = bindInterdomainStreams(bm, { sendDom: 1, recvDom: 2, streams: 1, ports: 1 });
  unmaskPort(bm, 1, a); // the channel is used both ways
  bindHandlers(bm, 1, maxPort, a, 1);
  bindHandlers(bm, 2, maxPort, b, 1);
  bm.drainAll();
  return {
    attach: { module: bm.m.module, memory: bm.m.memory, pageAddr: bm.pageAddr }, page: bm.page, geometry,
    parties: [
      { role: 'guestPinger', args: { dom: 1, vcpu: 0, vcpus: 1, maxPort, port: a } },
      { role: 'guestEcho', args: { dom: 2, vcpu: 0, vcpus: 1, maxPort, reply: b } },
    ],
  };
}

/** Streams of the oversubscribed workload, and ports per stream. */
export const OVERSUBSCRIBED_FLOWS = 4;
const OVERSUBSCRIBED_PORTS = 256;

/**
 * OVERSUBSCRIBED_FLOWS guest streams. vcpus = 8: 4 domains × 2 vCPUs, domain
 * d's vCPU 0 sending stream d − 1 to domain d mod 4 + 1's vCPU 1 — eight vCPU
 * threads, whatever the cores. vcpus = 2: the same streams from domain 1's
 * one vCPU to domain 2's one vCPU (the reference the 8-vCPU figure is held to).
 */
export function oversubscribedCell(impl: ImplName, vcpus: number): CellSpec {
  if (vcpus !== 2 && vcpus !== 8) throw new RangeError(`oversubscribed runs on 2 or 8 vCPUs, not ${vcpus}`);
  const streams = OVERSUBSCRIBED_FLOWS;
  const n = OVERSUBSCRIBED_PORTS;
  const t = tuning(n);
  const geometry = { ports: n, streams, publishLog2: t.publishLog2, recvFirst: 1, sendFirst: 1 };
  const pairs = vcpus === 8 ? streams : 1;
  const per = streams / pairs; // streams per sender
  const senderArgs = (i: number) => ({ first: i * per, count: per, batch: t.sendBatch, spins: t.senderSpins });
  const recvStreams = (i: number) => Array.from({ length: per }, (_, k) => i * per + k);
  if (impl === 'postmessage') {
    const page = BenchPage.standalone();
    const parties: PartySpec[] = [];
    for (let i = 0; i < pairs; i++) {
      parties.push({ role: 'msgSender', args: senderArgs(i) });
      parties.push({ role: 'msgReceiver', args: { streams: recvStreams(i), senders: pairs } });
    }
    return {
      attach: { pageSab: page.i32.buffer as SharedArrayBuffer, pageAddr: 0 }, page, geometry, parties,
      links: Array.from({ length: pairs }, (_, i) => [2 * i, 2 * i + 1] as [number, number]),
    };
  }
  const maxPort = maxPortFor(streams * n);
  const doms = vcpus === 8 ? [1, 2, 3, 4] : [1, 2];
  const perDom = vcpus === 8 ? 2 : 1;
  const bm = createBenchMachine(doms.map((domid) => ({ domid, vcpus: perDom })), maxPort, 1);
  const parties: PartySpec[] = [];
  for (let i = 0; i < pairs; i++) {
    const sendDom = doms[i];
    const recvDom = vcpus === 8 ? doms[(i + 1) % doms.length] : 2;
    const recvVcpu = vcpus === 8 ? 1 : 0;
    const p = bindInterdomainStreams(bm, { sendDom, recvDom, recvVcpu, streams: per, ports: n });
    // each domain numbers its own ports: the page numbers stream s's ports 1 + s·n.., each party shifts by its offset
    const pagePort = 1 + i * per * n;
    bindHandlers(bm, recvDom, maxPort, p.recvFirst, per * n);
    parties.push({ role: 'guestSender', args: { dom: sendDom, vcpu: 0, vcpus: perDom, maxPort, offset: p.sendFirst - pagePort, ...senderArgs(i) } });
    parties.push({
      role: 'guestReceiver',
      args: { dom: recvDom, vcpu: recvVcpu, vcpus: perDom, maxPort, offset: pagePort - p.recvFirst, streams: recvStreams(i), senders: pairs },
    });
  }
  bm.drainAll();
  return {
    attach: { module: bm.m.module, memory: bm.m.memory, pageAddr: bm.pageAddr }, page: bm.page,
    geometry, parties,
  };
}
