// Public API of `wasmxen/model`: the reference model of the event-channel
// layer (plain TypeScript, single-threaded). Depends on the core; the core never imports it.
export { ReferenceModel } from './reference-model.ts';
export type { ReferenceDomainConfig } from './reference-model.ts';
export { RAISE_NEWLY_PENDING, RAISE_DROPPED } from './model-fifo.ts';
export { virqType, VIRQ_TIMER, VIRQ_DEBUG, VIRQ_CONSOLE, VIRQ_DOM_EXC, VIRQ_XENOPROF, VIRQ_ARGO, VIRQ_XENPMU } from './model-virq.ts';
export type { VirqType } from './model-virq.ts';
