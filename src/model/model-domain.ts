// The reference model's hypervisor-private state of one domain: channel
// table, vCPUs with their VIRQ table and FIFO queues, FIFO array pages, ABI
// (spec §2.5, §4.2, §4.3). Single-threaded: no locks; every hypercall runs to
// completion before the next one starts.
import { ECS_FREE, ECS_RESERVED, NR_VIRQS, DOMID_SELF } from '../../assembly/shared/evtchn-abi.ts';
import { EVTCHN_FIFO_MAX_QUEUES, EVTCHN_FIFO_NR_CHANNELS } from '../../assembly/shared/fifo-abi.ts';
import { EVTCHNS_PER_BUCKET } from '../../assembly/shared/layout.ts';
import { GuestMemory } from './guest-memory.ts';

export interface ModelChannel {
  state: number;
  notifyVcpu: number;
  /** FIFO priority; 0 until a FIFO port-init hook or the switch to FIFO sets it (spec §4.2, §9.2). */
  priority: number;
  /** fifo_lastq: the queue the event was last linked on (spec §2.5). */
  lastqPrio: number;
  lastqVcpu: number;
  /**
   * Xen's union `u`: UNBOUND remote_domid / INTERDOMAIN remote dom, and
   * INTERDOMAIN remote port / VIRQ number. Like the union, a field keeps its
   * value until a transition writes it; freeing does not clear it.
   */
  remoteDom: number;
  remotePort: number;
  /** FIFO sticky "raised without an array page" flag; never cleared (spec §9.3). */
  stickyPending: boolean;
  /** a raise without an array page not yet re-raised by expand_array (wasm's CF_REPLAY_CLAIM, I24) */
  replayClaim: boolean;
}

export interface ModelVcpu {
  id: number;
  /** virq_to_evtchn[], 0 = unbound (spec §4.3). */
  virqToEvtchn: Uint32Array;
  /** FIFO control block location, undefined until init_control maps it (spec §9.2). */
  cb: { gfn: number; offset: number } | undefined;
  /** FIFO queue tails, one per priority; 0 = empty/unknown (spec §2.5). */
  tails: Uint32Array;
}

export interface ModelDomainConfig {
  domid: number;
  vcpus: number;
  frames: number;
  maxEvtchnPort: number;
  guestWidth: 64 | 32;
}

function newChannel(): ModelChannel {
  return {
    state: ECS_FREE, notifyVcpu: 0, priority: 0, lastqPrio: 0, lastqVcpu: 0,
    remoteDom: 0, remotePort: 0, stickyPending: false, replayClaim: false,
  };
}

export class ModelDomain {
  readonly domid: number;
  readonly vcpus: ModelVcpu[] = [];
  readonly maxEvtchnPort: number;
  /** 2-level word width W: selector bit = port / W, 2-level limit W*W (spec §2.2, §1). */
  readonly guestWidth: 64 | 32;
  readonly mem: GuestMemory;
  abi: '2l' | 'fifo' = '2l';
  /** One record per port with storage; length = valid_evtchns, a multiple of 64 that only grows (spec §4.4). */
  readonly channels: ModelChannel[] = [];
  activeEvtchns = 0;
  /** FIFO array page gfns in slot order; num_evtchns = 1024 × length (spec §2.5). */
  readonly arrayGfns: number[] = [];

  constructor(c: ModelDomainConfig) {
    this.domid = c.domid;
    this.maxEvtchnPort = c.maxEvtchnPort;
    this.guestWidth = c.guestWidth;
    this.mem = new GuestMemory(c.frames);
    for (let v = 0; v < c.vcpus; v++) {
      this.vcpus.push({
        id: v, virqToEvtchn: new Uint32Array(NR_VIRQS), cb: undefined,
        tails: new Uint32Array(EVTCHN_FIFO_MAX_QUEUES),
      });
    }
    // at creation one bucket exists and port 0 is RESERVED (spec §4.4)
    this.addBucket();
    this.channels[0].state = ECS_RESERVED;
  }

  get validEvtchns(): number {
    return this.channels.length;
  }

  /** port_is_valid (spec §4.4): depends on storage only. */
  portIsValid(port: number): boolean {
    return port < this.channels.length;
  }

  vcpuExists(vcpu: number): boolean {
    return vcpu < this.vcpus.length;
  }

  addBucket(): void {
    for (let i = 0; i < EVTCHNS_PER_BUCKET; i++) this.channels.push(newChannel());
  }

  /** max_evtchns(d): the ABI's port limit (spec §4.3). */
  maxEvtchns(): number {
    return this.abi === 'fifo' ? EVTCHN_FIFO_NR_CHANNELS : this.guestWidth * this.guestWidth;
  }
}

/** The model's view of the machine, as the channel layer needs it. */
export interface ModelHost {
  domain(domid: number): ModelDomain | undefined;
}

/** domid_t is 16 bits in every hypercall struct (spec §3.3). */
export function asDomid(dom: number): number {
  return dom & 0xffff;
}

/** rcu_lock_domain_by_any_id: DOMID_SELF names the caller; undefined = -ESRCH. */
export function lookupDomain(host: ModelHost, caller: ModelDomain, dom: number): ModelDomain | undefined {
  const id = asDomid(dom);
  return id === DOMID_SELF ? caller : host.domain(id);
}

/** Default XSM policy "target" (spec §5.1 step 4, §5.8): self or the control domain (domain 0). */
export function targetPermitted(caller: ModelDomain, d: ModelDomain): boolean {
  return caller === d || caller.domid === 0;
}

/** Guest-usable channel (spec §4.5); the model has no Xen-owned channels, so xen_consumer is always 0. */
export function isUsable(chn: ModelChannel): boolean {
  return chn.state > ECS_RESERVED;
}
