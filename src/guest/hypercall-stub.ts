// The guest's hypercall instruction: a vCPU's register context in guest
// memory (assembly/shared/hypercall-abi.ts) and the stub that executes it.
// A preempted call is re-issued from the context as the hypervisor left it
// (I41) — the stub never rebuilds the arguments — until it completes;
// between re-issues the vCPU may take its pending events (`onPreempted`),
// which is what a continuation is for.
import type { DataPlane } from '../wasm/data-plane.ts';
import { InvalidArgumentError, errnoName } from '../errors.ts';
import {
  HCALL_REGS_OP, HCALL_REGS_STATE, HCALL_REGS_ARGS, HCALL_REGS_ARG_BYTES, HCALL_REGS_NR_ARGS, HCALL_REGS_RESULT, HCALL_REGS_SIZE,
  HCALL_COMPLETED, HCALL_PREEMPTED,
} from '../../assembly/shared/hypercall-abi.ts';

export interface HypercallOutcome {
  /** the hypercall's result (rax): -errno, 0, or a count */
  result: number;
  /** how many times the call was preempted and re-issued */
  continuations: number;
}

export class HypercallStub {
  private readonly regs: DataView;
  /**
   * Runs between a preemption and the re-issue (e.g. the vCPU's pending
   * upcall). It may make hypercalls of its own: the register context and
   * `preserve` (the interrupted call's argument memory) are saved before and
   * restored after it, as an interrupt entry saves the registers and runs the
   * handler on its own stack.
   */
  onPreempted?: () => void;

  constructor(readonly dp: DataPlane, readonly dom: number, readonly vcpu: number, readonly regsGpa: number,
    private readonly preserve?: Uint8Array,
    /**
     * Runs between a preemption and the re-issue: the call has returned to
     * the guest, so the vCPU may be paused there (I28) — and saved with its
     * continuation in flight (I46).
     */
    private readonly boundary?: () => void) {
    this.regs = new DataView(dp.memory.buffer, (dp.x.addrGuestBase(dom) >>> 0) + regsGpa, HCALL_REGS_SIZE);
  }

  /** Load the register context: hypercall number and up to five arguments (numbers < 2^53 or bigints). */
  load(op: number, args: readonly (number | bigint)[]): void {
    if (args.length > HCALL_REGS_NR_ARGS) throw new InvalidArgumentError('hypercall', 'argument count', args.length, this.dom, `at most ${HCALL_REGS_NR_ARGS}`);
    this.regs.setUint32(HCALL_REGS_OP, op, true);
    this.regs.setUint32(HCALL_REGS_STATE, HCALL_COMPLETED, true);
    for (let k = 0; k < HCALL_REGS_NR_ARGS; k++) {
      const v = args[k] ?? 0;
      const at = HCALL_REGS_ARGS + k * HCALL_REGS_ARG_BYTES;
      if (typeof v === 'bigint') this.regs.setBigUint64(at, BigInt.asUintN(64, v), true);
      else {
        // a number: a non-negative integer below 2^53, split in two u32 halves (no BigInt on the hot path)
        if (!Number.isInteger(v) || v < 0 || v > Number.MAX_SAFE_INTEGER) throw new InvalidArgumentError('hypercall', `argument ${k}`, v, this.dom, 'an integer 0..2^53-1 or a bigint');
        this.regs.setUint32(at, v >>> 0, true);
        this.regs.setUint32(at + 4, Math.floor(v / 2 ** 32), true);
      }
    }
  }

  /** True if the last entry preempted the loaded call: a continuation is in flight (I46), e.g. after a restore. */
  inFlight(): boolean {
    return this.regs.getUint32(HCALL_REGS_STATE, true) === HCALL_PREEMPTED;
  }

  /** Re-issue a call in flight in the context (a vCPU arriving after a move) until it completes. */
  finish(): HypercallOutcome {
    let continuations = 0;
    while (!this.step()) {
      continuations++;
      this.boundary?.();
      if (this.onPreempted) this.interrupt(this.onPreempted);
    }
    return { result: this.result(), continuations };
  }

  /** Argument register `k` as the hypervisor left it. */
  arg(k: number): bigint {
    return this.regs.getBigUint64(HCALL_REGS_ARGS + k * HCALL_REGS_ARG_BYTES, true);
  }

  /** Execute the loaded call once: true if it completed, false if preempted (the context holds the continuation). */
  step(): boolean {
    const rc = this.dp.x.hypercall(this.dom, this.vcpu, this.regsGpa >>> 0, Math.floor(this.regsGpa / 2 ** 32));
    if (rc === HCALL_COMPLETED) return true;
    if (rc === HCALL_PREEMPTED) return false;
    throw new InvalidArgumentError('hypercall', 'register context at guest address', this.regsGpa, this.dom, `inside the domain's RAM (the entry returned -${errnoName(-rc)})`);
  }

  private depth = 0;

  /**
   * True while `onPreempted` runs: the interrupted call's context and
   * argument memory are then held in this thread's JS memory, not in guest
   * memory, so the vCPU must not park (be saved) until the handler returns
   * (I48).
   */
  get interrupted(): boolean {
    return this.depth > 0;
  }

  private interrupt(handler: () => void): void {
    const regs = new Uint8Array(this.regs.buffer, this.regs.byteOffset, HCALL_REGS_SIZE).slice();
    const saved = this.preserve?.slice();
    this.depth++;
    try {
      handler();
    } finally {
      this.depth--;
      new Uint8Array(this.regs.buffer, this.regs.byteOffset, HCALL_REGS_SIZE).set(regs);
      if (saved) this.preserve!.set(saved);
    }
  }

  /** The result of the last completed call. */
  result(): number {
    return Number(this.regs.getBigInt64(HCALL_REGS_RESULT, true));
  }

  /** Issue until complete: the hypercall instruction plus the guest's re-issue loop. */
  call(op: number, args: readonly (number | bigint)[]): HypercallOutcome {
    this.boundary?.(); // the hypercall boundary (I28): before the context is loaded
    this.load(op, args);
    return this.finish();
  }
}
