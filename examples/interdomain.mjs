import { Hypervisor } from 'wasmxen';

// two service domains, served on this thread
const hv = await Hypervisor.create({ domains: [{ id: 1, vcpus: 1 }, { id: 2, vcpus: 1 }] });
const frontend = hv.domain(1);
const backend = hv.domain(2);

// the backend offers a port to domain 1, the frontend binds it (the toolstack's handshake)
const backendPort = backend.allocUnbound(1);
const frontendPort = frontend.bindInterdomain(2, backendPort);

let received = 0;
const done = new Promise((resolve) => {
  backend.on(backendPort, (port) => {
    received++;
    console.log(`domain 2 received an event on port ${port}`);
    resolve();
  });
});

frontend.send(frontendPort);
await done;
console.log(`events received: ${received}`);
await hv.shutdown();
