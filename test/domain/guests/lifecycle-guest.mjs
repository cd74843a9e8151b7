// A guest module for the lifecycle tests (plain JS: vCPU workers load it
// unbundled). Shared words (Int32Array over g.shared), written by the guest,
// read by the test:
//   [0] READY      vCPU 0 finished offering its ports
//   [1] WORK       vCPU 0's main-loop iterations (each one a hypercall: an IPI to itself)
//   [2] GATE       the 'stall' handler waits here while it is 0
//   [3] STALLED    set by the 'stall' handler while it waits
//   [16 + i]       port i offered to config.peer (one event expected on each)
//   [64 + i]       events received on port i
// config: { peer, ports, stallVcpu }
const READY = 0, WORK = 1, GATE = 2, STALLED = 3, PORTS = 16, RECV = 64;

export function handlers(g) {
  const s = new Int32Array(g.shared);
  const index = (port) => { for (let i = 0; i < g.config.ports; i++) if (s[PORTS + i] === port) return i; return -1; };
  return {
    ev(port) { const i = index(port); if (i >= 0) Atomics.add(s, RECV + i, 1); },
    ipi() {},
    stall() {
      Atomics.store(s, STALLED, 1);
      Atomics.notify(s, STALLED);
      while (Atomics.load(s, GATE) === 0) Atomics.wait(s, GATE, 0, 1000); // no hypercall: this vCPU can not park
      Atomics.store(s, STALLED, 0);
    },
  };
}

export function main(g) {
  const s = new Int32Array(g.shared);
  if (g.vcpu !== 0) return;
  const { peer, ports, stallVcpu } = g.config;
  for (let i = 0; i < ports; i++) {
    const p = g.hc.allocUnbound(peer);
    g.listen(p, i === ports - 1 && stallVcpu !== undefined ? 'stall' : 'ev');
    if (i === ports - 1 && stallVcpu !== undefined) g.bindVcpu(p, stallVcpu);
    Atomics.store(s, PORTS + i, p);
  }
  const ipi = g.bindIpi(0, 'ipi');
  Atomics.store(s, READY, 1);
  Atomics.notify(s, READY);
  // guest work: every iteration is a hypercall (a boundary), then an upcall check
  while (!g.stopping()) {
    g.send(ipi.port);
    Atomics.add(s, WORK, 1);
    g.poll();
  }
}
