// Image authentication in the browser bundle: not available (Web Crypto's HMAC
// is asynchronous; the image reader and writer are synchronous). Unkeyed
// images work; a key is refused with a clear error.
import type { Mac } from './hmac.ts';
import { ConfigError } from '../errors.ts';

export type { Mac } from './hmac.ts';

const NO_KEYS = 'authenticated images (a key) need Node\'s crypto: save and restore them with the Node package, or drop the key in the browser';

/** Refuses: authenticated images need Node's crypto. */
export function createMac(_algorithm: string, _key: string | Uint8Array): Mac {
  throw new ConfigError(NO_KEYS);
}

/** Refuses, as createMac does. */
export function tagsEqual(_a: Uint8Array, _b: Uint8Array): boolean {
  throw new ConfigError(NO_KEYS);
}
