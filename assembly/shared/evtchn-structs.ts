// The argument structs of HYPERVISOR_event_channel_op (Xen's
// xen/include/public/event_channel.h; spec §3), one definition with named
// field offsets for the AssemblyScript hypercall layer and the TypeScript
// guest stubs. Sizes are the same for native and compat callers.

// struct evtchn_alloc_unbound
export const EAU_DOM = 0;             // domid_t IN
export const EAU_REMOTE_DOM = 2;      // domid_t IN
export const EAU_PORT = 4;            // evtchn_port_t OUT
export const EAU_SIZE = 8;
// struct evtchn_bind_interdomain
export const EBI_REMOTE_DOM = 0;      // domid_t IN
export const EBI_REMOTE_PORT = 4;     // IN
export const EBI_LOCAL_PORT = 8;      // OUT
export const EBI_SIZE = 12;
// struct evtchn_bind_virq
export const EBV_VIRQ = 0;            // IN
export const EBV_VCPU = 4;            // IN
export const EBV_PORT = 8;            // OUT
export const EBV_SIZE = 12;
// struct evtchn_bind_pirq
export const EBP_PIRQ = 0;            // IN
export const EBP_FLAGS = 4;           // IN
export const EBP_PORT = 8;            // OUT
export const EBP_SIZE = 12;
// struct evtchn_bind_ipi
export const EBIPI_VCPU = 0;          // IN
export const EBIPI_PORT = 4;          // OUT
export const EBIPI_SIZE = 8;
// struct evtchn_close / evtchn_send / evtchn_unmask
export const EPORT_PORT = 0;
export const EPORT_SIZE = 4;
// struct evtchn_status
export const ES_DOM = 0;              // domid_t IN
export const ES_PORT = 4;             // IN
export const ES_STATUS = 8;           // OUT EVTCHNSTAT_*
export const ES_VCPU = 12;            // OUT
export const ES_U = 16;               // OUT union: unbound.dom / interdomain.dom (u16), pirq, virq (u32)
export const ES_U_INTERDOMAIN_PORT = 20; // OUT interdomain.port
export const ES_SIZE = 24;
// struct evtchn_bind_vcpu
export const EBVCPU_PORT = 0;
export const EBVCPU_VCPU = 4;
export const EBVCPU_SIZE = 8;
// struct evtchn_set_priority
export const ESP_PORT = 0;
export const ESP_PRIORITY = 4;
export const ESP_SIZE = 8;
// struct evtchn_reset
export const ER_DOM = 0;              // domid_t
export const ER_SIZE = 2;
// struct evtchn_init_control
export const EIC_CONTROL_GFN = 0;     // u64 IN
export const EIC_OFFSET = 8;          // u32 IN
export const EIC_VCPU = 12;           // u32 IN
export const EIC_LINK_BITS = 16;      // u8 OUT, then 3 bytes of the u32 word echoed
export const EIC_PAD = 20;            // u8[4]
export const EIC_SIZE = 24;
// struct evtchn_expand_array
export const EEA_ARRAY_GFN = 0;       // u64 IN
export const EEA_SIZE = 8;

// EVTCHNOP_status results (EVTCHNSTAT_*)
export const EVTCHNSTAT_closed = 0;
export const EVTCHNSTAT_unbound = 1;
export const EVTCHNSTAT_interdomain = 2;
export const EVTCHNSTAT_pirq = 3;
export const EVTCHNSTAT_virq = 4;
export const EVTCHNSTAT_ipi = 5;

// The event_channel_op command word. Xen has no continuation bits here: any
// value that is not a known command is -ENOSYS. wasmxen keeps reset_cont's
// position in the command word above EVTCHNOP_CMD_MASK (I42), so a
// continuation carries its own progress: EVTCHNOP_reset_cont |
// (port / EVTCHNS_PER_BUCKET) << EVTCHNOP_RESET_CONT_SHIFT. A plain
// EVTCHNOP_reset_cont (progress 0, as real Xen leaves it) restarts at port 1.
// Frozen like Xen's masks: a guest may carry such a word across a migration.
export const EVTCHNOP_CMD_MASK = 0xff;
export const EVTCHNOP_RESET_CONT_SHIFT = 8;
