// SPDX-License-Identifier: MIT
/*
 * dtb_reboot: checks that the device tree of every boot describes THIS VM, then warm-reboots
 * itself (SBI SRST) at once, forever. Two of these VMs rebooting on two CPUs make the
 * hypervisor build their device trees concurrently (tests/integration/test_hyp_dtb_race.py).
 *
 * Expectations come from two places the device tree cannot fake together:
 *  - /chosen bootargs "fvdtb name=N mem=0xSIZE cpus=C ..." (per VM, from the configuration);
 *    the model must be "Ferrovisor VM N", /memory must hold SIZE bytes around our image,
 *    /cpus must have C cpu nodes;
 *  - SBI HSM, which reports the VM's real harts: hart C-1 exists and hart C does not.
 * The model is also printed, and the test checks it against the console tag the hypervisor
 * puts on this VM's lines, so a whole tree of the other VM is caught too.
 */
#include <stdint.h>

#include "entry.h"
#include "fdt.h"
#include "gstring.h"
#include "plat.h"
#include "printf.h"
#include "sbi.h"
#include "test.h"

#define NAME_MAX 32

/* Value after "key=" in s (up to a space), copied to out; false if absent or too long. */
static bool arg(const char *s, const char *key, char *out, size_t size)
{
	size_t kl = strlen(key);
	for (const char *p = s; *p; p++) {
		if ((p != s && p[-1] != ' ') || memcmp(p, key, kl) || p[kl] != '=')
			continue;
		p += kl + 1;
		size_t n = 0;
		while (p[n] && p[n] != ' ')
			n++;
		if (n == 0 || n >= size)
			return false;
		memcpy(out, p, n);
		out[n] = '\0';
		return true;
	}
	return false;
}

static bool parse_num(const char *s, uint64_t *v)
{
	unsigned base = 10;
	*v = 0;
	if (s[0] == '0' && s[1] == 'x') {
		base = 16;
		s += 2;
	}
	if (!*s)
		return false;
	for (; *s; s++) {
		unsigned d;
		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (unsigned)(*s - 'a' + 10);
		else
			return false;
		*v = *v * base + d;
	}
	return true;
}

/* A NUL-terminated string property of exactly its length. */
static const char *str_prop(unsigned long dtb, const char *node, const char *prop)
{
	uint32_t len;
	const char *v = fdt_get_prop(dtb, node, prop, &len);
	if (!v || len == 0 || v[len - 1] != '\0' || strlen(v) != len - 1)
		return NULL;
	return v;
}

static void fail(const char *what, const char *detail)
{
	printf("FV-CHECK FAIL dtb_reboot.%s %s\n", what, detail);
	test_abort(what);
}

void guest_main(unsigned long hartid, unsigned long dtb)
{
	char name[NAME_MAX], num[24], want_model[NAME_MAX + 16];
	uint64_t mem, cpus, base, size;

	if (hartid != 0)
		fail("boot_hart", "boot hart is not hart 0");
	if (!plat_has_dtb())
		fail("valid", "a1 does not point at a device tree");
	const char *args = str_prop(dtb, "chosen", "bootargs");
	if (!args)
		fail("bootargs", "no /chosen bootargs");
	if (!arg(args, "name", name, sizeof(name)))
		fail("bootargs", "no name=");
	if (!arg(args, "mem", num, sizeof(num)) || !parse_num(num, &mem))
		fail("bootargs", "no mem=");
	if (!arg(args, "cpus", num, sizeof(num)) || !parse_num(num, &cpus) || cpus == 0)
		fail("bootargs", "no cpus=");

	const char *model = str_prop(dtb, NULL, "model");
	snprintf(want_model, sizeof(want_model), "Ferrovisor VM %s", name);
	if (!model || strlen(model) != strlen(want_model) ||
	    memcmp(model, want_model, strlen(model)))
		fail("model", model ? model : "(none)");

	if (!fdt_get_memory(dtb, &base, &size) || size != mem)
		fail("memory", "/memory size is not this VM's");
	uint64_t self = (uint64_t)(uintptr_t)_start;
	if (self < base || self - base >= size || dtb < base || dtb - base >= size)
		fail("memory", "/memory does not hold the image and the tree");

	unsigned n = fdt_count_subnodes(dtb, "cpus", "cpu");
	if (n != cpus)
		fail("cpus", "cpu node count is not this VM's");
	/* The VM's real harts, independent of any tree: hart cpus-1 exists, hart cpus not. */
	if (sbi_hart_get_status(cpus - 1).error != SBI_SUCCESS ||
	    sbi_hart_get_status(cpus).error != SBI_ERR_INVALID_PARAM)
		fail("cpus", "HSM disagrees with cpus=");

	printf("dtb_reboot: ok model=\"%s\" mem=0x%lx cpus=%u\n", model, (unsigned long)size, n);
	sbi_system_reset(SBI_SRST_WARM_REBOOT, 0);
	fail("reboot", "SBI SRST warm reboot returned");
}
