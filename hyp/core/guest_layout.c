// SPDX-License-Identifier: MIT
/*
 * The guest-physical map of a VM and its check (contract in guest_layout.h).
 * One place for the rule, so that what `ferrovisor validate` accepts is what
 * the hypervisor builds: the tool links this file unchanged.
 */
#include "core/guest_layout.h"
#include "lib/printf.h"

void guest_layout_name(const struct guest_window *w, char *buf, size_t len)
{
	switch (w->kind) {
	case GUEST_WIN_RAM:
		fv_snprintf(buf, len, "guest RAM");
		break;
	case GUEST_WIN_UART:
		fv_snprintf(buf, len, "UART");
		break;
	case GUEST_WIN_IRQCHIP:
		fv_snprintf(buf, len, "interrupt controller");
		break;
	case GUEST_WIN_RTC:
		fv_snprintf(buf, len, "RTC");
		break;
	case GUEST_WIN_VIRTIO:
		fv_snprintf(buf, len, "virtio-mmio window %u", w->index);
		break;
	default:
		fv_snprintf(buf, len, "device window %u", w->index);
		break;
	}
}

/* "guest RAM (0x80000000-0x83ffffff)": up to the last byte, which never wraps. */
static void describe(const struct guest_window *w, char *buf, size_t len)
{
	char name[32];
	guest_layout_name(w, name, sizeof(name));
	fv_snprintf(buf, len, "%s (0x%llx-0x%llx)", name, (unsigned long long)w->base,
	            (unsigned long long)(w->base + (w->size - 1)));
}

/* A non-empty window whose last byte does not wrap past 2^64. */
static bool window_ok(const struct guest_window *w)
{
	return w->size != 0 && w->size - 1 <= UINT64_MAX - w->base;
}

/* Compared by last byte, so neither side's end needs to be representable. */
static bool overlap(const struct guest_window *a, const struct guest_window *b)
{
	return a->base <= b->base + (b->size - 1) && b->base <= a->base + (a->size - 1);
}

/* The operator places RAM and the UART; the other windows are fixed. */
static bool movable(const struct guest_window *w)
{
	return w->kind == GUEST_WIN_RAM || w->kind == GUEST_WIN_UART;
}

int guest_layout_check(const struct guest_window *w, unsigned n, struct guest_layout_error *err)
{
	for (unsigned i = 0; i < n; i++) {
		if (!window_ok(&w[i])) {
			char name[32];
			guest_layout_name(&w[i], name, sizeof(name));
			err->code = -FV_ERANGE;
			err->bad = err->other = i;
			fv_snprintf(err->what, sizeof(err->what),
			            "%s at 0x%llx: empty or past the end of the address space",
			            name, (unsigned long long)w[i].base);
			return err->code;
		}
		for (unsigned j = 0; j < i; j++) {
			if (!overlap(&w[i], &w[j]))
				continue;
			/* Blame the later window if it can move, else the earlier one. */
			unsigned bad = movable(&w[i]) || !movable(&w[j]) ? i : j;
			unsigned other = bad == i ? j : i;
			char a[64], b[64];
			describe(&w[bad], a, sizeof(a));
			describe(&w[other], b, sizeof(b));
			err->code = -FV_EEXIST;
			err->bad = bad;
			err->other = other;
			fv_snprintf(err->what, sizeof(err->what), "%s overlaps %s", a, b);
			return err->code;
		}
	}
	return 0;
}

unsigned guest_layout_of(const struct guest_map *map, const struct vm_config *vm,
                         struct guest_window *w)
{
	unsigned n = 0;
	w[n++] = (struct guest_window){GUEST_WIN_RAM, 0, vm->mem_base, vm->mem_size};
	if (vm->has_uart)
		w[n++] = (struct guest_window){GUEST_WIN_UART, 0, vm->uart_base, GUEST_UART_SIZE};
	w[n++] = (struct guest_window){GUEST_WIN_IRQCHIP, 0, map->irqchip_base, map->irqchip_size};
	if (vm->has_rtc)
		w[n++] = (struct guest_window){GUEST_WIN_RTC, 0, map->rtc_base, map->rtc_size};
	unsigned nv = vm->nr_disks + vm->nr_nics + (vm->virtio_console ? 1 : 0);
	for (unsigned j = 0; j < nv && j < CFG_MAX_VIRTIO; j++)
		w[n++] = (struct guest_window){GUEST_WIN_VIRTIO, j,
		                               map->virtio_base + j * map->virtio_stride,
		                               GUEST_VIRTIO_SIZE};
	return n;
}

void guest_layout_size_name(uint64_t bytes, char *buf, size_t len)
{
	if (bytes && bytes % (1ULL << 40) == 0)
		fv_snprintf(buf, len, "%llu TiB", (unsigned long long)(bytes >> 40));
	else if (bytes && bytes % (1ULL << 30) == 0)
		fv_snprintf(buf, len, "%llu GiB", (unsigned long long)(bytes >> 30));
	else
		fv_snprintf(buf, len, "0x%llx", (unsigned long long)bytes);
}

int guest_layout_check_vm(const struct guest_map *map, const struct vm_config *vm,
                          struct guest_layout_error *err)
{
	struct guest_window w[GUEST_MAX_WINDOWS];
	unsigned n = guest_layout_of(map, vm, w);
	char limit[24];
	guest_layout_size_name(map->gpa_limit, limit, sizeof(limit));
	err->bad = err->other = 0;
	if (vm->mem_size == 0 || vm->mem_base % GUEST_RAM_ALIGN || vm->mem_size % GUEST_RAM_ALIGN ||
	    vm->mem_base >= map->gpa_limit || vm->mem_size > map->gpa_limit - vm->mem_base) {
		err->code = -FV_ERANGE;
		fv_snprintf(err->what, sizeof(err->what),
		            "RAM at 0x%llx (0x%llx bytes) must be 2 MiB aligned and end below %s",
		            (unsigned long long)vm->mem_base, (unsigned long long)vm->mem_size,
		            limit);
		return err->code;
	}
	/* The board keeps its device space below ram_min (arm64: QEMU virt's first GiB). */
	if (vm->mem_base < map->ram_min) {
		err->code = -FV_ERANGE;
		fv_snprintf(
		    err->what, sizeof(err->what),
		    "RAM at 0x%llx is in %s's device space: %s guest RAM starts at or above "
		    "0x%llx",
		    (unsigned long long)vm->mem_base, map->board, map->arch,
		    (unsigned long long)map->ram_min);
		return err->code;
	}
	if (vm->has_uart &&
	    (vm->uart_base % GUEST_UART_SIZE || vm->uart_base > map->gpa_limit - GUEST_UART_SIZE)) {
		err->code = -FV_ERANGE;
		err->bad = err->other = 1;
		fv_snprintf(err->what, sizeof(err->what),
		            "UART at 0x%llx must be 256-byte aligned and end below %s",
		            (unsigned long long)vm->uart_base, limit);
		return err->code;
	}
	if (vm->has_uart &&
	    (vm->uart_base < map->uart_lo || vm->uart_base > map->uart_hi - GUEST_UART_SIZE)) {
		err->code = -FV_ERANGE;
		err->bad = err->other = 1;
		fv_snprintf(err->what, sizeof(err->what),
		            "UART at 0x%llx is outside %s's device space for it (0x%llx-0x%llx)",
		            (unsigned long long)vm->uart_base, map->board,
		            (unsigned long long)map->uart_lo,
		            (unsigned long long)(map->uart_hi - 1));
		return err->code;
	}
	if (vm->nr_disks + vm->nr_nics + (vm->virtio_console ? 1 : 0) > CFG_MAX_VIRTIO) {
		err->code = -FV_ERANGE;
		fv_snprintf(err->what, sizeof(err->what), "more than %u virtio devices",
		            CFG_MAX_VIRTIO);
		return err->code;
	}
	int ret = guest_layout_check(w, n, err);
	if (ret || vm->kernel_size == 0)
		return ret;
	/*
	 * Offsets from the start of RAM, as vm.c places the images: the initrd
	 * at the top (page aligned down), the device tree GUEST_DTB_ROOM below
	 * it, both above the kernel's end. No sum below can wrap: every term is
	 * compared with what is left first.
	 */
	uint64_t top = vm->mem_size;
	if (vm->initrd_size > top)
		goto no_room;
	top = (top - vm->initrd_size) & ~(GUEST_PAGE_SIZE - 1);
	if (top < GUEST_DTB_ROOM)
		goto no_room;
	top = (top - GUEST_DTB_ROOM) & ~(GUEST_PAGE_SIZE - 1);
	if (vm->kernel_offset > top || vm->kernel_size > top - vm->kernel_offset)
		goto no_room;
	return 0;
no_room:
	err->code = -FV_ENOSPC;
	err->bad = err->other = 0;
	fv_snprintf(
	    err->what, sizeof(err->what),
	    "guest RAM (0x%llx bytes) cannot hold the kernel (0x%llx bytes at offset 0x%llx), "
	    "a %llu KiB device tree and the initrd (0x%llx bytes)",
	    (unsigned long long)vm->mem_size, (unsigned long long)vm->kernel_size,
	    (unsigned long long)vm->kernel_offset, (unsigned long long)(GUEST_DTB_ROOM >> 10),
	    (unsigned long long)vm->initrd_size);
	return err->code;
}

/* A map's fixed windows: interrupt controller, RTC, default UART, then every virtio slot. */
static unsigned map_windows(const struct guest_map *m, struct guest_window *w)
{
	unsigned n = 0;
	w[n++] = (struct guest_window){GUEST_WIN_IRQCHIP, 0, m->irqchip_base, m->irqchip_size};
	w[n++] = (struct guest_window){GUEST_WIN_RTC, 0, m->rtc_base, m->rtc_size};
	w[n++] = (struct guest_window){GUEST_WIN_UART, 0, m->uart_base, GUEST_UART_SIZE};
	for (unsigned j = 0; j < m->virtio_slots; j++)
		w[n++] = (struct guest_window){
		    GUEST_WIN_VIRTIO, j, m->virtio_base + j * m->virtio_stride, GUEST_VIRTIO_SIZE};
	return n;
}

int guest_map_check(const struct guest_map *m, char *what, size_t len)
{
	struct guest_window w[3 + GUEST_MAP_MAX_SLOTS];
	struct guest_layout_error err;
	if (m->virtio_slots < CFG_MAX_VIRTIO || m->virtio_slots > GUEST_MAP_MAX_SLOTS ||
	    m->virtio_stride < GUEST_VIRTIO_SIZE ||
	    m->virtio_stride > UINT64_MAX / m->virtio_slots) {
		fv_snprintf(
		    what, len,
		    "%s: virtio-mmio slots: %u of stride 0x%llx (need %u-%u of at least 0x%llx)",
		    m->arch, m->virtio_slots, (unsigned long long)m->virtio_stride, CFG_MAX_VIRTIO,
		    GUEST_MAP_MAX_SLOTS, (unsigned long long)GUEST_VIRTIO_SIZE);
		return -FV_EINVAL;
	}
	if (m->ram_base % GUEST_RAM_ALIGN || m->ram_base < m->ram_min ||
	    m->ram_base >= m->gpa_limit) {
		fv_snprintf(what, len, "%s: default RAM base 0x%llx is unaligned or out of range",
		            m->arch, (unsigned long long)m->ram_base);
		return -FV_EINVAL;
	}
	if (m->uart_lo >= m->uart_hi || m->uart_hi > m->gpa_limit || m->uart_base < m->uart_lo ||
	    m->uart_base > m->uart_hi - GUEST_UART_SIZE) {
		fv_snprintf(what, len, "%s: default UART 0x%llx is outside its range", m->arch,
		            (unsigned long long)m->uart_base);
		return -FV_EINVAL;
	}
	unsigned n = map_windows(m, w);
	if (guest_layout_check(w, n, &err) != 0) {
		fv_snprintf(what, len, "%s: %s", m->arch, err.what);
		return -FV_EINVAL;
	}
	/* Every device window below the RAM: the default and the lowest a VM may use. */
	uint64_t floor = m->ram_min ? m->ram_min : m->ram_base;
	for (unsigned i = 0; i < n; i++) {
		if (w[i].base + (w[i].size - 1) < floor)
			continue;
		char name[32];
		guest_layout_name(&w[i], name, sizeof(name));
		fv_snprintf(what, len, "%s: %s at 0x%llx is not below guest RAM (0x%llx)", m->arch,
		            name, (unsigned long long)w[i].base, (unsigned long long)floor);
		return -FV_EINVAL;
	}
	return 0;
}
