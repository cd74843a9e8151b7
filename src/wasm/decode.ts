// Human-readable event words and queues, for error messages, test failures
// and watchdog dumps.
import type { DataPlane } from './data-plane.ts';
import {
  EVTCHN_FIFO_PENDING, EVTCHN_FIFO_MASKED, EVTCHN_FIFO_LINKED, EVTCHN_FIFO_BUSY, EVTCHN_FIFO_LINK_MASK,
  EVTCHN_FIFO_MAX_QUEUES,
} from '../../assembly/shared/fifo-abi.ts';

const hex = (n: number) => '0x' + (n >>> 0).toString(16).padStart(8, '0');

/** e.g. `0xa0000009 [P-L-] link=9` (P PENDING, M MASKED, L LINKED, B BUSY). */
export function formatEventWord(w: number | undefined): string {
  if (w === undefined) return '(no array page)';
  const flags = [
    w & EVTCHN_FIFO_PENDING ? 'P' : '-',
    w & EVTCHN_FIFO_MASKED ? 'M' : '-',
    w & EVTCHN_FIFO_LINKED ? 'L' : '-',
    w & EVTCHN_FIFO_BUSY ? 'B' : '-',
  ].join('');
  const reserved = (w >>> 17) & 0x7ff;
  return `${hex(w)} [${flags}] link=${w & EVTCHN_FIFO_LINK_MASK}${reserved ? ` reserved=${hex(reserved << 17)}` : ''}`;
}

const WALK_LIMIT = 64;

/**
 * Every vCPU's control block and non-empty queues of `dom`: READY bits, HEAD,
 * Xen's private tail, and the chain from HEAD through LINK while LINKED
 * (at most WALK_LIMIT entries; a cycle is reported, not followed).
 */
export function dumpFifoQueues(dp: DataPlane, dom: number, vcpus: number): string {
  const lines: string[] = [`domain ${dom} (${dp.abi(dom)}, ${dp.fifoNumEvtchns(dom)} event words)`];
  for (let v = 0; v < vcpus; v++) {
    const cb = dp.controlBlock(dom, v);
    const upcall = dp.upcallPending(dom, v);
    if (!cb) {
      lines.push(`  vcpu ${v}: no control block, upcall_pending=${upcall}`);
      continue;
    }
    lines.push(`  vcpu ${v}: ready=${hex(cb.ready)} upcall_pending=${upcall} blocked=${dp.vcpuBlocked(dom, v)}`);
    for (let q = 0; q < EVTCHN_FIFO_MAX_QUEUES; q++) {
      const tail = dp.queueTail(dom, v, q);
      const head = cb.head[q];
      if (head === 0 && tail === 0 && !(cb.ready & (1 << q))) continue;
      const chain: string[] = [];
      const seen = new Set<number>();
      let p = head;
      while (p !== 0 && chain.length < WALK_LIMIT) {
        if (seen.has(p)) { chain.push(`cycle back to ${p}`); break; }
        seen.add(p);
        const w = dp.eventWord(dom, p);
        chain.push(`${p}:${formatEventWord(w)}`);
        if (w === undefined || !(w & EVTCHN_FIFO_LINKED)) break;
        p = w & EVTCHN_FIFO_LINK_MASK;
      }
      lines.push(`    q${q}: head=${head} tail=${tail} lock=${hex(dp.queueLockWord(dom, v, q))}`);
      if (chain.length) lines.push(`      ${chain.join(' -> ')}`);
    }
  }
  const s = dp.stats(dom);
  lines.push(`  stats: raises=${s.raises} upcalls=${s.upcalls} kicks=${s.kicks} linkTries=[${s.linkTries.join(',')}] ` +
    `linkGaveUp=${s.linkGaveUp} lockGaveUp=${s.lockGaveUp} noControlBlock=${s.noControlBlock}`);
  return lines.join('\n');
}
