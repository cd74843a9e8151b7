// Quiescing the DMA engine for a save (I52), step by step on one thread: a
// command a worker has started holds the quiesce until it completes; nothing
// more is claimed meanwhile (the guest's other requests stay in its ring);
// the state a restored engine takes up is the consumer index; and a restored
// engine claims nothing before its doorbell is bound.
import { describe, it, expect } from 'vitest';
import { inlineDma, mcMachine } from './helpers.ts';
import { DMA_OP_WRITE, DMA_OP_READ, DMA_ST_OK, DMA_ST_PENDING, DMA_SQ_CONS, CP_SQ_PROD } from '../../assembly/shared/dm-layout.ts';
import { EINVAL } from '../../assembly/shared/errno.ts';

describe('DMA engine quiesce (I52)', () => {
  it('waits for a started command, claims nothing more, and serves again once unquiesced', () => {
    const c = inlineDma();
    const x = c.region.x;
    const dm = c.region.addr;
    c.submit(0, { op: DMA_OP_WRITE, gpa: c.dma.bufGpa, len: 8192, lba: 16 });
    c.submit(1, { op: DMA_OP_READ, gpa: c.dma.bufGpa + 65536, len: 4096, lba: 0 });
    expect(x.dmaClaim(dm)).toBe(0);
    expect(x.dmaStart(dm, 0, 0)).toBe(1);            // tag 0 started: mapped, the "disk" busy with it
    expect(x.dmaQuiesce(dm) >>> 0).toBe(1 << 0);     // in flight when the engine stopped claiming
    expect(x.dmaDrained(dm)).toBe(0);                // … so not drained
    expect(x.dmaPending(dm)).toBe(0);
    expect(x.dmaClaim(dm)).toBe(-1);                 // tag 1 stays in the guest's ring
    expect(c.region.load(DMA_SQ_CONS)).toBe(1);
    expect(c.status(1)).toBe(DMA_ST_PENDING);
    expect(x.dmaFinish(dm, 0, 0)).toBe(DMA_ST_OK);   // the started one completes, whole
    expect(x.dmaDrained(dm)).toBe(1);
    expect(c.status(0)).toBe(DMA_ST_OK);
    expect(c.takeDone()).toBe(1 << 0);
    expect(c.region.mapcacheStats().lockedNow).toBe(0);
    // a drain while quiesced does nothing
    expect(c.server.drain()).toBe(0);
    x.dmaUnquiesce(dm);
    expect(x.dmaPending(dm)).toBe(1);
    expect(c.server.drain()).toBe(1);
    expect(c.status(1)).toBe(DMA_ST_OK);
  });

  it('a restored engine takes up the saved ring position before its doorbell, and claims nothing before it', () => {
    const t = mcMachine({ diskBytes: 64 * 1024 });
    const { x, dm } = t;
    const page = t.machine.dp.x.addrGfn(t.guestDom, 1) >>> 0;  // the command page (gfn 1)
    Atomics.store(t.machine.dp.u32, (page + CP_SQ_PROD) >>> 2, 3);  // the guest made 3 requests
    expect(x.dmaRestoreConsumer(dm, 1)).toBe(0);                  // the saved engine had taken 1
    expect(x.dmaPending(dm)).toBe(0);                             // no doorbell yet: nothing taken
    expect(x.dmaClaim(dm)).toBe(-1);
    expect(t.region.load(DMA_SQ_CONS)).toBe(1);
    x.dmaSetReady(dm, 5);
    expect(x.dmaPending(dm)).toBe(2);                             // the two it never took
    expect(x.dmaRestoreConsumer(dm, 0)).toBe(-EINVAL);            // not once it serves
  });
});
