// How our Linux-like guest lays out its FIFO memory at boot (spec §10.2) and
// registers it: one driver-state frame, one control-block frame per vCPU
// (offset 0, as Linux), then as many array pages as its ports need. Frame 0 is
// shared_info. This is guest policy, not ABI.
import type { DataPlane } from '../wasm/data-plane.ts';
import { WasmxenError } from '../errors.ts';
import { EVTCHN_FIFO_EVENT_WORDS_PER_PAGE } from '../../assembly/shared/fifo-abi.ts';

export interface FifoGuestLayout {
  /** gfn of the guest driver's private state (GS_* in layout.ts). */
  gsGfn: number;
  /** gfn of each vCPU's control block page. */
  cbGfn: number[];
  /** gfns of the array pages, in registration order. */
  arrayGfns: number[];
  /** first gfn not used by the event-channel driver. */
  firstFreeGfn: number;
}

/** A guest's event channels could not be set up (a hypercall of the boot sequence failed). */
export class GuestBootError extends WasmxenError {
  override name = 'GuestBootError';
  override readonly code = 'WASMXEN_GUEST_BOOT';
  constructor(message: string, readonly errno: number) {
    super(message);
  }
}

/**
 * Boot FIFO in domain `dom` from the guest's side: set up driver state,
 * init_control on every vCPU, expand the array to cover ports 0..maxPort.
 * `firstGfn` is the first frame the guest gives to the driver.
 */
export function bootFifoGuest(dp: DataPlane, dom: number, vcpus: number, maxPort: number, firstGfn = 1): FifoGuestLayout {
  const gsGfn = firstGfn;
  let rc = dp.x.guestFifoSetup(dom, gsGfn);
  if (rc !== 0) throw new GuestBootError(`domain ${dom}: driver state frame ${gsGfn} is not guest RAM`, -rc);
  const cbGfn: number[] = [];
  for (let v = 0; v < vcpus; v++) {
    const gfn = gsGfn + 1 + v;
    rc = dp.x.guestFifoInitVcpu(dom, gsGfn, v, gfn, 0);
    if (rc !== 0) throw new GuestBootError(`domain ${dom}: init_control on vCPU ${v} (gfn ${gfn}) returned ${rc}`, -rc);
    cbGfn.push(gfn);
  }
  const pages = Math.floor(maxPort / EVTCHN_FIFO_EVENT_WORDS_PER_PAGE) + 1;
  const arrayGfns: number[] = [];
  for (let i = 0; i < pages; i++) {
    const gfn = gsGfn + 1 + vcpus + i;
    rc = dp.x.guestFifoAddArrayPage(dom, gsGfn, gfn);
    if (rc !== 0) throw new GuestBootError(`domain ${dom}: expand_array with gfn ${gfn} returned ${rc}`, -rc);
    arrayGfns.push(gfn);
  }
  return { gsGfn, cbGfn, arrayGfns, firstFreeGfn: gsGfn + 1 + vcpus + pages };
}
