// The migration connection between two wasmxen processes (libxl's migration
// channel over a socket): frames of kind u32, length u32 (little-endian),
// body. A HELLO (JSON) names what comes, IMAGE_CHUNK frames carry an image
// as the saver produces it (streamed, never held whole by the sender),
// IMAGE_END closes one image, REPLY (JSON) answers. Only 127.0.0.1 is used.
import type { Socket } from 'node:net';
import { MigrationError } from '../errors.ts';

export const FRAME_HELLO = 1;
export const FRAME_IMAGE_CHUNK = 2;
export const FRAME_IMAGE_END = 3;
export const FRAME_REPLY = 4;
const FRAME_HEADER = 8;
/** A chunk is at most one PAGE_DATA batch and its header; anything larger is a broken peer. */
export const FRAME_MAX = 8 * 1024 * 1024;

export interface Frame { kind: number; body: Buffer }

export function writeFrame(socket: Socket, kind: number, body: Uint8Array): boolean {
  const h = Buffer.alloc(FRAME_HEADER);
  h.writeUInt32LE(kind, 0);
  h.writeUInt32LE(body.length, 4);
  socket.write(h);
  return socket.write(body);
}

/** An image's bytes as IMAGE_CHUNK frames of at most FRAME_MAX each (an image writer's chunk may be larger: a device model's disk). */
export function writeImageChunk(socket: Socket, chunk: Uint8Array): void {
  for (let at = 0; at < chunk.length; at += FRAME_MAX) writeFrame(socket, FRAME_IMAGE_CHUNK, chunk.subarray(at, at + FRAME_MAX));
}

export function writeJson(socket: Socket, kind: number, value: unknown): boolean {
  return writeFrame(socket, kind, Buffer.from(JSON.stringify(value)));
}

/** The frames arriving on `socket`, in order, until it ends; a frame cut short or too large throws MigrationError. */
export async function* readFrames(socket: Socket): AsyncGenerator<Frame> {
  let buf: Buffer = Buffer.alloc(0);
  // destroyOnReturn false: a receiver that read the sender's whole half still writes its reply
  for await (const data of socket.iterator({ destroyOnReturn: false })) {
    buf = buf.length ? Buffer.concat([buf, data as Buffer]) : (data as Buffer);
    while (buf.length >= FRAME_HEADER) {
      const kind = buf.readUInt32LE(0);
      const len = buf.readUInt32LE(4);
      if (len > FRAME_MAX) {
        throw new MigrationError('protocol', `the migration peer sent a ${len}-byte frame (limit ${FRAME_MAX}): it is not a wasmxen ` +
          'migration peer of this version; connect wasmxen of the same version at both ends');
      }
      if (buf.length < FRAME_HEADER + len) break;
      yield { kind, body: buf.subarray(FRAME_HEADER, FRAME_HEADER + len) };
      buf = buf.subarray(FRAME_HEADER + len);
    }
  }
  if (buf.length) {
    throw new MigrationError('closed', `the migration connection ended inside a frame (${buf.length} bytes of it came): ` +
      'the peer closed or crashed mid-transfer; nothing was restored from it, run the migration again');
  }
}

/** Wait until the socket's write buffer drained (backpressure for a streamed image). */
export function drained(socket: Socket): Promise<void> {
  return socket.writableNeedDrain ? new Promise((r) => socket.once('drain', () => r())) : Promise.resolve();
}
