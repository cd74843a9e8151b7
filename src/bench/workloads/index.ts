// The workload registry of `wasmxen bench` (bench/README.md describes each
// shape and what every loop does per event). A new workload is one entry
// here. `2l-1to1` and `2l-pingpong` are the stream and ping-pong cells on
// domains whose guests stay on the 2-level ABI (2-level delivers by port
// number, not in FIFO order: its stream receiver accounts per port).
import type { Workload, ImplName } from './types.ts';
import { streamCell } from './streams.ts';
import { pingPongCell, ipiStormCell, virqTimerCell } from './others.ts';
import { guestStreamCell, guestPingPongCell, oversubscribedCell, OVERSUBSCRIBED_FLOWS } from './guests.ts';

const WINDOW = 1024;
/** The guest path runs on the data plane's wasm only; its baseline is postMessage between the same threads. */
const GUEST_IMPLS: readonly ImplName[] = ['wasmxen', 'postmessage'];

/** Every bench workload, in report order. */
export const WORKLOADS: readonly Workload[] = [
  {
    name: 'fifo-1to1',
    summary: 'one sender vCPU → one receiver vCPU, interdomain, EVTCHNOP_send through the hypercall ABI',
    latency: 'one-way (sampled)',
    variants: () => [{ params: {} }],
    cell: (impl) => streamCell(impl, { senders: 1, streamsPerSender: 1, ports: WINDOW }),
  },
  {
    name: 'fifo-fanin',
    summary: 'k sender vCPUs of one domain → one receiver vCPU, one FIFO queue, k = 1..cores',
    latency: 'one-way (sampled)',
    variants: (cores) => Array.from({ length: Math.max(1, cores) }, (_, i) => ({ params: { senders: i + 1 } })),
    cell: (impl, v) => streamCell(impl, { senders: v.params.senders, streamsPerSender: 1, ports: WINDOW }),
  },
  {
    name: '2l-1to1',
    summary: 'fifo-1to1 on the 2-level ABI: pending bitmap, selector, the guest\'s resumable scan; a window of 256 ports',
    latency: 'one-way (sampled)',
    variants: () => [{ params: {} }],
    // the JS reference implements the FIFO protocol only
    impls: ['wasmxen', 'postmessage', 'comlink'],
    cell: (impl) => streamCell(impl, { senders: 1, streamsPerSender: 1, ports: 256, abi: '2l' }),
  },
  {
    name: 'fifo-pingpong',
    summary: 'one event at a time from domain 1 to domain 2 and back (round trip)',
    latency: 'round trip',
    variants: () => [{ params: {} }],
    cell: (impl) => pingPongCell(impl),
  },
  {
    name: '2l-pingpong',
    summary: 'fifo-pingpong on the 2-level ABI (round trip)',
    latency: 'round trip',
    variants: () => [{ params: {} }],
    impls: ['wasmxen', 'postmessage', 'comlink'],
    cell: (impl) => pingPongCell(impl, '2l'),
  },
  {
    name: 'ipi-storm',
    summary: 'two vCPUs of one domain raising IPIs on each other while taking their own',
    latency: 'one-way (sampled)',
    variants: () => [{ params: {} }],
    cell: (impl) => ipiStormCell(impl, 512),
  },
  {
    name: 'virq-timer',
    summary: 'Xen raising VIRQ_TIMER on a vCPU, one tick in flight',
    latency: 'raise to handler',
    variants: () => [{ params: {} }],
    cell: (impl) => virqTimerCell(impl),
  },
  {
    name: 'mixed-priority',
    summary: 'one sender, four streams at FIFO priorities 0, 5, 10, 15 → one receiver (priority order)',
    latency: 'one-way (sampled)',
    variants: () => [{ params: {} }],
    cell: (impl) => streamCell(impl, { senders: 1, streamsPerSender: 4, ports: 256, priority: (s) => [0, 5, 10, 15][s] }),
  },
  // the whole guest path (workloads/guests.ts): g.send → hypercall → upcall → kernel drain → driver → handler
  {
    name: 'guest-stream',
    summary: 'fifo-1to1 between guests: g.send on domain 1\'s vCPU → a handler on domain 2\'s vCPU, through upcall, drain and driver',
    latency: 'one-way (sampled)',
    variants: () => [{ params: {} }],
    impls: GUEST_IMPLS,
    spins: false,
    reference: () => ({ workload: 'fifo-1to1', params: {} }),
    cell: (impl) => guestStreamCell(impl, { senders: 1, ports: WINDOW }),
  },
  {
    name: 'guest-pingpong',
    summary: 'fifo-pingpong between guest handlers: each handler sends the next event (round trip)',
    latency: 'round trip',
    variants: () => [{ params: {} }],
    impls: GUEST_IMPLS,
    spins: false,
    reference: () => ({ workload: 'fifo-pingpong', params: {} }),
    cell: (impl) => guestPingPongCell(impl),
  },
  {
    name: 'service-stream',
    summary: 'guest-stream into a service domain\'s handler on the main thread (Atomics.waitAsync); baseline: postMessage to the main thread',
    latency: 'one-way (sampled)',
    variants: () => [{ params: {} }],
    impls: GUEST_IMPLS,
    spins: false,
    reference: () => ({ workload: 'fifo-1to1', params: {} }),
    cell: (impl) => guestStreamCell(impl, { senders: 1, ports: WINDOW, service: true }),
  },
  {
    name: 'guest-fanin',
    summary: 'k guest vCPUs of domain 1 → one guest handler on domain 2, k = 1..cores',
    latency: 'one-way (sampled)',
    variants: (cores) => Array.from({ length: Math.max(1, cores) }, (_, i) => ({ params: { senders: i + 1 } })),
    impls: GUEST_IMPLS,
    spins: false,
    reference: (v) => ({ workload: 'fifo-fanin', params: { senders: v.params.senders } }),
    cell: (impl, v) => guestStreamCell(impl, { senders: v.params.senders, ports: WINDOW }),
  },
  {
    name: 'oversubscribed',
    summary: `${OVERSUBSCRIBED_FLOWS} guest streams on 4 domains × 2 vCPUs (8 vCPU threads, whatever the cores); vcpus=2: the same streams on 2 vCPUs`,
    latency: 'one-way (sampled)',
    variants: () => [{ params: { vcpus: 2 } }, { params: { vcpus: 8 } }],
    impls: GUEST_IMPLS,
    spins: false,
    reference: (v) => (v.params.vcpus === 8 ? { workload: 'oversubscribed', params: { vcpus: 2 } } : undefined),
    cell: (impl, v) => oversubscribedCell(impl, v.params.vcpus),
  },
];

/** The implementations of `impls` that can express workload `w` (all of them unless it names its own). */
export function implsFor<I extends string>(w: Workload, impls: readonly I[]): I[] {
  return impls.filter((i) => !w.impls || (w.impls as readonly string[]).includes(i));
}

/** The workload named `name`; throws RangeError for an unknown one. */
export function workload(name: string): Workload {
  const w = WORKLOADS.find((x) => x.name === name);
  if (!w) throw new RangeError(`no workload '${name}' (have: ${WORKLOADS.map((x) => x.name).join(', ')})`);
  return w;
}
