// SPDX-License-Identifier: MIT
/* Hypervisor shell: table-dispatched commands over the console. */
#include "core/shell.h"
#include "core/arch.h"
#include "core/console.h"
#include "core/ctl.h"
#include "core/hostdev.h"
#include "core/mem.h"
#include "core/percpu.h"
#include "core/sched.h"
#include "core/vm.h"
#include "core/vnet.h"
#include "lib/printf.h"
#include "lib/string.h"

#define LINE_MAX 128
#define MAX_ARGS 8

static char line[LINE_MAX];
static unsigned line_len;
static const char shell_tag[] = "hyp";

struct shell_cmd {
	const char *name;
	const char *usage;
	const char *help;
	void (*fn)(int argc, char **argv);
};

static void cmd_help(int argc, char **argv);

static void cmd_vm_list(void)
{
	pr_info("%-3s %-12s %-9s %5s %8s  %s", "ID", "NAME", "STATE", "VCPUS", "MEM(MiB)",
	        "vCPU: state/cpu/exits");
	for (unsigned i = 0; i < vm_count; i++) {
		struct vm *vm = vm_table[i];
		char vbuf[160];
		size_t off = 0;
		vbuf[0] = '\0';
		for (unsigned j = 0; j < vm->nr_vcpus && off < sizeof(vbuf); j++) {
			struct vcpu *v = vm->vcpus[j];
			int n = fv_snprintf(vbuf + off, sizeof(vbuf) - off, "%s%u:%s/%d/%lu",
			                    j ? " " : "", j, vcpu_state_name(v->state), v->se.cpu,
			                    (unsigned long)v->stats.exits);
			if (n < 0)
				break;
			off += (size_t)n;
		}
		pr_info("%-3u %-12s %-9s %5u %8lu  %s", vm->id, vm->name, vm_state_name(vm->state),
		        vm->nr_vcpus, (unsigned long)(vm->ram_size >> 20), vbuf);
		if (vm->last_error[0])
			pr_info("    last error: %s", vm->last_error);
	}
}

static void cmd_vm(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "list") == 0) {
		cmd_vm_list();
		return;
	}
	if (argc != 3) {
		pr_info("usage: vm list | vm start|stop|reset|info NAME | vm resume NAME");
		return;
	}
	struct vm *vm = vm_find(argv[2]);
	if (!vm) {
		pr_info("vm: no VM named '%s' (try: vm list)", argv[2]);
		return;
	}
	int ret;
	if (strcmp(argv[1], "info") == 0) {
		for (unsigned i = 0; i < vm->nr_vcpus; i++) {
			char buf[200];
			struct vcpu *v = vm->vcpus[i];
			arch_vcpu_describe(v, buf, sizeof(buf));
			pr_info(
			    "vcpu %u: %s on cpu %d, %lu exits (sbi %lu mmio %lu wfi %lu irq %lu)",
			    i, vcpu_state_name(v->state), v->se.cpu, (unsigned long)v->stats.exits,
			    (unsigned long)v->stats.by_kind[EXIT_SBI],
			    (unsigned long)v->stats.by_kind[EXIT_MMIO],
			    (unsigned long)v->stats.by_kind[EXIT_WFI],
			    (unsigned long)v->stats.by_kind[EXIT_IRQ]);
			pr_info("vcpu %u: %s", i, buf);
		}
		for (unsigned j = 0; j < vm_virtio_count(vm); j++) {
			char buf[200];
			vm_virtio_describe(vm, j, buf, sizeof(buf));
			pr_info("dev %s", buf);
		}
		return;
	}
	if (strcmp(argv[1], "start") == 0) {
		ret = vm_start(vm);
		if (ret == -FV_EBUSY)
			pr_info("vm %s is already %s", vm->name, vm_state_name(vm->state));
	} else if (strcmp(argv[1], "stop") == 0) {
		ret = vm_request(vm, VM_ACTION_STOP, "stop requested from the shell");
	} else if (strcmp(argv[1], "reset") == 0) {
		ret = vm_request(vm, VM_ACTION_RESET, "reset requested from the shell");
	} else if (strcmp(argv[1], "resume") == 0) {
		/* Wake a VM the guest suspended to RAM (SBI SUSP). */
		ret = vm_resume(vm);
		if (ret == -FV_EBUSY)
			pr_info("vm %s is %s, not suspended", vm->name, vm_state_name(vm->state));
		else
			pr_info("vm %s: resume requested from the shell", vm->name);
	} else {
		pr_info("usage: vm list | vm start|stop|reset|info NAME | vm resume NAME");
		return;
	}
	if (ret && ret != -FV_EBUSY)
		pr_info("vm %s: %s failed (%d)", vm->name, argv[1], ret);
}

static void cmd_mem(int argc, char **argv)
{
	UNUSED(argv);
	if (argc != 1) {
		pr_info("usage: mem");
		return;
	}
	struct page_alloc_stats ps;
	struct heap_stats hs;
	mem_stats(&ps, &hs);
	pr_info("pages: total %lu free %lu used %lu reserved %lu (4 KiB), largest free run %lu",
	        (unsigned long)ps.total_pages, (unsigned long)ps.free_pages,
	        (unsigned long)ps.used_pages, (unsigned long)ps.reserved_pages,
	        (unsigned long)ps.largest_free_run);
	pr_info("pages: %lu allocs (%lu failed), %lu frees", (unsigned long)ps.alloc_calls,
	        (unsigned long)ps.alloc_failures, (unsigned long)ps.free_calls);
	pr_info("heap: %lu bytes, used %lu, free %lu, peak %lu, live allocations %lu",
	        (unsigned long)hs.bytes_total, (unsigned long)hs.bytes_used,
	        (unsigned long)hs.bytes_free, (unsigned long)hs.peak_used,
	        (unsigned long)hs.live_allocs);
	for (unsigned i = 0; i < vm_count; i++)
		pr_info("vm %s: RAM %lu KiB, hypervisor overhead %lu bytes", vm_table[i]->name,
		        (unsigned long)(vm_table[i]->ram_size >> 10),
		        (unsigned long)vm_table[i]->hyp_mem_bytes);
}

static void cmd_cpus(int argc, char **argv)
{
	UNUSED(argv);
	if (argc != 1) {
		pr_info("usage: cpus");
		return;
	}
	for (unsigned i = 0; i < cpu_count; i++) {
		struct cpu *c = cpu_table[i];
		struct vcpu *v = c->current;
		pr_info(
		    "cpu %u (hart %lu): %s%s%u, queued %u, exits %lu, switches %lu, idle %lu ms", i,
		    (unsigned long)c->hartid, v ? v->vm->name : "idle", v ? "/" : "", v ? v->id : 0,
		    c->rq.nr_queued, (unsigned long)c->stats.guest_exits,
		    (unsigned long)c->stats.switches, (unsigned long)(c->stats.idle_ns / 1000000));
	}
}

static void print_line(const char *text)
{
	pr_info("%s", text);
}

static void cmd_net(int argc, char **argv)
{
	UNUSED(argv);
	if (argc != 1) {
		pr_info("usage: net");
		return;
	}
	vnet_describe(print_line);
}

static void cmd_disks(int argc, char **argv)
{
	UNUSED(argv);
	if (argc != 1) {
		pr_info("usage: disks");
		return;
	}
	hostdev_describe_disks(print_line);
}

static void cmd_ctl(int argc, char **argv)
{
	UNUSED(argv);
	if (argc != 1) {
		pr_info("usage: ctl");
		return;
	}
	ctl_describe(print_line);
}

static const struct shell_cmd cmds[] = {
    {"help", "help", "list commands", cmd_help},
    {"vm", "vm list | vm start|stop|reset|info NAME | vm resume NAME",
     "list, control or inspect VMs; resume wakes a suspended one", cmd_vm},
    {"mem", "mem", "memory allocator statistics", cmd_mem},
    {"cpus", "cpus", "physical CPUs and what they run", cmd_cpus},
    {"net", "net", "virtual switches: ports, learnt MACs, drops", cmd_net},
    {"disks", "disks", "physical disks and the VMs' claims on them", cmd_disks},
    {"ctl", "ctl", "control channel: frames, errors per status word", cmd_ctl},
};

static void cmd_help(int argc, char **argv)
{
	UNUSED(argc);
	UNUSED(argv);
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++)
		pr_info("  %-36s %s", cmds[i].usage, cmds[i].help);
	pr_info("  console: Ctrl-] n next focus, Ctrl-] 1-8 VM, Ctrl-] 0 shell");
}

void shell_exec(char *l)
{
	char *argv[MAX_ARGS];
	int argc = 0;
	char *p = l;
	while (*p) {
		while (*p == ' ' || *p == '\t')
			*p++ = '\0';
		if (!*p)
			break;
		if (argc == MAX_ARGS) {
			pr_info("too many arguments");
			return;
		}
		argv[argc++] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
	}
	if (argc == 0)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++) {
		if (strcmp(argv[0], cmds[i].name) == 0) {
			cmds[i].fn(argc, argv);
			return;
		}
	}
	pr_info("unknown command '%s' (try: help)", argv[0]);
}

void shell_prompt(void)
{
	console_write(shell_tag, "fv> ", 4);
}

void shell_input(char c)
{
	if (c == '\r' || c == '\n') {
		console_write(shell_tag, "\n", 1);
		line[line_len] = '\0';
		shell_exec(line);
		line_len = 0;
		shell_prompt();
	} else if (c == 0x7f || c == '\b') {
		if (line_len) {
			line_len--;
			console_write(shell_tag, "\b \b", 3);
		}
	} else if (c == 0x03) { /* Ctrl-C: drop the line */
		line_len = 0;
		console_write(shell_tag, "^C\n", 3);
		shell_prompt();
	} else if ((unsigned char)c >= 0x20 && (unsigned char)c < 0x7f && line_len < LINE_MAX - 1) {
		line[line_len++] = c;
		console_write(shell_tag, &c, 1);
	}
}
