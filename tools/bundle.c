// SPDX-License-Identifier: MIT
/* Boot bundle writer (contract and layout in bundle.h). */
#include "bundle.h"

#include <errno.h>
#include <fcntl.h>
#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "images.h"
#include "svc_tokens.h"
#include "version.h"

#define STRUCT_SLACK (64u << 10) /* structure and strings blocks beyond the images */

static const struct src_pos NOPOS = {0, 0};

static int fdt_fail(struct diag *d, const char *what, int err)
{
	return diag_error(d, NOPOS, "bundle", "cannot write %s: %s", what, fdt_strerror(err));
}

/* Read exactly size bytes of path into dst. */
static int read_image(const char *path, void *dst, uint64_t size, const char *key, struct diag *d)
{
	char err[128];
	struct stat st;
	/* Validated as a regular file earlier; checked again: the path may have changed. */
	int fd = image_open(path, false, &st, err, sizeof(err));
	if (fd < 0)
		return diag_error(d, NOPOS, key, "cannot open %s: %s", path, err);
	FILE *f = fdopen(fd, "rb");
	if (!f) {
		close(fd);
		return diag_error(d, NOPOS, key, "cannot open %s: %s", path, strerror(errno));
	}
	size_t n = fread(dst, 1, (size_t)size, f);
	int extra = fgetc(f);
	fclose(f);
	if (n != size || extra != EOF)
		return diag_error(d, NOPOS, key, "%s changed while it was read", path);
	return 0;
}

static int image_prop(void *fdt, const char *name, const char *path, uint64_t size, struct diag *d)
{
	void *val;
	int err = fdt_property_placeholder(fdt, name, (int)size, &val);
	if (err)
		return fdt_fail(d, name, err);
	return read_image(path, val, size, name, d);
}

/* The initrd file, then the layer with the service VM's tokens (svc_tokens.h), if any. */
static int initrd_prop(void *fdt, const struct model_vm *vm, struct diag *d)
{
	uint64_t file = vm->initrd_size - vm->tokens_layer;
	uint8_t *val;
	int err = fdt_property_placeholder(fdt, "initrd", (int)vm->initrd_size, (void **)&val);
	if (err)
		return fdt_fail(d, "initrd", err);
	if (read_image(vm->initrd_path, val, file, "initrd", d))
		return -1;
	if (svc_tokens_layer(vm, file, val + file, (size_t)vm->tokens_layer) != vm->tokens_layer)
		return diag_error(d, NOPOS, "tokens", "token layer size changed");
	return 0;
}

/* libfdt's fdt_property_string() macro trips -Wconversion; same thing, explicit. */
static int str_prop(void *fdt, const char *name, const char *s)
{
	return fdt_property(fdt, name, s, (int)strlen(s) + 1);
}

static int cpu_list_prop(void *fdt, const char *name, const int *cpus, unsigned n)
{
	fdt32_t cells[64];
	for (unsigned i = 0; i < n; i++)
		cells[i] = cpu_to_fdt32((uint32_t)cpus[i]);
	return fdt_property(fdt, name, cells, (int)(n * sizeof(cells[0])));
}

/* "52:54:00:12:34:56" (checked by the loader) into 6 bytes. */
static void mac_bytes(const char *s, uint8_t *out)
{
	for (unsigned i = 0; i < 6; i++)
		out[i] = (uint8_t)strtoul(s + 3 * i, NULL, 16);
}

/*
 * virtio-blk-slices when any disk of vm is a slice: (start sector, sector
 * count) per disk, (0, 0) for a whole disk and a count of 0 for "to the end".
 */
static int slices_prop(void *fdt, const struct model_vm *vm)
{
	fdt64_t cells[2 * CFG_MAX_VIRTIO];
	bool any = false;
	for (unsigned i = 0; i < vm->nr_disks; i++) {
		const struct model_disk *k = &vm->disks[i];
		any = any || k->slice;
		cells[2 * i] = cpu_to_fdt64(k->slice ? k->slice_offset / 512 : 0);
		cells[2 * i + 1] = cpu_to_fdt64(k->slice ? k->slice_size / 512 : 0);
	}
	if (!any)
		return 0;
	return fdt_property(fdt, "virtio-blk-slices", cells,
	                    (int)(2 * vm->nr_disks * sizeof(cells[0])));
}

/* Disks, interfaces and the virtio console of a VM (format in hyp/core/config.c). */
static int virtio_props(void *fdt, const struct model *m, const struct model_vm *vm)
{
	int blk[CFG_MAX_VIRTIO];
	char sw[CFG_MAX_VIRTIO * CFG_SWITCH_NAME];
	uint8_t mac[CFG_MAX_VIRTIO * 6];
	size_t swlen = 0;
	int err = 0;
	for (unsigned i = 0; i < vm->nr_disks; i++)
		blk[i] = vm->disks[i].slot;
	for (unsigned i = 0; i < vm->nr_nics; i++) {
		const char *name = m->host.switches[vm->nics[i].sw_index].name;
		size_t l = strlen(name) + 1;
		memcpy(sw + swlen, name, l);
		swlen += l;
		mac_bytes(vm->nics[i].mac, mac + 6 * i);
	}
	if (vm->nr_disks)
		err = cpu_list_prop(fdt, "virtio-blk-slots", blk, vm->nr_disks);
	if (!err && vm->nr_disks)
		err = slices_prop(fdt, vm);
	if (!err && vm->nr_nics)
		err = fdt_property(fdt, "virtio-net-switch", sw, (int)swlen);
	if (!err && vm->nr_nics)
		err = fdt_property(fdt, "virtio-net-mac", mac, (int)(6 * vm->nr_nics));
	if (!err && vm->virtio_console)
		err = fdt_property(fdt, "virtio-console", NULL, 0);
	if (!err && vm->service)
		err = fdt_property_string(fdt, "role", "service");
	return err;
}

static int vm_node(void *fdt, const struct model *m, const struct model_vm *vm, struct diag *d)
{
	int cpus[64];
	unsigned nr_cpus = 0;
	for (int c = 0; c <= MODEL_MAX_CPU_INDEX; c++)
		if ((vm->affinity >> c) & 1)
			cpus[nr_cpus++] = c;
	int err = fdt_begin_node(fdt, vm->name);
	err = err ? err : str_prop(fdt, "vm-name", vm->name);
	err = err ? err : fdt_property_u32(fdt, "vcpus", (uint32_t)vm->vcpus);
	err = err ? err : fdt_property_u64(fdt, "memory-size", vm->memory);
	err = err ? err : fdt_property_u64(fdt, "memory-base", vm->memory_base);
	err = err ? err : fdt_property_u32(fdt, "weight", (uint32_t)vm->weight);
	if (!err && nr_cpus)
		err = cpu_list_prop(fdt, "cpu-affinity", cpus, nr_cpus);
	if (!err && vm->nr_pin)
		err = cpu_list_prop(fdt, "vcpu-pin", vm->pin, vm->nr_pin);
	err = err ? err : fdt_property_u64(fdt, "kernel-offset", vm->kernel_offset);
	if (!err && vm->command_line && vm->command_line[0])
		err = str_prop(fdt, "bootargs", vm->command_line);
	if (!err && vm->autostart)
		err = fdt_property(fdt, "autostart", NULL, 0);
	if (!err && vm->template_vm)
		err = fdt_property(fdt, "template", NULL, 0);
	if (!err && vm->uart)
		err = fdt_property_u64(fdt, "uart-base", vm->uart_base);
	if (!err && !vm->uart)
		err = fdt_property(fdt, "no-uart", NULL, 0);
	if (!err && !vm->rtc)
		err = fdt_property(fdt, "no-rtc", NULL, 0);
	err = err ? err : virtio_props(fdt, m, vm);
	if (err)
		return fdt_fail(d, vm->name, err);
	if (image_prop(fdt, "kernel", vm->kernel_path, vm->kernel_size, d))
		return -1;
	if (vm->initrd_path && initrd_prop(fdt, vm, d))
		return -1;
	err = fdt_end_node(fdt);
	return err ? fdt_fail(d, vm->name, err) : 0;
}

/* /host/switches: every switch, declared or made by an interface, in model order. */
static int switch_nodes(void *fdt, const struct model_host *h)
{
	if (!h->nr_switches)
		return 0;
	int err = fdt_begin_node(fdt, "switches");
	for (unsigned i = 0; !err && i < h->nr_switches; i++) {
		const struct model_switch *sw = &h->switches[i];
		err = fdt_begin_node(fdt, sw->name);
		if (!err && sw->up.kind != UPLINK_NONE)
			err = fdt_property_u32(fdt, "uplink-slot", (uint32_t)sw->up.slot);
		err = err ? err : fdt_end_node(fdt);
	}
	return err ? err : fdt_end_node(fdt);
}

int bundle_verify(const void *blob, size_t size, struct hyp_config *cfg, char *err, size_t errlen)
{
	return config_parse(blob, size, cfg, err, errlen) == 0 ? 0 : -1;
}

static int build(void *fdt, int cap, const struct model *m, struct diag *d)
{
	int err = fdt_create(fdt, cap);
	err = err ? err : fdt_finish_reservemap(fdt);
	err = err ? err : fdt_begin_node(fdt, "");
	err = err ? err : str_prop(fdt, "compatible", "ferrovisor,config-v1");
	err = err ? err : str_prop(fdt, "generator", "ferrovisor " FV_TOOL_VERSION);
	err = err ? err : fdt_begin_node(fdt, "host");
	if (!err && strcmp(m->host.focus, MODEL_FOCUS_SHELL) != 0)
		err = str_prop(fdt, "console-focus", m->host.focus);
	err = err ? err : fdt_property_u32(fdt, "time-slice-us", (uint32_t)m->host.time_slice_us);
	/*
	 * The architecture whose map the addresses follow, so a hypervisor of
	 * another one refuses the blob (config.c). riscv64 blobs name it only
	 * when the file did: they stay byte for byte what they were.
	 */
	if (!err && m->map && (m->host.arch[0] || strcmp(m->map->arch, "riscv64") != 0))
		err = str_prop(fdt, "arch", m->map->arch);
	if (!err && m->host.best_effort)
		err = fdt_property(fdt, "best-effort", NULL, 0);
	if (!err && m->host.gdb_vm[0])
		err = str_prop(fdt, "gdb-vm", m->host.gdb_vm);
	if (!err && m->host.dump_slot1)
		err = fdt_property_u32(fdt, "dump-slot", m->host.dump_slot1 - 1);
	err = err ? err : switch_nodes(fdt, &m->host);
	err = err ? err : fdt_end_node(fdt);
	err = err ? err : fdt_begin_node(fdt, "vms");
	if (err)
		return fdt_fail(d, "the header", err);
	for (unsigned i = 0; i < m->nr_vms; i++)
		if (vm_node(fdt, m, &m->vms[i], d))
			return -1;
	err = fdt_end_node(fdt);
	err = err ? err : fdt_end_node(fdt);
	err = err ? err : fdt_finish(fdt);
	return err ? fdt_fail(d, "the end", err) : 0;
}

int bundle_build(const struct model *m, void **blob, size_t *size, struct diag *d)
{
	uint64_t cap = m->bundle_estimate + STRUCT_SLACK;
	if (cap > (uint64_t)INT32_MAX)
		return diag_error(d, NOPOS, "bundle", "images too large");
	void *fdt = calloc(1, (size_t)cap);
	if (!fdt)
		return diag_error(d, NOPOS, "bundle", "out of memory (%llu bytes)",
		                  (unsigned long long)cap);
	if (build(fdt, (int)cap, m, d)) {
		free(fdt);
		return -1;
	}
	size_t total = fdt_totalsize(fdt);
	static struct hyp_config parsed; /* large; not reentrant, the tool is single-threaded */
	char err[256];
	if (bundle_verify(fdt, total, &parsed, err, sizeof(err))) {
		free(fdt);
		return diag_error(d, NOPOS, "bundle", "the hypervisor's parser rejects it: %s",
		                  err);
	}
	*blob = fdt;
	*size = total;
	return 0;
}

int bundle_write_fd(int fd, const void *blob, size_t size)
{
	const char *p = blob;
	size_t left = size;
	while (left) {
		ssize_t n = write(fd, p, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		p += n;
		left -= (size_t)n;
	}
	return 0;
}

int bundle_target_check(const char *path, char *err, size_t errlen)
{
	struct stat st;
	if (lstat(path, &st) != 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	if (S_ISREG(st.st_mode))
		return 0;
	const char *kind = S_ISLNK(st.st_mode)    ? "a symbolic link"
	                   : S_ISDIR(st.st_mode)  ? "a directory"
	                   : S_ISFIFO(st.st_mode) ? "a FIFO"
	                   : S_ISCHR(st.st_mode)  ? "a character device"
	                   : S_ISBLK(st.st_mode)  ? "a block device"
	                   : S_ISSOCK(st.st_mode) ? "a socket"
	                                          : "not a regular file";
	snprintf(err, errlen,
	         "will not write %s: it is %s; the bundle replaces only a regular file or "
	         "creates a new one",
	         path, kind);
	return -1;
}

int bundle_write_file(const char *path, const void *blob, size_t size, char *err, size_t errlen)
{
	if (bundle_target_check(path, err, errlen))
		return -1;
	size_t len = strlen(path);
	char *tmp = malloc(len + 16);
	if (!tmp) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	/* Beside the target (same file system, so rename() is atomic); mkstemp() is O_EXCL. */
	snprintf(tmp, len + 16, "%s.tmp.XXXXXX", path);
	int fd = mkstemp(tmp);
	if (fd < 0) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		free(tmp);
		return -1;
	}
	/* mkstemp() makes it 0600: give it what a new file would get, 0644 less the umask. */
	mode_t mask = umask(0);
	umask(mask);
	int ret = 0;
	if (bundle_write_fd(fd, blob, size) != 0 || fchmod(fd, 0644 & ~mask) != 0) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		close(fd);
		ret = -1;
	} else if (close(fd) != 0) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		ret = -1;
	} else if (bundle_target_check(path, err, errlen) != 0) {
		/* Checked again just before the rename: narrows the window for a swap. */
		ret = -1;
	} else if (rename(tmp, path) != 0) {
		snprintf(err, errlen, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
		ret = -1;
	}
	if (ret)
		unlink(tmp);
	free(tmp);
	return ret;
}

bool bundle_same_file(const char *path, const void *blob, size_t size)
{
	/* Only a regular file can be "the same": never open a FIFO or a device here. */
	struct stat st;
	char err[64];
	int fd = image_open(path, false, &st, err, sizeof(err));
	if (fd < 0)
		return false;
	FILE *f = fdopen(fd, "rb");
	if (!f) {
		close(fd);
		return false;
	}
	bool same = true;
	const unsigned char *p = blob;
	unsigned char buf[1 << 16];
	size_t off = 0, n;
	while (same && (n = fread(buf, 1, sizeof(buf), f)) > 0) {
		same = off + n <= size && memcmp(buf, p + off, n) == 0;
		off += n;
	}
	same = same && !ferror(f) && off == size;
	fclose(f);
	return same;
}
