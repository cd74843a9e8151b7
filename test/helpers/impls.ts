// Both implementations of the channel layer, for suites that must hold for each.
import { ReferenceModel, type ReferenceDomainConfig } from '../../src/model/reference-model.ts';
import { WasmChannelImpl } from '../../src/channel/wasm-impl.ts';

/** The surface both implementations share. */
export type ChannelImpl = ReferenceModel | WasmChannelImpl;

export interface Impl {
  name: string;
  make(domains: ReferenceDomainConfig[]): ChannelImpl;
}

export const IMPLS: Impl[] = [
  { name: 'reference model', make: (d) => new ReferenceModel(d) },
  { name: 'wasm', make: (d) => new WasmChannelImpl(d) },
];
