// Benchmark loops batched in wasm (`wasmxen bench`, bench/README.md): thin
// wrappers, integers in and out. Addresses are absolute byte addresses in the
// shared memory (the caller resolves them with addrGfn); a timeout is f64 ns,
// negative for none, as vcpuBlock takes it.

import { benchSend as send, benchReceive as receive, benchPublishAll as publishAll } from "./stream";
import { benchPing as ping, benchEcho as echo } from "./pingpong";
import { spinOnWord } from "./common";

@inline function ns(timeoutNs: f64): i64 { return timeoutNs < 0 ? <i64>-1 : <i64>timeoutNs; }

/** Send up to `max` events on streams first..first+count-1 (mode: BENCH_MODE_*); returns events sent. */
export function benchSend(page: usize, mode: u32, dom: u32, vcpu: u32, arg: usize, gpa: u32,
  first: u32, count: u32, max: u32, spins: u32, timeoutNs: f64): u32 {
  return send(page, mode, dom, vcpu, arg, gpa, first, count, max, spins, ns(timeoutNs));
}

/** Run vCPU `vcpu`'s upcall loop for up to `max` bench events; returns events handled. */
export function benchReceive(page: usize, dom: u32, gsGfn: u32, vcpu: u32, max: u32, spins: u32, timeoutNs: f64,
  holdoff: u32, holdoffSpins: u32): u32 {
  return receive(page, dom, gsGfn, vcpu, max, spins, ns(timeoutNs), holdoff, holdoffSpins);
}

/** Publish every stream's delivered count now. */
export function benchPublishAll(page: usize): void { publishAll(page); }

/** One ping-pong round trip from `dom`/`vcpu`: the port answered on, 0 on timeout, or -errno. */
export function benchPing(dom: u32, vcpu: u32, arg: usize, gpa: u32, port: u32, gsGfn: u32, spins: u32, timeoutNs: f64): i32 {
  return ping(dom, vcpu, arg, gpa, port, gsGfn, spins, ns(timeoutNs));
}

/** Answer up to `max` ping-pong events arriving on `expect` with a send on `reply`; returns events answered. */
export function benchEcho(page: usize, dom: u32, vcpu: u32, arg: usize, gpa: u32, gsGfn: u32,
  expect: u32, reply: u32, max: u32, spins: u32, timeoutNs: f64): u32 {
  return echo(page, dom, vcpu, arg, gpa, gsGfn, expect, reply, max, spins, ns(timeoutNs));
}

/** Spin up to `spins` rounds on the word at `addr` until it is non-zero; returns the rounds spun (calibration). */
export function benchSpin(addr: usize, spins: u32): u32 { return spinOnWord(addr, spins); }
