// The guest side of the emulated storage controller: a driver that keeps up
// to 32 commands in flight (NCQ tags) with random, overlapping placement, and
// checks every completion end to end.
//
// Runs on the guest's vCPU thread (a guest module, or a litmus party): fill()
// issues commands into free slots and rings the doorbell once per batch;
// onCompletion() is the completion event's handler.
//
// Data checks. A write fills its buffer with the pattern of its sectors at a
// fresh version (wasm) and sends the buffer's checksum; the device model
// reports the checksum of the bytes as they landed on its disk, which must
// match. A read's buffer must have the checksum the device model reports, and
// every sector must hold the pattern of the version the guest last wrote there
// (the guest keeps a version per sector in its own memory). In-flight commands
// never share a byte of guest memory or a disk sector, so every check is exact
// (their mapcache buckets overlap all the time: that is the point).
//
// Deliberately bad commands (opts.badEvery) name memory outside the guest,
// frames it does not own, a range straddling into those, sectors beyond the
// disk, or a bad length; each must complete with its error status.
import { rng } from '../util/rng.ts';
import { ConfigError } from '../errors.ts';
import type { DataPlane } from '../wasm/data-plane.ts';
import { dmExports, type DmExports } from './exports.ts';
import { PAGE_SIZE } from '../../assembly/shared/layout.ts';
import {
  CP_CQ_DONE, CP_SQ_RING, CP_DESC, DESC_BYTES, DD_OP, DD_TAG, DD_GPA_LO, DD_GPA_HI, DD_LEN, DD_LBA,
  DD_CSUM, DD_STATUS, DD_DM_CSUM, DD_SEQ, DMA_SLOTS, DMA_OP_READ, DMA_OP_WRITE, DMA_ST_OK, DMA_ST_BAD_ADDR,
  DMA_ST_BAD_LBA, DMA_ST_BAD_LEN, DMA_ST_BUSY, DMA_ST_PENDING, MC_BUCKET_SIZE,
} from '../../assembly/shared/dm-layout.ts';
import { DMA_STATUS_NAMES } from './region.ts';
import {
  DriverState, DS_PROD, DS_VERSION, DS_SEQ, DS_ISSUED, DS_COMPLETED, DS_READS, DS_WRITES, DS_EXPECTED_ERRORS, DS_BUSY,
  DS_CHECKSUM_ERRORS, DS_PATTERN_ERRORS, DS_STATUS_ERRORS, DS_SPURIOUS,
} from './driver-state.ts';
import { loadSqProd, storeSqProd } from './command-page.ts';

const GUARD_BYTES = 65536;
const TAIL_BYTES = 65536;

/** Where the guest keeps the controller's memory (guest policy, not ABI). */
export interface DmaGuestLayout {
  /** the command page */
  ringGfn: number;
  /** the driver's own state page (src/dm/driver-state.ts): what a resumed driver rebuilds itself from */
  driverGpa: number;
  /** version table: u32 per disk sector */
  shadowGpa: number;
  /** DMA buffers live in [bufGpa, bufGpa + bufBytes); bufGpa is 1 MiB-aligned */
  bufGpa: number;
  bufBytes: number;
  /** 64 KiB of owned RAM between the buffers and the hole, used only by straddling bad commands */
  guardGpa: number;
  /** frames the device model may not map (ballooned out) */
  holeGpa: number;
  holeBytes: number;
  /** guest frames in all (64 KiB of owned RAM follow the hole) */
  frames: number;
}

const roundUp = (n: number, to: number) => Math.ceil(n / to) * to;

/** Where the DMA guest keeps its ring, disk shadow, buffers, guard and hole, from its first free frame. */
export function dmaGuestLayout(o: { firstFreeGfn: number; diskSectors: number; bufBytes?: number; holeBytes?: number }): DmaGuestLayout {
  const ringGfn = o.firstFreeGfn;
  const driverGpa = (ringGfn + 1) * PAGE_SIZE;
  const shadowGpa = driverGpa + PAGE_SIZE;
  const bufGpa = roundUp(shadowGpa + roundUp(o.diskSectors * 4, PAGE_SIZE), MC_BUCKET_SIZE);
  const bufBytes = o.bufBytes ?? 6 * MC_BUCKET_SIZE;
  const guardGpa = bufGpa + bufBytes;
  const holeGpa = guardGpa + GUARD_BYTES;
  const holeBytes = o.holeBytes ?? 256 * 1024;
  return { ringGfn, driverGpa, shadowGpa, bufGpa, bufBytes, guardGpa, holeGpa, holeBytes, frames: (holeGpa + holeBytes + TAIL_BYTES) / PAGE_SIZE };
}

/** What a DmaExerciser issues. */
export interface ExerciserOptions {
  dom: number;
  layout: DmaGuestLayout;
  diskSectors: number;
  seed: number;
  /** stop issuing after this many commands; default: until quiesce() */
  transfers?: number;
  /** every n-th command is a deliberately bad one (0: none) */
  badEvery?: number;
  /** longest command in sectors; default 2048 (1 MiB) */
  maxSectors?: number;
  /** percentage of reads among good commands; default 50 */
  readPercent?: number;
  /**
   * Carry on from the driver page (a domain restored after a move, I53):
   * counters, versions and the commands in flight come from guest memory,
   * not from a fresh start.
   */
  resume?: boolean;
}

/** A DmaExerciser's counts and the failures it saw. */
export interface ExerciserReport {
  issued: number;
  completed: number;
  reads: number;
  writes: number;
  /** bytes moved by successful commands */
  bytes: number;
  /** bad commands that failed with the right status */
  expectedErrors: number;
  /** good commands the device model answered BUSY (no mapcache entry) */
  busy: number;
  checksumErrors: number;
  patternErrors: number;
  /** completions with a status other than the one expected */
  statusErrors: number;
  /** completions for a tag that was not in flight */
  spurious: number;
  /** the first failures, described (on this host: the descriptions do not travel, the counts do) */
  failures: string[];
}

type BadKind = 'out-of-range' | 'unowned' | 'straddle' | 'bad-lba' | 'bad-len';
const BAD_KINDS: BadKind[] = ['out-of-range', 'unowned', 'straddle', 'bad-lba', 'bad-len'];

interface Command {
  op: number;
  gpa: number;
  len: number;
  lba: number;
  csum: number;
  version: number;
  expect: number;
  bad?: BadKind;
  seq: number;
}



const hex = (n: number) => `0x${(n >>> 0).toString(16)}`;

/** The guest side of the storage controller: issues randomized overlapping DMA commands and checks every completion's status and data. */
export class DmaExerciser {
  readonly report: ExerciserReport = {
    issued: 0, completed: 0, reads: 0, writes: 0, bytes: 0, expectedErrors: 0, busy: 0, checksumErrors: 0,
    patternErrors: 0, statusErrors: 0, spurious: 0, failures: [],
  };
  private readonly x: DmExports;
  private readonly u32: Uint32Array;
  private readonly i32: Int32Array;
  private readonly page: number;
  private readonly inFlight: (Command | undefined)[] = new Array(DMA_SLOTS).fill(undefined);
  private readonly free: number[] = [];
  private readonly rand: () => number;
  private prod = 0;
  private version = 0;
  private seq = 0;
  private quiescing = false;
  private readonly transfers: number;
  private readonly state: DriverState;

  constructor(readonly dp: DataPlane, readonly opts: ExerciserOptions, private readonly notify: () => void) {
    this.x = dmExports(dp);
    this.u32 = dp.u32;
    this.i32 = dp.i32;
    this.page = dp.x.addrGfn(opts.dom, opts.layout.ringGfn) >>> 0;
    if (this.page === 0) throw new ConfigError(`command page gfn ${opts.layout.ringGfn} is not RAM of domain ${opts.dom}: give a layout from dmaGuestLayout that fits the domain`);
    const driver = dp.x.addrGfn(opts.dom, opts.layout.driverGpa / PAGE_SIZE) >>> 0;
    if (driver === 0) throw new ConfigError(`driver page gpa ${hex(opts.layout.driverGpa)} is not RAM of domain ${opts.dom}: give a layout from dmaGuestLayout that fits the domain`);
    this.state = new DriverState(this.u32, driver);
    this.transfers = opts.transfers ?? Infinity;
    this.prod = loadSqProd(this.u32, this.page);
    if (opts.resume) {
      if (!this.state.valid()) throw new ConfigError(`domain ${opts.dom}: no driver state at ${hex(opts.layout.driverGpa)} to resume from: resume only a domain whose exerciser ran before it was saved`);
      this.load();
    } else {
      this.state.init();
    }
    for (let t = DMA_SLOTS - 1; t >= 0; t--) if (!this.inFlight[t]) this.free.push(t);
    // a resumed driver draws fresh random choices (its generator's state stayed behind)
    this.rand = rng((opts.seed + (opts.resume ? Math.imul(this.seq, 0x9e3779b1) : 0)) >>> 0 || 1);
  }

  /** Rebuild from the driver page: the counters, and every command issued and not yet taken back (I53). */
  private load(): void {
    const st = this.state;
    const r = this.report;
    this.prod = st.get(DS_PROD);
    this.version = st.get(DS_VERSION);
    this.seq = st.get(DS_SEQ);
    r.issued = st.get(DS_ISSUED); r.completed = st.get(DS_COMPLETED); r.reads = st.get(DS_READS); r.writes = st.get(DS_WRITES);
    r.bytes = st.bytes(); r.expectedErrors = st.get(DS_EXPECTED_ERRORS); r.busy = st.get(DS_BUSY);
    r.checksumErrors = st.get(DS_CHECKSUM_ERRORS); r.patternErrors = st.get(DS_PATTERN_ERRORS);
    r.statusErrors = st.get(DS_STATUS_ERRORS); r.spurious = st.get(DS_SPURIOUS);
    for (let t = 0; t < DMA_SLOTS; t++) {
      const k = st.command(t);
      if (!k) continue;
      this.inFlight[t] = {
        op: k.op, gpa: k.gpa, len: k.len, lba: k.lba, csum: k.csum, version: k.version, expect: k.expect, seq: k.seq,
        ...(k.badKind ? { bad: BAD_KINDS[k.badKind - 1] } : {}),
      };
    }
  }

  /** Write the counters through to the driver page (before the next hypercall boundary). */
  private persist(): void {
    const st = this.state;
    const r = this.report;
    st.set(DS_PROD, this.prod); st.set(DS_VERSION, this.version); st.set(DS_SEQ, this.seq);
    st.set(DS_ISSUED, r.issued); st.set(DS_COMPLETED, r.completed); st.set(DS_READS, r.reads); st.set(DS_WRITES, r.writes);
    st.setBytes(r.bytes); st.set(DS_EXPECTED_ERRORS, r.expectedErrors); st.set(DS_BUSY, r.busy);
    st.set(DS_CHECKSUM_ERRORS, r.checksumErrors); st.set(DS_PATTERN_ERRORS, r.patternErrors);
    st.set(DS_STATUS_ERRORS, r.statusErrors); st.set(DS_SPURIOUS, r.spurious);
  }

  get inFlightCount(): number { return DMA_SLOTS - this.free.length; }

  /** Stop issuing; in-flight commands still complete. */
  quiesce(): void { this.quiescing = true; }

  /** True once no more commands will be issued and none is in flight. */
  finished(): boolean {
    return (this.quiescing || this.report.issued >= this.transfers) && this.inFlightCount === 0;
  }

  private fail(msg: string): void {
    if (this.report.failures.length < 10) this.report.failures.push(msg);
  }

  private overlaps(gpa: number, len: number, lba: number, n: number): boolean {
    for (const c of this.inFlight) {
      if (!c || c.bad) continue;
      if (gpa < c.gpa + c.len && c.gpa < gpa + len) return true;
      const cn = c.len / 512;
      if (lba < c.lba + cn && c.lba < lba + n) return true;
    }
    return false;
  }

  private pickSectors(): number {
    const r = this.rand() % 100;
    const max = this.opts.maxSectors ?? 2048;
    const span = r < 60 ? [1, 64] : r < 90 ? [64, 512] : [512, max];
    const lo = Math.min(span[0], max);
    const hi = Math.min(span[1], max);
    return lo + (this.rand() % (hi - lo + 1));
  }

  private badCommand(kind: BadKind): Omit<Command, 'seq' | 'csum' | 'version'> {
    const L = this.opts.layout;
    const sectors = this.opts.diskSectors;
    switch (kind) {
      case 'out-of-range':
        return { op: DMA_OP_READ, gpa: L.frames * PAGE_SIZE + (this.rand() % 64) * PAGE_SIZE, len: 8192, lba: 0, expect: DMA_ST_BAD_ADDR, bad: kind };
      case 'unowned':
        return { op: DMA_OP_WRITE, gpa: L.holeGpa + (this.rand() % (L.holeBytes / PAGE_SIZE - 1)) * PAGE_SIZE, len: 4096, lba: 0, expect: DMA_ST_BAD_ADDR, bad: kind };
      case 'straddle':
        return { op: DMA_OP_READ, gpa: L.holeGpa - 8192, len: 16384, lba: 0, expect: DMA_ST_BAD_ADDR, bad: kind };
      case 'bad-lba':
        return { op: DMA_OP_READ, gpa: L.guardGpa, len: 4096, lba: sectors - 2, expect: DMA_ST_BAD_LBA, bad: kind };
      default:
        return { op: DMA_OP_WRITE, gpa: L.guardGpa, len: 100, lba: 0, expect: DMA_ST_BAD_LEN, bad: kind };
    }
  }

  /** Fill every free slot (until the transfer budget is spent), then ring the doorbell once. Returns commands issued. */
  fill(): number {
    const L = this.opts.layout;
    const sectors = this.opts.diskSectors;
    const badEvery = this.opts.badEvery ?? 0;
    let issued = 0;
    while (this.free.length > 0 && !this.quiescing && this.report.issued < this.transfers) {
      const seq = ++this.seq;
      let cmd: Command | undefined;
      if (badEvery > 0 && seq % badEvery === 0) {
        cmd = { ...this.badCommand(BAD_KINDS[(seq / badEvery) % BAD_KINDS.length]), csum: 0, version: 0, seq };
      } else {
        const n = Math.min(this.pickSectors(), sectors, L.bufBytes / 512);
        const len = n * 512;
        for (let tries = 0; tries < 8 && !cmd; tries++) {
          const gpa = L.bufGpa + (this.rand() % ((L.bufBytes - len) / 512 + 1)) * 512;
          const lba = this.rand() % (sectors - n + 1);
          if (this.overlaps(gpa, len, lba, n)) continue;
          const op = this.rand() % 100 < (this.opts.readPercent ?? 50) ? DMA_OP_READ : DMA_OP_WRITE;
          cmd = { op, gpa, len, lba, csum: 0, version: 0, expect: DMA_ST_OK, seq };
        }
        if (!cmd) { this.seq--; break; } // crowded: wait for completions
        if (cmd.op === DMA_OP_WRITE) {
          cmd.version = ++this.version; // from 1: version 0 is "never written"
          cmd.csum = this.x.dmaGuestFill(this.opts.dom, cmd.gpa, cmd.len, cmd.lba, cmd.version) >>> 0;
        }
      }
      const tag = this.free.pop()!;
      this.inFlight[tag] = cmd;
      this.writeDescriptor(tag, cmd);
      this.state.setCommand(tag, { ...cmd, badKind: cmd.bad ? BAD_KINDS.indexOf(cmd.bad) + 1 : 0 });
      Atomics.store(this.u32, (this.page + CP_SQ_RING + 4 * (this.prod % DMA_SLOTS)) >>> 2, tag);
      this.prod = (this.prod + 1) >>> 0;
      this.report.issued++;
      issued++;
    }
    this.persist();
    if (issued > 0) {
      // descriptor and ring stores above happen before this (seq-cst); the device model loads SQ_PROD first
      storeSqProd(this.u32, this.page, this.prod);
      this.notify();
    }
    return issued;
  }

  private writeDescriptor(tag: number, c: Command): void {
    const d = (this.page + CP_DESC + tag * DESC_BYTES) >>> 2;
    const u = this.u32;
    u[d + DD_OP / 4] = c.op;
    u[d + DD_TAG / 4] = tag;
    u[d + DD_GPA_LO / 4] = c.gpa >>> 0;
    u[d + DD_GPA_HI / 4] = Math.floor(c.gpa / 2 ** 32);
    u[d + DD_LEN / 4] = c.len;
    u[d + DD_LBA / 4] = c.lba;
    u[d + DD_CSUM / 4] = c.csum;
    u[d + DD_DM_CSUM / 4] = 0;
    u[d + DD_SEQ / 4] = c.seq;
    Atomics.store(u, d + DD_STATUS / 4, DMA_ST_PENDING);
  }

  /** The completion event's handler: take the done bits and check each command. Returns completions processed. */
  onCompletion(): number {
    const done = Atomics.exchange(this.i32, (this.page + CP_CQ_DONE) >>> 2, 0) >>> 0;
    let n = 0;
    for (let bits = done; bits !== 0; bits &= bits - 1) {
      const tag = 31 - Math.clz32(bits & -bits);
      const c = this.inFlight[tag];
      if (!c) {
        this.report.spurious++;
        this.fail(`completion for tag ${tag}, which is not in flight`);
        continue;
      }
      this.check(tag, c);
      this.inFlight[tag] = undefined;
      this.state.clearCommand(tag);
      this.free.push(tag);
      this.report.completed++;
      n++;
    }
    this.persist();
    return n;
  }

  private check(tag: number, c: Command): void {
    const d = (this.page + CP_DESC + tag * DESC_BYTES) >>> 2;
    const status = Atomics.load(this.u32, d + DD_STATUS / 4);
    const dmSum = this.u32[d + DD_DM_CSUM / 4] >>> 0;
    const r = this.report;
    const what = `${c.bad ? `bad command (${c.bad})` : c.op === DMA_OP_READ ? 'read' : 'write'} #${c.seq} tag ${tag} ` +
      `gpa ${hex(c.gpa)} +${c.len} lba ${c.lba}`;
    if (status === DMA_ST_BUSY && !c.bad) { r.busy++; return; }
    if (status !== c.expect) {
      r.statusErrors++;
      this.fail(`${what}: status ${DMA_STATUS_NAMES[status] ?? status}, expected ${DMA_STATUS_NAMES[c.expect]}`);
      return;
    }
    if (c.bad) { r.expectedErrors++; return; }
    const dom = this.opts.dom;
    const n = c.len / 512;
    if (c.op === DMA_OP_WRITE) {
      if (dmSum !== c.csum) {
        r.checksumErrors++;
        this.fail(`${what}: the device stored data with checksum ${hex(dmSum)}, the guest sent ${hex(c.csum)}`);
      }
      this.x.dmaGuestSetVersions(dom, this.opts.layout.shadowGpa, c.lba, n, c.version);
      r.writes++;
    } else {
      const mine = this.x.dmaGuestChecksum(dom, c.gpa, c.len) >>> 0;
      if (mine !== dmSum) {
        r.checksumErrors++;
        this.fail(`${what}: the buffer has checksum ${hex(mine)}, the device delivered ${hex(dmSum)}`);
      }
      const bad = this.x.dmaGuestVerify(dom, c.gpa, c.len, c.lba, this.opts.layout.shadowGpa);
      if (bad !== 0) {
        r.patternErrors++;
        this.fail(`${what}: ${bad} of ${n} sectors do not hold what the guest last wrote there`);
      }
      r.reads++;
    }
    r.bytes += c.len;
  }
}
