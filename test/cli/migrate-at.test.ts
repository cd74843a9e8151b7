// `wasmxen run --migrate-at S`: domain 1 (the frontend) moves mid-run to a
// second wasmxen process over 127.0.0.1, where a fresh backend takes over;
// sent/delivered summed over both processes stay exact, and the guest's IPIs,
// timer and channels carry on in the target; its console and monitor — the
// toolstack's channels, kept at their ports (I56) — carry on too, with no
// line or request lost or repeated across the move. And the failure path: a
// target that refuses the image leaves the source running domain 1 on, exactly.
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../bin/wasmxen.mjs', import.meta.url));
// the watchdog: a hang in either process fails the test with what it printed
const wasmxen = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 150_000 });

const CONSOLE_EVERY = 512; // pongs between two console lines (src/guests/demo-split-ring.ts)
const MONITOR_EVERY = 256; // … and two monitor requests
const RESUMED = /^domain 1: resumed on a new host after (\d+) pongs$/;

/**
 * The console and the monitor, summed over both hosts: the boot line, then
 * exactly one line per CONSOLE_EVERY pongs — none missing, none twice — (and,
 * if domain 1 moved, one resume line, at or after the last line the pongs
 * before the move called for); one monitor request per MONITOR_EVERY pongs,
 * each answered once. Domain 1 keeps at most one ping in flight, so its pongs
 * are half the ping-pong deliveries, rounded down.
 */
function expectToolstackChannels(report: { abi: string; flows: { pingpong: number }; console: string[]; monitor: { requests: number; answers: number } }, moved: boolean) {
  const pongs = Math.floor(report.flows.pingpong / 2);
  const lines = report.console;
  expect(lines[0]).toBe(`domain 1: booted on the ${report.abi === 'fifo' ? 'FIFO' : '2-level'} ABI, 2 vCPUs`);
  const resumedAt = lines.findIndex((l) => RESUMED.test(l));
  const body = lines.slice(1).filter((l) => !RESUMED.test(l));
  expect(body).toEqual(Array.from({ length: Math.floor(pongs / CONSOLE_EVERY) }, (_, i) => `domain 1: ${(i + 1) * CONSOLE_EVERY} pongs`));
  expect(lines.filter((l) => RESUMED.test(l))).toHaveLength(moved ? 1 : 0);
  if (moved) {
    const at = Number(RESUMED.exec(lines[resumedAt])![1]);
    const before = lines.slice(1, resumedAt).length;
    // the lines before the move that it did not cut short precede the resume line; a line it cut short follows it
    expect(before === Math.floor(at / CONSOLE_EVERY) || before === Math.floor(at / CONSOLE_EVERY) - 1).toBe(true);
  }
  expect(report.monitor.requests).toBe(Math.floor(pongs / MONITOR_EVERY));
  expect(report.monitor.answers).toBe(report.monitor.requests);
}

describe('wasmxen run --migrate-at', () => {
  it('moves domain 1 to a second process: exact accounting summed over both, the guest carries on there', () => {
    const r = wasmxen('run', '--seconds', '2', '--migrate-at', '0.8', '--json');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ lost: 0, duplicated: 0 });
    expect(report.delivered).toBe(report.sent);
    const m = report.migration;
    expect(m.ok).toBe(true);
    expect(m.bytes).toBeGreaterThan(0);
    expect(m.records).toBeGreaterThanOrEqual(6); // config, save info, static end, pages, shared_info, 2 vCPU contexts, end
    expect(m.downtime_ms).toBeGreaterThan(0);
    // the target: its backend received events, the moved guest's IPIs and timer ticks went on there
    expect(m.target.delivered).toBeGreaterThan(0);
    expect(m.target.ipis).toBeGreaterThan(0);
    expect(m.target.timer_ticks).toBeGreaterThan(0);
    // every binding came back: 2 timer VIRQs, 2 IPIs, the ping channel, the 8 fan-in channels, the console and the monitor
    expect(m.target.resumed.ports).toBe(15);
    expect(m.target.spurious).toBe(0);
    expect(m.target.layout_version).toBe(1);
    expect(report.flows.pingpong + report.flows.fanin + report.flows.ipi).toBe(report.delivered);
    expectToolstackChannels(report, true);
    expect(m.target.console_bytes).toBeGreaterThan(0);
  });

  it('--migrate-layout 2: the target is a "newer" hypervisor with another private-region layout; the guest carries on there, exactly accounted', () => {
    const r = wasmxen('run', '--seconds', '2', '--migrate-at', '0.8', '--migrate-layout', '2', '--json');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ lost: 0, duplicated: 0, migration: { ok: true, target: { layout_version: 2, spurious: 0 } } });
    expect(report.delivered).toBe(report.sent);
    expect(report.migration.target.resumed.ports).toBe(15);
    expect(report.migration.target.delivered).toBeGreaterThan(0);
    expect(report.migration.target.ipis).toBeGreaterThan(0);
    expect(report.migration.target.timer_ticks).toBeGreaterThan(0);
    expectToolstackChannels(report, true);
  });

  it('--abi 2l: a 2-level guest moves and resumes on 2-level, exactly accounted', () => {
    const r = wasmxen('run', '--seconds', '2', '--migrate-at', '0.8', '--abi', '2l', '--json');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ abi: '2l', lost: 0, duplicated: 0, migration: { ok: true } });
    expect(report.delivered).toBe(report.sent);
    expect(report.migration.target.resumed.ports).toBe(15);
    expect(report.migration.target.delivered).toBeGreaterThan(0);
    expect(report.migration.target.timer_ticks).toBeGreaterThan(0);
    expectToolstackChannels(report, true);
  });

  it('says what moved and when in the human-readable report', () => {
    const r = wasmxen('run', '--seconds', '1.5', '--migrate-at', '0.5');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/migrate domain 1 at \d+\.\d\d s to a second wasmxen process over 127\.0\.0\.1: [\d,]+ bytes, \d+ records, paused [\d.]+ ms/);
    expect(r.stdout).toMatch(/source copy destroyed; on the target a fresh backend took over: [\d,]+ events delivered there/);
    expect(r.stdout).toMatch(/its console and monitor carried on at the same ports: [\d,]+ console bytes and [\d,]+ monitor requests there/);
    expect(r.stdout).toMatch(/^ {2}console domain 1: booted on the FIFO ABI, 2 vCPUs$/m); // (a long console is shown elided: --json has it all)
    expect(r.stdout).toContain('every event delivered exactly once');
  });

  it('a target that refuses the image: the source resumes domain 1, accounting still exact, exit 1 with one line', () => {
    const r = wasmxen('run', '--seconds', '2', '--migrate-at', '0.8', '--migrate-max-vcpus', '1', '--json');
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/migration of domain 1 failed: .*2 vCPUs.*at most 1.*the source resumed it/);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ lost: 0, duplicated: 0 });
    expect(report.delivered).toBe(report.sent);
    expect(report.migration).toMatchObject({ ok: false, fault: 'vcpu-count' });
    expect(report.migration.target).toBeUndefined();
    // the resumed frontend ran on in the source: ping-pong went on after the failed attempt
    expect(report.migration.pingpong_after_resume).toBeGreaterThan(0);
    expectToolstackChannels(report, false);
  });

  it('refuses option combinations it can not honour, with one line', () => {
    const bad = [
      ['--seconds', '1', '--migrate-at', '1'],
      ['--seconds', '2', '--migrate-at', '1', '--scenario', 'dma'],
      ['--seconds', '2', '--migrate-max-vcpus', '1'],
      ['--seconds', '2', '--migrate-layout', '2'],
      ['--seconds', '2', '--migrate-at', '1', '--migrate-layout', '3'],
      ['--seconds', '2', '--migrate-at', '1', '--save-at', '1', '--save-to', '/tmp/x'],
    ];
    for (const args of bad) {
      const r = wasmxen('run', ...args);
      expect(r.status, args.join(' ')).toBe(3);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
    }
  });
});
