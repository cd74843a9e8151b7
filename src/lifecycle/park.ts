// The vCPU side of a pause (I28): at every hypercall boundary (GuestHypercalls)
// and upcall boundary (the upcall loops) a vCPU looks at its domain's flags;
// if the domain is paused it sets its bit in D_PARKED and sleeps on D_FLAGS
// until the pause is withdrawn, then clears the bit and goes on. It holds no
// hypervisor lock there (every wasm call has returned), so a parked domain
// blocks nobody. If the domain is dying the vCPU never runs guest code again:
// the gate throws DomainDyingExit, which unwinds to the vCPU's entry point.
import type { DataPlane } from '../wasm/data-plane.ts';
import { DF_PAUSED, DF_DYING } from '../../assembly/shared/layout.ts';
import { DomainStateError } from '../errors.ts';

/** Thrown through guest code when its domain is being destroyed; caught by the vCPU's entry point. */
export class DomainDyingExit extends DomainStateError {
  override name = 'DomainDyingExit';
  constructor(domain: number, vcpu: number) {
    super(domain, 'dying', `domain ${domain} is being destroyed: vCPU ${vcpu} runs no more guest code`);
  }
}

const PARK_SLICE_MS = 50; // a parked vCPU re-checks its stop flag this often (shutdown while paused)

export class ParkGate {
  private readonly flags: number;

  constructor(private readonly dp: DataPlane, readonly dom: number, readonly vcpu: number,
    private readonly stopping: () => boolean = () => false) {
    this.flags = dp.domainFlagsIndex(dom);
  }

  private state(): number {
    return Atomics.load(this.dp.i32, this.flags);
  }

  /**
   * A boundary on a thread that may block (a vCPU worker): park while paused;
   * throw if dying. Returns whether it parked (it also leaves a park when the
   * thread is being stopped, still paused).
   */
  check(): boolean {
    let f = this.state();
    if ((f & (DF_PAUSED | DF_DYING)) === 0) return false;
    if ((f & DF_DYING) !== 0) throw new DomainDyingExit(this.dom, this.vcpu);
    this.dp.x.vcpuParkEnter(this.dom, this.vcpu);
    // unpause (clear + notify) and kill (set + notify) both change the word, so a wait
    // on the value read cannot miss them; the slice only lets a stop request through
    while (((f = this.state()) & DF_PAUSED) !== 0 && (f & DF_DYING) === 0 && !this.stopping()) {
      Atomics.wait(this.dp.i32, this.flags, f, PARK_SLICE_MS);
    }
    if ((f & DF_DYING) !== 0) throw new DomainDyingExit(this.dom, this.vcpu); // stays parked for good
    this.dp.x.vcpuParkLeave(this.dom, this.vcpu);
    return true;
  }

  /** The same on a thread that must not block (a service domain's vCPU on the event loop). */
  async checkAsync(): Promise<void> {
    let f = this.state();
    if ((f & (DF_PAUSED | DF_DYING)) === 0) return;
    if ((f & DF_DYING) !== 0) throw new DomainDyingExit(this.dom, this.vcpu);
    this.dp.x.vcpuParkEnter(this.dom, this.vcpu);
    while (((f = this.state()) & DF_PAUSED) !== 0 && (f & DF_DYING) === 0 && !this.stopping()) {
      const w = Atomics.waitAsync(this.dp.i32, this.flags, f, PARK_SLICE_MS);
      if (w.async) await w.value;
    }
    if ((f & DF_DYING) !== 0) throw new DomainDyingExit(this.dom, this.vcpu);
    this.dp.x.vcpuParkLeave(this.dom, this.vcpu);
  }

  /**
   * A boundary where parking is impossible (the caller's own thread acts for a
   * service domain): throw if the domain is dying or this vCPU has parked. A
   * vCPU asked to pause but not yet parked is still running: its hypercalls go on.
   */
  refuse(op: string): void {
    const f = this.state();
    if ((f & DF_DYING) !== 0) throw new DomainStateError(this.dom, 'dying', `${op} on domain ${this.dom}: the domain is being destroyed`);
    if ((f & DF_PAUSED) !== 0 && (this.dp.parkedMask(this.dom) & (1 << this.vcpu)) !== 0) {
      throw new DomainStateError(this.dom, 'paused', `${op} on domain ${this.dom}: the domain is paused and its vCPUs make no hypercalls: unpause it first`);
    }
  }
}
