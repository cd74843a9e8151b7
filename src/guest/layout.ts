// How our guest kernel lays out its own memory at boot (guest policy, not
// ABI; spec §10.2 for the FIFO part). gfn 0 is shared_info.
//
// ┌ 0 shared_info ┬ 1 FIFO driver state ┬ control blocks (1 per vCPU) ┬ event array pages ┬
//   hypercall scratch (1 KiB per vCPU) ┬ port table ┬ in-flight counters ┬ binding info ┬ kernel words (1) ┬
//   2-level driver state ┬ free RAM … ┐
import { PAGE_SIZE, GS2_VCPU_BYTES } from '../../assembly/shared/layout.ts';
import { EVTCHN_FIFO_EVENT_WORDS_PER_PAGE } from '../../assembly/shared/fifo-abi.ts';

/**
 * Bytes of hypercall argument scratch per vCPU: the struct at 0 (largest: 32,
 * xen_memory_reservation), SCHEDOP_poll's ports at SCRATCH_POLL_PORTS (128 ×
 * u32), the vCPU's hypercall register context (HCALL_REGS_SIZE) at
 * SCRATCH_REGS.
 */
export const SCRATCH_PER_VCPU = 1024;
export const SCRATCH_POLL_PORTS = 32;
export const SCRATCH_REGS = 960;

/** Kernel words (u32 in the kernel frame). */
export const K_ABI = 0;          // the ABI this guest runs: KABI_2L or KABI_FIFO
export const KABI_2L = 0;
export const KABI_FIFO = 1;

export interface GuestLayout {
  gsGfn: number;
  cbGfn(vcpu: number): number;
  arrayGfns: number[];
  scratchGfn: number;
  /** port table: u32 per port (0 = free, else binding << 8 | handler + 1) */
  tableGfn: number;
  /** in-flight dispatch counters: u32 per port */
  activeGfn: number;
  /** what each bound port is (src/guest/resume.ts: kind, VIRQ, vCPU, remote domain): u32 per port */
  infoGfn: number;
  /** the kernel's own words (K_*) */
  kernelGfn: number;
  /** 2-level driver state (GS2_* in layout.ts) */
  twoLevelGfn: number;
  /** first frame the kernel does not use (everything from here is the guest's RAM) */
  freeGfn: number;
}

export function guestLayout(vcpus: number, maxPort: number): GuestLayout {
  const gsGfn = 1;
  const cb0 = 2;
  const pages = Math.floor(maxPort / EVTCHN_FIFO_EVENT_WORDS_PER_PAGE) + 1;
  const array0 = cb0 + vcpus;
  const scratchGfn = array0 + pages;
  const tableFrames = Math.ceil(((maxPort + 1) * 4) / PAGE_SIZE);
  const tableGfn = scratchGfn + Math.ceil((vcpus * SCRATCH_PER_VCPU) / PAGE_SIZE);
  const activeGfn = tableGfn + tableFrames;
  const infoGfn = activeGfn + tableFrames;
  const kernelGfn = infoGfn + tableFrames;
  const twoLevelGfn = kernelGfn + 1;
  return {
    gsGfn,
    cbGfn: (v) => cb0 + v,
    arrayGfns: Array.from({ length: pages }, (_, i) => array0 + i),
    scratchGfn,
    tableGfn,
    activeGfn,
    infoGfn,
    kernelGfn,
    twoLevelGfn,
    freeGfn: twoLevelGfn + Math.ceil((vcpus * GS2_VCPU_BYTES) / PAGE_SIZE),
  };
}
