// The byte-flip sweep the image tests share: every byte of `image` flipped in
// turn (and put back) must be refused whole — an ImageError, never a crash,
// an acceptance or a domain created. Returns how many domains the restorer
// tried to create (must be 0) and the faults named, by kind.
import { restoreImage } from '../../src/migrate/restore.ts';
import { ImageError } from '../../src/migrate/errors.ts';

export function flipEveryByte(image: Uint8Array, key: string): { created: number; faults: Map<string, number> } {
  const faults = new Map<string, number>();
  let created = 0;
  for (let i = 0; i < image.length; i++) {
    image[i] ^= 0xff;
    try {
      restoreImage(image, { key }, () => { created++; throw new Error('created'); }, () => {});
      throw new Error(`byte ${i} flipped: accepted`);
    } catch (e) {
      if (!(e instanceof ImageError)) throw new Error(`byte ${i} flipped: ${String(e)}`);
      faults.set(e.fault, (faults.get(e.fault) ?? 0) + 1);
    } finally {
      image[i] ^= 0xff;
    }
  }
  return { created, faults };
}
