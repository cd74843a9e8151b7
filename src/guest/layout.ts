// How our guest kernel lays out its own memory at boot (guest policy, not
// ABI; spec §10.2 for the FIFO part). gfn 0 is shared_info.
//
// ┌ 0 shared_info ┬ 1 FIFO driver state ┬ control blocks (1 per vCPU) ┬ event array pages ┬
//   hypercall scratch (1) ┬ port table + in-flight counters (driver) ┬ free RAM … ┐
import { PAGE_SIZE } from '../../assembly/shared/layout.ts';
import { EVTCHN_FIFO_EVENT_WORDS_PER_PAGE } from '../../assembly/shared/fifo-abi.ts';

/** Bytes of hypercall argument scratch per vCPU (largest struct: 24). */
export const SCRATCH_PER_VCPU = 128;

export interface GuestLayout {
  gsGfn: number;
  cbGfn(vcpu: number): number;
  arrayGfns: number[];
  scratchGfn: number;
  /** port table: u32 per port (0 = free, else binding << 8 | handler + 1) */
  tableGfn: number;
  /** in-flight dispatch counters: u32 per port */
  activeGfn: number;
  /** first frame the kernel does not use */
  freeGfn: number;
}

export function guestLayout(vcpus: number, maxPort: number): GuestLayout {
  const gsGfn = 1;
  const cb0 = 2;
  const pages = Math.floor(maxPort / EVTCHN_FIFO_EVENT_WORDS_PER_PAGE) + 1;
  const array0 = cb0 + vcpus;
  const scratchGfn = array0 + pages;
  const tableFrames = Math.ceil(((maxPort + 1) * 4) / PAGE_SIZE);
  const tableGfn = scratchGfn + 1;
  const activeGfn = tableGfn + tableFrames;
  return {
    gsGfn,
    cbGfn: (v) => cb0 + v,
    arrayGfns: Array.from({ length: pages }, (_, i) => array0 + i),
    scratchGfn,
    tableGfn,
    activeGfn,
    freeGfn: activeGfn + tableFrames,
  };
}
