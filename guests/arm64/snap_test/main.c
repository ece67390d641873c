// SPDX-License-Identifier: MIT
/*
 * snap_test on arm64: the service VM's snapshot checks of guests/snap_test/snap_test.c,
 * compiled for arm64 with the portable client (guests/arm64/port). The control console is
 * found in the VM's device tree (the virtio-mmio node marked ferrovisor,control), not at
 * a fixed address.
 */
#include "guest.h"

#include "fdt.h"
#include "snap_test.h"
#include "test.h"

void guest_irq(void)
{
}

void guest_secondary(uint64_t cpu, uint64_t context)
{
	(void)cpu;
	(void)context;
}

void guest_main(uint64_t dtb)
{
	uint32_t len = 0;
	uint64_t base = 0;
	/* The service VM's only virtio-mmio device is its control console (vm_dtb.c). */
	const uint8_t *mark = fdt_get_prop(dtb, "virtio_mmio", "ferrovisor,control", &len);
	const uint8_t *reg = fdt_get_prop(dtb, "virtio_mmio", "reg", &len);
	for (uint32_t i = 0; mark && reg && i < 8 && i < len; i++)
		base = base << 8 | reg[i];
	if (!base)
		test_abort("no control console (ferrovisor,control) in the device tree");
	snap_test_run(dtb, base);
}
