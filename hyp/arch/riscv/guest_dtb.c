/* SPDX-License-Identifier: MIT */
/*
 * Device tree of a VM (see guest_dtb.h): parameter checks, then one
 * sequential pass through the FDT writer, whose errors are sticky, so the
 * node helpers write without checking and guest_dtb_build() looks at the
 * result once, in fv_fdt_write_finish().
 *
 * Second half: deriving the VM's ISA strings from the host's riscv,isa.
 */
#include "arch/riscv/guest_dtb.h"

#include "core/config.h"
#include "arch/riscv/guest_map.h"
#include "core/guest_layout.h"

_Static_assert(GUEST_DTB_UART_SIZE == GUEST_UART_SIZE, "one UART window size");
#include "lib/fdt_write.h"
#include "lib/printf.h"
#include "lib/string.h"

_Static_assert(GUEST_DTB_MAX_VCPUS >= VM_MAX_VCPUS, "a VM's vCPUs must fit the tree");
_Static_assert(GUEST_DTB_NAME_MAX >= VM_NAME_MAX, "VM names must fit the model string");
_Static_assert(GUEST_DTB_BOOTARGS_MAX >= CFG_BOOTARGS_MAX, "configured bootargs must fit");

/* Room for a node name "virtio_mmio@<16 hex digits>" or a path "/soc/serial@<...>". */
#define NAME_LEN 48

/* ---- parameter checks ---- */

/* Non-NULL, non-empty and shorter than max (NUL included). Reads at most max bytes. */
static bool str_ok(const char *s, size_t max)
{
	return s && s[0] && strnlen(s, max) < max;
}

static bool pow2(uint32_t v)
{
	return (v & (v - 1)) == 0;
}

static bool isa_params_ok(const struct guest_dtb_params *p)
{
	size_t total = 0, i;

	if (!str_ok(p->isa, GUEST_DTB_ISA_MAX) || strncmp(p->isa, "rv64", 4) != 0)
		return false;
	if (!p->isa_exts || !p->isa_exts[0])
		return false;
	/* Each name takes at least 2 bytes of the list, so this loop ends within the bound. */
	for (i = 0; p->isa_exts[i]; i++) {
		if (!str_ok(p->isa_exts[i], GUEST_DTB_EXTS_MAX))
			return false;
		total += strlen(p->isa_exts[i]) + 1;
		if (total > GUEST_DTB_EXTS_MAX)
			return false;
	}
	if (!p->mmu_type ||
	    (strcmp(p->mmu_type, "riscv,sv39") != 0 && strcmp(p->mmu_type, "riscv,sv48") != 0 &&
	     strcmp(p->mmu_type, "riscv,sv57") != 0))
		return false;
	return pow2(p->cbom_block_size) && pow2(p->cbop_block_size) && pow2(p->cboz_block_size);
}

/*
 * RAM, initrd and every register window: valid, and no two windows overlap
 * (guest_layout_check(), the rule VM setup and the tool apply too).
 */
static bool layout_ok(const struct guest_dtb_params *p)
{
	struct guest_window win[4 + GUEST_DTB_MAX_VIRTIO];
	struct guest_layout_error err;
	unsigned n = 0;

	if (p->mem_size == 0 || p->mem_size - 1 > UINT64_MAX - p->mem_base ||
	    !IS_ALIGNED(p->mem_base, PAGE_SIZE) || !IS_ALIGNED(p->mem_size, PAGE_SIZE))
		return false;
	if (p->initrd_start || p->initrd_end) {
		if (p->initrd_start >= p->initrd_end || p->initrd_start < p->mem_base ||
		    p->initrd_end - p->mem_base > p->mem_size)
			return false;
	}
	win[n++] = (struct guest_window){GUEST_WIN_RAM, 0, p->mem_base, p->mem_size};
	if (p->uart.present)
		win[n++] =
		    (struct guest_window){GUEST_WIN_UART, 0, p->uart.base, GUEST_DTB_UART_SIZE};
	if (p->plic.present)
		win[n++] = (struct guest_window){GUEST_WIN_IRQCHIP, 0, p->plic.base, p->plic.size};
	if (p->rtc.present)
		win[n++] =
		    (struct guest_window){GUEST_WIN_RTC, 0, p->rtc.base, RISCV_GUEST_RTC_SIZE};
	for (size_t i = 0; i < p->nr_virtio; i++)
		win[n++] = (struct guest_window){GUEST_WIN_VIRTIO, (unsigned)i, p->virtio[i].base,
		                                 p->virtio[i].size};
	return guest_layout_check(win, n, &err) == 0;
}

/* Phandle of the controller device interrupts go to, 0 if the VM has none. */
static uint32_t irq_parent(const struct guest_dtb_params *p)
{
	return p->plic.present ? GUEST_DTB_PHANDLE_PLIC : 0;
}

/* Every device line is a valid source of the controller and no line is shared. */
static bool irqs_ok(const struct guest_dtb_params *p)
{
	uint32_t irq[2 + GUEST_DTB_MAX_VIRTIO];
	size_t n = 0, i, j;

	if (p->plic.present && (p->plic.ndev == 0 || p->plic.ndev > GUEST_DTB_PLIC_MAX_NDEV))
		return false;
	if (p->uart.present)
		irq[n++] = p->uart.irq;
	if (p->rtc.present)
		irq[n++] = p->rtc.irq;
	for (i = 0; i < p->nr_virtio; i++)
		irq[n++] = p->virtio[i].irq;
	if (n && !irq_parent(p))
		return false;
	for (i = 0; i < n; i++) {
		if (irq[i] == 0 || irq[i] > p->plic.ndev)
			return false;
		for (j = 0; j < i; j++) {
			if (irq[i] == irq[j])
				return false;
		}
	}
	return true;
}

static bool params_ok(const struct guest_dtb_params *p)
{
	if (!p || !str_ok(p->vm_name, GUEST_DTB_NAME_MAX))
		return false;
	if (p->nr_vcpus == 0 || p->nr_vcpus > GUEST_DTB_MAX_VCPUS || p->timebase_hz == 0)
		return false;
	if (p->bootargs && strnlen(p->bootargs, GUEST_DTB_BOOTARGS_MAX) >= GUEST_DTB_BOOTARGS_MAX)
		return false;
	if (p->nr_virtio > GUEST_DTB_MAX_VIRTIO)
		return false;
	return isa_params_ok(p) && layout_ok(p) && irqs_ok(p);
}

/* ---- tree ---- */

/* "reg" of a window under #address-cells = #size-cells = 2. */
static void prop_reg(struct fv_fdt_writer *w, uint64_t base, uint64_t size)
{
	const uint32_t cells[4] = {(uint32_t)(base >> 32), (uint32_t)base, (uint32_t)(size >> 32),
	                           (uint32_t)size};

	fv_fdt_write_prop_cells(w, "reg", cells, ARRAY_SIZE(cells));
}

/* A string-list literal, all of its NULs included (sizeof counts the last one). */
#define PROP_STRLIST(w, name, lit) fv_fdt_write_prop((w), (name), (lit), sizeof(lit))

static void begin_node_at(struct fv_fdt_writer *w, const char *base_name, uint64_t addr)
{
	char name[NAME_LEN];

	fv_snprintf(name, sizeof(name), "%s@%llx", base_name, (unsigned long long)addr);
	fv_fdt_write_begin_node(w, name);
}

static void node_chosen(struct fv_fdt_writer *w, const struct guest_dtb_params *p)
{
	fv_fdt_write_begin_node(w, "chosen");
	if (p->bootargs && p->bootargs[0])
		fv_fdt_write_prop_string(w, "bootargs", p->bootargs);
	if (p->uart.present) {
		char path[NAME_LEN];

		fv_snprintf(path, sizeof(path), "/soc/serial@%llx",
		            (unsigned long long)p->uart.base);
		fv_fdt_write_prop_string(w, "stdout-path", path);
	}
	if (p->initrd_end) {
		/* Linux reads these with as many cells as the property has: 64-bit is fine. */
		fv_fdt_write_prop_u64(w, "linux,initrd-start", p->initrd_start);
		fv_fdt_write_prop_u64(w, "linux,initrd-end", p->initrd_end);
	}
	fv_fdt_write_end_node(w);
}

/* serial0 makes the UART ttyS0 whatever else the guest registers first. */
static void node_aliases(struct fv_fdt_writer *w, const struct guest_dtb_params *p)
{
	char path[NAME_LEN];

	if (!p->uart.present)
		return;
	fv_fdt_write_begin_node(w, "aliases");
	fv_snprintf(path, sizeof(path), "/soc/serial@%llx", (unsigned long long)p->uart.base);
	fv_fdt_write_prop_string(w, "serial0", path);
	fv_fdt_write_end_node(w);
}

/* The isa_exts names as one string list (checked to fit by isa_params_ok()). */
static size_t ext_list(const struct guest_dtb_params *p, char *list)
{
	size_t len = 0, i;

	for (i = 0; p->isa_exts[i]; i++) {
		size_t n = strlen(p->isa_exts[i]) + 1;
		memcpy(list + len, p->isa_exts[i], n);
		len += n;
	}
	return len;
}

static void node_cpu(struct fv_fdt_writer *w, const struct guest_dtb_params *p, unsigned n,
                     const char *exts, size_t exts_len)
{
	char name[NAME_LEN];

	fv_snprintf(name, sizeof(name), "cpu@%x", n);
	fv_fdt_write_begin_node(w, name);
	fv_fdt_write_prop_string(w, "device_type", "cpu");
	fv_fdt_write_prop_u32(w, "reg", n);
	fv_fdt_write_prop_string(w, "status", "okay");
	fv_fdt_write_prop_string(w, "compatible", "riscv");
	fv_fdt_write_prop_string(w, "riscv,isa", p->isa);
	fv_fdt_write_prop_string(w, "riscv,isa-base", "rv64i");
	fv_fdt_write_prop(w, "riscv,isa-extensions", exts, exts_len);
	fv_fdt_write_prop_string(w, "mmu-type", p->mmu_type);
	/* Linux ignores Zicbom/Zicbop/Zicboz without their block sizes. */
	if (p->cbom_block_size)
		fv_fdt_write_prop_u32(w, "riscv,cbom-block-size", p->cbom_block_size);
	if (p->cbop_block_size)
		fv_fdt_write_prop_u32(w, "riscv,cbop-block-size", p->cbop_block_size);
	if (p->cboz_block_size)
		fv_fdt_write_prop_u32(w, "riscv,cboz-block-size", p->cboz_block_size);

	/* The hart's local interrupt controller: cause numbers of sip/sie as its lines. */
	fv_fdt_write_begin_node(w, "interrupt-controller");
	fv_fdt_write_prop_u32(w, "#address-cells", 0);
	fv_fdt_write_prop_u32(w, "#interrupt-cells", 1);
	fv_fdt_write_prop_empty(w, "interrupt-controller");
	fv_fdt_write_prop_string(w, "compatible", "riscv,cpu-intc");
	fv_fdt_write_prop_u32(w, "phandle", GUEST_DTB_PHANDLE_CPU_INTC(n));
	fv_fdt_write_end_node(w);

	fv_fdt_write_end_node(w);
}

static void node_cpus(struct fv_fdt_writer *w, const struct guest_dtb_params *p)
{
	char exts[GUEST_DTB_EXTS_MAX];
	size_t exts_len = ext_list(p, exts);
	unsigned n;

	fv_fdt_write_begin_node(w, "cpus");
	fv_fdt_write_prop_u32(w, "#address-cells", 1);
	fv_fdt_write_prop_u32(w, "#size-cells", 0);
	fv_fdt_write_prop_u32(w, "timebase-frequency", p->timebase_hz);
	for (n = 0; n < p->nr_vcpus; n++)
		node_cpu(w, p, n, exts, exts_len);
	fv_fdt_write_end_node(w);
}

static void node_memory(struct fv_fdt_writer *w, const struct guest_dtb_params *p)
{
	begin_node_at(w, "memory", p->mem_base);
	fv_fdt_write_prop_string(w, "device_type", "memory");
	prop_reg(w, p->mem_base, p->mem_size);
	fv_fdt_write_end_node(w);
}

/* PLIC context N = S-mode external interrupt of vCPU N, in order. */
static void node_plic(struct fv_fdt_writer *w, const struct guest_dtb_params *p)
{
	uint32_t ie[2 * GUEST_DTB_MAX_VCPUS];
	unsigned n;

	for (n = 0; n < p->nr_vcpus; n++) {
		ie[2 * n] = GUEST_DTB_PHANDLE_CPU_INTC(n);
		ie[2 * n + 1] = GUEST_DTB_IRQ_S_EXT;
	}
	begin_node_at(w, "plic", p->plic.base);
	PROP_STRLIST(w, "compatible", "sifive,plic-1.0.0\0riscv,plic0");
	prop_reg(w, p->plic.base, p->plic.size);
	fv_fdt_write_prop_u32(w, "#address-cells", 0);
	fv_fdt_write_prop_u32(w, "#interrupt-cells", 1);
	fv_fdt_write_prop_empty(w, "interrupt-controller");
	fv_fdt_write_prop_u32(w, "riscv,ndev", p->plic.ndev);
	fv_fdt_write_prop_cells(w, "interrupts-extended", ie, 2 * (size_t)p->nr_vcpus);
	fv_fdt_write_prop_u32(w, "phandle", GUEST_DTB_PHANDLE_PLIC);
	fv_fdt_write_end_node(w);
}

/* interrupts + interrupt-parent of a device with one wired line. */
static void prop_irq(struct fv_fdt_writer *w, const struct guest_dtb_params *p, uint32_t irq)
{
	fv_fdt_write_prop_u32(w, "interrupts", irq);
	fv_fdt_write_prop_u32(w, "interrupt-parent", irq_parent(p));
}

static void node_uart(struct fv_fdt_writer *w, const struct guest_dtb_params *p)
{
	begin_node_at(w, "serial", p->uart.base);
	fv_fdt_write_prop_string(w, "compatible", "ns16550a");
	prop_reg(w, p->uart.base, GUEST_DTB_UART_SIZE);
	fv_fdt_write_prop_u32(w, "clock-frequency", GUEST_DTB_UART_CLOCK);
	prop_irq(w, p, p->uart.irq);
	fv_fdt_write_end_node(w);
}

static void node_rtc(struct fv_fdt_writer *w, const struct guest_dtb_params *p)
{
	begin_node_at(w, "rtc", p->rtc.base);
	fv_fdt_write_prop_string(w, "compatible", "google,goldfish-rtc");
	prop_reg(w, p->rtc.base, RISCV_GUEST_RTC_SIZE);
	/* Linux's goldfish driver refuses a node without its alarm interrupt. */
	prop_irq(w, p, p->rtc.irq);
	fv_fdt_write_end_node(w);
}

static void node_virtio(struct fv_fdt_writer *w, const struct guest_dtb_params *p,
                        const struct guest_dtb_mmio *d)
{
	begin_node_at(w, "virtio_mmio", d->base);
	fv_fdt_write_prop_string(w, "compatible", "virtio,mmio");
	prop_reg(w, d->base, d->size);
	prop_irq(w, p, d->irq);
	/* How the service VM tells its control channel from a console (control-protocol.md). */
	if (d->control)
		fv_fdt_write_prop_empty(w, "ferrovisor,control");
	fv_fdt_write_end_node(w);
}

static void node_soc(struct fv_fdt_writer *w, const struct guest_dtb_params *p)
{
	unsigned i;

	fv_fdt_write_begin_node(w, "soc");
	fv_fdt_write_prop_u32(w, "#address-cells", 2);
	fv_fdt_write_prop_u32(w, "#size-cells", 2);
	fv_fdt_write_prop_string(w, "compatible", "simple-bus");
	fv_fdt_write_prop_empty(w, "ranges"); /* identity: device addresses are GPAs */
	if (p->plic.present)
		node_plic(w, p);
	if (p->uart.present)
		node_uart(w, p);
	if (p->rtc.present)
		node_rtc(w, p);
	for (i = 0; i < p->nr_virtio; i++)
		node_virtio(w, p, &p->virtio[i]);
	fv_fdt_write_end_node(w);
}

int guest_dtb_build(const struct guest_dtb_params *p, void *buf, size_t size)
{
	struct fv_fdt_writer w;
	char model[GUEST_DTB_NAME_MAX + 16];

	if (!params_ok(p))
		return -FV_EINVAL;
	fv_fdt_write_init(&w, buf, size);
	fv_fdt_write_boot_cpuid(&w, 0);

	fv_fdt_write_begin_node(&w, "");
	fv_fdt_write_prop_u32(&w, "#address-cells", 2);
	fv_fdt_write_prop_u32(&w, "#size-cells", 2);
	PROP_STRLIST(&w, "compatible", "ferrovisor,vm\0riscv-virtio");
	fv_snprintf(model, sizeof(model), "Ferrovisor VM %s", p->vm_name);
	fv_fdt_write_prop_string(&w, "model", model);
	node_chosen(&w, p);
	node_aliases(&w, p);
	node_cpus(&w, p);
	node_memory(&w, p);
	node_soc(&w, p);
	fv_fdt_write_end_node(&w);
	return fv_fdt_write_finish(&w);
}

/* ---- ISA ---- */

struct isa_ext {
	const char *name;
	unsigned long needs; /* GUEST_ISA_* flags that must be set, 0 = always allowed */
};

/*
 * The allow-list, in canonical order (unprivileged ISA manual, "ISA
 * Extension Naming Conventions"): single letters in IMAFDQLCBKJTPVH order;
 * Z extensions grouped by their category letter in that same order, then
 * alphabetically; then S extensions alphabetically. Everything here either
 * has no state and no trap behaviour a hypervisor must provide (instructions,
 * hints, memory-system properties that stage-2 translation preserves), or
 * is state Ferrovisor switches (F/D registers), or is gated by a flag.
 */
static const struct isa_ext isa_allowed[] = {
    {"i", 0},
    {"m", 0},
    {"a", 0},
    {"f", 0},
    {"d", 0},
    {"c", 0},
    {"b", 0},
    {"zic64b", 0},
    {"zicbom", GUEST_ISA_ZICBOM},
    {"zicbop", GUEST_ISA_ZICBOP}, /* prefetch hints: no enable bit, but a block size */
    {"zicboz", GUEST_ISA_ZICBOZ},
    {"ziccamoa", 0},
    {"ziccif", 0},
    {"zicclsm", 0},
    {"ziccrse", 0},
    {"zicntr", 0}, /* time passes through; cycle/instret trap to the virtual PMU */
    {"zicond", 0},
    {"zicsr", 0},
    {"zifencei", 0},
    {"zihintntl", 0},
    {"zihintpause", 0},
    {"zimop", 0},
    {"zmmul", 0},
    {"za128rs", 0},
    {"za64rs", 0},
    {"zaamo", 0},
    {"zabha", 0},
    {"zacas", 0},
    {"zalrsc", 0},
    {"zawrs", 0}, /* wrs.nto/wrs.sto: a virtual-instruction trap completes them (exit.c) */
    {"zfa", 0},
    {"zfh", 0},
    {"zfhmin", 0},
    {"zca", 0},
    {"zcb", 0},
    {"zcd", 0},
    {"zcmop", 0},
    {"zba", 0},
    {"zbb", 0},
    {"zbc", 0},
    {"zbkb", 0},
    {"zbkc", 0},
    {"zbkx", 0},
    {"zbs", 0},
    {"zkn", 0},
    {"zknd", 0},
    {"zkne", 0},
    {"zknh", 0},
    {"zks", 0},
    {"zksed", 0},
    {"zksh", 0},
    {"zkt", 0},
    {"ztso", 0},
    {"ssccptr", 0},
    {"sscounterenw", 0}, /* scounteren is the guest's own CSR, every bit writable */
    {"sstc", GUEST_ISA_SSTC},
    {"sstvala", 0}, /* VS-level too: the host's shvstvala */
    {"sstvecd", 0}, /* VS-level too: the host's shvstvecd */
    {"ssu64xl", 0},
    {"svadu", GUEST_ISA_SVADU},
    {"svinval", 0}, /* sinval.vma & co. act on the VS-stage under V=1 */
    {"svnapot", 0},
    {"svpbmt", GUEST_ISA_SVPBMT},
    {"svvptc", 0},
};

_Static_assert(ARRAY_SIZE(isa_allowed) <= GUEST_ISA_MAX_EXTS, "allow-list outgrew guest_isa");

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
	c = lower(c);
	return c >= 'a' && c <= 'z';
}

/* Length of a version suffix "<digits>[p<digits>]" at s (up to end), 0 if none. */
static size_t version_len(const char *s, const char *end)
{
	const char *q = s;

	while (q < end && is_digit(*q))
		q++;
	if (q == s)
		return 0;
	if (q + 1 < end && lower(*q) == 'p' && is_digit(q[1])) {
		q++;
		while (q < end && is_digit(*q))
			q++;
	}
	return (size_t)(q - s);
}

/* Index in isa_allowed of the name s[0..n) (case-insensitive), or -1. */
static int find_ext(const char *s, size_t n)
{
	size_t i, j;
	char c0;

	if (n == 0)
		return -1;
	/* First letters differ for most rows: test it alone (a third of the boot's DTB cost). */
	c0 = lower(s[0]);
	for (i = 0; i < ARRAY_SIZE(isa_allowed); i++) {
		const char *name = isa_allowed[i].name;

		if (name[0] != c0)
			continue;
		for (j = 1; j < n && name[j] && lower(s[j]) == name[j]; j++)
			;
		if (j == n && !name[n])
			return (int)i;
	}
	return -1;
}

static void mark(bool *have, const char *name)
{
	int i = find_ext(name, strlen(name));

	if (i >= 0)
		have[i] = true;
}

static bool has(const bool *have, const char *name)
{
	int i = find_ext(name, strlen(name));

	return i >= 0 && have[i];
}

/*
 * A single letter. 'g' is short for imafd_zicsr_zifencei, and 'i' meant
 * i_zicsr_zifencei until those were split off it (2019): strings written
 * to either convention mean the same hart.
 */
static void mark_letter(bool *have, char c)
{
	static const char *const g[] = {"i", "m", "a", "f", "d"};

	if (c == 'g') {
		for (size_t i = 0; i < ARRAY_SIZE(g); i++)
			mark(have, g[i]);
	} else {
		int k = find_ext(&c, 1);

		if (k >= 0)
			have[k] = true;
	}
	if (c == 'g' || c == 'i') {
		mark(have, "zicsr");
		mark(have, "zifencei");
	}
}

/*
 * A multi-letter extension s[0..n): a name, perhaps followed by a version
 * "<digits>[p<digits>]". Names may contain digits ("zic64b"), so the
 * version can only start at a digit that follows a non-digit and must run
 * to the end of the token.
 */
static void mark_multi(bool *have, const char *s, size_t n)
{
	int i = find_ext(s, n);
	size_t k;

	for (k = 1; i < 0 && k < n; k++) {
		if (is_digit(s[k]) && !is_digit(s[k - 1]) && version_len(s + k, s + n) == n - k)
			i = find_ext(s, k);
	}
	if (i >= 0)
		have[i] = true;
}

/* Parse host riscv,isa into have[] (one flag per isa_allowed entry). */
static int isa_parse(const char *s, bool *have)
{
	size_t len = strnlen(s, GUEST_DTB_ISA_MAX);
	const char *end = s + len, *q;
	bool multi = false;

	if (len >= GUEST_DTB_ISA_MAX || len < 5)
		return -FV_EINVAL;
	if (lower(s[0]) != 'r' || lower(s[1]) != 'v' || s[2] != '6' || s[3] != '4')
		return -FV_EINVAL;
	for (q = s + 4; q < end;) {
		char c = lower(*q);

		if (c == '_') {
			q++;
			continue;
		}
		if (!is_alpha(c))
			return -FV_EINVAL;
		/* Old QEMU wrote privilege modes as letters ("rv64imafdcsu"): not extensions. */
		if (!multi && c == 's' && q[-1] != '_' && q + 1 < end && lower(q[1]) == 'u') {
			q += 2;
			continue;
		}
		if (c == 'z' || c == 's' || c == 'x') {
			const char *t = q;

			while (t < end && *t != '_')
				t++;
			mark_multi(have, q, (size_t)(t - q));
			multi = true;
			q = t;
			continue;
		}
		/* Single letters may not follow a multi-letter extension. */
		if (multi)
			return -FV_EINVAL;
		mark_letter(have, c);
		q++;
		q += version_len(q, end);
	}
	return 0;
}

/* Append s to the string in buf (length *len, capacity cap); false if it does not fit. */
static bool append(char *buf, size_t *len, size_t cap, const char *s)
{
	size_t n = strlen(s);

	if (n >= cap - *len)
		return false;
	memcpy(buf + *len, s, n + 1);
	*len += n;
	return true;
}

int guest_dtb_isa(const char *host_isa, unsigned long flags, struct guest_isa *out)
{
	bool have[ARRAY_SIZE(isa_allowed)] = {false};
	size_t i, len = 0;
	int err;

	if (!host_isa || !out)
		return -FV_EINVAL;
	err = isa_parse(host_isa, have);
	if (err)
		return err;
	for (i = 0; i < ARRAY_SIZE(isa_allowed); i++) {
		if (isa_allowed[i].needs & ~flags)
			have[i] = false;
	}
	if (!has(have, "i") || !has(have, "m") || !has(have, "a"))
		return -FV_ENOTSUP;

	memset(out, 0, sizeof(*out));
	append(out->isa, &len, sizeof(out->isa), "rv64");
	for (i = 0; i < ARRAY_SIZE(isa_allowed); i++) {
		const char *name = isa_allowed[i].name;

		if (!have[i])
			continue;
		/* Multi-letter names are separated by '_' from whatever precedes them. */
		if (name[1] && !append(out->isa, &len, sizeof(out->isa), "_"))
			return -FV_ERANGE;
		if (!append(out->isa, &len, sizeof(out->isa), name))
			return -FV_ERANGE;
		out->exts[out->nr_exts++] = name;
	}
	return 0;
}
