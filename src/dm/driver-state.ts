// The storage driver's own state page in guest memory (guest policy, not
// ABI): what blkfront keeps in its shadow ring and kernel variables, kept
// where it travels with the guest. A guest module's JavaScript can not move
// with its domain, so the DmaExerciser writes through to this page every
// command it issues and every completion it takes, and a resumed driver
// (src/guests/dma-guest.ts resume()) rebuilds itself from it (I53).
//
// Written only by the guest's vCPU 0, between its hypercall boundaries: a
// save sees the page as it was at the last boundary (I48), consistent with
// the command page (fill() writes the command's record before SQ_PROD and
// the doorbell; onCompletion() clears it in the same handler that takes the
// done bit).
//
// ┌ header: magic, counters ┬ … ┬ 32 × command record (DS_CMD_BYTES), by tag ┐
import { DMA_SLOTS } from '../../assembly/shared/dm-layout.ts';

export const DS_MAGIC_VALUE = 0x44525653; // "DRVS"
export const DS_MAGIC = 0;
export const DS_PROD = 4;          // the driver's submission producer index
export const DS_VERSION = 8;       // last data version written to the disk
export const DS_SEQ = 12;          // last command sequence number
export const DS_ISSUED = 16;
export const DS_COMPLETED = 20;
export const DS_READS = 24;
export const DS_WRITES = 28;
export const DS_BYTES_LO = 32;
export const DS_BYTES_HI = 36;
export const DS_EXPECTED_ERRORS = 40;
export const DS_BUSY = 44;
export const DS_CHECKSUM_ERRORS = 48;
export const DS_PATTERN_ERRORS = 52;
export const DS_STATUS_ERRORS = 56;
export const DS_SPURIOUS = 60;
export const DS_CMDS = 128;
export const DS_CMD_BYTES = 32;
// a command record: seq (0 = the tag is free), op, gpa, len, lba, checksum sent, version written, expected status | bad kind << 8
export const DC_SEQ = 0;
export const DC_OP = 4;
export const DC_GPA = 8;
export const DC_LEN = 12;
export const DC_LBA = 16;
export const DC_CSUM = 20;
export const DC_VERSION = 24;
export const DC_EXPECT = 28;
export const DS_BYTES = DS_CMDS + DMA_SLOTS * DS_CMD_BYTES;

/** One issued command as the driver records it. */
export interface DriverCommand {
  seq: number; op: number; gpa: number; len: number; lba: number; csum: number; version: number; expect: number;
  /** index into the exerciser's bad kinds + 1, 0 for a good command */
  badKind: number;
}

/** Accessors of the driver page at byte address `addr` of the shared memory (the gfn's address in this process). */
export class DriverState {
  constructor(private readonly u32: Uint32Array, private readonly addr: number) {}

  get(off: number): number { return this.u32[(this.addr + off) >>> 2]; }
  set(off: number, v: number): void { this.u32[(this.addr + off) >>> 2] = v >>> 0; }

  /** A fresh page: magic, every counter 0, every tag free. */
  init(): void {
    for (let o = 0; o < DS_BYTES; o += 4) this.set(o, 0);
    this.set(DS_MAGIC, DS_MAGIC_VALUE);
  }

  valid(): boolean { return this.get(DS_MAGIC) === DS_MAGIC_VALUE; }

  bytes(): number { return this.get(DS_BYTES_HI) * 2 ** 32 + this.get(DS_BYTES_LO); }
  setBytes(n: number): void { this.set(DS_BYTES_LO, n % 2 ** 32); this.set(DS_BYTES_HI, Math.floor(n / 2 ** 32)); }

  command(tag: number): DriverCommand | undefined {
    const c = DS_CMDS + tag * DS_CMD_BYTES;
    const seq = this.get(c + DC_SEQ);
    if (seq === 0) return undefined;
    const e = this.get(c + DC_EXPECT);
    return {
      seq, op: this.get(c + DC_OP), gpa: this.get(c + DC_GPA), len: this.get(c + DC_LEN), lba: this.get(c + DC_LBA),
      csum: this.get(c + DC_CSUM), version: this.get(c + DC_VERSION), expect: e & 0xff, badKind: e >>> 8,
    };
  }

  setCommand(tag: number, k: DriverCommand): void {
    const c = DS_CMDS + tag * DS_CMD_BYTES;
    this.set(c + DC_OP, k.op);
    this.set(c + DC_GPA, k.gpa);
    this.set(c + DC_LEN, k.len);
    this.set(c + DC_LBA, k.lba);
    this.set(c + DC_CSUM, k.csum);
    this.set(c + DC_VERSION, k.version);
    this.set(c + DC_EXPECT, k.expect | (k.badKind << 8));
    this.set(c + DC_SEQ, k.seq);
  }

  clearCommand(tag: number): void { this.set(DS_CMDS + tag * DS_CMD_BYTES + DC_SEQ, 0); }
}
