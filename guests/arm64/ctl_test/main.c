// SPDX-License-Identifier: MIT
/*
 * ctl_test on arm64: the service VM's control-channel checks of guests/ctl_test (hostile
 * frames included), compiled for arm64 with the portable client (guests/arm64/port). The
 * control console and the RAM base come from the VM's device tree. In a VM without the
 * channel: its device tree names no control device, and touching the service VM's control
 * window (ARM64_GUEST_VIRTIO_BASE, hyp/arch/arm64/guest_map.h) is an access nothing
 * answers, which on arm64 stops the VM (the port injects no abort; test_ctl.py checks the
 * stop line).
 */
#include "guest.h"

#include "arch/arm64/guest_map.h"
#include "ct.h"
#include "fdt.h"
#include "test.h"

void guest_irq(void)
{
}

void guest_secondary(uint64_t cpu, uint64_t context)
{
	(void)cpu;
	(void)context;
}

static void probe(uint64_t dtb)
{
	ct_probe_dt(dtb);
	check_result();
	con_puts("probe: reading the service VM's control window\n");
	uint32_t v = *(volatile uint32_t *)(uintptr_t)ARM64_GUEST_VIRTIO_BASE;
	/* Not reached when the hypervisor stops the VM, as it must. */
	check_eq("probe.read.stops_vm", (int64_t)v, -1);
	check_result();
	for (;;)
		__asm__ volatile("wfi");
}

void guest_main(uint64_t dtb)
{
	if (!ct_is_service(dtb))
		probe(dtb);
	uint32_t len = 0;
	uint64_t base = 0, ram = 0, size = 0;
	/* The service VM's only virtio-mmio device is its control console (vm_dtb.c). */
	const uint8_t *reg = fdt_get_prop(dtb, "virtio_mmio", "reg", &len);
	for (uint32_t i = 0; reg && i < 8 && i < len; i++)
		base = base << 8 | reg[i];
	if (!base || !fdt_get_memory(dtb, &ram, &size))
		test_abort("no control console or memory node in the device tree");
	ct_run_service(dtb, base, ram);
}
