// The console consumer (bundled to dist/consumers/console.js): copies the
// bytes a guest put in its console ring into the host ring the shell drains.
// Bytes that do not fit in the host ring are dropped (counted by the shell
// as the gap between the positions): a console never blocks a vCPU.
import type { XenConsumer } from '../types.ts';
import { M_LOCK, findEntry, ME_GFN, lockWord, unlockWord } from '../monitor-ring.ts';
import {
  CONSOLE_MAGIC, C_RING_MAGIC, C_RING_PROD, C_RING_CONS, C_RING_DATA, CONSOLE_DATA_BYTES, CS_OUT_W, CS_OUT_R,
  CS_OUT_DATA, CS_OUT_BYTES, CONSOLE_STATE_BYTES,
} from '../console-ring.ts';

const consoleConsumer: XenConsumer = {
  name: 'console',
  stateBytes: CONSOLE_STATE_BYTES,
  notify(ctx, call) {
    const s = new Int32Array(ctx.state, 0, 128);
    const out = new Uint8Array(ctx.state, CS_OUT_DATA, CS_OUT_BYTES);
    const e = findEntry(s, call.dom, call.port);
    if (e < 0) return;
    const base = ctx.dp.x.addrGfn(call.dom, Atomics.load(s, e + ME_GFN)) >>> 0;
    const ring = new Uint32Array(ctx.dp.memory.buffer, base, 3);
    const data = new Uint8Array(ctx.dp.memory.buffer, base + C_RING_DATA, CONSOLE_DATA_BYTES);
    lockWord(s, M_LOCK);
    try {
      if (Atomics.load(ring, C_RING_MAGIC) !== CONSOLE_MAGIC) return;
      const prod = Atomics.load(ring, C_RING_PROD);
      let cons = Atomics.load(ring, C_RING_CONS);
      // the indexes are guest-written: never more than one ring's worth per call
      if (((prod - cons) >>> 0) > CONSOLE_DATA_BYTES) cons = (prod - CONSOLE_DATA_BYTES) >>> 0;
      let w = Atomics.load(s, CS_OUT_W);
      const r = Atomics.load(s, CS_OUT_R);
      for (; cons !== prod; cons = (cons + 1) >>> 0) {
        if (((w - r) >>> 0) >= CS_OUT_BYTES) continue; // host ring full: drop
        out[w % CS_OUT_BYTES] = data[cons % CONSOLE_DATA_BYTES];
        w = (w + 1) >>> 0;
      }
      Atomics.store(ring, C_RING_CONS, cons);
      Atomics.store(s, CS_OUT_W, w);
    } finally {
      unlockWord(s, M_LOCK);
    }
  },
};

export default consoleConsumer;
