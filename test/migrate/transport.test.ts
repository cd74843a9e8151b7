// The migration channel's frames over a real socket pair on 127.0.0.1: an
// image writer's chunk larger than a frame may be (a device model's disk in
// one EMULATOR_CONTEXT body) crosses as several IMAGE_CHUNK frames that the
// reader accepts and that reassemble to the same bytes.
import { describe, it, expect } from 'vitest';
import { createServer, connect, type Socket } from 'node:net';
import { readFrames, writeImageChunk, FRAME_MAX, FRAME_IMAGE_CHUNK } from '../../src/migrate/transport.ts';

describe('migration transport', () => {
  it('a chunk of 2.5 frames goes as three IMAGE_CHUNK frames, none over FRAME_MAX, reassembling to the same bytes', async () => {
    const chunk = new Uint8Array(FRAME_MAX * 2 + FRAME_MAX / 2);
    for (let i = 0; i < chunk.length; i += 4096) chunk[i] = (i >>> 12) & 0xff;
    const server = createServer();
    const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const out = connect(port, '127.0.0.1');
    const inc = await accepted;
    writeImageChunk(out, chunk);
    out.end();
    const sizes: number[] = [];
    const parts: Buffer[] = [];
    for await (const f of readFrames(inc)) {
      expect(f.kind).toBe(FRAME_IMAGE_CHUNK);
      sizes.push(f.body.length);
      parts.push(Buffer.from(f.body));
    }
    server.close();
    expect(sizes).toEqual([FRAME_MAX, FRAME_MAX, FRAME_MAX / 2]);
    expect(Buffer.concat(parts).equals(Buffer.from(chunk))).toBe(true);
  });
});
