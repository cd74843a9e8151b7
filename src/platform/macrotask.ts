// The next macrotask after the messages already queued, in a browser (page
// or Web Worker), which has no setImmediate: a message to itself over a
// MessageChannel. setTimeout(0) would do, but browsers clamp it to 4 ms once
// nested, so a loop that yields after every batch would mostly wait.
let channel: MessageChannel | undefined;
const queued: (() => void)[] = [];

/** Run `fn` as the next macrotask. */
export function nextMacrotask(fn: () => void): void {
  if (!channel) {
    channel = new MessageChannel();
    channel.port1.onmessage = () => queued.shift()?.();
  }
  queued.push(fn);
  channel.port2.postMessage(0);
}
