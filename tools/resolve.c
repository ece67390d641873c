// SPDX-License-Identifier: MIT
/*
 * Configuration resolver: files, cross-VM rules, defaults that depend on
 * other keys, virtual switches and their uplinks, virtio slots and host
 * memory (contract in resolve.h).
 */
#include "resolve.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arch_map.h"
#include "core/guest_layout.h"
#include "images.h"
#include "paths.h"
#include "scalar.h"
#include "svc_tokens.h"

#define MIB             (1ULL << 20)
#define PAGE_BYTES      4096ULL
#define BLOB_OVERHEAD   (64ULL << 10) /* FDT header, structure and strings */
#define QEMU_KERNEL_OFF (2 * MIB)     /* -kernel loads the hypervisor at RAM + 2 MiB */
#define QEMU_INITRD_MAX (512 * MIB)   /* and the initrd min(RAM / 2, 512 MiB) above it */
#define LOW_RESERVE     (16 * MIB)    /* firmware, hypervisor image, early heap */
#define TOP_RESERVE     (16 * MIB)    /* DTB (QEMU puts it at the top), heap, page tables */
#define AUTO_MEM_MIN    (256 * MIB)
#define AUTO_MEM_STEP   (64 * MIB)
#define AUTO_MEM_MAX    (1ULL << 40)
#define MAX_BUNDLE      (1ULL << 30) /* the hypervisor's FV_FDT_MAX_SIZE */

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) / a * a;
}

static char *expand(struct diag *d, const struct model *m, struct src_pos pos, const char *key,
                    const char *in)
{
	char err[256];
	char *p = path_expand(in, m->dir, err, sizeof(err));
	if (!p)
		diag_error(d, pos, key, "%s", err);
	return p;
}

/* The canonical name of an existing file (no "..", no links); keeps p if it cannot. */
static void canonical(char **p)
{
	char *r = realpath(*p, NULL);
	if (r) {
		free(*p);
		*p = r;
	}
}

static int check_kernel(struct model *m, struct model_vm *vm, const struct resolve_opts *o,
                        struct diag *d)
{
	struct src_pos kpos = vm->pos[VMK_KERNEL].line ? vm->pos[VMK_KERNEL] : vm->at;
	if (!vm->kernel)
		return diag_error(d, kpos, "kernel", "missing (the guest image to boot)");
	vm->kernel_path = expand(d, m, kpos, "kernel", vm->kernel);
	if (!vm->kernel_path)
		return -1;
	struct image_info info;
	char err[256];
	if (o->no_files) {
		memset(&info, 0, sizeof(info));
		info.size = 1;
	} else if (image_probe(vm->kernel_path, &info, err, sizeof(err))) {
		return diag_error(d, kpos, "kernel", "cannot use %s: %s", vm->kernel_path, err);
	} else {
		canonical(&vm->kernel_path);
	}
	if (info.is_elf)
		return diag_error(d, kpos, "kernel",
		                  "%s is an ELF file; give a flat binary (objcopy -O binary) or a "
		                  "Linux Image",
		                  vm->kernel_path);
	vm->kernel_size = info.size;
	vm->kernel_kind = info.is_linux ? IMAGE_LINUX : IMAGE_FLAT;
	if (info.is_linux) {
		if (!vm->pos[VMK_KERNEL_OFFSET].line && info.text_offset &&
		    info.text_offset % 4 == 0)
			vm->kernel_offset = info.text_offset;
		if (!vm->pos[VMK_COMMAND_LINE].line && !vm->command_line) {
			vm->command_line = strdup(MODEL_LINUX_BOOTARGS);
			if (!vm->command_line)
				return diag_error(d, kpos, "kernel", "out of memory");
		}
	}
	char mem[32];
	scalar_fmt_size(vm->memory, mem, sizeof(mem));
	uint64_t need = info.size;
	if (info.is_linux && info.image_size > need)
		need = info.image_size;
	if (vm->kernel_offset >= vm->memory || need > vm->memory - vm->kernel_offset)
		return diag_error(d, kpos, "kernel",
		                  "%llu-byte image does not fit in %s of memory at kernel_offset "
		                  "0x%llx",
		                  (unsigned long long)need, mem,
		                  (unsigned long long)vm->kernel_offset);
	/* The tokens travel in the initrd, to the VM whose ferrovisord reads them. */
	if (vm->nr_tokens && !vm->service)
		return diag_error(
		    d, vm->pos[VMK_TOKENS], "tokens",
		    "only the service VM (role: service) takes tokens: its ferrovisord "
		    "checks them");
	if (vm->nr_tokens && !vm->initrd)
		return diag_error(d, vm->pos[VMK_TOKENS], "tokens",
		                  "need an initrd (the service initramfs) to carry them");
	if (!vm->initrd)
		return 0;
	struct src_pos ipos = vm->pos[VMK_INITRD];
	vm->initrd_path = expand(d, m, ipos, "initrd", vm->initrd);
	if (!vm->initrd_path)
		return -1;
	if (o->no_files) {
		info.size = 1;
	} else if (image_probe(vm->initrd_path, &info, err, sizeof(err))) {
		return diag_error(d, ipos, "initrd", "cannot use %s: %s", vm->initrd_path, err);
	} else {
		canonical(&vm->initrd_path);
	}
	vm->initrd_size = info.size;
	vm->tokens_layer = svc_tokens_layer(vm, info.size, NULL, 0);
	vm->initrd_size += vm->tokens_layer;
	/* Same rule as hyp/core/config.c: the initrd goes to the top of RAM, page aligned. */
	uint64_t used = vm->kernel_offset + vm->kernel_size;
	if (vm->initrd_size + PAGE_BYTES > vm->memory - used)
		return diag_error(d, ipos, "initrd",
		                  "kernel and initrd (%llu bytes) do not fit in %s of memory",
		                  (unsigned long long)(used + vm->initrd_size), mem);
	return 0;
}

static void cpu_range(uint64_t cpus, char *buf, size_t len)
{
	if (cpus == 1)
		snprintf(buf, len, "1 CPU: 0");
	else
		snprintf(buf, len, "%llu CPUs: 0-%llu", (unsigned long long)cpus,
		         (unsigned long long)cpus - 1);
}

static int check_cpus(const struct model *m, const struct model_vm *vm, struct diag *d)
{
	char hc[48];
	cpu_range(m->host.cpus, hc, sizeof(hc));
	for (unsigned c = 0; c <= MODEL_MAX_CPU_INDEX; c++)
		if ((vm->affinity >> c) & 1 && c >= m->host.cpus)
			return diag_error(d, vm->pos[VMK_AFFINITY], "affinity",
			                  "CPU %u does not exist (the host has %s)", c, hc);
	if (!vm->nr_pin)
		return 0;
	struct src_pos pp = vm->pos[VMK_PIN];
	if (vm->nr_pin > m->host.cpus)
		return diag_error(d, pp, "pin", "%u vCPUs pinned but the host has only %s",
		                  vm->nr_pin, hc);
	if (vm->nr_pin != vm->vcpus)
		return diag_error(d, pp, "pin", "lists %u CPU%s for %llu vCPUs (one per vCPU)",
		                  vm->nr_pin, vm->nr_pin == 1 ? "" : "s",
		                  (unsigned long long)vm->vcpus);
	for (unsigned i = 0; i < vm->nr_pin; i++) {
		unsigned c = (unsigned)vm->pin[i];
		if (c >= m->host.cpus)
			return diag_error(d, pp, "pin", "CPU %u does not exist (the host has %s)",
			                  c, hc);
		for (unsigned j = 0; j < i; j++)
			if (vm->pin[j] == vm->pin[i])
				return diag_error(d, pp, "pin",
				                  "vCPUs %u and %u are both pinned to CPU %u", j, i,
				                  c);
		if (vm->affinity && !((vm->affinity >> c) & 1))
			return diag_error(d, pp, "pin",
			                  "vCPU %u is pinned to CPU %u, outside its affinity", i,
			                  c);
	}
	return 0;
}

static int check_layout(const struct model *m, const struct model_vm *vm, struct diag *d)
{
	struct src_pos bpos =
	    vm->pos[VMK_MEMORY_BASE].line ? vm->pos[VMK_MEMORY_BASE] : vm->pos[VMK_MEMORY];
	uint64_t limit = m->map->gpa_limit;
	char words[24];
	guest_layout_size_name(limit, words, sizeof(words));
	if (vm->memory_base >= limit || vm->memory > limit - vm->memory_base)
		return diag_error(d, bpos.line ? bpos : vm->at, "memory_base",
		                  "guest RAM must end below %s (0x%llx)", words,
		                  (unsigned long long)limit);
	return 0;
}

/*
 * The guest map the configuration targets: host.arch, else the hypervisor's
 * the caller knows (o->arch), else riscv64. It becomes the map the linked
 * configuration parser uses (arch_guest_map()), and the defaults of the
 * addresses a VM does not give come from it.
 */
static int pick_map(struct model *m, const struct resolve_opts *o, struct diag *d)
{
	const char *arch = m->host.arch[0] ? m->host.arch : o->arch ? o->arch : "riscv64";
	if (m->host.arch[0] && o->arch && strcmp(m->host.arch, o->arch) != 0)
		return diag_error(d, m->host.pos[HK_ARCH], "arch",
		                  "the configuration is for %s, the hypervisor is %s", m->host.arch,
		                  o->arch);
	m->map = tool_guest_map_find(arch);
	if (!m->map)
		return diag_error(d, m->host.pos[HK_ARCH], "arch",
		                  "the hypervisor is %s, which this tool has no guest map of (%s)",
		                  arch, tool_guest_map_names());
	tool_guest_map_select(m->map);
	for (unsigned i = 0; i < m->nr_vms; i++) {
		struct model_vm *vm = &m->vms[i];
		if (!vm->pos[VMK_MEMORY_BASE].line)
			vm->memory_base = m->map->ram_base;
		if (!vm->pos[VMK_UART_BASE].line)
			vm->uart_base = m->map->uart_base;
	}
	return 0;
}

/*
 * The guest-physical map of every VM, by the hypervisor's own rule
 * (guest_layout_check_vm(), hyp/core/guest_layout.c): RAM, UART, interrupt
 * controller and virtio-mmio windows never overlap. The error names the
 * key that places the window to move (uart_base or memory_base).
 */
static int check_guest_maps(const struct model *m, struct diag *d)
{
	for (unsigned i = 0; i < m->nr_vms; i++) {
		const struct model_vm *vm = &m->vms[i];
		struct vm_config vc;
		memset(&vc, 0, sizeof(vc));
		vc.mem_base = vm->memory_base;
		vc.mem_size = vm->memory;
		vc.has_uart = vm->uart;
		vc.uart_base = vm->uart_base;
		vc.has_rtc = vm->rtc;
		vc.nr_disks = vm->nr_disks;
		vc.nr_nics = vm->nr_nics;
		vc.virtio_console = vm->virtio_console;
		vc.kernel_offset = vm->kernel_offset;
		vc.kernel_size = vm->kernel_size;
		vc.initrd_size = vm->initrd_size;
		struct guest_layout_error le;
		if (guest_layout_check_vm(m->map, &vc, &le) == 0)
			continue;
		if (le.code == -FV_ENOSPC) {
			struct src_pos p = vm->pos[VMK_MEMORY].line ? vm->pos[VMK_MEMORY] : vm->at;
			return diag_error(d, p, "memory", "%s", le.what);
		}
		struct guest_window w[GUEST_MAX_WINDOWS];
		guest_layout_of(m->map, &vc, w);
		/* The key that placed the window to move, else the one that placed the other. */
		const struct guest_window *pick[2] = {&w[le.bad], &w[le.other]};
		for (unsigned t = 0; t < 2; t++) {
			bool uart = pick[t]->kind == GUEST_WIN_UART;
			if (!uart && pick[t]->kind != GUEST_WIN_RAM)
				continue;
			enum vm_key k = uart ? VMK_UART_BASE : VMK_MEMORY_BASE;
			enum vm_key alt = uart ? VMK_UART : VMK_MEMORY;
			struct src_pos p = vm->pos[k].line ? vm->pos[k] : vm->pos[alt];
			if (p.line || t == 1)
				return diag_error(d, p.line ? p : vm->at,
				                  uart ? "uart_base" : "memory_base", "%s",
				                  le.what);
		}
		return diag_error(d, vm->at, "memory_base", "%s", le.what);
	}
	return 0;
}

/* A storage entry already checked, by file identity (or name while it does not exist yet). */
struct seen_disk {
	dev_t dev;
	ino_t ino;
	const char *path;
	unsigned line;
	bool create;
	unsigned v, i; /* m->vms[v].disks[i] */
};

/* The end of "too many devices" messages. */
#define SLOTS_MSG "QEMU virt has 8 virtio-mmio slots, shared by all disks and switch uplinks"
_Static_assert(MODEL_VIRTIO_SLOTS == 8, "SLOTS_MSG names the slot count");

/* "offset 16M, size 16M" or "offset 16M to the end", for messages. */
static void slice_desc(const struct model_disk *k, char *buf, size_t len)
{
	char off[32], size[32];
	scalar_fmt_size(k->slice_offset, off, sizeof(off));
	if (!k->slice_size) {
		snprintf(buf, len, "offset %s to the end", off);
		return;
	}
	scalar_fmt_size(k->slice_size, size, sizeof(size));
	snprintf(buf, len, "offset %s, size %s", off, size);
}

static struct src_pos disk_key_pos(const struct model_disk *k, enum disk_key key)
{
	return k->pos[key].line ? k->pos[key] : k->at;
}

/* The slice inside the image, when the image's size is known. */
static int check_slice_bounds(const struct model_disk *k, unsigned i, struct diag *d)
{
	if (!k->slice || !k->image_bytes)
		return 0;
	char key[40], have[32], desc[80];
	snprintf(key, sizeof(key), "storage[%u].slice", i);
	scalar_fmt_size(k->image_bytes, have, sizeof(have));
	if (k->slice_offset >= k->image_bytes) {
		char off[32];
		scalar_fmt_size(k->slice_offset, off, sizeof(off));
		struct src_pos p = k->slice_pos[SLK_OFFSET].line ? k->slice_pos[SLK_OFFSET]
		                                                 : disk_key_pos(k, DK_SLICE);
		return diag_error(d, p, key, "offset %s is at or past the end of %s (%s)", off,
		                  k->path, have);
	}
	if (k->slice_size > k->image_bytes - k->slice_offset) {
		slice_desc(k, desc, sizeof(desc));
		return diag_error(d, disk_key_pos(k, DK_SLICE), key,
		                  "%s runs past the end of %s (%s)", desc, k->path, have);
	}
	return 0;
}

/*
 * Entry i of vm names the image of an earlier entry o (of VM ow): allowed
 * for non-overlapping slices only; they share the drive of the image's
 * first entry (drive), so they must agree on what QEMU's drive is.
 */
static int check_shared(const struct model_disk *k, unsigned i, const struct model_disk *o,
                        const struct model_vm *ow, const struct model_disk *drive,
                        const struct model_vm *dw, struct diag *d)
{
	char key[40];
	unsigned oline = o->pos[DK_IMAGE].line;
	if (!k->slice || !o->slice) {
		snprintf(key, sizeof(key), "storage[%u].image", i);
		if (!k->slice && !o->slice)
			return diag_error(d, k->pos[DK_IMAGE], key,
			                  "%s is already the disk of VM \"%s\" (line %u); a disk "
			                  "image belongs to one VM",
			                  k->path, ow->name, oline);
		return diag_error(d, k->pos[DK_IMAGE], key,
		                  "%s is already a disk of VM \"%s\" (line %u); entries share an "
		                  "image only if each has a slice",
		                  k->path, ow->name, oline);
	}
	/* Multiples of 512 below 2^44 (the loader): sectors, with 0 = to the end. */
	if (config_sectors_overlap(k->slice_offset / 512, k->slice_size / 512,
	                           o->slice_offset / 512, o->slice_size / 512)) {
		char mine[80], theirs[80];
		slice_desc(k, mine, sizeof(mine));
		slice_desc(o, theirs, sizeof(theirs));
		snprintf(key, sizeof(key), "storage[%u].slice", i);
		return diag_error(d, disk_key_pos(k, DK_SLICE), key,
		                  "%s overlaps the slice of VM \"%s\" at line %u (%s) of %s", mine,
		                  ow->name, disk_key_pos(o, DK_SLICE).line, theirs, k->path);
	}
	if (o != drive)
		return 0; /* checked against the drive's entry already */
	const char *what = NULL;
	enum disk_key dk = DK_IMAGE;
	if (k->readonly != drive->readonly) {
		what = "readonly";
		dk = DK_READONLY;
	} else if (strcmp(k->format, drive->format) != 0) {
		what = "format";
		dk = DK_FORMAT;
	} else if (k->size && drive->size && k->size != drive->size) {
		what = "size";
		dk = DK_SIZE;
	}
	if (!what)
		return 0;
	snprintf(key, sizeof(key), "storage[%u].%s", i, what);
	return diag_error(d, disk_key_pos(k, dk), key,
	                  "differs from the entry of VM \"%s\" at line %u: the slices of %s share "
	                  "one QEMU drive",
	                  dw->name, drive->pos[DK_IMAGE].line, k->path);
}

/*
 * Disk images: present (or to be created), of a known format, one VM
 * each, or shared as non-overlapping slices.
 */
static int check_disks(struct model *m, const struct resolve_opts *o, struct diag *d)
{
	struct seen_disk seen[CFG_MAX_VMS * MODEL_VIRTIO_SLOTS];
	unsigned nr_seen = 0;
	for (unsigned v = 0; v < m->nr_vms; v++) {
		struct model_vm *vm = &m->vms[v];
		for (unsigned i = 0; i < vm->nr_disks; i++) {
			struct model_disk *k = &vm->disks[i];
			char key[32];
			snprintf(key, sizeof(key), "storage[%u].image", i);
			struct src_pos ip = k->pos[DK_IMAGE];
			k->path = expand(d, m, ip, key, k->image);
			if (!k->path)
				return -1;
			struct stat st = {0};
			bool missing =
			    !o->no_files && access(k->path, F_OK) != 0 && errno == ENOENT;
			/* An earlier entry that creates this image creates it for this one too. */
			const struct model_disk *creator = NULL;
			for (unsigned j = 0; missing && !creator && j < nr_seen; j++) {
				const struct model_disk *c = &m->vms[seen[j].v].disks[seen[j].i];
				if (seen[j].create && strcmp(seen[j].path, k->path) == 0)
					creator = c;
			}
			if (missing && (k->size || creator)) {
				/* `run` creates it; until then it is known by its name only. */
				k->create = true;
				if (strcmp(k->format, "auto") == 0 && creator) {
					snprintf(k->format, sizeof(k->format), "%s",
					         creator->format);
				} else if (strcmp(k->format, "auto") == 0) {
					size_t l = strlen(k->path);
					bool q = l > 6 && strcmp(k->path + l - 6, ".qcow2") == 0;
					snprintf(k->format, sizeof(k->format), "%s",
					         q ? "qcow2" : "raw");
				}
				k->image_bytes = creator ? creator->size : k->size;
			} else if (!o->no_files) {
				const char *fmt;
				char err[256];
				if (image_probe_disk(k->path, &fmt, &k->image_bytes, err,
				                     sizeof(err)))
					return diag_error(d, ip, key, "cannot use %s: %s", k->path,
					                  err);
				/* A format given in the file wins over the probe: a guest can
				 * write any header into its raw disk. */
				bool as_probed =
				    strcmp(k->format, "auto") == 0 || strcmp(k->format, fmt) == 0;
				if (strcmp(k->format, "auto") == 0)
					snprintf(k->format, sizeof(k->format), "%s", fmt);
				if (stat(k->path, &st) != 0)
					return diag_error(d, ip, key, "cannot use %s: %s", k->path,
					                  strerror(errno));
				/* The probed size is for the probed format; raw is the file. */
				if (!as_probed)
					k->image_bytes =
					    strcmp(k->format, "raw") == 0 && S_ISREG(st.st_mode)
					        ? (uint64_t)st.st_size - (uint64_t)st.st_size % 512
					        : 0;
				canonical(&k->path);
			} else if (strcmp(k->format, "auto") == 0) {
				snprintf(k->format, sizeof(k->format), "raw");
			}
			for (unsigned j = 0; j < nr_seen; j++) {
				bool by_name = o->no_files || k->create || seen[j].create;
				bool same =
				    by_name ? strcmp(seen[j].path, k->path) == 0
				            : seen[j].dev == st.st_dev && seen[j].ino == st.st_ino;
				if (!same)
					continue;
				const struct model_vm *ow = &m->vms[seen[j].v];
				const struct model_disk *od = &ow->disks[seen[j].i];
				if (k->share_vm < 0) {
					/* The first entry naming the image has the drive. */
					k->share_vm = (int)seen[j].v;
					k->share_disk = (int)seen[j].i;
					k->image_bytes = od->image_bytes;
				}
				const struct model_vm *dw = &m->vms[k->share_vm];
				if (check_shared(k, i, od, ow, &dw->disks[k->share_disk], dw, d))
					return -1;
			}
			if (check_slice_bounds(k, i, d))
				return -1;
			seen[nr_seen++] = (struct seen_disk){st.st_dev, st.st_ino, k->path, ip.line,
			                                     k->create, v,         i};
		}
	}
	return 0;
}

static int find_switch(const struct model_host *h, const char *name)
{
	for (unsigned i = 0; i < h->nr_switches; i++)
		if (strcmp(h->switches[i].name, name) == 0)
			return (int)i;
	return -1;
}

/*
 * An interface's tap or port (kept for compatibility) says what its switch's
 * uplink is; every interface of a switch that says so must say the same.
 */
static int nic_uplink(struct model_switch *sw, const struct model_nic *n, const char *key,
                      struct diag *d)
{
	if (!n->tap && !n->port)
		return 0;
	struct model_uplink *up = &sw->up;
	enum uplink_kind kind = n->tap ? UPLINK_TAP : UPLINK_SOCKET;
	struct src_pos p = n->tap ? n->pos[NK_TAP] : n->pos[NK_PORT];
	char k[48];
	snprintf(k, sizeof(k), "%s.%s", key, n->tap ? "tap" : "port");
	if (up->kind == UPLINK_NONE) {
		up->kind = kind;
		up->at = p;
		up->socket = !n->tap;
		up->port = n->port;
		snprintf(up->key, sizeof(up->key), "%s", k);
		if (n->tap && !(up->tap = strdup(n->tap)))
			return diag_error(d, p, k, "out of memory");
		return 0;
	}
	char desc[48];
	model_uplink_describe(up, desc, sizeof(desc));
	if (up->kind != kind || (n->tap && strcmp(up->tap, n->tap) != 0))
		return diag_error(d, p, k,
		                  "switch \"%s\" already has the uplink %s (line %u); a switch has "
		                  "one uplink",
		                  sw->name, desc, up->at.line);
	if (n->port && up->port && n->port != up->port)
		return diag_error(d, n->pos[NK_PORT], key,
		                  "switch \"%s\" already has its uplink on port %llu (line %u)",
		                  sw->name, (unsigned long long)up->port, up->at.line);
	if (n->port)
		up->port = n->port;
	return 0;
}

/* Where an uplink is configured, for messages: its mapping or an interface's tap/port. */
static void uplink_key(const struct model *m, unsigned s, char *buf, size_t len)
{
	snprintf(buf, len, "%s", m->host.switches[s].up.key);
}

/* Taps, socket ports, forwarded host ports and MACs of uplinks: each used once. */
static int check_uplinks(struct model *m, struct diag *d)
{
	struct model_host *h = &m->host;
	for (unsigned s = 0; s < h->nr_switches; s++) {
		struct model_switch *sw = &h->switches[s];
		struct model_uplink *up = &sw->up;
		char key[64];
		uplink_key(m, s, key, sizeof(key));
		if (sw->declared && !sw->nr_ports) {
			char k[32];
			snprintf(k, sizeof(k), "host.switches[%u]", s);
			diag_warn(d, sw->at, k, "switch \"%s\" has no interfaces", sw->name);
		}
		if (up->kind == UPLINK_NONE)
			continue;
		if (!up->mac[0])
			snprintf(up->mac, sizeof(up->mac), MODEL_MAC_PREFIX ":01:00:%02x",
			         (uint8_t)s);
		for (unsigned t = 0; t < s; t++) {
			const struct model_uplink *o = &h->switches[t].up;
			if (up->kind == UPLINK_TAP && o->kind == UPLINK_TAP &&
			    strcmp(up->tap, o->tap) == 0)
				return diag_error(
				    d, up->at, key,
				    "tap \"%s\" is already the uplink of switch \"%s\"", up->tap,
				    h->switches[t].name);
			if (up->port && up->port == o->port)
				return diag_error(d, up->at, key,
				                  "port %llu is already the uplink port of switch "
				                  "\"%s\"",
				                  (unsigned long long)up->port,
				                  h->switches[t].name);
			if (strcasecmp(up->mac, o->mac) == 0)
				return diag_error(
				    d, up->at, key,
				    "MAC %s is already the uplink MAC of switch \"%s\"", up->mac,
				    h->switches[t].name);
		}
	}
	/* Forwarded ports and (TCP) socket ports all listen on 127.0.0.1. */
	for (unsigned s = 0; s < h->nr_switches; s++) {
		const struct model_uplink *up = &h->switches[s].up;
		for (unsigned i = 0; i < up->nr_hostfwd; i++) {
			struct scalar_fwd fw;
			if (scalar_fwd(up->hostfwd[i], &fw))
				continue;
			for (unsigned t = 0; t < h->nr_switches && !fw.udp; t++) {
				const struct model_uplink *o = &h->switches[t].up;
				if (o->kind != UPLINK_USER && o->port == fw.host_port) {
					char key[80];
					snprintf(key, sizeof(key), "%s.user.hostfwd[%u]", up->key,
					         i);
					return diag_error(
					    d, up->pos[UK_HOSTFWD], key,
					    "port %u is already the uplink port of switch "
					    "\"%s\"",
					    fw.host_port, h->switches[t].name);
				}
			}
			for (unsigned t = 0; t < s; t++) {
				const struct model_uplink *o = &h->switches[t].up;
				for (unsigned j = 0; j < o->nr_hostfwd; j++) {
					struct scalar_fwd f2;
					if (scalar_fwd(o->hostfwd[j], &f2) == 0 &&
					    f2.udp == fw.udp && f2.host_port == fw.host_port) {
						char key[80];
						snprintf(key, sizeof(key), "%s.user.hostfwd[%u]",
						         up->key, i);
						return diag_error(
						    d, up->pos[UK_HOSTFWD], key,
						    "host port %s %u is already forwarded by "
						    "switch \"%s\"",
						    fw.udp ? "udp" : "tcp", fw.host_port,
						    h->switches[t].name);
					}
				}
			}
		}
	}
	return 0;
}

/*
 * Interfaces: each joins its switch (made here when no host.switches entry
 * names it), gets its MAC, and counts towards its VM's 8 virtio devices.
 */
static int check_network(struct model *m, struct diag *d)
{
	struct model_host *h = &m->host;
	for (unsigned v = 0; v < m->nr_vms; v++) {
		struct model_vm *vm = &m->vms[v];
		unsigned count = vm->nr_disks;
		for (unsigned i = 0; i < vm->nr_nics; i++) {
			struct model_nic *n = &vm->nics[i];
			char key[32];
			snprintf(key, sizeof(key), "network[%u]", i);
			const char *name = n->sw[0] ? n->sw : MODEL_DEFAULT_SWITCH;
			int idx = find_switch(h, name);
			if (idx < 0) {
				struct src_pos p =
				    n->pos[NK_SWITCH].line ? n->pos[NK_SWITCH] : n->at;
				if (h->nr_switches == CFG_MAX_SWITCHES)
					return diag_error(
					    d, p, key,
					    "switch \"%s\" would be a %dth switch; there "
					    "are at most %d (host.switches and those "
					    "interfaces name)",
					    name, CFG_MAX_SWITCHES + 1, CFG_MAX_SWITCHES);
				idx = (int)h->nr_switches++;
				model_switch_init(&h->switches[idx], name);
				h->switches[idx].at = p;
			}
			struct model_switch *sw = &h->switches[idx];
			n->sw_index = idx;
			sw->nr_ports++;
			if (nic_uplink(sw, n, key, d))
				return -1;
			if (!n->mac[0])
				snprintf(n->mac, sizeof(n->mac), MODEL_MAC_PREFIX ":00:%02x:%02x",
				         (uint8_t)v, (uint8_t)i);
			for (unsigned w = 0; w <= v; w++) {
				const struct model_vm *o2 = &m->vms[w];
				unsigned lim = w == v ? i : o2->nr_nics;
				for (unsigned j = 0; j < lim; j++)
					if (strcasecmp(n->mac, o2->nics[j].mac) == 0)
						return diag_error(
						    d, n->pos[NK_MAC].line ? n->pos[NK_MAC] : n->at,
						    key, "MAC %s is already used by VM \"%s\"",
						    n->mac, o2->name);
			}
			if (++count > CFG_MAX_VIRTIO)
				return diag_error(
				    d, n->at, key,
				    "VM \"%s\" has more than %d virtio devices (disks, "
				    "interfaces and virtio console together)",
				    vm->name, CFG_MAX_VIRTIO);
		}
		if (vm->virtio_console && count + 1 > CFG_MAX_VIRTIO)
			return diag_error(d, vm->pos[VMK_VIRTIO_CONSOLE], "virtio_console",
			                  "VM \"%s\" has more than %d virtio devices (disks, "
			                  "interfaces and virtio console together)",
			                  vm->name, CFG_MAX_VIRTIO);
		/* The service VM's control channel is one more virtio device. */
		if (vm->service && count + (vm->virtio_console ? 1u : 0u) + 1 > CFG_MAX_VIRTIO)
			return diag_error(d, vm->pos[VMK_ROLE], "role",
			                  "VM \"%s\" has more than %d virtio devices (disks, "
			                  "interfaces, virtio console and control channel)",
			                  vm->name, CFG_MAX_VIRTIO);
		for (unsigned o = 0; vm->service && o < v; o++)
			if (m->vms[o].service)
				return diag_error(
				    d, vm->pos[VMK_ROLE], "role",
				    "VM \"%s\" is already the service VM (at most one)",
				    m->vms[o].name);
	}
	if (check_uplinks(m, d))
		return -1;
	/* The VMs' MACs and the uplinks' MACs meet on the same wire. */
	for (unsigned s = 0; s < h->nr_switches; s++) {
		const struct model_uplink *up = &h->switches[s].up;
		for (unsigned v = 0; up->kind != UPLINK_NONE && v < m->nr_vms; v++) {
			for (unsigned i = 0; i < m->vms[v].nr_nics; i++) {
				if (strcasecmp(up->mac, m->vms[v].nics[i].mac) != 0)
					continue;
				char key[64];
				uplink_key(m, s, key, sizeof(key));
				return diag_error(
				    d, up->pos[UK_MAC].line ? up->pos[UK_MAC] : up->at, key,
				    "MAC %s is already used by VM \"%s\"", up->mac, m->vms[v].name);
			}
		}
	}
	return 0;
}

/*
 * Physical virtio-mmio slots in file order: per VM its disks, then the
 * uplink of each switch at its first interface; uplinks of switches no
 * interface uses come last.
 */
static int assign_slots(struct model *m, struct diag *d)
{
	unsigned slot = 0;
	char key[64];
	for (unsigned v = 0; v < m->nr_vms; v++) {
		struct model_vm *vm = &m->vms[v];
		for (unsigned i = 0; i < vm->nr_disks; i++) {
			struct model_disk *k = &vm->disks[i];
			if (k->share_vm >= 0) {
				/* A slice of an earlier entry's image: that entry's drive. */
				k->slot = m->vms[k->share_vm].disks[k->share_disk].slot;
				continue;
			}
			snprintf(key, sizeof(key), "storage[%u]", i);
			if (slot == MODEL_VIRTIO_SLOTS)
				return diag_error(d, k->at, key,
				                  "a 9th virtio-mmio device: " SLOTS_MSG);
			k->slot = (int)slot++;
		}
		for (unsigned i = 0; i < vm->nr_nics; i++) {
			struct model_switch *sw = &m->host.switches[vm->nics[i].sw_index];
			if (sw->up.kind == UPLINK_NONE || sw->up.slot >= 0)
				continue;
			snprintf(key, sizeof(key), "network[%u]", i);
			if (slot == MODEL_VIRTIO_SLOTS)
				return diag_error(d, vm->nics[i].at, key,
				                  "the uplink of switch \"%s\" would be a 9th "
				                  "virtio-mmio device: " SLOTS_MSG,
				                  sw->name);
			sw->up.slot = (int)slot++;
		}
	}
	for (unsigned s = 0; s < m->host.nr_switches; s++) {
		struct model_switch *sw = &m->host.switches[s];
		if (sw->up.kind == UPLINK_NONE || sw->up.slot >= 0)
			continue;
		uplink_key(m, s, key, sizeof(key));
		if (slot == MODEL_VIRTIO_SLOTS)
			return diag_error(d, sw->up.at, key,
			                  "a 9th virtio-mmio device: " SLOTS_MSG);
		sw->up.slot = (int)slot++;
	}
	return 0;
}

/* VM i's name must differ from the names of the VMs before it. */
static int check_name(const struct model *m, unsigned i, struct diag *d)
{
	for (unsigned j = 0; j < i; j++) {
		if (strcmp(m->vms[i].name, m->vms[j].name) != 0)
			continue;
		struct src_pos p =
		    m->vms[i].pos[VMK_NAME].line ? m->vms[i].pos[VMK_NAME] : m->vms[i].at;
		unsigned line =
		    m->vms[j].pos[VMK_NAME].line ? m->vms[j].pos[VMK_NAME].line : m->vms[j].at.line;
		return diag_error(d, p, "name", "\"%s\" is already the name of the VM at line %u",
		                  m->vms[i].name, line);
	}
	return 0;
}

static int check_focus(struct model *m, struct diag *d)
{
	struct model_host *h = &m->host;
	if (!h->focus[0]) {
		snprintf(h->focus, sizeof(h->focus), "%s", m->vms[0].name);
		return 0;
	}
	if (strcmp(h->focus, MODEL_FOCUS_SHELL) == 0)
		return 0;
	for (unsigned i = 0; i < m->nr_vms; i++)
		if (strcmp(m->vms[i].name, h->focus) == 0)
			return 0;
	char names[CFG_MAX_VMS * (VM_NAME_MAX + 2)] = "";
	for (unsigned i = 0; i < m->nr_vms; i++)
		snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s, ",
		         m->vms[i].name);
	return diag_error(d, h->pos[HK_CONSOLE_FOCUS], "host.console_focus",
	                  "\"%s\" names no VM (one of: %s" MODEL_FOCUS_SHELL " for the shell)",
	                  h->focus, names);
}

bool resolve_placement_fits(const struct model *m, uint64_t host_mem, uint64_t bundle)
{
	uint64_t split =
	    QEMU_KERNEL_OFF + (host_mem / 2 < QEMU_INITRD_MAX ? host_mem / 2 : QEMU_INITRD_MAX);
	uint64_t start[2] = {LOW_RESERVE, align_up(split + bundle, MODEL_MEM_ALIGN)};
	uint64_t end[2] = {split, host_mem > TOP_RESERVE ? host_mem - TOP_RESERVE : 0};
	for (unsigned i = 0; i < m->nr_vms; i++) {
		uint64_t need = m->vms[i].memory;
		bool placed = false;
		for (unsigned w = 0; w < 2 && !placed; w++) {
			uint64_t s = align_up(start[w], MODEL_MEM_ALIGN);
			if (s <= end[w] && end[w] - s >= need) {
				start[w] = s + need;
				placed = true;
			}
		}
		if (!placed)
			return false;
	}
	return true;
}

uint64_t resolve_host_ram(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
	if (pages <= 0 || page <= 0)
		return 0;
	return (uint64_t)pages * (uint64_t)page;
}

static int check_memory(struct model *m, const struct resolve_opts *o, struct diag *d)
{
	uint64_t ram = 0, images = 0;
	for (unsigned i = 0; i < m->nr_vms; i++) {
		ram += m->vms[i].memory;
		images += align_up(m->vms[i].kernel_size, 4) + align_up(m->vms[i].initrd_size, 4);
	}
	m->bundle_estimate = images + BLOB_OVERHEAD;
	if (m->bundle_estimate > MAX_BUNDLE)
		return diag_error(d, m->vms[0].pos[VMK_KERNEL], "kernel",
		                  "the images add up to %llu bytes; a bundle holds at most 1G",
		                  (unsigned long long)images);
	uint64_t need = ram + m->bundle_estimate + RESOLVE_HYP_RESERVE;
	struct model_host *h = &m->host;
	if (o->memory)
		h->memory = o->memory;
	if (!h->memory) {
		uint64_t mem = AUTO_MEM_MIN;
		while (mem < AUTO_MEM_MAX &&
		       (mem < need || !resolve_placement_fits(m, mem, m->bundle_estimate)))
			mem += AUTO_MEM_STEP;
		h->memory = mem;
		h->memory_auto = true;
		if (o->host_ram && mem > o->host_ram) {
			char want[32], ram_s[32];
			scalar_fmt_size(mem, want, sizeof(want));
			snprintf(ram_s, sizeof(ram_s), "%lluM",
			         (unsigned long long)(o->host_ram >> 20));
			return diag_error(
			    d,
			    m->vms[0].pos[VMK_MEMORY].line ? m->vms[0].pos[VMK_MEMORY]
			                                   : m->vms[0].at,
			    "host.memory",
			    "the VMs need %s (automatic), more than this machine's %s "
			    "of RAM",
			    want, ram_s);
		}
		return 0;
	}
	char have[32], r[32], b[32];
	scalar_fmt_size(h->memory, have, sizeof(have));
	const char *key = o->memory ? "--mem" : "host.memory";
	struct src_pos p = o->memory ? (struct src_pos){0, 0} : h->pos[HK_MEMORY];
	if (o->host_ram && h->memory > o->host_ram) {
		snprintf(r, sizeof(r), "%lluM", (unsigned long long)(o->host_ram >> 20));
		return diag_error(d, p, key,
		                  "%s is more than this machine's %s of RAM; QEMU cannot allocate "
		                  "it",
		                  have, r);
	}
	if (need > h->memory) {
		scalar_fmt_size(ram, r, sizeof(r));
		return diag_error(d, p, key,
		                  "%s is too small: the VMs need %s of RAM, the bundle %llu bytes "
		                  "and the hypervisor %lluM",
		                  have, r, (unsigned long long)m->bundle_estimate,
		                  (unsigned long long)(RESOLVE_HYP_RESERVE >> 20));
	}
	if (!resolve_placement_fits(m, h->memory, m->bundle_estimate)) {
		uint64_t mem = h->memory;
		while (mem < AUTO_MEM_MAX && !resolve_placement_fits(m, mem, m->bundle_estimate))
			mem += AUTO_MEM_STEP;
		scalar_fmt_size(mem, b, sizeof(b));
		diag_warn(d, p, key,
		          "%s may be too fragmented for the VMs' RAM (each VM needs one contiguous "
		          "block; QEMU loads the bundle min(RAM/2, 512M) above the hypervisor); %s "
		          "is enough",
		          have, b);
	}
	return 0;
}

int resolve_model(struct model *m, const struct resolve_opts *o, struct diag *d)
{
	if (!m->dir) {
		m->dir = path_dir_of(m->file);
		if (!m->dir)
			return diag_error(d, (struct src_pos){0, 0}, "config",
			                  "cannot find its directory: %s", strerror(errno));
	}
	if (o->cpus) {
		if (o->cpus > MODEL_HOST_MAX_CPUS)
			return diag_error(d, (struct src_pos){0, 0}, "--smp",
			                  "must be between 1 and %d", MODEL_HOST_MAX_CPUS);
		m->host.cpus = o->cpus;
	}
	if (pick_map(m, o, d))
		return -1;
	for (unsigned i = 0; i < m->nr_vms; i++) {
		struct model_vm *vm = &m->vms[i];
		if (check_name(m, i, d) || check_layout(m, vm, d) || check_kernel(m, vm, o, d) ||
		    check_cpus(m, vm, d))
			return -1;
	}
	if (check_focus(m, d) || check_disks(m, o, d) || check_network(m, d) ||
	    assign_slots(m, d) || check_guest_maps(m, d) || check_memory(m, o, d))
		return -1;
	return 0;
}
