// The data plane's fifo-1to1 rate, measured briefly in the calling process:
// what `wasmxen run` prints beside the guests' own rate, so that a reader sees
// what the layers above the data plane cost on this machine in this run.
import { runCell } from './runner.ts';
import { streamCell } from './workloads/streams.ts';

/** fifo-1to1 on wasmxen (one warm-up, one measured run of `seconds`): events/s, every event accounted exactly once. */
export async function fifo1to1Rate(seconds = 0.5): Promise<number> {
  const m = await runCell(streamCell('wasmxen', { senders: 1, streamsPerSender: 1, ports: 1024 }), {
    seconds, runs: 1, warmupSeconds: Math.min(0.2, seconds),
  });
  return m.runs[0].eventsPerSecond;
}
