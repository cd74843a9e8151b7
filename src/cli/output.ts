// Output files of the CLIs (--html, --trace): checked before a run starts,
// so an unwritable path costs one line, not a whole run.
import { accessSync, constants, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** Throws a one-line error unless `file` can be created or overwritten. */
export function checkWritable(file: string, option: string): void {
  const path = resolve(file);
  let st;
  try { st = statSync(path); } catch { st = undefined; }
  if (st?.isDirectory()) throw new Error(`${option} ${file}: is a directory; name a file`);
  try {
    if (st) accessSync(path, constants.W_OK);
    else accessSync(dirname(path), constants.W_OK);
  } catch {
    throw new Error(`${option} ${file}: ${st ? 'the file is not writable' : `cannot create a file in ${dirname(path)} (missing or not writable)`}`);
  }
}
