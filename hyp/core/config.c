// SPDX-License-Identifier: MIT
/*
 * Configuration blob parser. The blob is a flattened device tree:
 *
 *   / { compatible = "ferrovisor,config-v1";
 *       host { console-focus = "name"; time-slice-us = <4000>; [best-effort;]
 *              switches { NAME { [uplink-slot = <slot>;] }; ... }; };
 *       vms { NODE { [vm-name = "...";] vcpus = <N>; memory-size = /bits/ 64 <bytes>;
 *                    [memory-base = /bits/ 64 <gpa>;] [weight = <w>;]
 *                    [cpu-affinity = <cpu cpu ...>;] [vcpu-pin = <cpu per vcpu>;]
 *                    kernel = [bytes]; [kernel-offset = /bits/ 64 <off>;]
 *                    [initrd = [bytes];] [bootargs = "...";] [autostart;] [template;]
 *                    [uart-base = /bits/ 64 <gpa>;] [no-uart;] [no-rtc;]
 *                    [virtio-blk-slots = <slot per disk>;]
 *                    [virtio-blk-slices = /bits/ 64 <start count per disk>;]
 *                    [virtio-net-switch = "switch", ... (one per NIC);]
 *                    [virtio-net-mac = [6 bytes per NIC];] [virtio-console;]
 *                    [role = "service" | "guest";] }; }; };
 *
 * Virtio: physical virtio-mmio slots (0..CFG_PHYS_SLOTS-1) back the disks
 * and the switch uplinks. An uplink has its slot to itself. A disk is a
 * whole physical disk, or with virtio-blk-slices a slice of one (start
 * sector and count, count 0 = to the end): one slot may back several
 * disks, of one VM or of several, as long as each is a slice and no two
 * slices overlap; a whole disk excludes any other use of its slot. Disk
 * sizes are unknown here: config_slice_resolve() checks a slice against the
 * real disk when the VM is created. A NIC is a
 * port on a virtual switch: a name not declared under /host/switches makes
 * a switch without uplink, in order of first use. MACs default to
 * 02:46:56:00:<VM index>:<NIC index> and must be unique across all VMs.
 *
 * Instead of `kernel` / `initrd`, a blob for vm_create_dynamic() may give
 * `kernel-size` / `initrd-size` = /bits/ 64 <bytes>: the images arrive
 * separately (staged in chunks) and must have exactly those sizes.
 *
 * Every value is validated; the first problem is reported as
 * "vms/NODE: property: what is wrong" (or "host/switches/NAME: ...").
 */
#include "core/config.h"
#include "core/guest_layout.h"
#include "lib/fdt.h"
#include "lib/printf.h"
#include "lib/string.h"

#define DEFAULT_KERNEL_OFFSET 0x200000ULL
#define DEFAULT_SLICE_US      4000ULL
#define MEM_ALIGN             (2ULL << 20)
#define MAX_CPU_INDEX         63U

struct perr {
	char *buf;
	size_t len;
};

static int fail(struct perr *e, int code, const char *node, const char *prop, const char *what)
{
	if (e->buf && e->len)
		fv_snprintf(e->buf, e->len, "%s: %s: %s", node, prop, what);
	return code;
}

int config_parse_size(const char *s, uint64_t *out)
{
	if (!s || !*s)
		return -FV_EINVAL;
	uint64_t v = 0;
	const char *p = s;
	for (; *p >= '0' && *p <= '9'; p++) {
		uint64_t d = (uint64_t)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -FV_ERANGE;
		v = v * 10 + d;
	}
	if (p == s)
		return -FV_EINVAL;
	unsigned shift = 0;
	switch (*p) {
	case '\0':
		break;
	case 'K':
	case 'k':
		shift = 10;
		break;
	case 'M':
	case 'm':
		shift = 20;
		break;
	case 'G':
	case 'g':
		shift = 30;
		break;
	case 'T':
	case 't':
		shift = 40;
		break;
	default:
		return -FV_EINVAL;
	}
	if (*p) {
		p++;
		/* Accept "64M", "64MB", "64MiB". */
		if (*p == 'i')
			p++;
		if (*p == 'B')
			p++;
		if (*p)
			return -FV_EINVAL;
	}
	if (shift && v > (UINT64_MAX >> shift))
		return -FV_ERANGE;
	*out = v << shift;
	return 0;
}

bool config_vm_name_ok(const char *n)
{
	size_t len = strlen(n);
	if (len == 0 || len >= VM_NAME_MAX || strcmp(n, "hyp") == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = n[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.'))
			return false;
	}
	return true;
}

static uint32_t be32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static uint64_t be64(const uint8_t *p)
{
	return ((uint64_t)be32(p) << 32) | be32(p + 4);
}

/* Optional u64 property with default; -FV_EINVAL if present but malformed. */
static int opt_u64(const void *b, int node, const char *name, uint64_t def, uint64_t *out)
{
	int ret = fv_fdt_prop_u64(b, node, name, out);
	if (ret == -FV_ENOENT) {
		*out = def;
		return 0;
	}
	return ret;
}

static int parse_cpu_list(const void *b, int node, const char *name, uint64_t *mask, int *list,
                          unsigned max, unsigned *count)
{
	int len;
	const uint8_t *p = fv_fdt_getprop(b, node, name, &len);
	*count = 0;
	if (!p)
		return len == -FV_ENOENT ? 0 : -FV_EINVAL;
	if (len % 4 || len == 0 || (unsigned)len / 4 > max)
		return -FV_EINVAL;
	for (int i = 0; i < len / 4; i++) {
		uint32_t c = be32(p + 4 * i);
		if (c > MAX_CPU_INDEX)
			return -FV_ERANGE;
		if (mask)
			*mask |= 1ULL << c;
		if (list)
			list[i] = (int)c;
	}
	*count = (unsigned)len / 4;
	return 0;
}

static int parse_images(const void *b, int node, struct vm_config *vm, struct perr *e,
                        const char *nn)
{
	int len;
	const uint8_t *k = fv_fdt_getprop(b, node, "kernel", &len);
	uint64_t staged;
	if (!k && fv_fdt_prop_u64(b, node, "kernel-size", &staged) == 0 && staged > 0 &&
	    staged <= UINT32_MAX) {
		vm->kernel = NULL; /* streamed separately: vm_create_dynamic() */
		vm->kernel_size = staged;
	} else if (!k || len <= 0) {
		return fail(e, -FV_EINVAL, nn, "kernel", "missing or empty (the guest image)");
	} else {
		vm->kernel = k;
		vm->kernel_size = (uint64_t)len;
	}
	if (opt_u64(b, node, "kernel-offset", DEFAULT_KERNEL_OFFSET, &vm->kernel_offset))
		return fail(e, -FV_EINVAL, nn, "kernel-offset", "must be a 32- or 64-bit number");
	if (vm->kernel_offset % 4)
		return fail(e, -FV_EINVAL, nn, "kernel-offset", "must be a multiple of 4");
	if (vm->kernel_offset >= vm->mem_size || vm->kernel_size > vm->mem_size - vm->kernel_offset)
		return fail(e, -FV_ERANGE, nn, "kernel", "does not fit in memory at kernel-offset");
	const uint8_t *i = fv_fdt_getprop(b, node, "initrd", &len);
	if (!i && fv_fdt_prop_u64(b, node, "initrd-size", &staged) == 0) {
		if (staged == 0 || staged > UINT32_MAX)
			return fail(e, -FV_ERANGE, nn, "initrd-size", "must be 1 byte to 4 GiB");
		len = 1; /* streamed separately, like kernel-size */
	}
	if ((i && len > 0) || (!i && len == 1)) {
		vm->initrd = i;
		vm->initrd_size = i ? (uint64_t)len : staged;
		uint64_t used = vm->kernel_offset + vm->kernel_size;
		if (vm->initrd_size + PAGE_SIZE > vm->mem_size - used)
			return fail(e, -FV_ERANGE, nn, "initrd",
			            "kernel and initrd do not fit in memory");
	}
	const char *args = fv_fdt_prop_string(b, node, "bootargs");
	if (args) {
		if (strlen(args) >= CFG_BOOTARGS_MAX)
			return fail(e, -FV_ERANGE, nn, "bootargs", "longer than 511 characters");
		memcpy(vm->bootargs, args, strlen(args) + 1);
	}
	return 0;
}

/* "vms/NODE" for messages, at most 40 characters of the node name. */
static void vm_label(const void *b, int node, char *buf, size_t len)
{
	int l;
	const char *n = fv_fdt_node_name(b, node, &l);
	fv_snprintf(buf, len, "vms/%.*s", l > 40 ? 40 : l, n ? n : "?");
}

static int parse_vm(const void *b, int node, struct vm_config *vm, struct perr *e)
{
	int nlen;
	const char *nn = fv_fdt_node_name(b, node, &nlen);
	char nodename[48];
	vm_label(b, node, nodename, sizeof(nodename));
	nn = nodename;
	memset(vm, 0, sizeof(*vm));
	/* The VM name is the node name unless vm-name overrides it ("name" is reserved in DTS). */
	char nodebuf[VM_NAME_MAX + 1];
	const char *name = fv_fdt_prop_string(b, node, "vm-name");
	int vlen;
	if (!name && fv_fdt_getprop(b, node, "vm-name", &vlen))
		return fail(e, -FV_EINVAL, nn, "vm-name", "must be a NUL-terminated string");
	if (!name) {
		int l = nlen < (int)sizeof(nodebuf) - 1 ? nlen : (int)sizeof(nodebuf) - 1;
		memcpy(nodebuf, fv_fdt_node_name(b, node, &nlen), (size_t)l);
		nodebuf[l] = '\0';
		name = nodebuf;
	}
	if (!config_vm_name_ok(name))
		return fail(
		    e, -FV_EINVAL, nn, "vm-name",
		    "must be 1-31 characters of letters, digits, '-', '_', '.' (not 'hyp')");
	memcpy(vm->name, name, strlen(name) + 1);
	uint32_t v32;
	int ret = fv_fdt_prop_u32(b, node, "vcpus", &v32);
	if (ret == -FV_ENOENT)
		v32 = 1;
	else if (ret)
		return fail(e, -FV_EINVAL, nn, "vcpus", "must be a 32-bit number");
	if (v32 < 1 || v32 > VM_MAX_VCPUS)
		return fail(e, -FV_ERANGE, nn, "vcpus", "must be between 1 and 8");
	vm->vcpus = v32;
	if (fv_fdt_prop_u64(b, node, "memory-size", &vm->mem_size) != 0)
		return fail(e, -FV_EINVAL, nn, "memory-size", "missing or not a number");
	if (vm->mem_size < MEM_ALIGN || vm->mem_size % MEM_ALIGN)
		return fail(e, -FV_EINVAL, nn, "memory-size",
		            "must be a non-zero multiple of 2 MiB");
	/* Defaults and the address range are the architecture's map (core/guest_map.h). */
	const struct guest_map *map = arch_guest_map();
	char why[64], limit[24];
	guest_layout_size_name(map->gpa_limit, limit, sizeof(limit));
	if (opt_u64(b, node, "memory-base", map->ram_base, &vm->mem_base))
		return fail(e, -FV_EINVAL, nn, "memory-base", "must be a number");
	if (vm->mem_base % MEM_ALIGN || vm->mem_base >= map->gpa_limit ||
	    vm->mem_size > map->gpa_limit - vm->mem_base) {
		fv_snprintf(why, sizeof(why), "must be 2 MiB aligned and end below %s", limit);
		return fail(e, -FV_ERANGE, nn, "memory-base", why);
	}
	ret = fv_fdt_prop_u32(b, node, "weight", &v32);
	if (ret == -FV_ENOENT)
		v32 = 256;
	else if (ret)
		return fail(e, -FV_EINVAL, nn, "weight", "must be a 32-bit number");
	if (v32 < 1 || v32 > 65535)
		return fail(e, -FV_ERANGE, nn, "weight", "must be between 1 and 65535");
	vm->weight = v32;
	unsigned n;
	if (parse_cpu_list(b, node, "cpu-affinity", &vm->affinity, NULL, 64, &n))
		return fail(e, -FV_EINVAL, nn, "cpu-affinity", "must list CPU numbers 0-63");
	for (unsigned i = 0; i < VM_MAX_VCPUS; i++)
		vm->vcpu_pin[i] = -1;
	if (parse_cpu_list(b, node, "vcpu-pin", NULL, vm->vcpu_pin, VM_MAX_VCPUS, &n))
		return fail(e, -FV_EINVAL, nn, "vcpu-pin",
		            "must list one CPU number (0-63) per vCPU");
	if (n && n != vm->vcpus)
		return fail(e, -FV_EINVAL, nn, "vcpu-pin", "needs exactly one CPU per vCPU");
	for (unsigned i = 0; i < n; i++)
		if (vm->affinity && !(vm->affinity & (1ULL << vm->vcpu_pin[i])))
			return fail(e, -FV_EINVAL, nn, "vcpu-pin",
			            "pins a vCPU outside cpu-affinity");
	ret = parse_images(b, node, vm, e, nn);
	if (ret)
		return ret;
	vm->autostart = fv_fdt_getprop(b, node, "autostart", &nlen) != NULL;
	vm->is_template = fv_fdt_getprop(b, node, "template", &nlen) != NULL;
	vm->has_uart = fv_fdt_getprop(b, node, "no-uart", &nlen) == NULL;
	vm->has_rtc = fv_fdt_getprop(b, node, "no-rtc", &nlen) == NULL;
	if (opt_u64(b, node, "uart-base", map->uart_base, &vm->uart_base) || vm->uart_base % 0x100)
		return fail(e, -FV_EINVAL, nn, "uart-base", "must be a 256-byte aligned address");
	if (vm->uart_base >= map->gpa_limit - 0x100) {
		fv_snprintf(why, sizeof(why), "must be below %s", limit);
		return fail(e, -FV_ERANGE, nn, "uart-base", why);
	}
	/*
	 * Where the UART, RAM and devices lie relative to each other is not a
	 * question of the blob's form: guest_layout_check_vm() answers it for
	 * each VM at setup (and for the tool), so one bad VM can be refused
	 * alone (host best-effort).
	 */
	return 0;
}

static bool switch_name_ok(const char *n, size_t len)
{
	if (len == 0 || len >= CFG_SWITCH_NAME)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = n[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return false;
	}
	return true;
}

static int switch_find(const struct hyp_config *c, const char *name)
{
	for (unsigned i = 0; i < c->nr_switches; i++)
		if (strcmp(c->switches[i].name, name) == 0)
			return (int)i;
	return -1;
}

/*
 * Which switch already has physical slot s as its uplink: writes "the
 * uplink of switch x" into who and returns true.
 */
static bool uplink_owner(const struct hyp_config *c, uint32_t s, char *who, size_t len)
{
	for (unsigned i = 0; i < c->nr_switches; i++) {
		if (c->switches[i].uplink_slot == (int)s) {
			fv_snprintf(who, len, "the uplink of switch %s", c->switches[i].name);
			return true;
		}
	}
	return false;
}

/* /host/switches: one child node per switch, in order; uplink-slot optional. */
static int parse_switches(const void *b, int host, struct hyp_config *c, struct perr *e)
{
	int sw = fv_fdt_subnode(b, host, "switches", 8);
	if (sw < 0)
		return 0;
	for (int n = fv_fdt_first_child(b, sw); n >= 0; n = fv_fdt_next_sibling(b, n)) {
		int len;
		const char *name = fv_fdt_node_name(b, n, &len);
		char nn[64], what[80];
		fv_snprintf(nn, sizeof(nn), "host/switches/%.*s", name && len > 40 ? 40 : len,
		            name ? name : "?");
		if (c->nr_switches == CFG_MAX_SWITCHES)
			return fail(e, -FV_ERANGE, "host/switches", "count",
			            "more than 4 switches");
		if (!name || !switch_name_ok(name, (size_t)len))
			return fail(e, -FV_EINVAL, nn, "name",
			            "must be 1-15 characters of a-z, 0-9, '-', '_'");
		if (switch_find(c, name) >= 0)
			return fail(e, -FV_EEXIST, nn, "name", "declared twice");
		struct switch_config *s = &c->switches[c->nr_switches];
		memcpy(s->name, name, (size_t)len + 1);
		s->uplink_slot = -1;
		uint32_t slot;
		int ret = fv_fdt_prop_u32(b, n, "uplink-slot", &slot);
		if (ret == 0) {
			if (slot >= CFG_PHYS_SLOTS)
				return fail(e, -FV_ERANGE, nn, "uplink-slot",
				            "must be between 0 and 7");
			char who[48];
			if (uplink_owner(c, slot, who, sizeof(who))) {
				fv_snprintf(what, sizeof(what), "physical slot %u is already %s",
				            slot, who);
				return fail(e, -FV_EEXIST, nn, "uplink-slot", what);
			}
			s->uplink_slot = (int)slot;
		} else if (ret != -FV_ENOENT) {
			return fail(e, -FV_EINVAL, nn, "uplink-slot", "must be a 32-bit number");
		}
		c->nr_switches++;
	}
	return 0;
}

static void fmt_mac(char *buf, size_t len, const uint8_t *m)
{
	fv_snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

#define TOO_MANY_VIRTIO "more than 8 virtio devices (disks, NICs and console)"

bool config_sectors_overlap(uint64_t a_start, uint64_t a_sectors, uint64_t b_start,
                            uint64_t b_sectors)
{
	/* The one that starts first must end after the other starts (differences never wrap). */
	if (a_start <= b_start)
		return a_sectors == 0 || b_start - a_start < a_sectors;
	return b_sectors == 0 || a_start - b_start < b_sectors;
}

int config_slice_resolve(uint64_t capacity, uint64_t start, uint64_t *sectors)
{
	uint64_t n = *sectors;
	if (start == 0 && n == 0) {
		*sectors = capacity;
		return 0;
	}
	if (start >= capacity)
		return -FV_ERANGE;
	if (n == 0)
		n = capacity - start;
	else if (n > capacity - start)
		return -FV_ENOSPC;
	*sectors = n;
	return 0;
}

/* "whole disk", "sectors 8-15", "sector 8" or "sectors 8-end", for messages. */
static void fmt_sectors(char *buf, size_t len, uint64_t start, uint64_t n)
{
	if (start == 0 && n == 0)
		fv_snprintf(buf, len, "whole disk");
	else if (n == 1)
		fv_snprintf(buf, len, "sector %llu", (unsigned long long)start);
	else if (n == 0)
		fv_snprintf(buf, len, "sectors %llu-end", (unsigned long long)start);
	else
		fv_snprintf(buf, len, "sectors %llu-%llu", (unsigned long long)start,
		            (unsigned long long)(start + n - 1));
}

/*
 * Disk k of VM vi against every earlier use of its physical slot: the
 * switch uplinks, the disks of the VMs before it and its own disks before
 * k. Only slices that do not overlap may share a slot.
 */
static int check_disk_slot(const struct hyp_config *c, unsigned vi, unsigned k, const char *prop,
                           struct perr *e, const char *nn)
{
	const struct vm_config *vm = &c->vms[vi];
	uint32_t s = vm->disk_slot[k];
	char who[48], what[192];
	if (uplink_owner(c, s, who, sizeof(who))) {
		fv_snprintf(what, sizeof(what), "physical slot %u is already %s", s, who);
		return fail(e, -FV_EEXIST, nn, "virtio-blk-slots", what);
	}
	for (unsigned v = 0; v <= vi; v++) {
		const struct vm_config *o = &c->vms[v];
		unsigned n = v < vi ? o->nr_disks : k;
		for (unsigned j = 0; j < n; j++) {
			if (o->disk_slot[j] != s ||
			    !config_sectors_overlap(o->disk_start[j], o->disk_sectors[j],
			                            vm->disk_start[k], vm->disk_sectors[k]))
				continue;
			bool whole = !(o->disk_start[j] | o->disk_sectors[j] | vm->disk_start[k] |
			               vm->disk_sectors[k]);
			if (whole) {
				fv_snprintf(what, sizeof(what),
				            "physical slot %u is already a disk of VM %s", s,
				            o->name);
				return fail(e, -FV_EEXIST, nn, "virtio-blk-slots", what);
			}
			char mine[48], theirs[48];
			fmt_sectors(mine, sizeof(mine), vm->disk_start[k], vm->disk_sectors[k]);
			fmt_sectors(theirs, sizeof(theirs), o->disk_start[j], o->disk_sectors[j]);
			fv_snprintf(what, sizeof(what),
			            "disk %u (%s) overlaps disk %u of VM %s (%s) on slot %u", k,
			            mine, j, o->name, theirs, s);
			return fail(e, -FV_EEXIST, nn, prop, what);
		}
	}
	return 0;
}

/*
 * virtio-blk-slices: (start, count) per disk, each ending below
 * CFG_SECTOR_LIMIT. 1 if given, 0 if absent (whole disks), or an error.
 */
static int parse_slices(const void *b, int node, struct vm_config *vm, struct perr *e,
                        const char *nn)
{
	int len;
	const uint8_t *p = fv_fdt_getprop(b, node, "virtio-blk-slices", &len);
	if (!p && len == -FV_ENOENT)
		return 0;
	if (!p || vm->nr_disks == 0 || (unsigned)len != 16 * vm->nr_disks)
		return fail(e, -FV_EINVAL, nn, "virtio-blk-slices",
		            "must hold two 64-bit numbers (start sector, sector count) per disk of "
		            "virtio-blk-slots");
	for (unsigned k = 0; k < vm->nr_disks; k++) {
		uint64_t s = be64(p + 16 * k), n = be64(p + 16 * k + 8);
		/* Overflow-safe: s + n is never computed before s is known to be small. */
		if (s >= CFG_SECTOR_LIMIT || n > CFG_SECTOR_LIMIT - s) {
			char what[64];
			fv_snprintf(what, sizeof(what), "disk %u: slice must end below sector 2^55",
			            k);
			return fail(e, -FV_ERANGE, nn, "virtio-blk-slices", what);
		}
		vm->disk_start[k] = s;
		vm->disk_sectors[k] = n;
	}
	return 1;
}

/*
 * virtio-blk-slots (a physical slot per disk) and virtio-blk-slices; a
 * slot is shared only by non-overlapping slices, never with an uplink.
 */
static int parse_disks(const void *b, int node, struct hyp_config *c, unsigned vi, struct perr *e,
                       const char *nn)
{
	struct vm_config *vm = &c->vms[vi];
	int len;
	const uint8_t *p = fv_fdt_getprop(b, node, "virtio-blk-slots", &len);
	if (!p && len == -FV_ENOENT) {
		int ret = parse_slices(b, node, vm, e, nn); /* slices without disks: an error */
		return ret < 0 ? ret : 0;
	}
	if (!p || len == 0 || len % 4 || len / 4 > CFG_MAX_VIRTIO)
		return fail(e, -FV_EINVAL, nn, "virtio-blk-slots",
		            "must list 1-8 physical slots, one per disk");
	for (int k = 0; k < len / 4; k++) {
		uint32_t s = be32(p + 4 * k);
		if (s >= CFG_PHYS_SLOTS)
			return fail(e, -FV_ERANGE, nn, "virtio-blk-slots",
			            "slots must be between 0 and 7");
		vm->disk_slot[vm->nr_disks++] = s;
	}
	int sliced = parse_slices(b, node, vm, e, nn);
	if (sliced < 0)
		return sliced;
	const char *prop = sliced ? "virtio-blk-slices" : "virtio-blk-slots";
	for (unsigned k = 0; k < vm->nr_disks; k++) {
		int ret = check_disk_slot(c, vi, k, prop, e, nn);
		if (ret)
			return ret;
	}
	return 0;
}

/* virtio-net-switch: a switch name per NIC; unknown names make switches without uplink. */
static int parse_nics(const void *b, int node, struct hyp_config *c, struct vm_config *vm,
                      struct perr *e, const char *nn)
{
	int len;
	const char *sw = fv_fdt_getprop(b, node, "virtio-net-switch", &len);
	if (!sw && len == -FV_ENOENT)
		return 0;
	if (!sw || len == 0 || sw[len - 1] != '\0')
		return fail(e, -FV_EINVAL, nn, "virtio-net-switch",
		            "must be a list of switch names, one per NIC");
	/* The last byte is a NUL, so every strlen() below stays inside the value. */
	for (int off = 0; off < len;) {
		size_t l = strlen(sw + off);
		if (!switch_name_ok(sw + off, l))
			return fail(e, -FV_EINVAL, nn, "virtio-net-switch",
			            "switch names must be 1-15 characters of a-z, 0-9, '-', '_'");
		if (vm->nr_disks + vm->nr_nics == CFG_MAX_VIRTIO)
			return fail(e, -FV_ERANGE, nn, "virtio-net-switch", TOO_MANY_VIRTIO);
		int idx = switch_find(c, sw + off);
		if (idx < 0) {
			if (c->nr_switches == CFG_MAX_SWITCHES)
				return fail(e, -FV_ERANGE, nn, "virtio-net-switch",
				            "more than 4 switches");
			struct switch_config *s = &c->switches[c->nr_switches];
			memcpy(s->name, sw + off, l + 1);
			s->uplink_slot = -1;
			idx = (int)c->nr_switches++;
		}
		vm->nic_switch[vm->nr_nics++] = (uint32_t)idx;
		off += (int)l + 1;
	}
	return 0;
}

/* virtio-net-mac (or the defaults), unique across the VMs parsed so far. */
static int parse_macs(const void *b, int node, struct hyp_config *c, unsigned vi, struct perr *e,
                      const char *nn)
{
	struct vm_config *vm = &c->vms[vi];
	int len;
	const uint8_t *mac = fv_fdt_getprop(b, node, "virtio-net-mac", &len);
	if (mac || len != -FV_ENOENT) {
		if (!mac || vm->nr_nics == 0 || (unsigned)len != 6 * vm->nr_nics)
			return fail(e, -FV_EINVAL, nn, "virtio-net-mac",
			            "must hold 6 bytes per NIC of virtio-net-switch");
		for (unsigned k = 0; k < vm->nr_nics; k++) {
			const uint8_t *m = mac + 6 * k;
			if ((m[0] & 1) || !(m[0] | m[1] | m[2] | m[3] | m[4] | m[5]))
				return fail(e, -FV_EINVAL, nn, "virtio-net-mac",
				            "MACs must be unicast and not all zero");
			memcpy(vm->nic_mac[k], m, 6);
		}
	} else {
		/* 02 = locally administered unicast, then "FV". */
		for (unsigned k = 0; k < vm->nr_nics; k++) {
			const uint8_t d[6] = {0x02, 0x46, 0x56, 0, (uint8_t)vi, (uint8_t)k};
			memcpy(vm->nic_mac[k], d, 6);
		}
	}
	for (unsigned k = 0; k < vm->nr_nics; k++) {
		for (unsigned v = 0; v <= vi; v++) {
			const struct vm_config *o = &c->vms[v];
			unsigned n = v < vi ? o->nr_nics : k;
			for (unsigned j = 0; j < n; j++) {
				if (memcmp(o->nic_mac[j], vm->nic_mac[k], 6) != 0)
					continue;
				char ms[18], what[112];
				fmt_mac(ms, sizeof(ms), vm->nic_mac[k]);
				fv_snprintf(what, sizeof(what), "%s%s is already used by VM %s",
				            mac ? "" : "default MAC ", ms, o->name);
				return fail(e, -FV_EEXIST, nn, "virtio-net-mac", what);
			}
		}
	}
	return 0;
}

/*
 * role: "guest" (default) or "service" (the control channel's VM, at most one;
 * its control device takes one more virtio slot, after the console).
 */
static int parse_role(const void *b, int node, struct hyp_config *c, unsigned vi, struct perr *e,
                      const char *nn)
{
	struct vm_config *vm = &c->vms[vi];
	int len;
	if (!fv_fdt_getprop(b, node, "role", &len))
		return 0;
	const char *role = fv_fdt_prop_string(b, node, "role");
	if (role && strcmp(role, "guest") == 0)
		return 0;
	if (!role || strcmp(role, "service") != 0)
		return fail(e, -FV_EINVAL, nn, "role", "must be \"service\" or \"guest\"");
	for (unsigned i = 0; i < vi; i++)
		if (c->vms[i].service)
			return fail(e, -FV_EEXIST, nn, "role",
			            "a service VM is already configured");
	if (vm->nr_disks + vm->nr_nics + (vm->virtio_console ? 1u : 0u) == CFG_MAX_VIRTIO)
		return fail(e, -FV_ERANGE, nn, "role",
		            "the control channel would be a 9th virtio device");
	vm->service = true;
	return 0;
}

/*
 * The paravirtual devices of VM index vi (out->vms[vi], already named):
 * disks, NICs with their MACs, and the console.
 */
static int parse_virtio(const void *b, int node, struct hyp_config *c, unsigned vi, struct perr *e)
{
	struct vm_config *vm = &c->vms[vi];
	char nn[48];
	int len;
	vm_label(b, node, nn, sizeof(nn));
	int ret = parse_disks(b, node, c, vi, e, nn);
	ret = ret ? ret : parse_nics(b, node, c, vm, e, nn);
	ret = ret ? ret : parse_macs(b, node, c, vi, e, nn);
	if (ret)
		return ret;
	vm->virtio_console = fv_fdt_getprop(b, node, "virtio-console", &len) != NULL;
	if (vm->virtio_console && vm->nr_disks + vm->nr_nics == CFG_MAX_VIRTIO)
		return fail(e, -FV_ERANGE, nn, "virtio-console", TOO_MANY_VIRTIO);
	return parse_role(b, node, c, vi, e, nn);
}

int config_parse(const void *blob, size_t size, struct hyp_config *out, char *err, size_t errlen)
{
	struct perr e = {err, errlen};
	if (err && errlen)
		err[0] = '\0';
	memset(out, 0, sizeof(*out));
	out->slice_us = DEFAULT_SLICE_US;
	if (fv_fdt_check(blob, size) != 0)
		return fail(&e, -FV_EINVAL, "/", "blob", "not a valid flattened device tree");
	int root = fv_fdt_root(blob);
	if (!fv_fdt_node_is_compatible(blob, root, "ferrovisor,config-v1"))
		return fail(&e, -FV_EINVAL, "/", "compatible", "must be \"ferrovisor,config-v1\"");
	int host = fv_fdt_path_offset(blob, "/host");
	if (host >= 0) {
		const char *f = fv_fdt_prop_string(blob, host, "console-focus");
		if (f) {
			if (strlen(f) >= VM_NAME_MAX)
				return fail(&e, -FV_EINVAL, "host", "console-focus",
				            "name too long");
			memcpy(out->focus, f, strlen(f) + 1);
		}
		uint32_t s;
		int ret = fv_fdt_prop_u32(blob, host, "time-slice-us", &s);
		if (ret == 0) {
			if (s < 100 || s > 1000000)
				return fail(&e, -FV_ERANGE, "host", "time-slice-us",
				            "must be between 100 and 1000000");
			out->slice_us = s;
		} else if (ret != -FV_ENOENT) {
			return fail(&e, -FV_EINVAL, "host", "time-slice-us",
			            "must be a 32-bit number");
		}
		/*
		 * A blob built for another architecture places its VMs on that
		 * architecture's map: refuse it whole rather than boot VMs whose
		 * addresses mean something else here.
		 */
		const char *arch = fv_fdt_prop_string(blob, host, "arch");
		if (arch && strcmp(arch, arch_guest_map()->arch) != 0) {
			char why[96];
			fv_snprintf(why, sizeof(why), "the configuration is for %.24s, this is %s",
			            arch, arch_guest_map()->arch);
			return fail(&e, -FV_EINVAL, "host", "arch", why);
		}
		int len;
		out->best_effort = fv_fdt_getprop(blob, host, "best-effort", &len) != NULL;
		ret = parse_switches(blob, host, out, &e);
		if (ret)
			return ret;
		const char *g = fv_fdt_prop_string(blob, host, "gdb-vm");
		if (g) {
			if (!config_vm_name_ok(g))
				return fail(&e, -FV_EINVAL, "host", "gdb-vm", "not a VM name");
			memcpy(out->gdb_vm, g, strlen(g) + 1);
		}
		uint32_t ds;
		ret = fv_fdt_prop_u32(blob, host, "dump-slot", &ds);
		if (ret == 0) {
			if (ds >= CFG_PHYS_SLOTS)
				return fail(&e, -FV_ERANGE, "host", "dump-slot",
				            "not a virtio-mmio slot");
			out->dump_slot1 = ds + 1;
		} else if (ret != -FV_ENOENT) {
			return fail(&e, -FV_EINVAL, "host", "dump-slot", "must be a 32-bit number");
		}
	}
	int vms = fv_fdt_path_offset(blob, "/vms");
	if (vms < 0)
		return fail(&e, -FV_EINVAL, "/", "vms", "missing (no VMs configured)");
	for (int n = fv_fdt_first_child(blob, vms); n >= 0; n = fv_fdt_next_sibling(blob, n)) {
		if (out->nr_vms == CFG_MAX_VMS)
			return fail(&e, -FV_ERANGE, "vms", "count", "more than 8 VMs");
		struct vm_config *vm = &out->vms[out->nr_vms];
		int ret = parse_vm(blob, n, vm, &e);
		if (ret)
			return ret;
		for (unsigned i = 0; i < out->nr_vms; i++) {
			if (strcmp(out->vms[i].name, vm->name) == 0) {
				char nn[48];
				vm_label(blob, n, nn, sizeof(nn));
				return fail(&e, -FV_EEXIST, nn, "vm-name",
				            "already used by another VM");
			}
		}
		ret = parse_virtio(blob, n, out, out->nr_vms, &e);
		if (ret)
			return ret;
		out->nr_vms++;
	}
	if (out->nr_vms == 0)
		return fail(&e, -FV_EINVAL, "/", "vms", "no VMs configured");
	if (out->focus[0]) {
		bool found = false;
		for (unsigned i = 0; i < out->nr_vms; i++)
			found = found || strcmp(out->vms[i].name, out->focus) == 0;
		if (!found)
			return fail(&e, -FV_ENOENT, "host", "console-focus",
			            "names no configured VM");
	}
	if (out->gdb_vm[0]) {
		bool found = false;
		for (unsigned i = 0; i < out->nr_vms; i++)
			found = found || strcmp(out->vms[i].name, out->gdb_vm) == 0;
		if (!found)
			return fail(&e, -FV_ENOENT, "host", "gdb-vm", "names no configured VM");
	}
	return 0;
}
