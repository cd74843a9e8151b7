// comlink ships its Node adapter without a .d.mts for the ESM build.
declare module 'comlink/dist/esm/node-adapter.mjs' {
  import type { Endpoint } from 'comlink';
  // Node's MessagePort and Worker both fit; typed loosely as comlink's own .d.ts does
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  export default function nodeEndpoint(nep: any): Endpoint;
}
