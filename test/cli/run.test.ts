// The main job as a user runs it: `wasmxen run`. Behaviour, not speed: every
// event of every flow accounted exactly once at any duration — a run shorter
// than the guests' boot ends when they have booted and every event in flight
// was delivered — and bad options end in one line.
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../bin/wasmxen.mjs', import.meta.url));
const wasmxen = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 60_000 });

describe('wasmxen run', () => {
  it('--json: the default scenario delivers every event of every flow exactly once', () => {
    const r = wasmxen('run', '--seconds', '1', '--json');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ abi: 'fifo', lost: 0, duplicated: 0 });
    expect(report.sent).toBeGreaterThan(0);
    expect(report.delivered).toBe(report.sent);
    expect(report.latency_ns.max).toBeGreaterThanOrEqual(report.latency_ns.p99);
    // measured only over a stretch with every vCPU up (null if boot left under 0.2 s of the run)
    if (report.events_per_s !== null) expect(report.events_per_s).toBeGreaterThan(0);
    expect(report.latency_ns.p50).toBeGreaterThan(0);
    expect(report.latency_ns.p99).toBeGreaterThanOrEqual(report.latency_ns.p50);
    // every flow of the scenario ran: interdomain ping-pong, fan-in, IPIs, timer VIRQs
    expect(report.flows.pingpong).toBeGreaterThan(0);
    expect(report.flows.fanin).toBeGreaterThan(0);
    expect(report.flows.ipi).toBeGreaterThan(0);
    expect(report.timer_ticks).toBeGreaterThan(0);
    expect(report.late_wakeups).toBe(0);
    // the data plane's own rate, measured in the same run, beside the guests'
    expect(report.data_plane.workload).toBe('fifo-1to1');
    expect(report.data_plane.events_per_s).toBeGreaterThan(0);
  });

  it('--abi 2l: the default scenario on the 2-level ABI, exactly once', () => {
    const r = wasmxen('run', '--seconds', '1', '--json', '--abi', '2l');
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ abi: '2l', lost: 0, duplicated: 0, late_wakeups: 0 });
    expect(report.delivered).toBe(report.sent);
    for (const flow of ['pingpong', 'fanin', 'ipi']) expect(report.flows[flow]).toBeGreaterThan(0);
    expect(report.timer_ticks).toBeGreaterThan(0);
  });

  it('--scenario fifo-data-plane: raw FIFO raises, exactly once', () => {
    const r = wasmxen('run', '--scenario', 'fifo-data-plane', '--seconds', '0.5', '--json');
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ abi: 'fifo', lost: 0, duplicated: 0 });
    expect(report.delivered).toBe(report.sent);
  });

  it('prints a readable report', () => {
    const r = wasmxen('run', '--seconds', '0.5');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/every event delivered exactly once/);
    expect(r.stdout).not.toMatch(/LOST OR DUPLICATED/);
    // a rate from the stretch with every vCPU up, or n/a when boot left too little of the run
    expect(r.stdout).toMatch(/rate +([\d,]+ events\/s from the last vCPU's boot to the end of sending \(the data plane alone, fifo-1to1 in one short run here: [\d,]+ events\/s; [\d.]+× of it\)|n\/a: the run stopped within 0\.2 s of the last vCPU's boot)/);
  });

  for (const seconds of ['0.01', '0.05', '0.2']) {
    it(`--seconds ${seconds}, shorter than the boot: waits for the guests and every event in flight, nothing counted lost`, () => {
      const r = wasmxen('run', '--seconds', seconds, '--json');
      expect(r.stderr).toBe(''); // no runtime warning
      expect(r.status).toBe(0);
      const report = JSON.parse(r.stdout);
      expect(report).toMatchObject({ lost: 0, duplicated: 0 });
      expect(report.delivered).toBe(report.sent);
      expect(report.sent).toBeGreaterThan(0); // the guests booted and their first sends were counted
      expect(report.seconds).toBeGreaterThanOrEqual(Number(seconds));
      expect(report.events_per_s).toBeNull(); // no 0.2 s stretch with every vCPU up: no rate, rather than one diluted by the boot
    });
  }

  it('rejects bad options with one line and a non-zero exit; numbers have upper bounds', () => {
    for (const args of [['run', '--seconds', 'soon'], ['run', '--scenario', 'nope'], ['frobnicate'], ['run', '--seconds', '1e9'],
      ['run', '--seconds', '0'], ['run', '--seconds', 'Infinity'], ['run', '--scenario', 'fifo-data-plane', '--seconds', '86400']]) {
      const r = wasmxen(...args);
      expect(r.status, args.join(' ')).toBe(3);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr, args.join(' ')).not.toMatch(/Warning/);
    }
  });
});
