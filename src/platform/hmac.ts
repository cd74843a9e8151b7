// Image authentication (HMAC, src/migrate/): Node's crypto. The browser
// bundle swaps in hmac.browser.ts, which refuses keyed images (Web Crypto's
// HMAC is asynchronous, and the image reader and writer are synchronous).

import { createHmac, timingSafeEqual } from 'node:crypto';

/** An incremental MAC: feed it bytes, then take the tag once. */
export interface Mac {
  update(bytes: Uint8Array): void;
  digest(): Uint8Array;
}

/** A MAC with `algorithm` (a node:crypto HMAC name, e.g. 'sha256') keyed by `key`. */
export function createMac(algorithm: string, key: string | Uint8Array): Mac {
  const h = createHmac(algorithm, key);
  return {
    update(bytes) { h.update(bytes); },
    digest() { return new Uint8Array(h.digest()); },
  };
}

/** Tags compared in constant time (false for different lengths). */
export function tagsEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
