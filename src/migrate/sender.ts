// The sending side of a migration: connect to a receiver on 127.0.0.1, send
// HELLO, stream each domain's image as the saver writes it, await the reply.
import { connect } from 'node:net';
import { readFrames, writeFrame, writeImageChunk, writeJson, FRAME_HELLO, FRAME_IMAGE_END, FRAME_REPLY } from './transport.ts';
import type { Hello, Reply } from './receiver.ts';
import { MigrationError } from '../errors.ts';

export interface Outgoing {
  domid: number;
  control?: boolean;
  /** the toolstack's configuration of its guest module (HelloDomain.config) */
  config?: unknown;
  /** writes the domain's image into `sink` (saveDomain) */
  save: (sink: (chunk: Uint8Array) => void) => void;
}

/** Send `domains` to the receiver on 127.0.0.1:`port`; resolves with its reply (R: a live target's reply shape). */
export async function sendDomains<R = Reply>(port: number, domains: readonly Outgoing[]): Promise<{ reply: R; bytes: number }> {
  const socket = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
  await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
  const hello: Hello = { domains: domains.map((d) => ({ domid: d.domid, control: d.control, config: d.config })) };
  writeJson(socket, FRAME_HELLO, hello);
  let bytes = 0;
  for (const d of domains) {
    d.save((chunk) => { bytes += chunk.length; writeImageChunk(socket, chunk); });
    writeFrame(socket, FRAME_IMAGE_END, new Uint8Array(0));
  }
  socket.end();
  for await (const f of readFrames(socket)) {
    if (f.kind === FRAME_REPLY) {
      socket.destroy();
      return { reply: JSON.parse(f.body.toString()) as R, bytes };
    }
  }
  throw new MigrationError('closed', 'the receiver closed the connection without a reply (it crashed or is not a wasmxen receiver): ' +
    'whether it restored the domains is unknown; check the receiving side before running the domains again');
}
