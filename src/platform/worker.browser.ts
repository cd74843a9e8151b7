// The worker side of the platform layer, in a Web Worker. The page's first
// message is the start data (host.browser.ts posts it right after creating
// the worker); every later message is comlink's. Messages can arrive while
// the worker entry is still importing the guest module (top-level await),
// before comlink listens: they are held from this module's evaluation on —
// which precedes the entry's body — and replayed to the first listener.
import type { Endpoint } from 'comlink';
import { nextMacrotask } from './macrotask.ts';

export const START_TAG = 'wasmxen-start';

const held: MessageEvent[] = [];
let started: ((data: unknown) => void) | undefined;
const startData = new Promise<unknown>((resolve) => { started = resolve; });
let listener: ((ev: MessageEvent) => void) | undefined;
const scope = self as unknown as Worker;

scope.addEventListener('message', (ev: MessageEvent) => {
  const m = ev.data as { tag?: string; data?: unknown } | null;
  if (started && m && m.tag === START_TAG) {
    started(m.data);
    started = undefined;
    return;
  }
  if (listener) listener(ev); else held.push(ev);
});

const endpoint: Endpoint = {
  postMessage: (message: unknown, transfer?: Transferable[]) => scope.postMessage(message, transfer ?? []),
  addEventListener(_type: string, fn: EventListenerOrEventListenerObject) {
    listener = typeof fn === 'function' ? (fn as (ev: MessageEvent) => void) : (ev) => fn.handleEvent(ev);
    for (const ev of held.splice(0)) listener(ev);
  },
  removeEventListener() { listener = undefined; },
};

/** This worker's start data (what spawnWorker was given) and its endpoint to the page. */
export async function workerStart<T>(): Promise<{ data: T; endpoint: Endpoint }> {
  return { data: (await startData) as T, endpoint };
}

/** Let queued messages (comlink calls) run between two stretches of blocking work (macrotask.ts: not a clamped setTimeout). */
export function yieldToEventLoop(): Promise<void> {
  return new Promise<void>((resolve) => nextMacrotask(resolve));
}
