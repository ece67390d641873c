// SPDX-License-Identifier: MIT
/*
 * Metrics over the control channel (see ctl_metrics.h): sums the per-CPU, per-vCPU,
 * per-device and per-switch counters and encodes them little-endian, field by field, in
 * the layouts of ctl_proto.h. Every size is bounded by the build's limits (checked below),
 * so a response always fits one frame.
 */
#include "core/ctl_metrics.h"
#include "core/arch.h"
#include "core/ctl_proto.h"
#include "core/mem.h"
#include "core/percpu.h"
#include "core/sched_rq.h"
#include "core/timer.h"
#include "core/vcpu.h"
#include "core/vm.h"
#include "core/vm_virtio.h"
#include "core/vnet.h"
#include "lib/string.h"

#define CALLS_MAX 32 /* hypercall counters reported per VM at most */

_Static_assert(sizeof(struct ctl_host_metrics) + FV_MAX_CPUS * sizeof(struct ctl_cpu_metrics) <=
                   CTL_MAX_PAYLOAD,
               "HOST_METRICS size");
_Static_assert(sizeof(struct ctl_vm_metrics) + VM_MAX_VCPUS * sizeof(struct ctl_vcpu_metrics) +
                       CALLS_MAX * sizeof(struct ctl_call_metrics) +
                       CFG_MAX_VIRTIO * sizeof(struct ctl_dev_metrics) <=
                   CTL_MAX_PAYLOAD,
               "VM_METRICS size");
_Static_assert(sizeof(struct ctl_net_metrics) +
                       CFG_MAX_SWITCHES * (sizeof(struct ctl_switch_metrics) +
                                           VSWITCH_MAX_PORTS * sizeof(struct ctl_port_metrics)) <=
                   CTL_MAX_PAYLOAD,
               "NET_METRICS size");
_Static_assert(EXIT_KIND_COUNT <= CTL_EXIT_CAUSES, "exit causes on the wire");
_Static_assert(EXIT_HCALL == 0 && EXIT_MMIO == 1 && EXIT_WFI == 2 && EXIT_IRQ == 3 &&
                   EXIT_VIRT_INST == 4 && EXIT_GUEST_FAULT == 5 && EXIT_OTHER == 6,
               "exit cause order on the wire");

/*
 * Idle and busy time of each CPU as last reported: the idle period in progress is read
 * without a lock (sched.c publishes idle_since, then folds it into idle_ns), so a read
 * racing the fold could see a value a little ahead of the next one. Reporting the maximum
 * of both keeps the counters monotonic. Console tick only.
 */
static uint64_t last_idle[FV_MAX_CPUS], last_busy[FV_MAX_CPUS];

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

static void put_str(uint8_t *p, const char *s, size_t field)
{
	size_t n = strlen(s);
	memset(p, 0, field);
	memcpy(p, s, n < field - 1 ? n : field - 1);
}

uint32_t ctl_metrics_host(uint8_t *out, const struct ctl_metrics_ctl *ctl)
{
	struct page_alloc_stats ps;
	struct heap_stats hs;
	uint64_t now = time_now_ns();
	mem_stats(&ps, &hs);
	memset(out, 0, sizeof(struct ctl_host_metrics));
	ctl_put32(out, cpu_count);
	ctl_put32(out + 4, vm_count);
	ctl_put64(out + 8, now);
	ctl_put64(out + 16, ps.total_pages);
	ctl_put64(out + 24, ps.free_pages);
	ctl_put64(out + 32, ps.used_pages);
	ctl_put64(out + 40, ps.reserved_pages);
	ctl_put64(out + 48, ps.alloc_failures);
	ctl_put64(out + 56, hs.bytes_total);
	ctl_put64(out + 64, hs.bytes_used);
	ctl_put64(out + 72, hs.bytes_free);
	ctl_put64(out + 80, hs.peak_used);
	ctl_put64(out + 88, hs.alloc_failures);
	ctl_put64(out + 96, ctl->frames);
	ctl_put64(out + 104, ctl->errors);
	ctl_put64(out + 112, ctl->events_dropped);
	uint32_t len = sizeof(struct ctl_host_metrics);
	for (unsigned i = 0; i < cpu_count && i < FV_MAX_CPUS; i++) {
		const struct cpu *c = cpu_table[i];
		uint8_t *e = out + len;
		uint64_t since = __atomic_load_n(&c->idle_since, __ATOMIC_RELAXED);
		uint64_t idle = __atomic_load_n(&c->stats.idle_ns, __ATOMIC_RELAXED);
		if (since && now > since)
			idle += now - since;
		if (idle > now)
			idle = now;
		last_idle[i] = max_u64(last_idle[i], idle);
		last_busy[i] = max_u64(last_busy[i], now - idle);
		memset(e, 0, sizeof(struct ctl_cpu_metrics));
		ctl_put32(e, i);
		ctl_put32(e + 4, __atomic_load_n(&c->rq.nr_queued, __ATOMIC_RELAXED) +
		                     (__atomic_load_n(&c->rq.curr, __ATOMIC_RELAXED) ? 1u : 0u));
		ctl_put64(e + 8, c->hw_id);
		ctl_put64(e + 16, last_idle[i]);
		ctl_put64(e + 24, last_busy[i]);
		ctl_put64(e + 32, __atomic_load_n(&c->stats.guest_exits, __ATOMIC_RELAXED));
		ctl_put64(e + 40, __atomic_load_n(&c->stats.switches, __ATOMIC_RELAXED));
		ctl_put64(e + 48, __atomic_load_n(&c->stats.irqs_timer, __ATOMIC_RELAXED));
		ctl_put64(e + 56, __atomic_load_n(&c->stats.irqs_ipi, __ATOMIC_RELAXED));
		ctl_put64(e + 64, __atomic_load_n(&c->stats.migrations_in, __ATOMIC_RELAXED));
		len += sizeof(struct ctl_cpu_metrics);
	}
	return len;
}

static uint32_t wire_vm_state(enum vm_state s)
{
	static const uint32_t map[] = {
	    [VM_STOPPED] = CTL_VM_STOPPED,     [VM_RUNNING] = CTL_VM_RUNNING,
	    [VM_STOPPING] = CTL_VM_STOPPING,   [VM_CRASHED] = CTL_VM_CRASHED,
	    [VM_SUSPENDED] = CTL_VM_SUSPENDED, [VM_PAUSED] = CTL_VM_PAUSED,
	};
	return (unsigned)s < ARRAY_SIZE(map) ? map[s] : CTL_VM_STOPPED;
}

/* One vCPU's entry; adds its counters to the VM's totals. */
static void vcpu_entry(uint8_t *e, unsigned i, const struct vcpu *v, uint64_t *tot)
{
	uint64_t run = __atomic_load_n(&v->se.sum_exec_ns, __ATOMIC_RELAXED);
	uint64_t steal = __atomic_load_n(&v->stats.steal_total_ns, __ATOMIC_RELAXED);
	uint64_t irqs = __atomic_load_n(&v->stats.irqs_injected, __ATOMIC_RELAXED);
	uint64_t migr = __atomic_load_n(&v->se.migrations, __ATOMIC_RELAXED);
	memset(e, 0, sizeof(struct ctl_vcpu_metrics));
	ctl_put32(e, i);
	ctl_put32(e + 4, (uint32_t)__atomic_load_n(&v->state, __ATOMIC_RELAXED));
	ctl_put32(e + 8, (uint32_t)__atomic_load_n(&v->se.cpu, __ATOMIC_RELAXED));
	ctl_put64(e + 16, run);
	ctl_put64(e + 24, steal);
	ctl_put64(e + 32, irqs);
	ctl_put64(e + 40, migr);
	tot[0] += run;
	tot[1] += steal;
	tot[2] += irqs;
	tot[3] += migr;
	for (unsigned k = 0; k < EXIT_KIND_COUNT; k++) {
		uint64_t x = __atomic_load_n(&v->stats.by_kind[k], __ATOMIC_RELAXED);
		ctl_put64(e + 48 + 8 * k, x);
		tot[4 + k] += x;
	}
}

static void dev_entry(uint8_t *e, const struct vm *vm, unsigned j)
{
	struct vm_virtio_info info;
	vm_virtio_info(vm, j, &info);
	memset(e, 0, sizeof(struct ctl_dev_metrics));
	ctl_put32(e, j);
	ctl_put32(e + 4, info.kind);
	ctl_put32(e + 8, info.irq);
	ctl_put32(e + 12, (uint32_t)info.sw);
	ctl_put32(e + 16, info.port);
	if (info.kind == VM_VIRTIO_KIND_NET) {
		/* rx frames, rx bytes, rx drops, tx frames, tx bytes, tx drops */
		const uint64_t c[6] = {info.counter[0], info.rx_bytes, info.counter[1],
		                       info.counter[2], info.tx_bytes, info.counter[3]};
		for (unsigned k = 0; k < 6; k++)
			ctl_put64(e + 24 + 8 * k, c[k]);
	} else {
		for (unsigned k = 0; k < 4; k++)
			ctl_put64(e + 24 + 8 * k, info.counter[k]);
	}
	put_str(e + 88, info.name, 16);
}

uint32_t ctl_metrics_vm(uint8_t *out, const struct vm *vm, uint32_t flags)
{
	/* run, steal, irqs, migrations, then exits by cause */
	uint64_t tot[4 + EXIT_KIND_COUNT] = {0};
	uint32_t len = sizeof(struct ctl_vm_metrics);
	unsigned nv = vm->nr_vcpus < VM_MAX_VCPUS ? vm->nr_vcpus : VM_MAX_VCPUS;
	for (unsigned i = 0; i < nv; i++) {
		vcpu_entry(out + len, i, vm->vcpus[i], tot);
		len += sizeof(struct ctl_vcpu_metrics);
	}
	/* Hypercalls by kind: the arch names them, the VM's count is the sum over vCPUs. */
	unsigned nc = 0;
	const char *name;
	uint64_t count;
	while (nc < CALLS_MAX && nv && arch_vcpu_call_stat(vm->vcpus[0], nc, &name, &count)) {
		for (unsigned i = 1; i < nv; i++) {
			uint64_t c;
			const char *n2;
			if (arch_vcpu_call_stat(vm->vcpus[i], nc, &n2, &c))
				count += c;
		}
		put_str(out + len, name, 16);
		ctl_put64(out + len + 16, count);
		len += sizeof(struct ctl_call_metrics);
		nc++;
	}
	unsigned nd = vm_virtio_count(vm);
	if (nd > CFG_MAX_VIRTIO)
		nd = CFG_MAX_VIRTIO;
	for (unsigned j = 0; j < nd; j++) {
		dev_entry(out + len, vm, j);
		len += sizeof(struct ctl_dev_metrics);
	}
	uint8_t *h = out;
	memset(h, 0, sizeof(struct ctl_vm_metrics));
	ctl_put32(h, vm->id);
	ctl_put32(h + 4, wire_vm_state(__atomic_load_n(&vm->state, __ATOMIC_RELAXED)));
	ctl_put32(h + 8, nv);
	ctl_put32(h + 12, nc);
	ctl_put32(h + 16, nd);
	ctl_put32(h + 20, flags);
	ctl_put64(h + 24, vm->ram_size);
	ctl_put64(h + 32, vm->hyp_mem_bytes);
	ctl_put64(h + 40, vm->boots);
	ctl_put64(h + 48, vm->crashes);
	for (unsigned k = 0; k < 4; k++)
		ctl_put64(h + 56 + 8 * k, tot[k]);
	for (unsigned k = 0; k < EXIT_KIND_COUNT; k++)
		ctl_put64(h + 88 + 8 * k, tot[4 + k]);
	put_str(h + 152, vm->name, CTL_NAME_MAX);
	return len;
}

uint32_t ctl_metrics_net(uint8_t *out)
{
	static struct vnet_switch_stats ss; /* console tick only; too big for the stack */
	unsigned ns = vnet_switch_count();
	uint32_t np = 0;
	if (ns > CFG_MAX_SWITCHES)
		ns = CFG_MAX_SWITCHES;
	uint32_t len = sizeof(struct ctl_net_metrics);
	/* Switches first, then every used port of every switch, in one pass per switch. */
	uint32_t port_off = len + ns * (uint32_t)sizeof(struct ctl_switch_metrics);
	for (unsigned i = 0; i < ns; i++) {
		uint8_t *e = out + len + i * sizeof(struct ctl_switch_metrics);
		vnet_switch_stats(i, &ss);
		memset(e, 0, sizeof(struct ctl_switch_metrics));
		put_str(e, ss.name, 16);
		ctl_put32(e + 16, ss.nports);
		ctl_put32(e + 20, ss.uplink ? CTL_NETF_UPLINK : 0);
		ctl_put64(e + 24, ss.drops);
		ctl_put64(e + 32, ss.floods);
		ctl_put64(e + 40, ss.learned);
		for (unsigned k = 0; k < ss.nports && k < VSWITCH_MAX_PORTS; k++) {
			if (!ss.port[k].used)
				continue;
			uint8_t *p = out + port_off + np * sizeof(struct ctl_port_metrics);
			uint32_t fl = (ss.port[k].uplink ? CTL_NETF_UPLINK : 0) |
			              (ss.port[k].enabled ? CTL_NETF_ENABLED : 0);
			memset(p, 0, sizeof(struct ctl_port_metrics));
			ctl_put32(p, i);
			ctl_put32(p + 4, k);
			ctl_put32(p + 8, fl);
			ctl_put32(p + 12, ss.port[k].uplink ? CTL_NO_VM : ss.port[k].vm_id);
			ctl_put64(p + 16, ss.port[k].rx_frames);
			ctl_put64(p + 24, ss.port[k].tx_frames);
			ctl_put64(p + 32, ss.port[k].drops);
			ctl_put64(p + 40, ss.port[k].inbox_drops);
			np++;
		}
	}
	ctl_put32(out, ns);
	ctl_put32(out + 4, np);
	return port_off + np * (uint32_t)sizeof(struct ctl_port_metrics);
}
