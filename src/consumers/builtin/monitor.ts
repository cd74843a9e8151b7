// The monitor consumer (bundled to dist/consumers/monitor.js and loaded in
// every thread). It relies on close's drain (I23): it does not re-validate
// its channel before touching the ring, it only detects — and counts — a
// callback starting after close returned or finding its ring freed.
import type { XenConsumer } from '../types.ts';
import {
  RING_MAGIC, R_MAGIC, R_REQ_PROD, R_REQ_CONS, R_RSP_PROD, R_REQS, R_RSPS, RING_SLOTS, M_LOCK,
  findEntry, ME_GFN, ME_FLAGS, ME_CLOSED, M_CALLS, M_ANSWERED, M_LATE_STARTS, M_POISON_HITS, MONITOR_STATE_WORDS,
  monitorAnswer, lockWord, unlockWord,
} from '../monitor-ring.ts';

const monitor: XenConsumer = {
  name: 'monitor',
  stateBytes: MONITOR_STATE_WORDS * 4,
  notify(ctx, call) {
    const s = new Int32Array(ctx.state);
    Atomics.add(s, M_CALLS, 1);
    const e = findEntry(s, call.dom, call.port);
    if (e < 0) return; // not ours (never opened): nothing to touch
    if (Atomics.load(s, e + ME_FLAGS) & ME_CLOSED) Atomics.add(s, M_LATE_STARTS, 1);
    const ring = new Uint32Array(ctx.dp.memory.buffer, ctx.dp.x.addrGfn(call.dom, Atomics.load(s, e + ME_GFN)) >>> 0, 1024);
    lockWord(s, M_LOCK);
    try {
      if (Atomics.load(ring, R_MAGIC) !== RING_MAGIC) {
        Atomics.add(s, M_POISON_HITS, 1); // the ring was freed under us
        return;
      }
      const prod = Atomics.load(ring, R_REQ_PROD);
      let cons = Atomics.load(ring, R_REQ_CONS);
      // the indexes are guest-written: never more than one ring's worth per call
      if (((prod - cons) >>> 0) > RING_SLOTS) cons = (prod - RING_SLOTS) >>> 0;
      for (; cons !== prod; cons = (cons + 1) >>> 0) {
        const slot = cons % RING_SLOTS;
        Atomics.store(ring, R_RSPS + slot, monitorAnswer(Atomics.load(ring, R_REQS + slot)));
        Atomics.add(s, M_ANSWERED, 1);
      }
      Atomics.store(ring, R_REQ_CONS, cons);
      Atomics.store(ring, R_RSP_PROD, cons); // responses visible before the notification
    } finally {
      unlockWord(s, M_LOCK);
    }
    ctx.notify(call.dom, call.port);
  },
};

export default monitor;
