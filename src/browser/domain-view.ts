// Draws one domain's snapshot (domain-snapshot.ts): per vCPU the upcall flag
// and the FIFO queues that hold or held events (HEAD and Xen's tail), and
// every bound port's event word decoded into PENDING/MASKED/LINKED/BUSY.
import type { DomainSnapshot, PortSnapshot } from './domain-snapshot.ts';
import { $, h, table, show } from './dom.ts';

const hex = (w: number) => '0x' + (w >>> 0).toString(16).padStart(8, '0');

function flags(p: PortSnapshot): HTMLElement {
  const f = (on: boolean, letter: string, name: string) => h('span', { class: on ? 'on' : '', title: name, 'aria-label': `${name} ${on ? 'set' : 'clear'}` }, on ? letter : '-');
  return h('span', { class: 'flags' }, f(p.pending, 'P', 'PENDING'), f(p.masked, 'M', 'MASKED'), f(p.linked, 'L', 'LINKED'), f(p.busy, 'B', 'BUSY'));
}

export function drawDomain(s: DomainSnapshot, at: number): void {
  $('domain').hidden = false;
  $('domain-h').textContent = `Domain ${s.dom} (${s.abi === 'fifo' ? 'FIFO' : '2-level'} ABI), read from the shared memory at ${at.toFixed(1)} s`;
  $('domain-note').textContent = 'Each word is one atomic load while the vCPUs run: the words of one picture are not a single consistent instant. '
    + 'Queues listed: those with a non-zero HEAD or tail, or READY set (HEAD is the guest\'s, the tail is Xen\'s private one).';
  const vcpus = s.vcpus.map((v) => {
    const qs = v.queues.filter((q) => q.head !== 0 || q.tail !== 0 || q.ready);
    return h('div', {},
      h('p', {}, `vCPU ${v.vcpu}: upcall_pending `, h('strong', {}, v.upcallPending ? '1' : '0'),
        `, upcall mask ${v.upcallMasked ? '1' : '0'}, ${v.blocked ? 'blocked in SCHEDOP_block' : 'running'}`),
      v.queues.length === 0 ? h('p', {}, 'no FIFO control block yet')
        : table(`vCPU ${v.vcpu} queues (${qs.length} of 16 in use)`, ['priority', 'READY', 'HEAD', 'tail'],
          qs.map((q) => [q.priority, q.ready ? 'yes' : 'no', q.head, q.tail])));
  });
  const ports = table(`Bound ports of domain ${s.dom} (first ${s.ports.length})`, ['port', 'state', 'vCPU', 'priority', 'event word', 'P M L B', 'LINK'],
    s.ports.map((p) => [p.port, p.state, p.notifyVcpu, p.priority, p.word === undefined ? '(no event word)' : hex(p.word), flags(p), p.link]));
  show($('domain-body'), h('div', { class: 'vcpus' }, ...vcpus), ports);
}
