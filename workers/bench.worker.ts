// Thin entry point of a bench party (`wasmxen bench`): attach to the machine's
// memory (wasmxen, JS reference) or to the baselines' page, then run the named
// party once per request. Control over comlink; the measured path never is.
import { parentPort, workerData } from 'node:worker_threads';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { runRole } from '../src/bench/roles/index.ts';
import { partyContext } from '../src/bench/party.ts';
import type { RoleResult } from '../src/bench/roles/context.ts';
import type { BenchWorkerData, BenchWorkerApi } from '../src/bench/protocol.ts';

const d = workerData as BenchWorkerData;
const ctx = partyContext(d, d.ports);

const api: BenchWorkerApi = {
  run: (role: string, args: unknown): Promise<RoleResult> => runRole(ctx, role, args),
};

Comlink.expose(api, nodeEndpoint(parentPort!));
