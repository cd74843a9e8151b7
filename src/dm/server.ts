// A device-model worker: one vCPU of the device-model domain serving the
// storage controller. Runs on its own thread (workers/dm.worker.ts, or a
// litmus party); the event path never leaves wasm and hypercalls:
//
//   guest: SQ_PROD++ → EVTCHNOP_send(doorbell) ──► DM vCPU 0 upcall → 'doorbell'
//   worker: claim → (more pending? wake an idle peer: EVTCHNOP_send(its IPI))
//           → start (validate, map locked) … later, in random order: finish
//           (copy, translate back, unmap) → EVTCHNOP_send(completion)
//   peer:   upcall → 'kick' → drain
//
// Idle protocol (assembly/dm/dma.ts): mark idle, re-check pending, then block;
// a worker with more work than it can take CASes a peer's idle flag 1 → 0 and
// sends it an IPI, so no submission waits while a worker sleeps.
import { rng } from '../util/rng.ts';
import { InvalidStateError } from '../errors.ts';
import type { Guest } from '../guest/guest.ts';
import type { DataPlane } from '../wasm/data-plane.ts';
import { dmExports, type DmExports } from './exports.ts';
import { DM_FATAL, DMA_PORT, DM_GUEST_DOM, DM_SLOTS_OFF, DM_SLOT_BYTES, SL_OP, SL_GPA, SL_LEN, DMA_OP_READ, DMA_ST_OK } from '../../assembly/shared/dm-layout.ts';
import { PAGE_SHIFT } from '../../assembly/shared/layout.ts';
import { MemoryHypercalls } from '../guest/memory-hypercalls.ts';

export const DM_HANDLERS = ['doorbell', 'kick'] as const;

/** One device-model worker: serves DMA commands from the guest ring on one vCPU of the device-model domain. */
export class DmaServer {
  readonly x: DmExports;
  commands = 0;
  private g?: Guest;
  private dmPort = 0;
  /** tags started (mapped) and not yet finished on this worker */
  private readonly aio: number[] = [];
  private readonly rand: () => number;
  /** how events are sent: the attached vCPU's EVTCHNOP_send, or a service domain's */
  private sendFn?: (port: number) => void;
  /** the vCPU's memory hypercalls: HVMOP_modified_memory after DMA wrote guest memory */
  private mem?: MemoryHypercalls;
  /** HVMOP_modified_memory calls issued, and how many failed (the device-model domain lacks the privilege) */
  modifiedCalls = 0;
  modifiedErrors = 0;
  /** Observer of the locked mappings: +1 once a request is started in flight (mapped locked), -1 once its finish unmapped it. */
  onInFlight?: (gpa: number, len: number, delta: 1 | -1) => void;

  /**
   * `dm`: the region's address; `worker`: this worker's index = its vCPU in
   * the device-model domain; `depth`: commands in progress per worker.
   */
  constructor(readonly dp: DataPlane, readonly dm: number, readonly worker: number,
    private readonly onCommand: () => void = () => {}, readonly depth = 16, seed = 1) {
    this.x = dmExports(dp);
    this.rand = rng((Math.imul(seed, 0x9e3779b1) + worker + 1) >>> 0 || 1);
  }

  /** The worker's vCPU (a Guest built with this.handlers()). */
  attach(g: Guest): void {
    this.g = g;
    this.sendFn = (port) => g.send(port);
    this.mem = memoryOf(g);
  }

  /**
   * Serve from a service domain's thread instead: events go out through
   * `send` (no vCPU of its own); `hypercalls`, a vCPU of the service domain,
   * issues HVMOP_modified_memory.
   */
  attachSender(send: (port: number) => void, hypercalls?: Guest): void {
    this.sendFn = send;
    if (hypercalls) this.mem = memoryOf(hypercalls);
  }

  /**
   * After DMA wrote guest memory (a read from the disk), tell Xen which frames
   * it modified (QEMU's xen_hvm_modified_memory): HVMOP_modified_memory, which
   * marks them in the log-dirty bitmap while the toolstack tracks dirty pages
   * and does nothing otherwise.
   */
  private markModified(op: number, gpa: number, len: number): void {
    if (!this.mem || op !== DMA_OP_READ || len === 0) return;
    const first = Math.floor(gpa / 2 ** PAGE_SHIFT);
    const last = Math.floor((gpa + len - 1) / 2 ** PAGE_SHIFT);
    const guestDom = Atomics.load(this.dp.u32, (this.dm + DM_GUEST_DOM) >>> 2);
    this.modifiedCalls++;
    if (this.mem.hvmModifiedMemory(guestDom, first, last - first + 1).result < 0) this.modifiedErrors++;
  }

  /** The started command `tag` as the engine read it: [op, gpa, len] (DM-private slot, written by dmaStart). */
  private slot(tag: number): [number, number, number] {
    const a = (this.dm + DM_SLOTS_OFF + tag * DM_SLOT_BYTES) >>> 2;
    const u = this.dp.u32;
    return [Atomics.load(u, a + SL_OP / 4), Atomics.load(u, a + SL_GPA / 4), Atomics.load(u, a + SL_LEN / 4)];
  }

  private send(port: number): void {
    if (!this.sendFn) throw new InvalidStateError('DmaServer', 'it has no way to signal completions: attach(vcpu) or attachSender(send) before it serves commands');
    this.sendFn(port);
  }

  private get guest(): Guest {
    if (!this.g) throw new InvalidStateError('DmaServer', 'it has no vCPU to bind its channels with: attach(vcpu) first');
    return this.g;
  }

  /** The device model hit a fatal error (every worker stops serving). */
  dead(): boolean {
    return Atomics.load(this.dp.u32, (this.dm + DM_FATAL) >>> 2) !== 0;
  }

  /** Handlers for the worker's Guest: the doorbell (vCPU 0) and wake-up IPIs. */
  handlers(): Record<(typeof DM_HANDLERS)[number], () => void> {
    return { doorbell: () => this.drain(), kick: () => this.drain() };
  }

  /** Bind this worker's wake-up IPI (every worker, before serving). */
  bindWakeup(): void {
    const b = this.guest.bindIpi(this.guest.vcpu, 'kick');
    this.x.dmaSetWorkerPort(this.dm, this.worker, b.port);
  }

  /** Bind the guest's doorbell port and open the engine (one worker, after bindWakeup). Returns the DM's port. */
  connect(guestDom: number, guestPort: number): number {
    const b = this.guest.bindInterdomain(guestDom, guestPort, 'doorbell');
    this.x.dmaSetReady(this.dm, b.port);
    return b.port;
  }

  /**
   * Execute submissions until none is left; returns how many completed.
   * Claimed commands are started at once (validated, mapped locked) up to
   * `depth` in progress on this worker, and finished in random order, as a
   * disk completes queued requests: mappings stay locked across other
   * requests' starts and finishes, which is what overlaps in the mapcache.
   */
  drain(): number {
    const { x, dm, worker, aio } = this;
    x.dmaWorkerIdle(dm, worker, 0);
    let n = 0;
    for (;;) {
      while (aio.length < this.depth) {
        const tag = x.dmaClaim(dm);
        if (tag < 0) break;
        if (x.dmaPending(dm) > 0) {
          const peer = x.dmaWakeIdle(dm, worker);
          if (peer >= 0) this.send(x.dmaWorkerPort(dm, peer));
        }
        const r = x.dmaStart(dm, tag, worker);
        if (r < 0) return n; // fatal: recorded in the region; the device model is dead
        if (r === 0) { this.completed(); n++; continue; }
        aio.push(tag);
        if (this.onInFlight) { const [, gpa, len] = this.slot(tag); this.onInFlight(gpa, len, 1); }
      }
      if (aio.length === 0) break;
      const i = this.rand() % aio.length;
      const tag = aio[i];
      aio[i] = aio[aio.length - 1];
      aio.pop();
      const [op, gpa, len] = this.slot(tag);
      const st = x.dmaFinish(dm, tag, worker);
      this.onInFlight?.(gpa, len, -1);
      if (st < 0) return n;
      if (st === DMA_ST_OK) this.markModified(op, gpa, len);
      this.completed();
      n++;
    }
    return n;
  }

  private completed(): void {
    this.send(this.port());
    this.commands++;
    this.onCommand();
  }

  /** The device model's end of the channel: written once, before any doorbell can arrive. */
  private port(): number {
    return (this.dmPort ||= Atomics.load(this.dp.u32, (this.dm + DMA_PORT) >>> 2));
  }

  /**
   * Serve until `stopping()` or a fatal error: mark idle, re-check for work,
   * then block in the upcall loop (handlers drain). `blockMs` bounds each
   * sleep so the stop flag is seen.
   */
  serve(stopping: () => boolean, blockMs = 50): void { // idle, re-check, sleep (DM7)
    const { x, dm, worker } = this;
    while (!stopping() && !this.dead()) {
      x.dmaWorkerIdle(dm, worker, 1);
      if (x.dmaPending(dm) > 0) { this.drain(); continue; }
      this.guest.kernel.blockAndRun(blockMs);
    }
    x.dmaWorkerIdle(dm, worker, 0);
  }
}

/** A vCPU's memory hypercalls (the HVMOP structs are the same for both widths). */
function memoryOf(g: Guest): MemoryHypercalls {
  return new MemoryHypercalls(g.hc.stub, g.hc.args, g.hc.gpa, 64);
}
