// The bench page: one 4 KiB page that a benchmark's parties share, compiled
// by asc (assembly/bench/) and imported by TypeScript (src/bench/). Constants
// only, in the syntax both compilers accept. For wasmxen and the JS reference
// it is a frame of the receiving domain's RAM (as a frontend and backend
// share a granted ring page); the message-passing baselines use the same
// layout in a SharedArrayBuffer. Byte offsets; every word is a u32/i32.
//
//    0 ┌ header: stop, errors, first error, stream geometry, mode ┐
//   64 ├ PROGRESS futex, WAITERS (senders asleep on a full window)  │ own line
//  128 ├ ping-pong words (echo count)                               │ own line
//  256 ├ stream 0 ┬ +0   sender line:   sent, cursor, seen         │
//      │          ├ +64  receiver line: expect, count               │
//      │          ├ +128 receiver's published line: delivered       │
//      │          └ +192 sender's published line: sent              │
//      ├ stream 1 … (BP_STREAM_BYTES each, BP_MAX_STREAMS)          │
//      └────────────────────────────────────────────────────────────┘
//
// Exactly-once accounting: stream s owns ports first + s*n .. first + s*n +
// n - 1 and sends them in order, round and round; a port is sent again only
// after its previous event was delivered (sent - delivered < n, the window),
// so no event coalesces with an undelivered one. All of a stream's ports sit
// on one FIFO queue, so the receiver sees them in the order sent: it checks
// every event against the next expected port of its stream.

export const BENCH_PAGE_BYTES = 4096;

export const BH_STOP = 0;          // i32: parties abandon the run (watchdog, failure)
export const BH_ERRORS = 4;        // u32: accounting violations (wrong port, failed send)
export const BH_ERR_STREAM = 8;    // u32: stream of the last violation (~0 = not a bench port)
export const BH_ERR_EXPECTED = 12; // u32: port expected then
export const BH_ERR_GOT = 16;      // u32: port received, or the send's -errno
export const BH_RECV_FIRST = 20;   // u32: receiver-side port of stream 0, index 0
export const BH_SEND_FIRST = 24;   // u32: sender-side port of stream 0, index 0
export const BH_PORTS = 28;        // u32: ports per stream (n, the window)
export const BH_STREAMS = 32;      // u32: number of streams
export const BH_PUBLISH = 36;      // u32: log2 of how often a stream's counts are published
export const BH_VIRQ = 40;         // u32: VIRQ raised in BENCH_MODE_VIRQ
export const BH_LATE = 44;         // u32: lost wake-ups seen by a receiver (VB_LATE)
export const BH_ZERO = 48;         // u32: always 0; spin-loop calibration spins on it
export const BH_UNORDERED = 52;    // u32: 1 = events of a stream may arrive in any order (2-level); see SR_TAKEN

export const BH_PROGRESS = 64;     // i32 futex: bumped after a publish when WAITERS != 0
export const BH_WAITERS = 68;      // i32: senders about to sleep on PROGRESS

export const BH_ECHOES = 128;      // u32: events the ping-pong echo has answered

export const BP_STREAMS = 256;
export const BP_STREAM_BYTES = 256;
export const BP_MAX_STREAMS = 15;  // 256 + 15 × 256 = 4096

export const SS_SENT = 0;          // u32: events sent (sender-private until the run ends)
export const SS_CURSOR = 4;        // u32: index of the next port to send, 0..n-1
export const SS_SEEN = 8;          // u32: the last published delivered count the sender read
export const SR_EXPECT = 64;       // u32: index of the next port expected, 0..n-1 (receiver-private)
export const SR_COUNT = 68;        // u32: events delivered (receiver-private)
export const SR_TAKEN = 72;        // 8 × u32: unordered streams, bit i = port index i taken ahead of the oldest (n ≤ 256)
export const SR_MAX_UNORDERED_PORTS = 256;
export const SP_DELIVERED = 128;   // u32: events delivered, published every 2^BH_PUBLISH (read by the sender)
export const SQ_SENT = 192;        // u32: events sent, published every 2^BH_PUBLISH (read by a moderating receiver)

/** How a sender raises its events. */
export const BENCH_MODE_SEND = 0;  // EVTCHNOP_send through HYPERVISOR_event_channel_op (struct ABI)
export const BENCH_MODE_VIRQ = 1;  // Xen raising BH_VIRQ on the receiving vCPU (send_vcpu_virq)
// Profiling only (bench/README.md "where the time goes"): the same loop entering the send path lower down
export const BENCH_MODE_EVTCHN = 2; // evtchnSend(dom, port): the hypercall's handler, no struct copy-in
export const BENCH_MODE_RAISE = 3;  // fifoSetPending on the receiving side (dom/vcpu name it): the FIFO layer alone
