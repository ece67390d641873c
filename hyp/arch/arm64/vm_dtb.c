// SPDX-License-Identifier: MIT
/*
 * Each VM boot gets a device tree describing what it is given on arm64: its vCPUs
 * (enable-method PSCI over HVC), PSCI 1.1, its RAM, /chosen, its PL011 and the generic
 * timer, the virtual GICv3 (vgic.c), the virtio-mmio windows. Arm64 Linux
 * boot protocol: x0 = the tree, the kernel at RAM base + kernel offset.
 */
#include "core/arch.h"
#include "core/console.h"
#include "core/mem.h"
#include "core/vm.h"
#include "core/vm_virtio.h"
#include "lib/fdt_write.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "vdev/vpl011.h"
#include "vdev/vpl031.h"
#include "arch/arm64/guest_map.h"
#include "arch/arm64/vgic.h"

_Static_assert(ARM64_GUEST_RTC_SIZE == VPL031_MMIO_SIZE, "the PL031's id registers are in reach");

/* The UART's peripheral clock: Linux's PL011 (AMBA) driver needs one named apb_pclk. */
#define PHANDLE_APB_CLK 1
#define PHANDLE_GIC     2
#define PHANDLE_IDLE_PD 3

/*
 * The one idle state beyond WFI that PSCI CPU_SUSPEND offers (psci_guest.c): core powerdown,
 * power_state 0x00010000 (original format). Its latencies are what a powerdown costs here (a
 * trap, a block in the scheduler, a resume through the entry point: well under 100 us of
 * hypervisor work); the virtual timer keeps running across it, so no local-timer-stop.
 */
static void node_idle_states(struct fv_fdt_writer *w)
{
	fv_fdt_write_begin_node(w, "idle-states");
	fv_fdt_write_prop_string(w, "entry-method", "psci");
	fv_fdt_write_begin_node(w, "cpu-powerdown");
	fv_fdt_write_prop_string(w, "compatible", "arm,idle-state");
	fv_fdt_write_prop_u32(w, "arm,psci-suspend-param", 0x00010000);
	fv_fdt_write_prop_u32(w, "entry-latency-us", 100);
	fv_fdt_write_prop_u32(w, "exit-latency-us", 100);
	fv_fdt_write_prop_u32(w, "min-residency-us", 2000);
	fv_fdt_write_prop_u32(w, "phandle", PHANDLE_IDLE_PD);
	fv_fdt_write_end_node(w);
	fv_fdt_write_end_node(w);
}

static void node_cpus(struct fv_fdt_writer *w, unsigned n)
{
	char name[16];
	fv_fdt_write_begin_node(w, "cpus");
	fv_fdt_write_prop_u32(w, "#address-cells", 1);
	fv_fdt_write_prop_u32(w, "#size-cells", 0);
	for (unsigned i = 0; i < n; i++) {
		fv_snprintf(name, sizeof(name), "cpu@%u", i);
		fv_fdt_write_begin_node(w, name);
		fv_fdt_write_prop_string(w, "device_type", "cpu");
		fv_fdt_write_prop_string(w, "compatible", "arm,armv8");
		fv_fdt_write_prop_u32(w, "reg", i); /* MPIDR Aff0 (arch_vcpu_reset) */
		fv_fdt_write_prop_string(w, "enable-method", "psci");
		fv_fdt_write_prop_u32(w, "cpu-idle-states", PHANDLE_IDLE_PD);
		fv_fdt_write_end_node(w);
	}
	node_idle_states(w);
	fv_fdt_write_end_node(w);
}

static void node_reg(struct fv_fdt_writer *w, uint64_t base, uint64_t size)
{
	const uint32_t reg[4] = {(uint32_t)(base >> 32), (uint32_t)base, (uint32_t)(size >> 32),
	                         (uint32_t)size};
	fv_fdt_write_prop_cells(w, "reg", reg, 4);
}

/* The PrimeCells' bus clock (the AMBA binding wants one named apb_pclk). */
static void node_apb_clock(struct fv_fdt_writer *w)
{
	fv_fdt_write_begin_node(w, "apb-pclk");
	fv_fdt_write_prop_string(w, "compatible", "fixed-clock");
	fv_fdt_write_prop_u32(w, "#clock-cells", 0);
	fv_fdt_write_prop_u32(w, "clock-frequency", 24000000);
	fv_fdt_write_prop_u32(w, "phandle", PHANDLE_APB_CLK);
	fv_fdt_write_end_node(w);
}

/* The PL031 RTC (core/vm_rtc.c) at the map's RTC window, its alarm on VM_IRQ_RTC. */
static void node_rtc(struct fv_fdt_writer *w)
{
	char name[32];
	fv_snprintf(name, sizeof(name), "pl031@%lx", (unsigned long)ARM64_GUEST_RTC_BASE);
	fv_fdt_write_begin_node(w, name);
	static const char compat[] = "arm,pl031\0arm,primecell";
	fv_fdt_write_prop(w, "compatible", compat, sizeof(compat));
	node_reg(w, ARM64_GUEST_RTC_BASE, ARM64_GUEST_RTC_SIZE);
	const uint32_t irq[3] = {0, VM_IRQ_RTC, 4}; /* SPI, level high */
	fv_fdt_write_prop_cells(w, "interrupts", irq, 3);
	fv_fdt_write_prop_u32(w, "clocks", PHANDLE_APB_CLK);
	fv_fdt_write_prop_string(w, "clock-names", "apb_pclk");
	fv_fdt_write_end_node(w);
}

static void node_uart(struct fv_fdt_writer *w, uint64_t base)
{
	char name[32];
	fv_snprintf(name, sizeof(name), "pl011@%lx", (unsigned long)base);
	fv_fdt_write_begin_node(w, name);
	static const char compat[] = "arm,pl011\0arm,primecell";
	fv_fdt_write_prop(w, "compatible", compat, sizeof(compat));
	node_reg(w, base, GUEST_UART_SIZE);
	/* The identification registers lie beyond the window: say them here (AMBA binding). */
	fv_fdt_write_prop_u32(w, "arm,primecell-periphid", VPL011_PERIPH_ID);
	const uint32_t irq[3] = {0, VM_IRQ_UART, 4}; /* SPI, level high */
	fv_fdt_write_prop_cells(w, "interrupts", irq, 3);
	const uint32_t clocks[2] = {PHANDLE_APB_CLK, PHANDLE_APB_CLK};
	fv_fdt_write_prop_cells(w, "clocks", clocks, 2);
	static const char clock_names[] = "uartclk\0apb_pclk";
	fv_fdt_write_prop(w, "clock-names", clock_names, sizeof(clock_names));
	fv_fdt_write_end_node(w);
}

static int build(struct vm *vm, gpa_t top, void *buf, size_t size)
{
	const struct vm_config *cfg = vm->cfg;
	struct fv_fdt_writer w;
	char name[40];
	fv_fdt_write_init(&w, buf, size);
	fv_fdt_write_begin_node(&w, "");
	fv_fdt_write_prop_u32(&w, "#address-cells", 2);
	fv_fdt_write_prop_u32(&w, "#size-cells", 2);
	fv_fdt_write_prop_string(&w, "compatible", "ferrovisor,arm64-vm");
	fv_fdt_write_prop_string(&w, "model", vm->name);
	fv_fdt_write_prop_u32(&w, "interrupt-parent", PHANDLE_GIC);

	node_cpus(&w, vm->nr_vcpus);

	fv_fdt_write_begin_node(&w, "psci");
	static const char psci_compat[] = "arm,psci-1.0\0arm,psci-0.2";
	fv_fdt_write_prop(&w, "compatible", psci_compat, sizeof(psci_compat));
	fv_fdt_write_prop_string(&w, "method", "hvc");
	fv_fdt_write_end_node(&w);

	fv_snprintf(name, sizeof(name), "memory@%lx", (unsigned long)vm->ram_gpa);
	fv_fdt_write_begin_node(&w, name);
	fv_fdt_write_prop_string(&w, "device_type", "memory");
	node_reg(&w, vm->ram_gpa, vm->ram_size);
	fv_fdt_write_end_node(&w);

	fv_snprintf(name, sizeof(name), "intc@%lx", (unsigned long)VGIC_GICD_BASE);
	fv_fdt_write_begin_node(&w, name);
	fv_fdt_write_prop_string(&w, "compatible", "arm,gic-v3");
	fv_fdt_write_prop_u32(&w, "#interrupt-cells", 3);
	fv_fdt_write_prop_empty(&w, "interrupt-controller");
	fv_fdt_write_prop_u32(&w, "#redistributor-regions", 1);
	const uint64_t gicr = VGIC_GICD_BASE + VGIC_GICR_OFFSET;
	const uint64_t gicr_size = (uint64_t)vm->nr_vcpus * 0x20000;
	const uint32_t gic_reg[8] = {
	    (uint32_t)(VGIC_GICD_BASE >> 32), (uint32_t)VGIC_GICD_BASE, 0, (uint32_t)VGIC_GICD_SIZE,
	    (uint32_t)(gicr >> 32),           (uint32_t)gicr,           0, (uint32_t)gicr_size};
	fv_fdt_write_prop_cells(&w, "reg", gic_reg, 8);
	fv_fdt_write_prop_u32(&w, "phandle", PHANDLE_GIC);
	fv_fdt_write_end_node(&w);

	fv_fdt_write_begin_node(&w, "timer");
	fv_fdt_write_prop_string(&w, "compatible", "arm,armv8-timer");
	/* PPIs (type 1): secure phys 13, phys 14, virtual 11, hyp 10; level-high, all CPUs. */
	const uint32_t irqs[12] = {1, 13, 0xff04, 1, 14, 0xff04, 1, 11, 0xff04, 1, 10, 0xff04};
	fv_fdt_write_prop_cells(&w, "interrupts", irqs, 12);
	fv_fdt_write_prop_empty(&w, "always-on");
	fv_fdt_write_end_node(&w);

	if (cfg->has_uart || vm->rtc.present)
		node_apb_clock(&w);
	if (cfg->has_uart)
		node_uart(&w, cfg->uart_base);
	if (vm->rtc.present)
		node_rtc(&w);

	/* virtio-mmio windows in core's order (disks, NICs, consoles), SPI = their line. */
	for (unsigned j = 0; j < vm_virtio_count(vm); j++) {
		uint64_t base, wsize;
		uint32_t line;
		vm_virtio_window(vm, j, &base, &wsize, &line);
		fv_snprintf(name, sizeof(name), "virtio_mmio@%lx", (unsigned long)base);
		fv_fdt_write_begin_node(&w, name);
		fv_fdt_write_prop_string(&w, "compatible", "virtio,mmio");
		node_reg(&w, base, wsize);
		const uint32_t virq[3] = {0, line, 4};
		fv_fdt_write_prop_cells(&w, "interrupts", virq, 3);
		fv_fdt_write_prop_empty(&w, "dma-coherent");
		/* The service VM's control channel is told apart from a plain console as on
		 * RISC-V (docs/control-protocol.md): ferrovisord finds its tty by it. */
		if (vm_virtio_is_control(vm, j))
			fv_fdt_write_prop_empty(&w, "ferrovisor,control");
		fv_fdt_write_end_node(&w);
	}

	fv_fdt_write_begin_node(&w, "chosen");
	if (cfg->bootargs[0])
		fv_fdt_write_prop_string(&w, "bootargs", cfg->bootargs);
	if (cfg->has_uart) {
		fv_snprintf(name, sizeof(name), "/pl011@%lx", (unsigned long)cfg->uart_base);
		fv_fdt_write_prop_string(&w, "stdout-path", name);
	}
	if (cfg->initrd_size) {
		fv_fdt_write_prop_u64(&w, "linux,initrd-start", top);
		fv_fdt_write_prop_u64(&w, "linux,initrd-end", top + cfg->initrd_size);
	}
	fv_fdt_write_end_node(&w);
	fv_fdt_write_end_node(&w); /* root */
	return fv_fdt_write_finish(&w);
}

gpa_t arch_vm_dtb_place(struct vm *vm, gpa_t top)
{
	const struct vm_config *cfg = vm->cfg;
	gpa_t dtb = ALIGN_DOWN(top - VM_DTB_MAX, PAGE_SIZE);
	void *buf = vm_gpa_to_hva(vm, dtb, VM_DTB_MAX);
	if (!buf || dtb < vm->ram_gpa + cfg->kernel_offset + cfg->kernel_size) {
		pr_err("vm %s: no room for its %u KiB device tree between the kernel and 0x%lx",
		       vm->name, (unsigned)(VM_DTB_MAX >> 10), (unsigned long)top);
		return 0;
	}
	int n = build(vm, top, buf, VM_DTB_MAX);
	if (n < 0) {
		pr_err("vm %s: cannot build its device tree (%d)", vm->name, n);
		return 0;
	}
	return dtb;
}

/* Arm64 Linux boot protocol: x0 = the device tree, x1..x3 = 0. */
void arch_vm_boot_args(const struct vm *vm, gpa_t dtb, uint64_t *a0, uint64_t *a1)
{
	UNUSED(vm);
	*a0 = dtb;
	*a1 = 0;
}
