// Ping-pong through two domains, batched in wasm: one side sends and waits
// for the answer (one round trip per call, so the caller can time it), the
// other answers every event it receives for as long as it is asked to.
// Waiting spins briefly on the upcall flag before blocking: a cross-core
// wake-up from atomic.wait costs tens of µs here, a spinning peer a fraction
// of one.

import { BH_ECHOES } from "./layout";
import { benchFail, spinForFlag } from "./common";
import { EVTCHNOP_send } from "../shared/evtchn-abi";
import { EPORT_PORT } from "../shared/evtchn-structs";
import { eventChannelOp } from "../channel/hypercall";
import { guestNextAny } from "./common";
import { loadUpcallPending, clearUpcallPending, vcpuBlock, VB_IDLE } from "../upcall";

/**
 * The next event of vCPU `vcpu` (upcall loop of spec §10.1, one event), or 0
 * if none came within `spins` rounds of spinning plus `timeoutNs` blocked.
 */
export function benchWaitEvent(dom: u32, gsGfn: u32, vcpu: u32, spins: u32, timeoutNs: i64): u32 {
  while (true) {
    let port = guestNextAny(dom, gsGfn, vcpu);
    if (port != 0) return port;
    if (loadUpcallPending(dom, vcpu) != 0) { clearUpcallPending(dom, vcpu); continue; }
    if (spinForFlag(dom, vcpu, spins)) continue;
    if (vcpuBlock(dom, vcpu, timeoutNs) == VB_IDLE) return 0;
  }
}

/** EVTCHNOP_send of `port` with the struct at `arg` (guest-physical `gpa`); 0 or -errno. */
@inline function send(dom: u32, vcpu: u32, arg: usize, gpa: u32, port: u32): i32 {
  store<u32>(arg + EPORT_PORT, port);
  return eventChannelOp(dom, vcpu, EVTCHNOP_send, <u64>gpa);
}

/**
 * One round trip: send `port` (0: send nothing, keep waiting), wait for the
 * answer. Returns the port answered on, 0 on timeout, or -errno of the send.
 */
export function benchPing(dom: u32, vcpu: u32, arg: usize, gpa: u32, port: u32, gsGfn: u32, spins: u32, timeoutNs: i64): i32 {
  if (port != 0) {
    let rc = send(dom, vcpu, arg, gpa, port);
    if (rc != 0) return rc;
  }
  return <i32>benchWaitEvent(dom, gsGfn, vcpu, spins, timeoutNs);
}

/**
 * Answer up to `max` events: each must arrive on `expect` and is answered on
 * `reply`. Returns the events answered; fewer than `max` means none came in
 * time. Wrong ports and failed sends are recorded in the bench page.
 */
export function benchEcho(page: usize, dom: u32, vcpu: u32, arg: usize, gpa: u32, gsGfn: u32,
  expect: u32, reply: u32, max: u32, spins: u32, timeoutNs: i64): u32 {
  let done: u32 = 0;
  while (done < max) {
    let port = benchWaitEvent(dom, gsGfn, vcpu, spins, timeoutNs);
    if (port == 0) break;
    if (port != expect) benchFail(page, 0, expect, port);
    let rc = send(dom, vcpu, arg, gpa, reply);
    if (rc != 0) { benchFail(page, 1, reply, <u32>rc); break; }
    atomic.add<u32>(page + BH_ECHOES, 1);
    done++;
  }
  return done;
}
