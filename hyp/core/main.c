// SPDX-License-Identifier: MIT
/*
 * Boot: from the first C instruction on the boot CPU to the scheduler.
 * Order matters: console first (so every failure can be reported), then
 * the platform, features, memory, configuration, CPUs and VMs.
 */
#include "core/arch.h"
#include "core/bootwork.h"
#include "core/config.h"
#include "core/gdb.h"
#include "core/guest_layout.h"
#include "core/hostdump.h"
#include "core/hostdev.h"
#include "core/irq.h"
#include "core/console.h"
#include "core/mem.h"
#include "core/percpu.h"
#include "core/platform.h"
#include "core/sched.h"
#include "core/vconsole.h"
#include "core/vm.h"
#include "core/vnet.h"
#include "core/wallclock.h"
#include "drivers/pl011.h"
#include "drivers/uart_ns16550.h"
#include "lib/fdt.h"
#include "lib/string.h"

/* The boot CPU's state lives in .data: the arch boot code writes its id before BSS is cleared. */
struct cpu cpu_boot_storage __attribute__((section(".data"))) = {.hw_id = 0};
uint8_t cpu_boot_stack[CPU_STACK_SIZE] __attribute__((aligned(16)));

unsigned cpu_count;
struct cpu *cpu_table[FV_MAX_CPUS];

static struct platform plat;
static struct hyp_config config;
static struct uart_ns16550 phys_uart;
static struct pl011 phys_pl011;
static volatile unsigned cpus_online;

extern const uint8_t config_builtin_start[], config_builtin_end[];
extern const uint8_t __image_start[], __image_end[];

static void uart_putc(void *ctx, char c)
{
	uart_ns16550_putc(ctx, c);
}

static void uart_write(void *ctx, const char *s, size_t n)
{
	uart_ns16550_write(ctx, s, n);
}

static int uart_getc(void *ctx)
{
	return uart_ns16550_getc(ctx);
}

static void uart_rx_irq(void *ctx, bool on)
{
	uart_ns16550_rx_irq(ctx, on);
}

static void pl011_putc_drv(void *ctx, char c)
{
	pl011_putc(ctx, c);
}

static int pl011_getc_drv(void *ctx)
{
	return pl011_getc(ctx);
}

static void stop_boot(const char *what) __attribute__((noreturn));
static void stop_boot(const char *what)
{
	pr_err("boot stopped: %s", what);
	arch_system_poweroff();
}

/* The configuration blob: handed over as the initrd, else the built-in one. */
static const void *find_config(size_t *size, const char **origin)
{
	if (plat.initrd_start) {
		const void *b = (const void *)(uintptr_t)plat.initrd_start;
		size_t sz = plat.initrd_end - plat.initrd_start;
		if (fv_fdt_check(b, sz) == 0) {
			*size = sz;
			*origin = "boot bundle (initrd)";
			return b;
		}
		pr_warn("initrd is not a configuration blob; using the built-in configuration");
	}
	*size = (size_t)((uintptr_t)config_builtin_end - (uintptr_t)config_builtin_start);
	*origin = "built-in";
	return config_builtin_start;
}

static void setup_cpus(uint64_t boot_hw_id, uint64_t slice_ns)
{
	struct cpu *boot = &cpu_boot_storage;
	boot->id = 0;
	boot->online = true;
	boot->stack_top = (uint64_t)(uintptr_t)(cpu_boot_stack + CPU_STACK_SIZE);
	cpu_table[0] = boot;
	cpu_count = 1;
	for (unsigned i = 0; i < plat.nr_cpus && cpu_count < FV_MAX_CPUS; i++) {
		if (plat.cpu_hwid[i] == boot_hw_id)
			continue;
		struct cpu *c = mem_zalloc_aligned(sizeof(*c), 64);
		hpa_t stack;
		if (!c || mem_alloc_pages(CPU_STACK_SIZE / PAGE_SIZE, 1, &stack) != 0)
			stop_boot("out of memory for per-CPU state");
		c->hw_id = plat.cpu_hwid[i];
		c->id = cpu_count;
		c->stack_top = stack + CPU_STACK_SIZE;
		cpu_table[cpu_count++] = c;
	}
	for (unsigned i = 0; i < cpu_count; i++)
		sched_cpu_init(cpu_table[i], slice_ns);
}

/* Create every configured VM; returns how many could not be set up (each logged once). */
static unsigned create_vms(void)
{
	unsigned failed = 0;
	for (unsigned i = 0; i < config.nr_vms; i++) {
		const struct vm_config *vc = &config.vms[i];
		/* Templates are instantiated by `vm create` / the control channel, not at boot. */
		if (vc->is_template) {
			pr_info("vm %s: template (created by `vm create %s`)", vc->name, vc->name);
			continue;
		}
		struct vm *vm;
		if (vm_config_precheck(vc) != 0 || vm_create(vc, &vm) != 0) {
			failed++;
			continue;
		}
		pr_info("vm %s: created: %u vCPU(s), %lu MiB at 0x%lx, image %lu bytes, "
		        "hypervisor overhead %lu bytes",
		        vm->name, vm->nr_vcpus, (unsigned long)(vm->ram_size >> 20),
		        (unsigned long)vm->ram_gpa, (unsigned long)vc->kernel_size,
		        (unsigned long)vm->hyp_mem_bytes);
	}
	return failed;
}

/*
 * The VM that gets the keyboard at boot: the configured focus if it was
 * created and VMs were started; otherwise the shell, said in one line
 * (never a silent switch).
 */
static const char *boot_focus(bool started)
{
	if (!config.focus[0])
		return config.focus;
	for (unsigned i = 0; i < FV_MAX_VMS; i++) {
		if (!vm_table[i] || strcmp(vm_table[i]->name, config.focus) != 0)
			continue;
		if (started)
			return config.focus;
		pr_warn("console focus: VM %s was not started; keyboard input goes to the "
		        "hypervisor shell",
		        config.focus);
		return "";
	}
	pr_warn("console focus: VM %s was not created; keyboard input goes to the hypervisor "
	        "shell",
	        config.focus);
	return "";
}

/* Entered from the arch boot code on the boot CPU: its hardware id and the firmware's DT. */
void hyp_main(uint64_t hw_id, const void *dtb);
void hyp_main(uint64_t hw_id, const void *dtb)
{
	pr_info("Ferrovisor (" ARCH_NAME ") starting on " ARCH_CPU_ID_NAME
	        " %lu, device tree at %p",
	        (unsigned long)hw_id, dtb);
	int dtb_size = fv_fdt_total_size(dtb);
	if (dtb_size <= 0 || platform_parse(dtb, (size_t)dtb_size, &plat) != 0)
		stop_boot("cannot parse the firmware device tree");
	if (plat.uart.present && plat.uart_pl011) {
		pl011_init(&phys_pl011, (uintptr_t)plat.uart.base);
		struct console_driver drv = {pl011_putc_drv, pl011_getc_drv, &phys_pl011, NULL,
		                             NULL};
		console_set_driver(&drv);
	} else if (plat.uart.present) {
		uart_ns16550_init(&phys_uart, (uintptr_t)plat.uart.base, plat.uart_reg_shift,
		                  plat.uart_io_width);
		struct console_driver drv = {uart_putc, uart_getc, &phys_uart, uart_rx_irq,
		                             uart_write};
		console_set_driver(&drv);
	}
	time_init(plat.timebase_hz);
	wallclock_init(&plat.rtc, plat.rtc_kind);
	char arch_devs[96];
	arch_platform_describe(&plat, arch_devs, sizeof(arch_devs));
	pr_info(
	    "platform: %u CPU(s), timebase %lu Hz, uart %s at 0x%lx, %u virtio-mmio slot(s), %s",
	    plat.nr_cpus, (unsigned long)plat.timebase_hz,
	    !plat.uart.present ? "none"
	    : plat.uart_pl011  ? "pl011"
	                       : "ns16550a",
	    (unsigned long)plat.uart.base, plat.nr_virtio, arch_devs);
	for (unsigned i = 0; i < plat.nr_mem; i++)
		pr_info("memory: 0x%lx-0x%lx (%lu MiB)", (unsigned long)plat.mem[i].base,
		        (unsigned long)(plat.mem[i].base + plat.mem[i].size),
		        (unsigned long)(plat.mem[i].size >> 20));
	if (arch_features_probe(&plat) != 0)
		stop_boot("required CPU feature missing");
	arch_cpu_init();
	if (arch_selfcheck() != 0)
		stop_boot("the architecture's static tables are inconsistent");
	char map_err[160];
	if (guest_map_check(arch_guest_map(), map_err, sizeof(map_err)) != 0) {
		pr_err("guest map: %s", map_err);
		stop_boot("the architecture's guest map is inconsistent");
	}

	struct mem_range rsv[PLAT_MAX_RSV + 3];
	unsigned nr = 0;
	for (unsigned i = 0; i < plat.nr_rsv; i++)
		rsv[nr++] = plat.rsv[i];
	rsv[nr].base = (hpa_t)(uintptr_t)__image_start;
	rsv[nr++].size = (uint64_t)((uintptr_t)__image_end - (uintptr_t)__image_start);
	rsv[nr].base = (hpa_t)(uintptr_t)dtb;
	rsv[nr++].size = (uint64_t)dtb_size;
	if (plat.initrd_start) {
		rsv[nr].base = plat.initrd_start;
		rsv[nr++].size = plat.initrd_end - plat.initrd_start;
	}
	if (mem_init(plat.mem, plat.nr_mem, rsv, nr) != 0)
		stop_boot("cannot set up the page allocator");

	size_t cfg_size;
	const char *origin;
	const void *blob = find_config(&cfg_size, &origin);
	char err[256];
	if (config_parse(blob, cfg_size, &config, err, sizeof(err)) != 0) {
		pr_err("configuration (%s): %s", origin, err);
		stop_boot("invalid configuration");
	}
	pr_info("configuration: %s, %u VM(s), time slice %lu us", origin, config.nr_vms,
	        (unsigned long)config.slice_us);
	vm_set_boot_blob(blob, cfg_size); /* templates for `vm create` */

	setup_cpus(hw_id, config.slice_us * 1000);
	irq_init(&plat);
	bootwork_init();
	hostdev_probe(&plat);
	if (vnet_init(&config) != 0)
		stop_boot("cannot set up the virtual switches");
	unsigned failed = create_vms();
	/* First: the gdb channel takes the first console left unclaimed. */
	hostdump_init(config.dump_slot1);
	gdb_init(config.gdb_vm);
	if (vm_count == 0)
		stop_boot("no VM could be created");
	/* A configuration boots whole or not at all, unless the operator asked otherwise. */
	bool start = failed == 0 || config.best_effort;
	if (failed && start)
		pr_warn("configuration: %u of %u VM(s) could not be set up; starting the others "
		        "(host best-effort)",
		        failed, config.nr_vms);
	else if (failed)
		pr_err("configuration: %u of %u VM(s) could not be set up; starting no VM (set "
		       "host.best_effort to start the others)",
		       failed, config.nr_vms);

	cpus_online = 1;
	for (unsigned i = 1; i < cpu_count; i++) {
		if (arch_cpu_start(cpu_table[i]) != 0)
			pr_warn("cpu %u (" ARCH_CPU_ID_NAME " %lu) did not start", i,
			        (unsigned long)cpu_table[i]->hw_id);
	}
	/* Wait (bounded) so VM placement sees every CPU that will come up. */
	for (uint64_t t0 = time_now_ns(); cpus_online < cpu_count;)
		if (time_now_ns() - t0 > 1000000000ULL)
			break;
	pr_info("%u CPU(s) online", cpus_online);
	irq_spread(); /* physical disks and NICs off the boot CPU (core/irq.h) */

	for (unsigned i = 0; start && i < FV_MAX_VMS; i++)
		if (vm_table[i] && vm_table[i]->cfg->autostart)
			vm_start(vm_table[i]);
	conmux_input_irq(plat.uart.present ? plat.uart.irq : 0);
	conmux_init(boot_focus(start));
	sched_run();
}

void hyp_secondary_main(void);
void hyp_secondary_main(void)
{
	struct cpu *c = cpu_this();
	arch_cpu_init();
	c->online = true;
	__atomic_fetch_add(&cpus_online, 1, __ATOMIC_ACQ_REL);
	sched_run();
}
