// The hypervisor's table of domains and where each stands in its lifecycle:
// live (with the spec it was created from), paused, dying (destroyDomain has
// begun: no new operation may start on it), destroyed (its id may be used
// again), and whether it was restored from an image (its vCPUs resume
// instead of booting). Hooks run when a domain is destroyed (a device model
// lets go of its memory).
import { DomainStateError, NoSuchDomainError } from '../errors.ts';
import type { Domain } from '../domain.ts';
import type { DomainSpec, DestroyHook } from '../hypervisor-options.ts';

export class DomainTable {
  private readonly domains = new Map<number, Domain>();
  private readonly specs = new Map<number, DomainSpec>();
  private readonly paused = new Set<number>();
  private readonly dying = new Set<number>();
  private readonly destroyed = new Set<number>();
  private readonly hooks = new Map<number, Set<DestroyHook>>();
  private readonly restored = new Set<number>();

  /** Domain `id`; NoSuchDomainError, or DomainStateError for one that was destroyed. */
  get(id: number): Domain {
    const d = this.domains.get(id);
    if (!d) {
      if (this.destroyed.has(id)) throw new DomainStateError(id, 'destroyed', `domain ${id} has been destroyed (create it again with createDomain)`);
      throw new NoSuchDomainError(id, [...this.domains.keys()]);
    }
    return d;
  }

  /** Domain `id` for `op`, refused while it is being destroyed. */
  live(id: number, op: string): Domain {
    const d = this.get(id);
    if (this.dying.has(id)) throw new DomainStateError(id, 'dying', `${op}: domain ${id} is being destroyed`);
    return d;
  }

  /** Refuse an id a domain (live or dying) still has; `instead` says what else the caller may do. */
  checkFree(id: number, instead: string): void {
    if (this.domains.has(id) || this.dying.has(id)) {
      throw new DomainStateError(id, 'in-use', `domain id ${id} is in use: destroy that domain first or ${instead}`);
    }
  }

  ids(): number[] { return [...this.domains.keys()]; }
  all(): Domain[] { return [...this.domains.values()]; }
  /** The specs of the domains there are, by id. */
  specEntries(): IterableIterator<[number, DomainSpec]> { return this.specs.entries(); }

  add(spec: DomainSpec, d: Domain, restored: boolean): void {
    this.domains.set(spec.id, d);
    this.specs.set(spec.id, spec);
    if (restored) this.restored.add(spec.id); else this.restored.delete(spec.id);
    this.destroyed.delete(spec.id);
  }

  isRestored(id: number): boolean { return this.restored.has(id); }

  isPaused(id: number): boolean { return this.paused.has(id); }
  /** Mark paused; false if it already was. */
  markPaused(id: number): boolean {
    if (this.paused.has(id)) return false;
    this.paused.add(id);
    return true;
  }
  /** Mark running; false if it was not paused. */
  markUnpaused(id: number): boolean { return this.paused.delete(id); }

  isDying(id: number): boolean { return this.dying.has(id); }
  markDying(id: number): void { this.dying.add(id); }
  /** A destroy that could not pause the domain: it lives on. */
  unmarkDying(id: number): void { this.dying.delete(id); }

  onDestroy(id: number, hook: DestroyHook): () => void {
    let set = this.hooks.get(id);
    if (!set) { set = new Set(); this.hooks.set(id, set); }
    set.add(hook);
    return () => { set.delete(hook); };
  }

  /** Run (in order, awaited) and forget the destroy hooks of `id`. */
  async runDestroyHooks(id: number): Promise<void> {
    for (const hook of this.hooks.get(id) ?? []) await hook();
    this.hooks.delete(id);
  }

  /** The domain is gone and its id free. */
  remove(id: number): void {
    this.domains.delete(id);
    this.specs.delete(id);
    this.paused.delete(id);
    this.dying.delete(id);
    this.destroyed.add(id);
  }
}
