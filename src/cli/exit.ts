// The exit statuses of every `wasmxen` command, one table:
//   0  the command did its job and its verdict is good (clean, balanced, image valid)
//   1  it did its job and the verdict is bad: events lost or duplicated, a forbidden
//      outcome, an accounting violation, an image or a migration refused
//   2  inconclusive (stress and merge only: no iteration ran or the race never happened)
//   3  it could not do its job: a refused option or argument, an unreadable input or
//      unwritable output, inputs that do not go together, a missing build, a run that failed
// A script can therefore tell "wasmxen found something" (1) from "wasmxen was misused or
// broke" (3). Every non-zero exit leaves one line on stderr.

export const EXIT_VERDICT_BAD = 1;
export const EXIT_INCONCLUSIVE = 2;
export const EXIT_ERROR = 3;

/** A bad verdict delivered as one line (the command's job was done, its answer is "no"): exit 1, not 3. */
export class VerdictError extends Error {
  override name = 'VerdictError';
}
