// SPDX-License-Identifier: MIT
/*
 * Configuration blob parser. The blob is a flattened device tree:
 *
 *   / { compatible = "ferrovisor,config-v1";
 *       host { console-focus = "name"; time-slice-us = <4000>; };
 *       vms { NODE { [vm-name = "...";] vcpus = <N>; memory-size = /bits/ 64 <bytes>;
 *                    [memory-base = /bits/ 64 <gpa>;] [weight = <w>;]
 *                    [cpu-affinity = <cpu cpu ...>;] [vcpu-pin = <cpu per vcpu>;]
 *                    kernel = [bytes]; [kernel-offset = /bits/ 64 <off>;]
 *                    [initrd = [bytes];] [bootargs = "...";] [autostart;]
 *                    [uart-base = /bits/ 64 <gpa>;] [no-uart;] }; }; };
 *
 * Every value is validated; the first problem is reported as
 * "vms/NODE: property: what is wrong".
 */
#include "core/config.h"
#include "lib/fdt.h"
#include "lib/printf.h"
#include "lib/string.h"

#define DEFAULT_MEM_BASE      0x80000000ULL
#define DEFAULT_KERNEL_OFFSET 0x200000ULL
#define DEFAULT_UART_BASE     0x10000000ULL
#define DEFAULT_SLICE_US      4000ULL
#define MEM_ALIGN             (2ULL << 20)
#define MAX_GPA               (1ULL << 41) /* Sv39x4 */
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

static bool name_ok(const char *n)
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
	if (!k || len <= 0)
		return fail(e, -FV_EINVAL, nn, "kernel", "missing or empty (the guest image)");
	vm->kernel = k;
	vm->kernel_size = (uint64_t)len;
	if (opt_u64(b, node, "kernel-offset", DEFAULT_KERNEL_OFFSET, &vm->kernel_offset))
		return fail(e, -FV_EINVAL, nn, "kernel-offset", "must be a 32- or 64-bit number");
	if (vm->kernel_offset % 4)
		return fail(e, -FV_EINVAL, nn, "kernel-offset", "must be a multiple of 4");
	if (vm->kernel_offset >= vm->mem_size || vm->kernel_size > vm->mem_size - vm->kernel_offset)
		return fail(e, -FV_ERANGE, nn, "kernel", "does not fit in memory at kernel-offset");
	const uint8_t *i = fv_fdt_getprop(b, node, "initrd", &len);
	if (i && len > 0) {
		vm->initrd = i;
		vm->initrd_size = (uint64_t)len;
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

static int parse_vm(const void *b, int node, struct vm_config *vm, struct perr *e)
{
	int nlen;
	const char *nn = fv_fdt_node_name(b, node, &nlen);
	char nodename[48];
	fv_snprintf(nodename, sizeof(nodename), "vms/%.*s", nlen > 40 ? 40 : nlen, nn ? nn : "?");
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
	if (!name_ok(name))
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
	if (opt_u64(b, node, "memory-base", DEFAULT_MEM_BASE, &vm->mem_base))
		return fail(e, -FV_EINVAL, nn, "memory-base", "must be a number");
	if (vm->mem_base % MEM_ALIGN || vm->mem_base >= MAX_GPA ||
	    vm->mem_size > MAX_GPA - vm->mem_base)
		return fail(e, -FV_ERANGE, nn, "memory-base",
		            "must be 2 MiB aligned and end below 2 TiB");
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
	vm->has_uart = fv_fdt_getprop(b, node, "no-uart", &nlen) == NULL;
	if (opt_u64(b, node, "uart-base", DEFAULT_UART_BASE, &vm->uart_base) ||
	    vm->uart_base % 0x100)
		return fail(e, -FV_EINVAL, nn, "uart-base", "must be a 256-byte aligned address");
	if (vm->uart_base >= MAX_GPA - 0x100)
		return fail(e, -FV_ERANGE, nn, "uart-base", "must be below 2 TiB");
	if (vm->has_uart && vm->uart_base + 0x100 > vm->mem_base &&
	    vm->uart_base < vm->mem_base + vm->mem_size)
		return fail(e, -FV_EEXIST, nn, "uart-base", "overlaps guest memory");
	return 0;
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
				int l;
				const char *node = fv_fdt_node_name(blob, n, &l);
				fv_snprintf(nn, sizeof(nn), "vms/%.*s", l > 40 ? 40 : l,
				            node ? node : "?");
				return fail(&e, -FV_EEXIST, nn, "vm-name",
				            "already used by another VM");
			}
		}
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
	return 0;
}
