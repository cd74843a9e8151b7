// The migration connection's failures are MigrationErrors (src/errors.ts),
// over real sockets on 127.0.0.1: a frame larger than any a wasmxen peer
// sends or a frame of a kind a receiver never takes ('protocol'), a
// connection that ends inside a frame, before the HELLO or without a reply
// ('closed'), and a live target asked to take another domain than the
// default scenario's domain 1 ('unsupported'). A receiver answers each with
// a refusal that carries the message.
import { describe, it, expect } from 'vitest';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { MigrationError } from '../../src/errors.ts';
import { readFrames, writeFrame, writeJson, FRAME_MAX, FRAME_HELLO, FRAME_IMAGE_END } from '../../src/migrate/transport.ts';
import { sendDomains } from '../../src/migrate/sender.ts';
import { serveMigration, unexpectedFrame, type Reply } from '../../src/migrate/receiver.ts';
import { runLiveTarget } from '../../src/migrate/live-target.ts';
import { expectTyped, rejected } from './expect-typed.ts';

/** A listening server on 127.0.0.1 and a connected client; `accepted` is the server's end. */
async function socketPair(): Promise<{ server: Server; client: Socket; accepted: Socket }> {
  const server = createServer({ allowHalfOpen: true });
  const acc = new Promise<Socket>((resolve) => server.once('connection', resolve));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = connect({ port: (server.address() as { port: number }).port, host: '127.0.0.1', allowHalfOpen: true });
  return { server, client, accepted: await acc };
}

async function readAll(s: Socket): Promise<void> {
  for await (const _ of readFrames(s)) { /* every frame */ }
}

describe('MigrationError', () => {
  it('protocol: a frame header announcing more than FRAME_MAX bytes', async () => {
    const { server, client, accepted } = await socketPair();
    const h = Buffer.alloc(8);
    h.writeUInt32LE(FRAME_HELLO, 0);
    h.writeUInt32LE(FRAME_MAX + 1, 4);
    client.end(h);
    const e = expectTyped(await rejected(readAll(accepted)), MigrationError, 'WASMXEN_MIGRATION',
      new RegExp(`sent a ${FRAME_MAX + 1}-byte frame \\(limit ${FRAME_MAX}\\)`), /connect wasmxen of the same version at both ends/);
    expect(e.fault).toBe('protocol');
    accepted.destroy();
    server.close();
  });

  it('closed: the connection ends inside a frame', async () => {
    const { server, client, accepted } = await socketPair();
    const h = Buffer.alloc(12);
    h.writeUInt32LE(FRAME_HELLO, 0);
    h.writeUInt32LE(100, 4); // 100 announced, 4 come
    client.end(h);
    const e = expectTyped(await rejected(readAll(accepted)), MigrationError, 'WASMXEN_MIGRATION',
      /ended inside a frame \(12 bytes of it came\)/, /nothing was restored from it, run the migration again/);
    expect(e.fault).toBe('closed');
    server.close();
  });

  it('closed: the receiver closes without a reply', async () => {
    const server = createServer({ allowHalfOpen: true }, (s) => { void readAll(s).then(() => s.end()); });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const e = expectTyped(await rejected(sendDomains(port, [{ domid: 1, save: (sink) => sink(new Uint8Array(16)) }])), MigrationError, 'WASMXEN_MIGRATION',
      /closed the connection without a reply/, /check the receiving side before running the domains again/);
    expect(e.fault).toBe('closed');
    server.close();
  });

  it('a receiver refuses a frame kind it never takes, and a connection without a HELLO, with the message in its reply', async () => {
    expectTyped(unexpectedFrame(9), MigrationError, 'WASMXEN_MIGRATION', /frame of kind 9, which a receiver never takes/);
    const replies: Reply[] = [];
    for (const send of [
      (c: Socket) => { writeFrame(c, 9, new Uint8Array(0)); c.end(); },
      (c: Socket) => { writeFrame(c, FRAME_IMAGE_END, new Uint8Array(0)); c.end(); },
    ]) {
      const { server, client, accepted } = await socketPair();
      send(client);
      const [reply] = await Promise.all([serveMigration(accepted, {}), readAll(client)]);
      replies.push(reply);
      client.destroy();
      server.close();
    }
    expect(replies[0]).toMatchObject({ ok: false, error: expect.stringMatching(/frame of kind 9, which a receiver never takes/) });
    expect(replies[1]).toMatchObject({ ok: false, error: expect.stringMatching(/closed the connection before its HELLO: nothing was restored/) });
  });

  it('unsupported: a live target asked for another domain than 1 refuses it and says where such a domain goes', async () => {
    let listening!: (p: number) => void;
    const ready = new Promise<number>((resolve) => { listening = resolve; });
    const target = runLiveTarget({ port: 0, abi: 'fifo', timerHz: 100 }, (p) => listening(p), Promise.resolve(undefined));
    const port = await ready;
    const client = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    await new Promise<void>((resolve) => client.once('connect', resolve));
    writeJson(client, FRAME_HELLO, { domains: [{ domid: 3 }] });
    writeFrame(client, FRAME_IMAGE_END, new Uint8Array(0));
    client.end();
    const refusal = await target;
    await readAll(client);
    expect(refusal).toMatchObject({ ok: false, error: expect.stringMatching(/a live target takes domain 1 of the default scenario only, not domain\(s\) 3: move other domains with `wasmxen receive`/) });
  });
});
