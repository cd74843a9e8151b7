// Why an image was refused. The restorer validates a whole image before it
// creates anything (I45), so an ImageError always means nothing changed on
// the target.
import { WasmxenError } from '../errors.ts';

/** What was wrong, for callers and tests that branch on it; the message says it for people. */
export type ImageFault =
  | 'truncated' | 'marker' | 'id' | 'version' | 'endianness' | 'reserved' | 'domain-type' | 'page-size'
  | 'record-length' | 'checksum' | 'unknown-record' | 'order' | 'duplicate' | 'record-body' | 'gfn-range'
  | 'coverage' | 'vcpu-count' | 'auth-missing' | 'auth-tag' | 'auth-unexpected' | 'trailing-data' | 'target';

/** An image refused whole (nothing was created from it): `fault` says what was wrong, `offset` where. */
export class ImageError extends WasmxenError {
  override name = 'ImageError';
  override readonly code = 'WASMXEN_IMAGE';
  constructor(
    readonly fault: ImageFault,
    message: string,
    /** byte offset in the image where the fault was found (the record's header for record faults) */
    readonly offset: number,
  ) {
    super(`${message} (at byte ${offset})`);
  }
}
