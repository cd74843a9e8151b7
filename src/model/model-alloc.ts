// Port allocation and freeing (spec §4.4, §5.6 step 4).
import { ECS_FREE } from '../../assembly/shared/evtchn-abi.ts';
import { EBUSY, ENOSPC } from '../../assembly/shared/errno.ts';
import type { ModelDomain } from './model-domain.ts';
import { portIsBusy, portClearPending } from './model-ports.ts';

/** evtchn_allocate_port(d, p): 0 or -ENOSPC / -EBUSY; grows storage bucket by bucket; counts the port active. */
export function allocatePort(d: ModelDomain, p: number): number {
  if (p > d.maxEvtchnPort || p >= d.maxEvtchns()) return -ENOSPC;
  if (d.portIsValid(p)) {
    if (d.channels[p].state !== ECS_FREE || portIsBusy(d, p)) return -EBUSY;
  } else {
    while (!d.portIsValid(p)) d.addBucket();
  }
  d.activeEvtchns += 1;
  return 0;
}

/** get_free_port: lowest free, non-busy port, or -errno (spec §4.4). The model's domains never die. */
export function getFreePort(d: ModelDomain): number {
  for (let p = 0; p <= d.maxEvtchnPort; p++) {
    const rc = allocatePort(d, p);
    if (rc === 0) return p;
    if (rc !== -EBUSY) return rc;
  }
  return -ENOSPC;
}

/** check_free_port: undo allocatePort's count when the operation failed and left the port FREE. */
export function checkFreePort(d: ModelDomain, p: number): void {
  if (d.portIsValid(p) && d.channels[p].state === ECS_FREE) d.activeEvtchns -= 1;
}

/** evtchn_free: clear pending through the ABI (only if usable), FREE, notify 0; MASKED and LINKED stay (spec §5.6 step 4). */
export function freeChannel(d: ModelDomain, port: number): void {
  portClearPending(d, port);
  d.activeEvtchns -= 1;
  const chn = d.channels[port];
  chn.state = ECS_FREE;
  chn.notifyVcpu = 0;
}
