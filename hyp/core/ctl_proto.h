/* SPDX-License-Identifier: MIT */
#ifndef FV_CORE_CTL_PROTO_H
#define FV_CORE_CTL_PROTO_H

/*
 * Ferrovisor control protocol (FVCP), version 1: the wire format between the
 * hypervisor and the management daemon in the service VM, carried over a
 * byte stream (the service VM's control virtio-console, /dev/hvc1 in Linux).
 * Described in full in docs/control-protocol.md.
 *
 * This header is shared unchanged by the hypervisor (freestanding C11) and
 * by the daemon (hosted C11 in Linux userspace): it uses <stdint.h> and
 * <stddef.h> only. Every multi-byte field on the wire is little-endian; the
 * structs below document the layout (their sizes are checked by _Static_assert,
 * so a padding byte anywhere would fail the build)
 * but the encoder/decoder (ctl_proto.c) reads and writes them byte by byte,
 * so neither side depends on its own endianness or alignment.
 *
 * Frame = struct ctl_hdr (24 bytes) + payload (hdr.len bytes, at most
 * CTL_MAX_PAYLOAD). hdr.crc is CRC-32C (Castagnoli) over the header with the
 * crc field zero, followed by the payload.
 */
#include <stddef.h>
#include <stdint.h>

#define CTL_MAGIC       0x50435646u /* "FVCP" as little-endian bytes */
#define CTL_VERSION     1u          /* protocol version this header describes */
#define CTL_VERSION_MIN 1u          /* oldest version the hypervisor speaks */
#define CTL_HDR_SIZE    24u
#define CTL_MAX_PAYLOAD 8192u /* hard limit; larger frames are refused */
#define CTL_MAX_FRAME   (CTL_HDR_SIZE + CTL_MAX_PAYLOAD)
#define CTL_NAME_MAX    32u                     /* VM names: NUL-padded, at least one NUL */
#define CTL_CHUNK_MAX   (CTL_MAX_PAYLOAD - 16u) /* data bytes in one UPLOAD_CHUNK */

/* hdr.flags */
#define CTL_F_RESPONSE 0x01u /* reply to the request with the same seq */
#define CTL_F_EVENT    0x02u /* unsolicited, seq is the event counter */
#define CTL_F_KNOWN    (CTL_F_RESPONSE | CTL_F_EVENT)

/* Message types (hdr.type). Requests 0x01..0x7f, events 0x80..0xff. */
enum ctl_type {
	CTL_T_HELLO = 0x01,          /* req ctl_hello, resp ctl_hello_resp */
	CTL_T_HOST_INFO = 0x02,      /* req empty, resp ctl_host_info */
	CTL_T_VM_LIST = 0x03,        /* req empty, resp ctl_vm_list + n * ctl_vm_entry */
	CTL_T_VCPU_LIST = 0x04,      /* req ctl_vm_ref, resp ctl_list_hdr + n * ctl_vcpu_entry */
	CTL_T_DEV_LIST = 0x05,       /* req ctl_vm_ref, resp ctl_list_hdr + n * ctl_dev_entry */
	CTL_T_VM_START = 0x10,       /* req ctl_vm_ref, resp empty */
	CTL_T_VM_STOP = 0x11,        /* req ctl_vm_ref, resp empty */
	CTL_T_VM_RESET = 0x12,       /* req ctl_vm_ref, resp empty */
	CTL_T_VM_PAUSE = 0x13,       /* req ctl_vm_ref, resp empty */
	CTL_T_VM_RESUME = 0x14,      /* req ctl_vm_ref, resp empty */
	CTL_T_VM_DESTROY = 0x15,     /* req ctl_vm_ref, resp empty */
	CTL_T_SET_WEIGHT = 0x16,     /* req ctl_set_weight, resp empty */
	CTL_T_SET_AFFINITY = 0x17,   /* req ctl_set_affinity, resp empty */
	CTL_T_UPLOAD_BEGIN = 0x20,   /* req ctl_upload_begin, resp ctl_upload_id */
	CTL_T_UPLOAD_CHUNK = 0x21,   /* req ctl_upload_chunk + data, resp ctl_upload_id */
	CTL_T_UPLOAD_COMMIT = 0x22,  /* req ctl_upload_id, resp ctl_vm_entry (the new VM) */
	CTL_T_UPLOAD_ABORT = 0x23,   /* req ctl_upload_id, resp empty */
	CTL_T_CONSOLE_ATTACH = 0x30, /* req ctl_vm_ref, resp empty; then CTL_T_EV_CONSOLE */
	CTL_T_CONSOLE_DETACH = 0x31, /* req ctl_vm_ref, resp empty */
	CTL_T_CONSOLE_INPUT = 0x32,  /* req ctl_console_input + data, resp ctl_console_ack */
	CTL_T_CTL_STATS = 0x33,      /* req empty, resp ctl_stats */
	CTL_T_HOST_METRICS = 0x40,   /* req empty, resp ctl_host_metrics + n * ctl_cpu_metrics */
	CTL_T_VM_METRICS = 0x41,     /* req ctl_vm_ref, resp ctl_vm_metrics + entries */
	CTL_T_NET_METRICS = 0x42,    /* req empty, resp ctl_net_metrics + switches + ports */
	CTL_T_DUMP_INFO = 0x48,      /* req ctl_vm_ref, resp ctl_dump_info + regions + vcpus */
	CTL_T_DUMP_READ = 0x49,      /* req ctl_dump_read, resp 1..CTL_DUMP_CHUNK RAM bytes */
	CTL_T_TRACE_CTL = 0x4c, /* req ctl_trace_ctl, resp ctl_trace_status + n * ctl_trace_cpu */
	CTL_T_TRACE_READ = 0x4d,
	CTL_T_PROF_START = 0x50, /* req ctl_prof_start, resp empty */
	CTL_T_PROF_STOP = 0x51,  /* req empty, resp empty */
	CTL_T_PROF_READ = 0x52,
	/* req ctl_prof_read, resp header + samples (prof_buf.h) */ /* req ctl_trace_read, resp
	                                                               ctl_trace_chunk + n *
	                                                               ctl_trace_rec */
	CTL_T_SNAP_BEGIN = 0x58,     /* req ctl_snap_begin, resp ctl_snap_info */
	CTL_T_SNAP_READ = 0x59,      /* req ctl_snap_read, resp 0..max stream bytes */
	CTL_T_SNAP_END = 0x5a,       /* req ctl_snap_end, resp empty */
	CTL_T_RESTORE_BEGIN = 0x5b,  /* req ctl_restore_begin, resp ctl_upload_id */
	CTL_T_RESTORE_DATA = 0x5c,   /* req ctl_upload_chunk + data, resp ctl_upload_id */
	CTL_T_RESTORE_COMMIT = 0x5d, /* req ctl_snap_end, resp ctl_vm_entry (the new VM) */
	CTL_T_RESTORE_ABORT = 0x5e,  /* req ctl_snap_end, resp empty */
	CTL_T_MIG_BEGIN = 0x60,      /* req ctl_snap_begin, resp ctl_snap_info (first segment) */
	CTL_T_MIG_ROUND = 0x61,      /* req ctl_snap_end (CTL_MIG_FINAL), resp ctl_mig_round */
	CTL_T_MIG_READ = 0x62,       /* req ctl_snap_read, resp 0..max stream bytes */
	CTL_T_MIG_END = 0x63,        /* req ctl_snap_end (CTL_SNAP_RESUME), resp empty */
	CTL_T_EV_VM_STATE = 0x80,    /* event ctl_ev_vm_state */
	CTL_T_EV_VM_CRASH = 0x81,    /* event ctl_ev_vm_crash */
	CTL_T_EV_CONSOLE = 0x82,     /* event ctl_ev_console + data */
	CTL_T_ERROR = 0xff,          /* response to a frame that could not be read */
};

/* Status words (hdr.status of responses; 0 in requests and events). */
enum ctl_status {
	CTL_OK = 0,
	CTL_E_BAD_MAGIC = 1,       /* garbage before a frame (skipped) */
	CTL_E_BAD_VERSION = 2,     /* hdr.version not negotiated / unsupported */
	CTL_E_BAD_CRC = 3,         /* checksum mismatch: frame dropped */
	CTL_E_TOO_LONG = 4,        /* hdr.len > CTL_MAX_PAYLOAD */
	CTL_E_TRUNCATED = 5,       /* payload shorter than the type requires */
	CTL_E_BAD_LENGTH = 6,      /* payload longer than the type allows */
	CTL_E_UNKNOWN_TYPE = 7,    /* no such request */
	CTL_E_BAD_FLAGS = 8,       /* unknown flag, or a response/event sent as request */
	CTL_E_BAD_FIELD = 9,       /* reserved field not zero, name not terminated, value range */
	CTL_E_NO_VM = 10,          /* no VM of that name */
	CTL_E_BAD_STATE = 11,      /* VM not in a state that allows it */
	CTL_E_NOT_SUPPORTED = 12,  /* operation not available in this build */
	CTL_E_NO_UPLOAD = 13,      /* unknown upload id */
	CTL_E_SEQUENCE = 14,       /* chunk offset is not the next byte expected */
	CTL_E_UPLOAD_SIZE = 15,    /* chunk past the announced size, or commit short */
	CTL_E_UPLOAD_CRC = 16,     /* whole-blob checksum mismatch at commit */
	CTL_E_BUSY = 17,           /* an upload is in progress / resource in use */
	CTL_E_NO_MEMORY = 18,      /* hypervisor cannot allocate */
	CTL_E_BAD_CONFIG = 19,     /* uploaded configuration blob rejected */
	CTL_E_LIMIT = 20,          /* the build's VM limit is reached */
	CTL_E_PERMISSION = 21,     /* not allowed on this VM (e.g. the service VM itself) */
	CTL_E_INTERNAL = 22,       /* hypervisor-side failure */
	CTL_E_NOT_NEGOTIATED = 23, /* request other than HELLO before HELLO */
	CTL_STATUS_COUNT = 24,
};

/* VM states on the wire (struct ctl_vm_entry.state, events). */
enum ctl_vm_state {
	CTL_VM_STOPPED = 0,
	CTL_VM_RUNNING = 1,
	CTL_VM_STOPPING = 2,
	CTL_VM_CRASHED = 3,
	CTL_VM_SUSPENDED = 4,
	CTL_VM_PAUSED = 5,
	CTL_VM_DESTROYED = 6, /* EV_VM_STATE only: the VM is gone, its slot free */
};

/* --- header ----------------------------------------------------------------------------- */

struct ctl_hdr {
	uint32_t magic;  /* CTL_MAGIC */
	uint8_t version; /* CTL_VERSION (HELLO may carry any) */
	uint8_t flags;   /* CTL_F_* */
	uint16_t type;   /* enum ctl_type */
	uint32_t seq;    /* request id, echoed in the response */
	uint32_t status; /* enum ctl_status in responses, 0 otherwise */
	uint32_t len;    /* payload bytes following the header */
	uint32_t crc;    /* CRC-32C of header (crc = 0) + payload */
};

/* --- payloads ----------------------------------------------------------------------------- */

struct ctl_hello {            /* HELLO request */
	uint16_t min_version; /* oldest version the client speaks */
	uint16_t max_version; /* newest */
	uint32_t max_frame;   /* largest frame the client accepts (>= 256) */
	char client[CTL_NAME_MAX];
};

struct ctl_hello_resp {
	uint16_t version; /* chosen: min(max_version, CTL_VERSION) */
	uint16_t reserved;
	uint32_t max_frame; /* largest frame the hypervisor accepts */
	uint32_t max_vms;   /* the build's VM limit */
	uint32_t features;  /* CTL_FEAT_* */
	char hypervisor[CTL_NAME_MAX];
};

#define CTL_FEAT_DYNAMIC_VMS 0x1u /* UPLOAD_COMMIT can create VMs */
#define CTL_FEAT_PAUSE       0x2u /* VM_PAUSE / VM_RESUME */

#define CTL_ARCH_MAX 16

struct ctl_host_info {
	uint32_t nr_cpus;
	uint32_t nr_vms;
	uint32_t max_vms;
	uint32_t reserved;
	uint64_t mem_total; /* bytes managed by the page allocator */
	uint64_t mem_free;
	uint64_t uptime_ns;
	uint64_t ctl_frames; /* frames received on the control channel */
	uint64_t ctl_errors; /* of which refused with an error */
	/* Appended (readers of the 56-byte answer stop at ctl_errors; a 56-byte answer comes
	 * from a build before the arm64 port, i.e. riscv64): the architecture as `make ARCH=`
	 * spells it, NUL-padded. Names what the metrics' arch-specific labels mean. */
	char arch[CTL_ARCH_MAX];
};

struct ctl_vm_ref {
	char name[CTL_NAME_MAX];
};

/* PROF_START: sample the VM's vCPUs (and idle CPUs) every period_us (100..1000000). */
struct ctl_prof_start {
	char name[CTL_NAME_MAX];
	uint32_t period_us;
	uint32_t reserved; /* 0 */
};

/* PROF_READ: samples from index offset on (core/prof_buf.h has the sample layout). */
struct ctl_prof_read {
	uint32_t offset;
	uint32_t reserved; /* 0 */
};

struct ctl_list_hdr {
	uint32_t count; /* entries following */
	uint32_t reserved;
};

struct ctl_vm_entry {
	uint32_t id;
	uint32_t state; /* enum ctl_vm_state */
	uint32_t nr_vcpus;
	uint32_t weight;
	uint64_t affinity; /* 0 = any CPU */
	uint64_t mem_size;
	uint64_t boots;
	uint64_t exits; /* sum over vCPUs */
	uint32_t flags; /* CTL_VMF_* */
	uint32_t reserved;
	char name[CTL_NAME_MAX];
};

#define CTL_VMF_SERVICE 0x1u /* the service VM */
#define CTL_VMF_DYNAMIC 0x2u /* created at run time */

struct ctl_vcpu_entry {
	uint32_t index;
	uint32_t state; /* 0 stopped, 1 runnable, 2 running, 3 blocked */
	int32_t cpu;    /* physical CPU, -1 none */
	uint32_t reserved;
	uint64_t exits;
	uint64_t exits_hcall; /* hypercalls (firmware calls of the architecture) */
	uint64_t exits_mmio;
	uint64_t exits_wfi;
	uint64_t exits_irq;
};

enum ctl_dev_kind {
	CTL_DEV_BLK = 1,
	CTL_DEV_NET = 2,
	CTL_DEV_CONSOLE = 3,
	CTL_DEV_CONTROL = 4,
};

struct ctl_dev_entry {
	uint32_t index;
	uint32_t kind; /* enum ctl_dev_kind */
	uint64_t base; /* guest physical MMIO window */
	uint32_t irq;
	uint32_t reserved;
	/* blk: requests, errors, bytes read, bytes written; net: rx frames, rx drops,
	 * tx frames, tx drops; console/control: bytes out, bytes in, errors, dropped */
	uint64_t counter[4];
	char name[16];
};

struct ctl_set_weight {
	char name[CTL_NAME_MAX];
	uint32_t weight; /* 1..65535 */
	uint32_t reserved;
};

struct ctl_set_affinity {
	char name[CTL_NAME_MAX];
	uint64_t mask; /* physical CPUs; must name at least one CPU of the host */
};

struct ctl_upload_begin {
	uint64_t size;  /* total blob bytes, 1..CTL_UPLOAD_MAX */
	uint32_t crc;   /* CRC-32C of the whole blob */
	uint32_t flags; /* CTL_UPF_* */
};

#define CTL_UPLOAD_MAX (256ull << 20)
#define CTL_UPF_START  0x1u /* start the VM after creating it */

struct ctl_upload_id {
	uint32_t id;
	uint32_t reserved;
	uint64_t received; /* bytes received so far (responses), 0 in requests */
};

struct ctl_upload_chunk { /* followed by 1..CTL_CHUNK_MAX data bytes */
	uint32_t id;
	uint32_t reserved;
	uint64_t offset; /* must equal the bytes received so far */
};

struct ctl_console_input { /* followed by len data bytes */
	char name[CTL_NAME_MAX];
	uint32_t len;
	uint32_t reserved;
};

struct ctl_console_ack {
	uint32_t accepted; /* bytes the guest took */
	uint32_t reserved;
};

struct ctl_stats {
	uint64_t frames;
	uint64_t errors;
	uint64_t bytes_in;
	uint64_t bytes_out;
	uint64_t events_dropped; /* events lost because the service VM did not read */
	uint64_t by_status[CTL_STATUS_COUNT];
	/* Appended (older readers stop at by_status): where frames were answered. */
	uint64_t notify_frames;   /* decoded in a round the service VM's notification asked for */
	uint64_t notify_rounds;   /* such rounds */
	uint64_t notify_requeues; /* rounds that spent their budget and left input for later */
	uint64_t tick_frames;     /* decoded by the 10 ms console tick (the fallback) */
};

/*
 * Metrics (0x40-0x42, docs/control-protocol.md "Metrics"). Every counter counts since the
 * hypervisor booted (VM and vCPU counters: since the VM was created) and never goes down,
 * so a scraper may treat them as Prometheus counters; the rest are gauges.
 */
#define CTL_EXIT_CAUSES 8 /* sbi, mmio, wfi, irq, virtual instruction, guest fault, other, - */

struct ctl_host_metrics { /* followed by nr_cpus x ctl_cpu_metrics */
	uint32_t nr_cpus;
	uint32_t nr_vms;
	uint64_t uptime_ns;
	uint64_t pages_total; /* page allocator, 4 KiB pages */
	uint64_t pages_free;
	uint64_t pages_used;
	uint64_t pages_reserved;
	uint64_t page_alloc_failures;
	uint64_t heap_total; /* hypervisor heap, bytes */
	uint64_t heap_used;
	uint64_t heap_free;
	uint64_t heap_peak;
	uint64_t heap_alloc_failures;
	uint64_t ctl_frames; /* control channel: frames received */
	uint64_t ctl_errors; /* ... of which answered with an error */
	uint64_t ctl_events_dropped;
};

struct ctl_cpu_metrics {
	uint32_t cpu;
	uint32_t rq_len; /* vCPUs queued plus the running one */
	uint64_t hw_id;  /* the hardware's id of the CPU (struct cpu.hw_id) */
	uint64_t idle_ns;
	uint64_t busy_ns; /* uptime - idle */
	uint64_t guest_exits;
	uint64_t switches;      /* vCPU context switches */
	uint64_t irqs_timer;    /* host timer interrupts */
	uint64_t irqs_ipi;      /* host IPIs */
	uint64_t migrations_in; /* vCPUs pulled from another CPU's run queue */
};

struct ctl_vm_metrics { /* then nr_vcpus x ctl_vcpu_metrics, nr_calls x ctl_call_metrics,
	                 * nr_devs x ctl_dev_metrics */
	uint32_t id;
	uint32_t state; /* enum ctl_vm_state */
	uint32_t nr_vcpus;
	uint32_t nr_calls;
	uint32_t nr_devs;
	uint32_t flags;         /* CTL_VMF_* */
	uint64_t mem_bytes;     /* guest RAM assigned */
	uint64_t hyp_mem_bytes; /* hypervisor memory spent on the VM beyond its RAM */
	uint64_t boots;         /* starts, the first included */
	uint64_t crashes;       /* stops after a fatal guest error */
	uint64_t run_ns;        /* sums over the vCPUs */
	uint64_t steal_ns;
	uint64_t irqs_injected;
	uint64_t migrations;
	uint64_t exits[CTL_EXIT_CAUSES];
	char name[CTL_NAME_MAX];
};

struct ctl_vcpu_metrics {
	uint32_t index;
	uint32_t state; /* 0 stopped, 1 runnable, 2 running, 3 blocked */
	int32_t cpu;    /* physical CPU it is on or last left, -1 none */
	uint32_t reserved;
	uint64_t run_ns;   /* time on a CPU */
	uint64_t steal_ns; /* time runnable but waiting for a CPU */
	uint64_t irqs_injected;
	uint64_t migrations;
	uint64_t exits[CTL_EXIT_CAUSES];
};

struct ctl_call_metrics { /* hypercalls of one kind (an SBI extension), summed over vCPUs */
	char name[16];    /* "base", "time", ...; "other" = unserved extension IDs */
	uint64_t calls;
};

struct ctl_dev_metrics {
	uint32_t index;
	uint32_t kind; /* enum ctl_dev_kind */
	uint32_t irq;
	int32_t sw;    /* net: switch index (NET_METRICS order), -1 none */
	uint32_t port; /* net: port on that switch */
	uint32_t reserved;
	/* blk: requests, errors, bytes read, bytes written, 0...;
	 * net: rx frames, rx bytes, rx drops, tx frames, tx bytes, tx drops, 0, 0;
	 * console/control: bytes out, bytes in, errors, dropped, 0... */
	uint64_t counter[8];
	char name[16];
};

struct ctl_net_metrics { /* then nr_switches x ctl_switch_metrics, nr_ports x ctl_port_metrics */
	uint32_t nr_switches;
	uint32_t nr_ports;
};

struct ctl_switch_metrics {
	char name[16];
	uint32_t nports;
	uint32_t flags; /* CTL_NETF_UPLINK */
	uint64_t drops; /* refused frames, invalid ports included */
	uint64_t floods;
	uint64_t learned;
};

struct ctl_port_metrics {
	uint32_t sw; /* switch index */
	uint32_t port;
	uint32_t flags;       /* CTL_NETF_* */
	uint32_t vm_id;       /* VM whose NIC is on the port; CTL_NO_VM for the uplink */
	uint64_t rx_frames;   /* frames from the port the switch accepted */
	uint64_t tx_frames;   /* frames the switch sent to the port */
	uint64_t drops;       /* frames from the port the switch refused */
	uint64_t inbox_drops; /* frames for the port lost because its inbox was full */
};

#define CTL_NETF_UPLINK  0x1u
#define CTL_NETF_ENABLED 0x2u
#define CTL_NO_VM        0xffffffffu

struct ctl_ev_vm_state {
	uint32_t id;
	uint32_t old_state; /* enum ctl_vm_state */
	uint32_t new_state;
	uint32_t reserved;
	char name[CTL_NAME_MAX];
};

struct ctl_ev_vm_crash {
	uint32_t id;
	uint32_t reserved;
	char name[CTL_NAME_MAX];
	char cause[96]; /* NUL-terminated text */
};

struct ctl_ev_console { /* followed by len data bytes */
	uint32_t id;
	uint32_t len;
	char name[CTL_NAME_MAX];
};

/*
 * Crash dumps (0x48-0x49, docs/control-protocol.md "Crash dumps"): the state of a VM that
 * is stopped, crashed or paused (every vCPU off its CPU), for the daemon to write an ELF
 * core. Refused for the service VM (E_PERMISSION) and for a VM still running (E_BAD_STATE;
 * E_BUSY while a paused vCPU has not yet left its CPU).
 */
#define CTL_DUMP_CHUNK   CTL_MAX_PAYLOAD /* RAM bytes in one DUMP_READ at most */
#define CTL_DUMP_NR_REGS 77u             /* pc, x1..x31, the CTL_DUMP_R_* CSRs, f0..f31, fcsr */

/* Index of each register in ctl_dump_vcpu.reg. */
enum ctl_dump_reg {
	CTL_DUMP_R_PC = 0,
	CTL_DUMP_R_X1 = 1, /* x1..x31 at 1..31 */
	CTL_DUMP_R_VSSTATUS = 32,
	CTL_DUMP_R_VSIE,
	CTL_DUMP_R_VSTVEC,
	CTL_DUMP_R_VSSCRATCH,
	CTL_DUMP_R_VSEPC,
	CTL_DUMP_R_VSCAUSE,
	CTL_DUMP_R_VSTVAL,
	CTL_DUMP_R_VSATP,
	CTL_DUMP_R_SSTATUS, /* the trap into the hypervisor: privilege (SPP) and cause */
	CTL_DUMP_R_HSTATUS,
	CTL_DUMP_R_SCAUSE,
	CTL_DUMP_R_STVAL,
	CTL_DUMP_R_F0 = 44, /* f0..f31 at 44..75 (raw 64-bit contents) */
	CTL_DUMP_R_FCSR = 76,
};

struct ctl_dump_info { /* then nr_regions x ctl_dump_region, nr_vcpus x ctl_dump_vcpu
	                * (the vCPU that crashed the VM first, if known; then index order) */
	uint32_t id;
	uint32_t state; /* enum ctl_vm_state */
	uint32_t nr_vcpus;
	uint32_t nr_regions;
	uint64_t boots;
	char name[CTL_NAME_MAX];
	char cause[96]; /* why it crashed (NUL-terminated, empty if it did not) */
};

struct ctl_dump_region { /* guest RAM */
	uint64_t gpa;
	uint64_t size;
};

struct ctl_dump_vcpu {
	uint32_t index;
	uint32_t state; /* as ctl_vcpu_entry.state */
	uint64_t reg[CTL_DUMP_NR_REGS];
};

struct ctl_dump_read {
	char name[CTL_NAME_MAX];
	uint64_t gpa;
	uint32_t len; /* 1..CTL_DUMP_CHUNK, the range inside one RAM region */
	uint32_t reserved;
};

/* The layout is the wire format: no padding anywhere. */
_Static_assert(sizeof(struct ctl_hdr) == CTL_HDR_SIZE, "ctl_hdr layout");
_Static_assert(offsetof(struct ctl_hdr, crc) == 20, "ctl_hdr layout");
_Static_assert(sizeof(struct ctl_hello) == 40, "ctl_hello layout");
_Static_assert(sizeof(struct ctl_hello_resp) == 48, "ctl_hello_resp layout");
_Static_assert(sizeof(struct ctl_host_info) == 72, "ctl_host_info layout");
_Static_assert(sizeof(struct ctl_vm_entry) == 88, "ctl_vm_entry layout");
_Static_assert(sizeof(struct ctl_vcpu_entry) == 56, "ctl_vcpu_entry layout");
_Static_assert(sizeof(struct ctl_dev_entry) == 72, "ctl_dev_entry layout");
_Static_assert(sizeof(struct ctl_set_weight) == 40, "ctl_set_weight layout");
_Static_assert(sizeof(struct ctl_set_affinity) == 40, "ctl_set_affinity layout");
_Static_assert(sizeof(struct ctl_upload_begin) == 16, "ctl_upload_begin layout");
_Static_assert(sizeof(struct ctl_upload_id) == 16, "ctl_upload_id layout");
_Static_assert(sizeof(struct ctl_upload_chunk) == 16, "ctl_upload_chunk layout");
_Static_assert(sizeof(struct ctl_console_input) == 40, "ctl_console_input layout");
_Static_assert(sizeof(struct ctl_stats) == 72 + 8 * CTL_STATUS_COUNT, "ctl_stats layout");
_Static_assert(sizeof(struct ctl_ev_vm_state) == 48, "ctl_ev_vm_state layout");
_Static_assert(sizeof(struct ctl_host_metrics) == 120, "ctl_host_metrics layout");
_Static_assert(sizeof(struct ctl_cpu_metrics) == 72, "ctl_cpu_metrics layout");
_Static_assert(sizeof(struct ctl_vm_metrics) == 184, "ctl_vm_metrics layout");
_Static_assert(sizeof(struct ctl_vcpu_metrics) == 112, "ctl_vcpu_metrics layout");
_Static_assert(sizeof(struct ctl_call_metrics) == 24, "ctl_call_metrics layout");
_Static_assert(sizeof(struct ctl_dev_metrics) == 104, "ctl_dev_metrics layout");
_Static_assert(sizeof(struct ctl_net_metrics) == 8, "ctl_net_metrics layout");
_Static_assert(sizeof(struct ctl_switch_metrics) == 48, "ctl_switch_metrics layout");
_Static_assert(sizeof(struct ctl_port_metrics) == 48, "ctl_port_metrics layout");
_Static_assert(sizeof(struct ctl_ev_vm_crash) == 136, "ctl_ev_vm_crash layout");
_Static_assert(sizeof(struct ctl_ev_console) == 40, "ctl_ev_console layout");
_Static_assert(sizeof(struct ctl_dump_info) == 152, "ctl_dump_info layout");
_Static_assert(sizeof(struct ctl_dump_region) == 16, "ctl_dump_region layout");
_Static_assert(sizeof(struct ctl_dump_vcpu) == 8 + 8 * CTL_DUMP_NR_REGS, "ctl_dump_vcpu layout");
_Static_assert(sizeof(struct ctl_dump_read) == 48, "ctl_dump_read layout");

/*
 * Event tracer (0x4c-0x4d, docs/control-protocol.md "Trace"; hyp/core/trace.h). A
 * hypervisor built without FEATURES=trace answers both with CTL_E_NOT_SUPPORTED.
 */
enum ctl_trace_op {
	CTL_TRACE_STATUS = 0, /* only report */
	CTL_TRACE_SET = 1,    /* class mask := mask, then report */
	CTL_TRACE_CLEAR = 2,  /* empty every ring and restart its drop count, then report */
};

struct ctl_trace_ctl {
	uint32_t op;   /* enum ctl_trace_op */
	uint32_t mask; /* CTL_TRACE_SET: bit c = class c (exit sbi irq sched virtio mmio vm) */
};

struct ctl_trace_status {    /* followed by nr_cpus x ctl_trace_cpu */
	uint32_t mask;       /* classes on */
	uint32_t nr_classes; /* classes this hypervisor knows (bits above are refused) */
	uint32_t nr_cpus;
	uint32_t ring_records; /* capacity of each CPU's ring */
};

struct ctl_trace_cpu {
	uint64_t records; /* waiting to be read */
	uint64_t dropped; /* lost to a full ring since the last clear */
};

struct ctl_trace_read {
	uint32_t cpu; /* 0..nr_cpus-1 */
	uint32_t max; /* records wanted, 1..CTL_TRACE_CHUNK_MAX */
};

/*
 * Records are consumed as they are read: the ring's read position is the cursor, so
 * reading until n = 0 drains a CPU. Oldest first.
 */
struct ctl_trace_chunk { /* followed by n x ctl_trace_rec */
	uint32_t cpu;
	uint32_t n;
	uint64_t dropped; /* as ctl_trace_cpu.dropped */
};

struct ctl_trace_rec {  /* hyp/core/trace.h: events and their arguments */
	uint64_t ts_ns; /* time base in ns since boot */
	uint8_t event;
	uint8_t cpu;
	uint8_t vm;   /* 255: none */
	uint8_t vcpu; /* 255: none */
	uint32_t a2;
	uint64_t a0;
	uint64_t a1; /* MMIO: start time in ns */
};

#define CTL_TRACE_CHUNK_MAX ((CTL_MAX_PAYLOAD - 16u) / 32u)

_Static_assert(sizeof(struct ctl_trace_ctl) == 8, "ctl_trace_ctl layout");
_Static_assert(sizeof(struct ctl_trace_status) == 16, "ctl_trace_status layout");
_Static_assert(sizeof(struct ctl_trace_cpu) == 16, "ctl_trace_cpu layout");
_Static_assert(sizeof(struct ctl_trace_read) == 8, "ctl_trace_read layout");
_Static_assert(sizeof(struct ctl_trace_chunk) == 16, "ctl_trace_chunk layout");
_Static_assert(sizeof(struct ctl_trace_rec) == 32, "ctl_trace_rec layout");

/*
 * VM snapshots (0x58-0x5e, docs/control-protocol.md "Snapshots", format in
 * docs/snapshot-format.md). One save and one restore may be open at a time
 * (E_BUSY otherwise), each named by the id its BEGIN answered.
 * Save: SNAP_BEGIN pauses the VM (if running) and fixes the stream's size;
 * SNAP_READ returns the next bytes, generated on demand from the paused VM
 * (offset must be the bytes read so far: E_SEQUENCE); SNAP_END closes it and
 * resumes the VM if CTL_SNAP_RESUME and the save paused it. A VM resumed,
 * restarted or destroyed meanwhile ends the save (E_BAD_STATE).
 * Restore: RESTORE_BEGIN names the new VM and the stream's size; RESTORE_DATA
 * takes the bytes in order (E_SEQUENCE, E_UPLOAD_SIZE), the VM is created
 * from the embedded configuration as soon as it is read; RESTORE_COMMIT
 * checks that the stream is complete and leaves the VM paused (running with
 * CTL_SNAP_RESUME). A refused stream (E_UPLOAD_CRC checksum, E_BAD_CONFIG
 * configuration or state this host cannot take, E_BAD_FIELD structure,
 * E_LIMIT / E_NO_MEMORY) or RESTORE_ABORT ends the restore and destroys the
 * half-made VM (RAM scrubbed and returned).
 */
#define CTL_SNAP_CHUNK  CTL_MAX_PAYLOAD /* stream bytes in one SNAP_READ at most */
#define CTL_SNAP_RESUME 0x1u            /* SNAP_END: resume; RESTORE_COMMIT: start running */

struct ctl_snap_begin {
	char name[CTL_NAME_MAX];
	uint32_t flags;    /* 0 */
	uint32_t reserved; /* 0 */
};

struct ctl_snap_info {
	uint32_t id;
	uint32_t flags;      /* CTL_SNAP_RESUME... unused: 0 */
	uint64_t total_size; /* bytes of the stream */
};

struct ctl_snap_read {
	uint32_t id;
	uint32_t max;    /* 1..CTL_SNAP_CHUNK */
	uint64_t offset; /* bytes read so far */
};

struct ctl_snap_end { /* also RESTORE_COMMIT and RESTORE_ABORT (flags 0) */
	uint32_t id;
	uint32_t flags; /* CTL_SNAP_RESUME */
};

struct ctl_restore_begin {
	char name[CTL_NAME_MAX]; /* of the new VM */
	uint64_t size;           /* bytes of the stream */
};

_Static_assert(sizeof(struct ctl_snap_begin) == 40, "ctl_snap_begin layout");
_Static_assert(sizeof(struct ctl_snap_info) == 16, "ctl_snap_info layout");
_Static_assert(sizeof(struct ctl_snap_read) == 16, "ctl_snap_read layout");
_Static_assert(sizeof(struct ctl_snap_end) == 8, "ctl_snap_end layout");
_Static_assert(sizeof(struct ctl_restore_begin) == 40, "ctl_restore_begin layout");

/*
 * Live migration, source side (0x60-0x63, docs/control-protocol.md "Live
 * migration"; the stream is a snapshot stream with SNAP_F_MIGRATION,
 * docs/snapshot-format.md). One migration at a time (E_BUSY), named by the id
 * MIG_BEGIN answered. MIG_BEGIN starts the VM's dirty-page log and opens the
 * stream's first segment (header, CONFIG, images; ctl_snap_info.total_size is
 * its length). MIG_ROUND takes the dirty log (the first round: every non-zero
 * page) and opens the next segment: its RAM sections (ctl_mig_round.bytes);
 * CTL_MIG_FINAL pauses the VM first and ends the segment with the state
 * sections and END. MIG_READ reads the current segment (offset = stream bytes
 * read so far, E_SEQUENCE otherwise; 0 bytes at its end). E_BUSY: ask again
 * (a write protection not yet effective on every CPU, a vCPU still leaving
 * its CPU after the final pause). MIG_END stops the log; CTL_SNAP_RESUME
 * resumes the VM if the final round paused it (a failed migration), else it
 * stays paused (the caller destroys it once the destination has it). A VM
 * resumed, restarted or destroyed meanwhile ends the migration (E_BAD_STATE).
 * Destination side: RESTORE_BEGIN with size 0 opens a restore of a migration
 * stream of any length, complete at its END.
 */
#define CTL_MIG_FINAL 0x1u /* MIG_ROUND: the last round (the VM paused) */

struct ctl_mig_round {
	uint32_t round; /* 0 = the first */
	uint32_t flags; /* CTL_MIG_FINAL as asked */
	uint64_t pages; /* pages in this round */
	uint64_t bytes; /* stream bytes of this segment */
};

_Static_assert(sizeof(struct ctl_mig_round) == 24, "ctl_mig_round layout");

/* --- encoder / decoder (ctl_proto.c, pure, also linked by the daemon) -------------------- */

/* CRC-32C (Castagnoli, reflected, init/xorout ~0) continued from @crc (start with 0). */
uint32_t ctl_crc32c(uint32_t crc, const void *data, size_t len);

/* Fixed payload sizes of a request type: *min..*max bytes; 0 = unknown type. */
int ctl_req_size(uint16_t type, uint32_t *min, uint32_t *max);

/* Name of a status word ("E_TRUNCATED"); "?" for an unknown one. */
const char *ctl_status_name(uint32_t status);

/*
 * Encode a frame into @out (room @cap): header from @hdr with len and crc
 * computed, then @payload_len bytes of @payload. Returns the frame size, or
 * 0 if it does not fit or @payload_len > CTL_MAX_PAYLOAD.
 */
size_t ctl_encode(uint8_t *out, size_t cap, const struct ctl_hdr *hdr, const void *payload,
                  size_t payload_len);

/* Read / write a header at @p (CTL_HDR_SIZE bytes), little-endian. */
void ctl_hdr_get(const uint8_t *p, struct ctl_hdr *h);
void ctl_hdr_put(uint8_t *p, const struct ctl_hdr *h);

/* Little-endian field access into payload bytes. */
static inline uint16_t ctl_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}
static inline uint32_t ctl_get32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
	       ((uint32_t)p[3] << 24);
}
static inline uint64_t ctl_get64(const uint8_t *p)
{
	return (uint64_t)ctl_get32(p) | ((uint64_t)ctl_get32(p + 4) << 32);
}
static inline void ctl_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}
static inline void ctl_put32(uint8_t *p, uint32_t v)
{
	for (unsigned i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}
static inline void ctl_put64(uint8_t *p, uint64_t v)
{
	ctl_put32(p, (uint32_t)v);
	ctl_put32(p + 4, (uint32_t)(v >> 32));
}

/*
 * Stream reassembly. Bytes from the channel go in with ctl_rx_push(); each
 * ctl_rx_pop() returns one event: a complete frame whose magic, length and
 * CRC are good (CTL_OK, *hdr and *payload valid until the next push/pop), or
 * an error the caller answers (hdr->seq is the frame's if its header was
 * read, else 0), or nothing yet (-1). Resynchronisation: on a bad magic the
 * decoder skips to the next byte that could start a magic (one
 * CTL_E_BAD_MAGIC per run of garbage); on a bad length or CRC it drops the
 * header's first byte and searches again, so a frame hidden in garbage is
 * still found. Never reads outside its buffer; state is plain data.
 */
struct ctl_rx {
	uint8_t buf[CTL_MAX_FRAME];
	uint32_t len;     /* bytes buffered */
	uint32_t consume; /* bytes of the last popped frame to drop on the next push/pop */
	int in_garbage;   /* a BAD_MAGIC was reported for the current run */
};

void ctl_rx_init(struct ctl_rx *rx);
/* Append up to @n bytes; returns how many fitted (the caller offers the rest later). */
size_t ctl_rx_push(struct ctl_rx *rx, const uint8_t *data, size_t n);
/* Next event: CTL_OK (frame), a CTL_E_* status, or -1 when more bytes are needed. */
int ctl_rx_pop(struct ctl_rx *rx, struct ctl_hdr *hdr, const uint8_t **payload);

/*
 * Validate a received request frame's header fields and payload size for its
 * type (flags, version, reserved type range). Returns CTL_OK or the status
 * to answer with.
 */
uint32_t ctl_check_request(const struct ctl_hdr *h);

/*
 * Copy a NUL-padded name field (CTL_NAME_MAX bytes) into @out (CTL_NAME_MAX)
 * and check it: non-empty, NUL-terminated inside the field, printable ASCII.
 * Returns CTL_OK or CTL_E_BAD_FIELD.
 */
uint32_t ctl_get_name(const uint8_t *field, char *out);

/*
 * Staged upload of a configuration blob (begin / chunk / commit / abort).
 * The caller owns the destination buffer. Chunks must arrive in order:
 * offset == received; anything else is CTL_E_SEQUENCE and changes nothing.
 */
struct ctl_upload {
	uint32_t id; /* 0 = no upload in progress */
	uint32_t flags;
	uint64_t size;
	uint64_t received;
	uint32_t crc_expect;
	uint32_t crc_run;
};

/* Start: checks size (1..CTL_UPLOAD_MAX) and flags; @id != 0. CTL_E_BUSY if one is open. */
uint32_t ctl_upload_begin(struct ctl_upload *u, uint32_t id, uint64_t size, uint32_t crc,
                          uint32_t flags);
/* Accept a chunk into @dst (room u->size): id, offset, and size checked first. */
uint32_t ctl_upload_chunk(struct ctl_upload *u, uint8_t *dst, uint32_t id, uint64_t offset,
                          const uint8_t *data, uint32_t len);
/* All bytes there and the CRC matches: CTL_OK (upload closed either way on a CRC error). */
uint32_t ctl_upload_finish(struct ctl_upload *u, uint32_t id);

#endif
