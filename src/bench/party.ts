// What a bench party's worker (Node's workers/bench.worker.ts, the browser's
// src/browser/bench.worker.ts) builds from its start data: the machine
// attached (wasmxen, JS reference) or the baselines' page, the cell's control
// block, and its ports in the dialect the roles speak.
import { DataPlane } from '../wasm/data-plane.ts';
import { benchExports } from './exports.ts';
import { BenchPage } from './page.ts';
import { BenchCtl } from '../harness/ctl.ts';
import type { RoleContext } from './roles/context.ts';
import type { BenchWorkerData } from './protocol.ts';

export function partyContext(d: BenchWorkerData, ports: RoleContext['ports']): RoleContext {
  const dp = d.module && d.memory ? DataPlane.attach(d.module, d.memory) : undefined;
  return {
    page: new BenchPage(d.memory ? d.memory.buffer : d.pageSab!, d.pageAddr),
    ctl: new BenchCtl(d.ctl),
    parties: d.parties,
    dp,
    bx: dp ? benchExports(dp) : undefined,
    ports,
  };
}
