// A guest module for the paused-restore tests (plain JS: vCPU workers load it
// unbundled). A restored domain runs resume(), never main(); each vCPU counts
// itself in g.shared word 0 when its resume path runs — the first guest code
// a restored vCPU runs.
export function main() {
  throw new Error('resume-counter: a restored domain must resume, not boot');
}

export function resume(g) {
  const s = new Int32Array(g.shared);
  Atomics.add(s, 0, 1);
  Atomics.notify(s, 0);
}
