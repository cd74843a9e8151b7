// The receiving side of a migration (libxl's migrate-receive): one
// connection brings a HELLO naming the domains, then each domain's image.
// Every image is validated, and checked against this host, before any domain
// is created (I45); then the domains are created at this host's addresses
// (after a gap of other memory, so nothing depends on where they were),
// filled, and each vCPU that arrived mid-hypercall executes its call again
// from its register context until it completes (I46) — the arrival of a
// domain that has no guest module of its own. The reply says how each
// domain ended: per-vCPU results and a digest of its memory.
import { createServer, type Socket, type AddressInfo } from 'node:net';
import { createMachine, type Machine } from '../wasm/data-plane.ts';
import { buildForLayout } from '../wasm/private-layout.ts';
import { HypercallStub } from '../guest/hypercall-stub.ts';
import { HCALL_REGS_SIZE } from '../../assembly/shared/hypercall-abi.ts';
import { MAX_DOMAINS } from '../../assembly/shared/layout.ts';
import { parseImage, type DomainImage } from './parse.ts';
import { checkTarget, restoreConfig, fillDomain } from './restore.ts';
import { ImageError } from './errors.ts';
import { MigrationError } from '../errors.ts';
import { readFrames, writeJson, FRAME_HELLO, FRAME_IMAGE_CHUNK, FRAME_IMAGE_END, FRAME_REPLY } from './transport.ts';
import { domainDigest, type DomainDigest } from './digest.ts';
import type { ImageKey } from './writer.ts';

export interface HelloDomain {
  domid: number;
  control?: boolean;
  /** the toolstack's configuration of the domain's guest module (a live migration's target runs it) */
  config?: unknown;
}
export interface Hello { domains: HelloDomain[] }

export interface ReceiverOptions {
  key?: ImageKey;
  /** this hypervisor's preemption budget (a "newer" one may differ from the saver's) */
  preemptEvery?: number;
  /** this hypervisor's private-region layout version (default 1; a "newer" one may differ from the saver's, I55) */
  layoutVersion?: number;
  /** G_INJECT bits (stress build): e.g. continuation-mask-change */
  inject?: number;
  /** frames of another domain placed before the restored ones (default 13) */
  gapFrames?: number;
  maxVcpus?: number;
}

export interface ArrivedVcpu { vcpu: number; continuation: boolean; result?: number; continuations?: number }
export interface ArrivedDomain { domid: number; guestBase: number; vcpus: ArrivedVcpu[]; digest: DomainDigest }
/** ok: the private-layout version of the hypervisor that restored the domains, and how each ended. */
export type Reply = { ok: true; layoutVersion: number; domains: ArrivedDomain[] } | { ok: false; fault?: string; error: string };

/** Validate all images, create and fill their domains, run every continuation in flight to completion. */
export function arrive(hello: Hello, images: Uint8Array[], opts: ReceiverOptions): { machine: Machine; reply: Reply } | { reply: Reply } {
  if (images.length !== hello.domains.length) return { reply: { ok: false, error: `HELLO named ${hello.domains.length} domains but ${images.length} images came` } };
  let parsed: DomainImage[];
  try {
    parsed = images.map((b) => parseImage(b, { key: opts.key }));
    for (const img of parsed) checkTarget(img, { maxVcpus: opts.maxVcpus });
  } catch (e) {
    return { reply: { ok: false, fault: e instanceof ImageError ? e.fault : undefined, error: (e as Error).message } };
  }
  const gapId = [...Array(MAX_DOMAINS).keys()].reverse().find((d) => !hello.domains.some((h) => h.domid === d))!;
  const configs = parsed.map((img, i) => ({ ...restoreConfig(img, hello.domains[i].domid), control: hello.domains[i].control ?? false }));
  const build = buildForLayout(opts.layoutVersion, !!opts.inject);
  const machine = createMachine([{ domid: gapId, vcpus: 1, frames: opts.gapFrames ?? 13 }, ...configs], build, { preemptEvery: opts.preemptEvery });
  if (opts.inject) machine.dp.x.stressConfigure(0, 0, 0, opts.inject);
  const filled = parsed.map((img, i) => ({ img, region: machine.domain(configs[i].domid), vcpus: fillDomain(machine.dp, machine.domain(configs[i].domid), img) }));
  const domains: ArrivedDomain[] = filled.map(({ img, region, vcpus }) => {
    const arrived: ArrivedVcpu[] = vcpus.map((v) => {
      if (!v.continuation) return { vcpu: v.vcpu, continuation: false };
      const out = new HypercallStub(machine.dp, region.domid, v.vcpu, v.regsGpa).finish();
      return { vcpu: v.vcpu, continuation: true, result: out.result, continuations: out.continuations };
    });
    const skip = vcpus.map((v) => [v.regsGpa, HCALL_REGS_SIZE] as [number, number]);
    return { domid: region.domid, guestBase: region.guestBase, vcpus: arrived, digest: domainDigest(machine.dp, region.domid, img.config.frames, skip) };
  });
  return { machine, reply: { ok: true, layoutVersion: machine.dp.layout.LAYOUT_VERSION, domains } };
}

/** A frame of a kind a receiver never takes: the peer is not a wasmxen sender of this version. */
export function unexpectedFrame(kind: number): MigrationError {
  return new MigrationError('protocol', `the migration peer sent a frame of kind ${kind}, which a receiver never takes: ` +
    'it is not a wasmxen sender of this version; connect wasmxen of the same version at both ends');
}

/** Serve one migration on `socket`. */
export async function serveMigration(socket: Socket, opts: ReceiverOptions): Promise<Reply> {
  let hello: Hello | undefined;
  const images: Uint8Array[] = [];
  let chunks: Buffer[] = [];
  let reply: Reply | undefined;
  try {
    // until the sender half-closes (leaving the loop early would destroy the socket before the reply)
    for await (const f of readFrames(socket)) {
      if (f.kind === FRAME_HELLO) hello = JSON.parse(f.body.toString()) as Hello;
      else if (f.kind === FRAME_IMAGE_CHUNK) chunks.push(Buffer.from(f.body));
      else if (f.kind === FRAME_IMAGE_END) {
        images.push(Buffer.concat(chunks));
        chunks = [];
      } else throw unexpectedFrame(f.kind);
    }
    if (!hello) throw new MigrationError('closed', 'the sender closed the connection before its HELLO: nothing was restored; run the migration again');
    reply = arrive(hello, images, opts).reply;
  } catch (e) {
    reply = { ok: false, error: (e as Error).message };
  }
  writeJson(socket, FRAME_REPLY, reply);
  socket.end();
  return reply;
}

/**
 * Listen on 127.0.0.1:`port` (0: any), call `ready` with the port, serve
 * `count` migrations one after another (each into a machine of its own),
 * then close. Resolves with every reply in order.
 */
export function receive(port: number, count: number, opts: ReceiverOptions, ready: (port: number) => void,
  onReply?: (r: Reply) => void): Promise<Reply[]> {
  return new Promise((resolve, reject) => {
    const replies: Reply[] = [];
    let queue = Promise.resolve();
    let accepted = 0;
    const server = createServer({ allowHalfOpen: true }, (socket) => {
      if (++accepted >= count) server.close();
      queue = queue.then(() => serveMigration(socket, opts)).then((r) => {
        replies.push(r);
        onReply?.(r);
        if (replies.length === count) resolve(replies);
      }, reject);
    });
    server.on('error', reject);
    server.listen(port, '127.0.0.1', () => ready((server.address() as AddressInfo).port));
  });
}
