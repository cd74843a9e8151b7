// `wasmxen stress --trace FILE`: the parties' step logs (per-thread rings in
// a SharedArrayBuffer, written only in trace mode: src/litmus/parties/
// stress-core.ts Tracer) turned into Chrome trace-event JSON — one track per
// thread, one complete ("X") event per step with the event-word values it
// read and wrote, an instant event where the failure was seen. Opens in
// Perfetto (ui.perfetto.dev) and chrome://tracing.
import {
  STEPS, TR_TS, TR_DUR, TR_STEP, TR_ITER, TR_PORT, TR_READ, TR_WROTE, TR_RC, TR_DOM, TR_FIELDS,
  TR_HEADER_BYTES, TR_MAX_PARTIES, traceBufferBytes,
} from '../litmus/parties/stress-core.ts';
import { formatEventWord } from '../wasm/decode.ts';

/** One event of a Chrome trace (`wasmxen stress --trace`). */
export interface TraceEvent {
  name: string;
  ph: 'X' | 'i' | 'M';
  ts: number;
  dur?: number;
  pid: number;
  tid: number;
  s?: 'g' | 'p' | 't';
  cat?: string;
  args?: Record<string, unknown>;
}

/** Entries per party ring: a few thousand steps, the last rounds before a failure. */
export const TRACE_ENTRIES = 8192;

export function createTraceBuffer(parties: number, entries = TRACE_ENTRIES): SharedArrayBuffer {
  if (parties > TR_MAX_PARTIES) throw new RangeError(`at most ${TR_MAX_PARTIES} traced parties`);
  return new SharedArrayBuffer(traceBufferBytes(parties, entries));
}

export interface TraceWindow {
  /** the failure, µs since the epoch (the end of the window) */
  atUs: number;
  /** how far back, µs */
  spanUs: number;
  /** what the failure was */
  label: string;
  /** the party that saw it (track), -1: the watchdog */
  party: number;
  /** parties whose last step never returned (a watchdog's stuck parties) */
  stuck?: number[];
}

const hex = (n: number) => '0x' + (n >>> 0).toString(16).padStart(8, '0');
const word = (v: number) => (Number.isNaN(v) ? undefined : formatEventWord(v));

/**
 * The Chrome trace of the steps each party logged within the window, with
 * thread names. Steps that never returned are drawn up to the window's end
 * and marked `returned: false`.
 */
export function chromeTrace(sab: SharedArrayBuffer, names: string[], entries: number, w: TraceWindow, meta: Record<string, unknown>, pid = 1): { traceEvents: TraceEvent[]; metadata: Record<string, unknown> } {
  const head = new Int32Array(sab, 0, TR_MAX_PARTIES);
  const f = new Float64Array(sab, TR_HEADER_BYTES);
  const events: TraceEvent[] = [{ name: 'process_name', ph: 'M', ts: 0, pid, tid: 0, args: { name: `wasmxen stress ${meta.scenario ?? ''}` } }];
  const from = w.atUs - w.spanUs;
  names.forEach((name, party) => {
    const tid = party + 1;
    events.push({ name: 'thread_name', ph: 'M', ts: 0, pid, tid, args: { name: `${name} #${party}` } });
    events.push({ name: 'thread_sort_index', ph: 'M', ts: 0, pid, tid, args: { sort_index: party } });
    const n = Atomics.load(head, party);
    const first = Math.max(0, n - entries);
    for (let k = first; k < n; k++) {
      const o = party * entries * TR_FIELDS + (k % entries) * TR_FIELDS;
      const ts = f[o + TR_TS];
      let dur = f[o + TR_DUR];
      const returned = !Number.isNaN(dur);
      if (!returned) dur = Math.max(0, w.atUs - ts);
      if (ts + dur < from || ts > w.atUs + 1000) continue;
      const step = STEPS[f[o + TR_STEP]] ?? 'step';
      const port = f[o + TR_PORT];
      const args: Record<string, unknown> = { iteration: f[o + TR_ITER] };
      const dom = f[o + TR_DOM];
      if (port) args.port = port;
      if (step === 'upcall' || step === 'drain (check)') {
        // these log the control block's READY word, not an event word
        if (!Number.isNaN(f[o + TR_READ])) args.ready_before = hex(f[o + TR_READ]);
        if (!Number.isNaN(f[o + TR_WROTE])) args.ready_after = hex(f[o + TR_WROTE]);
      } else {
        const read = word(f[o + TR_READ]);
        const wrote = word(f[o + TR_WROTE]);
        if (read !== undefined) args.read = read;
        if (wrote !== undefined) args.wrote = wrote;
      }
      const rc = f[o + TR_RC];
      if (!Number.isNaN(rc)) args.rc = rc < 0 || rc > 0xffff ? (rc < 0 ? rc : hex(rc)) : rc;
      if (!Number.isNaN(f[o + TR_DOM])) args.domain = f[o + TR_DOM];
      if (!returned) args.returned = false;
      events.push({ name: port && step !== 'round' ? `${step} ${Number.isNaN(dom) ? '' : `d${dom}:`}${port}` : step, cat: step === 'round' ? 'round' : 'step', ph: 'X', ts, dur: Math.max(dur, 0.01), pid, tid, args });
    }
  });
  if (w.label) events.push({ name: w.label, ph: 'i', s: w.party >= 0 ? 't' : 'g', ts: w.atUs, pid, tid: w.party >= 0 ? w.party + 1 : 0, args: { stuck: w.stuck?.map((i) => `${names[i]} #${i}`) } });
  return { traceEvents: events, metadata: meta };
}
