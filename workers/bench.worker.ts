// Thin entry point of a bench party (`wasmxen bench`): attach to the machine's
// memory (wasmxen, JS reference) or to the baselines' page, then run the named
// party once per request. Control over comlink; the measured path never is.
import { parentPort, workerData } from 'node:worker_threads';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { DataPlane } from '../src/wasm/data-plane.ts';
import { benchExports } from '../src/bench/exports.ts';
import { BenchPage } from '../src/bench/page.ts';
import { BenchCtl } from '../src/harness/ctl.ts';
import { ROLES } from '../src/bench/roles/index.ts';
import type { RoleContext, RoleResult } from '../src/bench/roles/context.ts';
import type { BenchWorkerData, BenchWorkerApi } from '../src/bench/protocol.ts';

const d = workerData as BenchWorkerData;
const dp = d.module && d.memory ? DataPlane.attach(d.module, d.memory) : undefined;
const ctx: RoleContext = {
  page: new BenchPage(d.memory ? d.memory.buffer : d.pageSab!, d.pageAddr),
  ctl: new BenchCtl(d.ctl),
  parties: d.parties,
  dp,
  bx: dp ? benchExports(dp) : undefined,
  ports: d.ports,
};

const api: BenchWorkerApi = {
  async run(role: string, args: unknown): Promise<RoleResult> {
    const fn = ROLES[role];
    if (!fn) throw new Error(`bench: unknown party '${role}'`);
    try {
      return await fn(ctx, args);
    } catch (e) {
      ctx.ctl.abort(); // the other parties stop waiting for this one
      throw e;
    }
  },
};

Comlink.expose(api, nodeEndpoint(parentPort!));
