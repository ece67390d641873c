// SPDX-License-Identifier: MIT
/* Hypervisor shell: table-dispatched commands over the console. */
#include "core/shell.h"
#include "core/arch.h"
#include "core/console.h"
#include "core/irq.h"
#include "core/ctl.h"
#include "core/hostdump.h"
#include "core/prof.h"
#include "core/hostdev.h"
#include "core/mem.h"
#include "core/percpu.h"
#include "core/sched.h"
#include "core/trace.h"
#include "core/vm.h"
#include "core/vconsole.h"
#include "core/vnet.h"
#include "lib/fv_err.h"
#include "lib/printf.h"
#include "lib/string.h"

#define LINE_MAX 128
#define MAX_ARGS 8
#define PROMPT   "fv> "

static char line[LINE_MAX];
static unsigned line_len;
static bool line_overflow; /* more was typed than line[] holds: refuse the line */
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
	pr_info("%u of %u VM slots in use", vm_count, FV_MAX_VMS);
	for (unsigned i = 0; i < FV_MAX_VMS; i++) {
		struct vm *vm = vm_table[i];
		if (!vm)
			continue;
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
		pr_info("%-3u %-12s %-9s %5u %8lu  %s", vm->id, vm->name,
		        vm->destroying ? "destroying" : vm_state_name(vm->state), vm->nr_vcpus,
		        (unsigned long)(vm->ram_size >> 20), vbuf);
		if (vm->last_error[0])
			pr_info("    last error: %s", vm->last_error);
	}
}

#define VM_USAGE                                                                                   \
	"usage: vm list | vm start|stop|reset|info NAME | vm pause|resume|destroy NAME | vm "      \
	"create TEMPLATE [NAME] | vm weight NAME N | vm affinity NAME CPU[,CPU...]"

static bool vm_subcommand(const char *sub)
{
	static const char *const subs[] = {"start",  "stop",     "reset",   "info",
	                                   "resume", "pause",    "destroy", "create",
	                                   "weight", "affinity", "dump"};
	for (size_t i = 0; i < ARRAY_SIZE(subs); i++)
		if (strcmp(sub, subs[i]) == 0)
			return true;
	return false;
}

static void cmd_vm_info(struct vm *vm)
{
	pr_info("vm %s: %s, slot %u, %lu MiB at 0x%lx (host 0x%lx), boots %lu%s", vm->name,
	        vm_state_name(vm->state), vm->id, (unsigned long)(vm->ram_size >> 20),
	        (unsigned long)vm->ram_gpa, (unsigned long)vm->ram_hpa, (unsigned long)vm->boots,
	        vm->dynamic ? ", created at run time" : "");
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		char buf[200];
		struct vcpu *v = vm->vcpus[i];
		arch_vcpu_describe(v, buf, sizeof(buf));
		pr_info("vcpu %u: %s on cpu %d, weight %u, affinity 0x%lx, run %lu ms, %lu exits "
		        "(" ARCH_HCALL_NAME " %lu mmio %lu wfi %lu irq %lu)",
		        i, vcpu_state_name(v->state), v->se.cpu, v->se.weight,
		        (unsigned long)v->se.affinity, (unsigned long)(v->se.sum_exec_ns / 1000000),
		        (unsigned long)v->stats.exits, (unsigned long)v->stats.by_kind[EXIT_HCALL],
		        (unsigned long)v->stats.by_kind[EXIT_MMIO],
		        (unsigned long)v->stats.by_kind[EXIT_WFI],
		        (unsigned long)v->stats.by_kind[EXIT_IRQ]);
		pr_info("vcpu %u: %s", i, buf);
	}
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		const struct vcpu_stats *st = &vm->vcpus[i]->stats;
		pr_info("vcpu %u: exits virt-inst %lu guest-fault %lu other %lu, %lu irqs injected",
		        i, (unsigned long)st->by_kind[EXIT_VIRT_INST],
		        (unsigned long)st->by_kind[EXIT_GUEST_FAULT],
		        (unsigned long)st->by_kind[EXIT_OTHER], (unsigned long)st->irqs_injected);
	}
	/* Emulated MMIO by region: which device the guest's MMIO exits went to (issue #15). */
	for (unsigned r = 0; r < vm->mmio.count; r++)
		pr_info("mmio %s: %lu accesses",
		        vm->mmio.regions[r].name ? vm->mmio.regions[r].name : "?",
		        (unsigned long)__atomic_load_n(&vm->mmio.regions[r].accesses,
		                                       __ATOMIC_RELAXED));
	for (unsigned j = 0; j < vm_virtio_count(vm); j++) {
		char buf[200];
		vm_virtio_describe(vm, j, buf, sizeof(buf));
		pr_info("dev %s", buf);
	}
}

/* `vm create TEMPLATE [NAME]`: a new VM from a template of the boot bundle. */
static void cmd_vm_create(int argc, char **argv)
{
	struct vm *vm;
	int ret = vm_create_from_template(argv[2], argc == 4 ? argv[3] : NULL, &vm);
	if (ret == 0)
		pr_info("vm %s: created from template %s (slot %u)", vm->name, argv[2], vm->id);
	else if (ret == -FV_ENOSPC)
		pr_info("vm create: VM limit reached (%u VMs); destroy one first", FV_MAX_VMS);
	else
		pr_info("vm create %s: failed: %s (%d), see the error above", argv[2],
		        fv_strerror(ret), ret);
}

/* A decimal number below 2^32, or -1. */
static long parse_u32(const char *s)
{
	unsigned long v = 0;
	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > 0xffffffffUL / 10)
			return -1;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	return v > 0xffffffffUL ? -1 : (long)v;
}

/* "0,1,3" -> CPU mask; 0 for a malformed list or a CPU number >= 64. */
static uint64_t parse_cpu_list(const char *s)
{
	uint64_t mask = 0;
	unsigned cpu = 0;
	bool digit = false;
	for (;; s++) {
		if (*s >= '0' && *s <= '9') {
			cpu = cpu * 10 + (unsigned)(*s - '0');
			digit = true;
			if (cpu >= 64)
				return 0;
		} else if ((*s == ',' || *s == '\0') && digit) {
			mask |= BIT(cpu);
			if (*s == '\0')
				return mask;
			cpu = 0;
			digit = false;
		} else {
			return 0;
		}
	}
}

/* `vm weight NAME N`, `vm affinity NAME CPUS`: in any state (vm_set_sched). */
static void cmd_vm_sched(struct vm *vm, const char *what, const char *arg)
{
	bool weight = strcmp(what, "weight") == 0;
	long w = weight ? parse_u32(arg) : 0;
	uint64_t mask = weight ? 0 : parse_cpu_list(arg);
	int ret = -FV_EINVAL;
	if (weight ? w > 0 : mask != 0)
		ret = vm_set_sched(vm, (uint32_t)(weight ? w : 0), mask);
	if (ret == 0)
		pr_info("vm %s: %s %s", vm->name, what, arg);
	else if (ret == -FV_ERANGE)
		pr_info("vm %s: affinity %s leaves out a CPU a vCPU is pinned to", vm->name, arg);
	else if (ret == -FV_EBUSY)
		pr_info("vm %s is being destroyed", vm->name);
	else
		pr_info("vm %s: bad %s '%s' (%s)", vm->name, what, arg,
		        weight ? "1..65535" : "online CPU numbers, e.g. 0,1");
}

static void cmd_vm(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "list") == 0) {
		cmd_vm_list();
		return;
	}
	/* The sub-command first: "vm frobnicate x" is not about a VM named x. */
	if (argc >= 2 && strcmp(argv[1], "list") != 0 && !vm_subcommand(argv[1])) {
		pr_info("vm: unknown vm command '%s'; %s", argv[1], VM_USAGE);
		return;
	}
	if ((argc == 3 || argc == 4) && strcmp(argv[1], "create") == 0) {
		cmd_vm_create(argc, argv);
		return;
	}
	if (argc == 4 && (strcmp(argv[1], "weight") == 0 || strcmp(argv[1], "affinity") == 0)) {
		struct vm *vm = vm_find(argv[2]);
		if (vm)
			cmd_vm_sched(vm, argv[1], argv[3]);
		else
			pr_info("vm: no VM named '%s' (try: vm list)", argv[2]);
		return;
	}
	if (argc != 3 || strcmp(argv[1], "list") == 0 || strcmp(argv[1], "create") == 0 ||
	    strcmp(argv[1], "weight") == 0 || strcmp(argv[1], "affinity") == 0) {
		pr_info(VM_USAGE);
		return;
	}
	struct vm *vm = vm_find(argv[2]);
	if (!vm) {
		pr_info("vm: no VM named '%s' (try: vm list)", argv[2]);
		return;
	}
	int ret;
	if (strcmp(argv[1], "info") == 0) {
		cmd_vm_info(vm);
		return;
	}
	if (strcmp(argv[1], "start") == 0) {
		ret = vm_start(vm);
		if (ret == -FV_EBUSY)
			pr_info("vm %s is already %s", vm->name, vm_state_name(vm->state));
	} else if (strcmp(argv[1], "stop") == 0) {
		enum vm_state st = vm->state;
		if (st == VM_STOPPED || st == VM_CRASHED) {
			/* vm_request() has nothing to do: say so instead of staying silent. */
			pr_info("vm %s is already %s", vm->name, vm_state_name(st));
			return;
		}
		ret = vm_request(vm, VM_ACTION_STOP, "stop requested from the shell");
	} else if (strcmp(argv[1], "reset") == 0) {
		ret = vm_request(vm, VM_ACTION_RESET, "reset requested from the shell");
	} else if (strcmp(argv[1], "resume") == 0) {
		/* Continue a paused VM, or wake one its guest suspended to RAM (SBI SUSP). */
		ret = vm_resume(vm);
		if (ret == -FV_EBUSY)
			pr_info("vm %s is %s, not paused or suspended", vm->name,
			        vm_state_name(vm->state));
		else
			pr_info("vm %s: resume requested from the shell", vm->name);
	} else if (strcmp(argv[1], "pause") == 0) {
		ret = vm_pause(vm);
		if (ret == -FV_EBUSY)
			pr_info("vm %s is %s, not running", vm->name, vm_state_name(vm->state));
	} else if (strcmp(argv[1], "destroy") == 0) {
		ret = vm_destroy(vm);
	} else if (strcmp(argv[1], "dump") == 0) {
		ret = hostdump_request(vm);
		if (ret == -FV_ENODEV) {
			/* No dump channel: the service VM's daemon, which owns a disk, writes it.
			 */
			pr_info("vm %s: crash dumps are written through the management API: "
			        "ferrovisor --api URL vm dump %s, or run with ferrovisor run "
			        "--dump-dir DIR (docs/debugging.md)",
			        vm->name, vm->name);
			return;
		}
		if (ret == -FV_ENOTSUP) {
			pr_info("vm %s: the service VM is never dumped", vm->name);
			return;
		}
		if (ret == -FV_EBUSY)
			pr_info("vm %s: cannot be dumped now (%s, or another dump is being sent)",
			        vm->name, vm_state_name(vm->state));
	} else {
		pr_info(VM_USAGE);
		return;
	}
	if (ret && ret != -FV_EBUSY)
		pr_info("vm %s: %s failed: %s (%d)", vm->name, argv[1], fv_strerror(ret), ret);
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
	for (unsigned i = 0; i < FV_MAX_VMS; i++)
		if (vm_table[i])
			pr_info("vm %s: RAM %lu KiB, hypervisor overhead %lu bytes",
			        vm_table[i]->name, (unsigned long)(vm_table[i]->ram_size >> 10),
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
		pr_info("cpu %u (" ARCH_CPU_ID_NAME
		        " %lu): %s%s%u, queued %u, exits %lu, switches %lu, idle %lu ms",
		        i, (unsigned long)c->hw_id, v ? v->vm->name : "idle", v ? "/" : "",
		        v ? v->id : 0, c->rq.nr_queued, (unsigned long)c->stats.guest_exits,
		        (unsigned long)c->stats.switches,
		        (unsigned long)(c->stats.idle_ns / 1000000));
	}
}

static unsigned lines_printed;

static void print_line(const char *text)
{
	lines_printed++;
	pr_info("%s", text);
}

static void cmd_irqs(int argc, char **argv)
{
	UNUSED(argv);
	if (argc != 1) {
		pr_info("usage: irqs");
		return;
	}
	irq_describe(print_line);
}

static void cmd_net(int argc, char **argv)
{
	UNUSED(argv);
	if (argc != 1) {
		pr_info("usage: net");
		return;
	}
	lines_printed = 0;
	vnet_describe(print_line);
	if (!lines_printed)
		pr_info("net: no virtual switches in this configuration");
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

static void cmd_console(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "raw") == 0 &&
	    (strcmp(argv[2], "on") == 0 || strcmp(argv[2], "off") == 0)) {
		conmux_set_raw(strcmp(argv[2], "on") == 0);
	} else if (argc != 1) {
		pr_info("usage: console [raw on|off]");
		return;
	}
	pr_info("console raw mode %s: %s", conmux_raw() ? "on" : "off",
	        conmux_raw() ? "the focused VM's bytes reach the terminal unchanged (escape "
	                       "sequences included); other VMs stay filtered"
	                     : "control bytes from guests are shown as ^X / M-x");
	struct conmux_input_stats in;
	conmux_get_input_stats(&in);
	pr_info("console input: %s; %lu UART interrupts, %lu bytes by interrupt, %lu by poll",
	        in.irq_mode ? "on the UART interrupt" : "polled every 10 ms",
	        (unsigned long)in.irqs, (unsigned long)in.irq_bytes, (unsigned long)in.poll_bytes);
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

static void cmd_trace(int argc, char **argv)
{
	trace_shell(argc, argv, print_line);
}

static void cmd_prof(int argc, char **argv)
{
	prof_shell(argc, argv, print_line);
}

static const struct shell_cmd cmds[] = {
    {"help", "help", "list commands", cmd_help},
    {"vm", "vm list | vm start|stop|reset|info NAME", "list, control or inspect VMs", cmd_vm},
    {"vm", "vm pause NAME | vm resume NAME", "pause a VM; resume a paused or suspended one",
     cmd_vm},
    {"vm", "vm create TEMPLATE [NAME] | vm destroy NAME",
     "new VM from a boot-bundle template; destroy one (RAM scrubbed)", cmd_vm},
    {"vm", "vm weight NAME N | vm affinity NAME CPU[,CPU...]",
     "scheduling weight (1..65535) or CPUs of a VM, running or not", cmd_vm},
    {"mem", "mem", "memory allocator statistics", cmd_mem},
    {"cpus", "cpus", "physical CPUs and what they run", cmd_cpus},
    {"net", "net", "virtual switches: ports, learnt MACs, drops", cmd_net},
    {"irqs", "irqs", "host device interrupts: CPU each is routed to, handled per CPU", cmd_irqs},
    {"disks", "disks", "physical disks and the VMs' claims on them", cmd_disks},
    {"console", "console [raw on|off]", "show guest control bytes (off) or pass them (on)",
     cmd_console},
    {"ctl", "ctl", "control channel: frames, errors per status word", cmd_ctl},
    {"trace", "trace on CLASS...|off|status|clear|dump",
     "event tracer (FEATURES=trace): classes exit " ARCH_HCALL_NAME " irq sched virtio mmio vm all",
     cmd_trace},
    {"prof", "prof start VM [PERIOD_US] | prof stop | prof report [N]",
     "profile a VM; report guest/hypervisor samples and the hottest hypervisor pcs", cmd_prof},
};

static void cmd_help(int argc, char **argv)
{
	UNUSED(argc);
	UNUSED(argv);
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++)
		pr_info("  %-36s %s", cmds[i].usage, cmds[i].help);
	pr_info(
	    "  console keys: Ctrl-] n next focus, Ctrl-] 1-8 VM, Ctrl-] 0 shell, Ctrl-] ? help");
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
	console_write(shell_tag, PROMPT, sizeof(PROMPT) - 1);
}

/*
 * Echo of one typed character. If something else was written since the
 * shell's line was last shown (a VM's line), show the prompt and the whole
 * line again once, not the key alone on a fresh "[hyp] " line.
 */
static void echo(void)
{
	/* Prompt and line in one buffer, one decision under the console lock: a VM line can
	 * come between two writes, but not inside this one. */
	char buf[sizeof(PROMPT) - 1 + LINE_MAX];
	size_t p = sizeof(PROMPT) - 1;
	memcpy(buf, PROMPT, p);
	memcpy(buf + p, line, line_len);
	console_write_line(shell_tag, buf, p + line_len, p + line_len - 1);
}

void shell_input(char c)
{
	if (c == '\t')
		c = ' '; /* a separator like space (the console has no completion) */
	if (c == '\r' || c == '\n') {
		console_write(shell_tag, "\n", 1);
		line[line_len] = '\0';
		if (line_overflow)
			pr_info("line too long (at most %u characters): ignored", LINE_MAX - 1);
		else
			shell_exec(line);
		line_len = 0;
		line_overflow = false;
		shell_prompt();
	} else if (c == 0x7f || c == '\b') {
		if (line_len && !line_overflow) {
			line_len--;
			console_write(shell_tag, "\b \b", 3);
		}
	} else if (c == 0x03) { /* Ctrl-C: drop the line */
		line_len = 0;
		line_overflow = false;
		console_write(shell_tag, "^C\n", 3);
		shell_prompt();
	} else if ((unsigned char)c >= 0x20 && (unsigned char)c < 0x7f) {
		if (line_len < LINE_MAX - 1) {
			line[line_len++] = c;
			echo();
		} else if (!line_overflow) {
			/* Say it now, once; Enter then refuses the line instead of running a cut
			 * one. */
			line_overflow = true;
			console_write(shell_tag, "\n", 1);
			pr_info("line too long (at most %u characters): press Enter or Ctrl-C",
			        LINE_MAX - 1);
		}
	}
}
