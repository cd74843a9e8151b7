// Channel record accessors (hypervisor-private, one record per port with
// storage; spec §4.2). Only hypervisor code writes these.

import {
  D_CHANNELS, CHANNEL_BYTES, C_LOCK, C_STATE, C_NOTIFY_VCPU, C_PRIORITY, C_FIFO_LASTQ, C_REMOTE_DOM,
  C_REMOTE_PORT, C_FLAGS,
} from "../shared/private-layout";
import { privBase } from "../domain/table";

@inline export function addrChannel(dom: u32, port: u32): usize {
  return privBase(dom) + <usize>D_CHANNELS + <usize>port * <usize>CHANNEL_BYTES;
}
@inline export function addrChannelLock(dom: u32, port: u32): usize { return addrChannel(dom, port) + C_LOCK; }
@inline export function loadState(dom: u32, port: u32): u32 { return atomic.load<u32>(addrChannel(dom, port) + C_STATE); }
@inline export function storeState(dom: u32, port: u32, s: u32): void { atomic.store<u32>(addrChannel(dom, port) + C_STATE, s); }
@inline export function loadNotifyVcpu(dom: u32, port: u32): u32 { return atomic.load<u32>(addrChannel(dom, port) + C_NOTIFY_VCPU); }
@inline export function storeNotifyVcpu(dom: u32, port: u32, v: u32): void { atomic.store<u32>(addrChannel(dom, port) + C_NOTIFY_VCPU, v); }
@inline export function loadPriority(dom: u32, port: u32): u32 { return atomic.load<u32>(addrChannel(dom, port) + C_PRIORITY); }
@inline export function storePriority(dom: u32, port: u32, p: u32): void { atomic.store<u32>(addrChannel(dom, port) + C_PRIORITY, p); }
@inline export function loadLastq(dom: u32, port: u32): u32 { return atomic.load<u32>(addrChannel(dom, port) + C_FIFO_LASTQ); }
@inline export function storeLastq(dom: u32, port: u32, q: u32): void { atomic.store<u32>(addrChannel(dom, port) + C_FIFO_LASTQ, q); }
@inline export function loadRemoteDom(dom: u32, port: u32): u32 { return atomic.load<u32>(addrChannel(dom, port) + C_REMOTE_DOM); }
@inline export function storeRemoteDom(dom: u32, port: u32, d: u32): void { atomic.store<u32>(addrChannel(dom, port) + C_REMOTE_DOM, d); }
@inline export function loadRemotePort(dom: u32, port: u32): u32 { return atomic.load<u32>(addrChannel(dom, port) + C_REMOTE_PORT); }
@inline export function storeRemotePort(dom: u32, port: u32, p: u32): void { atomic.store<u32>(addrChannel(dom, port) + C_REMOTE_PORT, p); }
@inline export function addrChannelFlags(dom: u32, port: u32): usize { return addrChannel(dom, port) + C_FLAGS; }
