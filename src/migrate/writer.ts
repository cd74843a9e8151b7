// Writes a domain image (format.ts) as a sequence of chunks — headers, then
// one chunk per record part — so a large domain streams to a socket or a file
// without being held whole. The checksum chain and the HMAC run over the
// chunks as they are produced.
import { createMac, type Mac } from '../platform/hmac.ts';
import { ConfigError, InternalError } from '../errors.ts';
import {
  IHDR_BYTES, IHDR_ID, IHDR_VERSION, IMAGE_ID, IMAGE_VERSION, DHDR_BYTES, DHDR_TYPE, DHDR_TYPE_HVM,
  DHDR_PAGE_SHIFT, IMAGE_PAGE_SHIFT, DHDR_MAJOR, DHDR_MINOR, WRITER_MAJOR, WRITER_MINOR, RH_BYTES, RH_TYPE,
  RH_LENGTH, RH_CHECKSUM, REC_LENGTH_MAX, REC_TYPE_AUTH, REC_TYPE_END, AUTH_ALGORITHM, padded, crcUpdate,
  recordName,
} from './format.ts';

export type ImageKey = string | Uint8Array;

export class ImageWriter {
  private crc = 0;
  private hmac?: Mac;
  private ended = false;
  /** records written so far, END included */
  records = 0;
  /** bytes written so far */
  bytes = 0;

  constructor(private readonly sink: (chunk: Uint8Array) => void, key?: ImageKey) {
    if (key !== undefined) this.hmac = createMac(AUTH_ALGORITHM, key);
    const h = new Uint8Array(IHDR_BYTES + DHDR_BYTES);
    const be = new DataView(h.buffer);
    be.setUint32(0, 0xffffffff);
    be.setUint32(4, 0xffffffff);
    be.setUint32(IHDR_ID, IMAGE_ID);
    be.setUint32(IHDR_VERSION, IMAGE_VERSION);
    // options 0: little-endian records; reserved zero
    const d = new DataView(h.buffer, IHDR_BYTES, DHDR_BYTES);
    d.setUint32(DHDR_TYPE, DHDR_TYPE_HVM, true);
    d.setUint16(DHDR_PAGE_SHIFT, IMAGE_PAGE_SHIFT, true);
    d.setUint32(DHDR_MAJOR, WRITER_MAJOR, true);
    d.setUint32(DHDR_MINOR, WRITER_MINOR, true);
    this.crc = crcUpdate(0, h);
    this.emit(h);
  }

  private emit(chunk: Uint8Array): void {
    this.hmac?.update(chunk);
    this.bytes += chunk.length;
    this.sink(chunk);
  }

  /** One record whose body is the concatenation of `parts` (pages are passed as views, not copied). */
  record(type: number, ...parts: Uint8Array[]): void {
    if (this.ended) throw new InternalError('image writer: a record was written after END');
    const length = parts.reduce((n, p) => n + p.length, 0);
    if (length > REC_LENGTH_MAX) throw new ConfigError(`record ${recordName(type)} of ${length} bytes exceeds REC_LENGTH_MAX (${REC_LENGTH_MAX}): the image format can not carry it (a device model's disk must fit in one record: plan a smaller disk)`);
    const head = new Uint8Array(RH_BYTES);
    const v = new DataView(head.buffer);
    v.setUint32(RH_TYPE, type >>> 0, true);
    v.setUint32(RH_LENGTH, length, true);
    const pad = new Uint8Array(padded(length) - length);
    // the chain: every byte but checksum fields, through this record's padding
    let crc = crcUpdate(this.crc, head.subarray(0, RH_CHECKSUM));
    crc = crcUpdate(crc, head.subarray(RH_CHECKSUM + 4));
    for (const p of parts) crc = crcUpdate(crc, p);
    crc = crcUpdate(crc, pad);
    this.crc = crc;
    v.setUint32(RH_CHECKSUM, crc, true);
    this.emit(head);
    for (const p of parts) if (p.length) this.emit(p);
    if (pad.length) this.emit(pad);
    this.records++;
  }

  /** AUTH (when keyed) over everything so far, then END. */
  end(): void {
    if (this.hmac) {
      const tag = this.hmac.digest();
      this.hmac = undefined; // the tag covers everything before AUTH's header
      this.record(REC_TYPE_AUTH, tag);
    }
    this.record(REC_TYPE_END);
    this.ended = true;
  }
}
