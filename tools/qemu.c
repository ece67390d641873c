// SPDX-License-Identifier: MIT
/* QEMU command line construction and device backend choice (contract in qemu.h). */
#include "qemu.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "paths.h"
#include "proc.h"
#include "scalar.h"

#define LOOPBACK "127.0.0.1"

static const struct src_pos NOPOS = {0, 0};

/* vasprintf() is a GNU extension: the same with two vsnprintf() passes. */
static char *vformat(const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return NULL;
	char *s = malloc((size_t)n + 1);
	if (s)
		vsnprintf(s, (size_t)n + 1, fmt, ap);
	return s;
}

static char *format(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *format(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = vformat(fmt, ap);
	va_end(ap);
	return s;
}

static void add(struct qemu_cmd *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct qemu_cmd *c, const char *fmt, ...)
{
	if (c->oom)
		return;
	if (c->argc + 2 > c->cap) {
		unsigned cap = c->cap ? c->cap * 2 : 64;
		char **a = realloc(c->argv, cap * sizeof(*a));
		if (!a) {
			c->oom = true;
			return;
		}
		c->argv = a;
		c->cap = cap;
	}
	va_list ap;
	va_start(ap, fmt);
	char *s = vformat(fmt, ap);
	va_end(ap);
	if (!s) {
		c->oom = true;
		return;
	}
	c->argv[c->argc++] = s;
	c->argv[c->argc] = NULL;
}

/* mkdir -p */
static void make_dirs(const char *dir)
{
	char *p = strdup(dir);
	if (!p)
		return;
	for (char *s = p + 1; *s; s++) {
		if (*s == '/') {
			*s = '\0';
			mkdir(p, 0755);
			*s = '/';
		}
	}
	mkdir(p, 0755);
	free(p);
}

/* A file name inside a QEMU option value: ',' must be doubled. */
static char *opt_escape(const char *s)
{
	size_t n = strlen(s), commas = 0;
	for (size_t i = 0; i < n; i++)
		commas += s[i] == ',';
	char *o = malloc(n + commas + 1), *p = o;
	if (!o)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		*p++ = s[i];
		if (s[i] == ',')
			*p++ = ',';
	}
	*p = '\0';
	return o;
}

bool qemu_tap_usable(const char *ifname, char *why, size_t len)
{
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, len, "/dev/net/tun: %s", strerror(errno));
		return false;
	}
	close(fd);
	char path[96];
	struct stat st;
	snprintf(path, sizeof(path), "/sys/class/net/%s", ifname);
	if (stat(path, &st) != 0) {
		snprintf(why, len, "no interface %s", ifname);
		return false;
	}
	snprintf(path, sizeof(path), "/sys/class/net/%s/tun_flags", ifname);
	if (stat(path, &st) != 0) {
		snprintf(why, len, "%s is not a tap interface", ifname);
		return false;
	}
	return true;
}

/* A TCP port on 127.0.0.1 that is free now (the kernel picks it). 0 on failure. */
static unsigned free_port(void)
{
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return 0;
	struct sockaddr_in a;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof(a);
	unsigned port = 0;
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(s, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	close(s);
	return port;
}

static bool newer(const char *a, const char *b)
{
	struct stat sa, sb;
	if (stat(a, &sa) != 0 || stat(b, &sb) != 0)
		return false;
	return sa.st_mtim.tv_sec > sb.st_mtim.tv_sec ||
	       (sa.st_mtim.tv_sec == sb.st_mtim.tv_sec && sa.st_mtim.tv_nsec >= sb.st_mtim.tv_nsec);
}

/*
 * QEMU drives here are raw or qcow2; a disk in another format is converted
 * to qcow2 in the cache once (again when the source is newer). *out gets
 * the file QEMU opens, malloc'd.
 */
static int prepare_disk(const struct model_vm *vm, unsigned idx, const struct model_disk *k,
                        const struct qemu_opts *o, char **out, struct diag *d)
{
	char key[32];
	snprintf(key, sizeof(key), "storage[%u].image", idx);
	if (k->create) {
		char size[32];
		scalar_fmt_size(k->size, size, sizeof(size));
		if (o->dry_run || access(k->path, F_OK) == 0) {
			diag_log(o->log,
			         "ferrovisor: vm %s storage[%u]: %s (%s, %s) is created at run\n",
			         vm->name, idx, k->path, k->format, size);
		} else {
			char *dir = strdup(k->path);
			char *slash = dir ? strrchr(dir, '/') : NULL;
			if (slash && slash != dir) {
				*slash = '\0';
				make_dirs(dir);
			}
			free(dir);
			diag_log(o->log, "ferrovisor: vm %s storage[%u]: creating %s (%s, %s)\n",
			         vm->name, idx, k->path, k->format, size);
			char *argv[] = {"qemu-img",        "create",        "-q", "-f",
			                (char *)k->format, (char *)k->path, size, NULL};
			int rc = proc_run(argv, 0);
			if (rc != 0)
				return diag_error(d, k->pos[DK_IMAGE], key,
				                  "qemu-img could not create %s (exit code %d)",
				                  k->path, rc);
		}
	}
	if (strcmp(k->format, "raw") == 0 || strcmp(k->format, "qcow2") == 0) {
		*out = strdup(k->path);
		return *out ? 0 : diag_error(d, NOPOS, key, "out of memory");
	}
	char *cache = path_cache_dir();
	if (!cache)
		return diag_error(d, NOPOS, key, "out of memory");
	char *dir = format("%s/disks", cache);
	char *dst = dir ? format("%s/%s-%u.qcow2", dir, vm->name, idx) : NULL;
	free(cache);
	if (!dst) {
		free(dir);
		return diag_error(d, NOPOS, key, "out of memory");
	}
	int ret = 0;
	if (o->dry_run || newer(dst, k->path)) {
		diag_log(o->log, "ferrovisor: vm %s storage[%u]: %s (%s) as its qcow2 copy %s\n",
		         vm->name, idx, k->path, k->format, dst);
	} else {
		make_dirs(dir);
		diag_log(o->log, "ferrovisor: vm %s storage[%u]: converting %s (%s) to qcow2: %s\n",
		         vm->name, idx, k->path, k->format, dst);
		char *argv[] = {"qemu-img",      "convert", "-f", (char *)k->format, "-O", "qcow2",
		                (char *)k->path, dst,       NULL};
		int rc = proc_run(argv, 0);
		if (rc != 0)
			ret =
			    diag_error(d, k->pos[DK_IMAGE], key,
			               "qemu-img could not convert %s (exit code %d)", k->path, rc);
	}
	free(dir);
	if (ret)
		free(dst);
	else
		*out = dst;
	return ret;
}

/* " sectors A-B" or " sectors A to the end" of a slice, for the log. */
static void slice_log(const struct model_disk *k, char *buf, size_t len)
{
	unsigned long long first = k->slice_offset / 512;
	if (k->slice_size)
		snprintf(buf, len, ", sectors %llu-%llu", first, first + k->slice_size / 512 - 1);
	else
		snprintf(buf, len, ", sectors %llu to the end", first);
}

/*
 * One drive per image: the first entry naming an image brings its drive;
 * other slices of it (entries with share_vm set) use that drive's slot.
 */
static int add_disks(const struct model *m, const struct qemu_opts *o, struct qemu_cmd *c,
                     struct diag *d)
{
	for (unsigned v = 0; v < m->nr_vms; v++) {
		const struct model_vm *vm = &m->vms[v];
		for (unsigned i = 0; i < vm->nr_disks; i++) {
			const struct model_disk *k = &vm->disks[i];
			char slice[96] = "";
			if (k->slice)
				slice_log(k, slice, sizeof(slice));
			if (k->share_vm >= 0) {
				/* Another slice of an image whose drive is already there. */
				fprintf(
				    o->log,
				    "ferrovisor: vm %s storage[%u]: %s%s on virtio-mmio slot %d, "
				    "the drive of vm %s storage[%d]\n",
				    vm->name, i, k->path, slice, k->slot, m->vms[k->share_vm].name,
				    k->share_disk);
				continue;
			}
			char *file = NULL;
			if (prepare_disk(vm, i, k, o, &file, d))
				return -1;
			const char *fmt = strcmp(k->format, "raw") == 0 ? "raw" : "qcow2";
			char *esc = opt_escape(file);
			free(file);
			if (!esc)
				return diag_error(d, NOPOS, "storage", "out of memory");
			add(c, "-drive");
			add(c, "file=%s,if=none,format=%s,id=fvblk%d%s", esc, fmt, k->slot,
			    k->readonly ? ",readonly=on" : "");
			add(c, "-device");
			add(c, "virtio-blk-device,drive=fvblk%d,bus=virtio-mmio-bus.%d", k->slot,
			    k->slot);
			free(esc);
			diag_log(
			    o->log,
			    "ferrovisor: vm %s storage[%u]: %s (%s%s)%s on virtio-mmio slot %d "
			    "(0x%llx)\n",
			    vm->name, i, k->path, fmt, k->readonly ? ", read-only" : "", slice,
			    k->slot,
			    MODEL_VIRTIO_BASE + (unsigned long long)k->slot * MODEL_VIRTIO_STRIDE);
		}
	}
	return 0;
}

/*
 * The private directory of fallback uplink sockets: made on first use
 * (mkdtemp(): mode 0700, owned by us, so no other user can reach a socket in
 * it), under $XDG_RUNTIME_DIR, else $TMPDIR, else /tmp. A dry run only shows
 * the template. 0 or -1 with d.
 */
static int sock_dir(const struct qemu_opts *o, struct qemu_cmd *c, const struct model_uplink *up,
                    struct diag *d)
{
	if (c->sock_dir)
		return 0;
	const char *base = getenv("XDG_RUNTIME_DIR");
	if (!base || !*base || access(base, W_OK | X_OK) != 0)
		base = getenv("TMPDIR");
	if (!base || !*base)
		base = "/tmp";
	c->sock_dir = format("%s/ferrovisor-net-XXXXXX", base);
	if (!c->sock_dir)
		return diag_error(d, NOPOS, "qemu", "out of memory");
	if (o->dry_run)
		return 0;
	if (!mkdtemp(c->sock_dir)) {
		int e = errno;
		free(c->sock_dir);
		c->sock_dir = NULL;
		return diag_error(d, up->at, up->key, "cannot make a private directory in %s: %s",
		                  base, strerror(e));
	}
	c->sock_dir_made = true;
	return 0;
}

/*
 * A tap that cannot be used: by default the uplink is left out (the switch
 * still links its VMs), with a warning; with --uplink-fallback unix, a QEMU
 * stream server on a Unix socket in a private directory. Never a TCP port:
 * any local process could connect to it and inject frames. Returns 1 when
 * the uplink is left out, 0 with the -netdev added, -1 with d.
 */
static int tap_fallback(const struct model_switch *sw, const struct qemu_opts *o,
                        struct qemu_cmd *c, const char *why, unsigned long long addr,
                        struct diag *d)
{
	const struct model_uplink *up = &sw->up;
	if (o->fallback != QEMU_FALLBACK_UNIX) {
		fprintf(
		    o->log,
		    "ferrovisor: WARNING: switch %s uplink: tap %s not usable (%s); the switch "
		    "runs WITHOUT an uplink (VM to VM only). Create the tap, or allow a private "
		    "Unix socket with --uplink-fallback unix\n",
		    sw->name, up->tap, why);
		return 1;
	}
	if (sock_dir(o, c, up, d))
		return -1;
	char *path = format("%s/%s.sock", c->sock_dir, sw->name);
	if (!path)
		return diag_error(d, NOPOS, "qemu", "out of memory");
	if (strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		diag_error(d, up->at, up->key,
		           "the fallback socket path %s is too long for a Unix socket (set "
		           "TMPDIR to a shorter directory)",
		           path);
		free(path);
		return -1;
	}
	char *esc = opt_escape(path);
	if (!esc) {
		free(path);
		return diag_error(d, NOPOS, "qemu", "out of memory");
	}
	add(c, "-netdev");
	add(c, "stream,id=fvnet%d,server=on,addr.type=unix,addr.path=%s", up->slot, esc);
	diag_log(o->log,
	         "ferrovisor: WARNING: switch %s uplink: tap %s not usable (%s); falling back "
	         "(--uplink-fallback unix) to the Unix socket %s in a directory only you can "
	         "enter, on virtio-mmio slot %d (0x%llx)\n",
	         sw->name, up->tap, why, path, up->slot, addr);
	free(esc);
	free(path);
	return 0;
}

/*
 * The -netdev backend of switch s's uplink; reports the choice on o->log.
 * 0 with the backend added, 1 when the uplink is left out, -1 with d.
 */
static int add_netdev(const struct model_switch *sw, const struct qemu_opts *o, struct qemu_cmd *c,
                      struct diag *d)
{
	const struct model_uplink *up = &sw->up;
	unsigned long long addr =
	    MODEL_VIRTIO_BASE + (unsigned long long)up->slot * MODEL_VIRTIO_STRIDE;
	char why[128] = "";
	if (up->kind == UPLINK_TAP) {
		if (!qemu_tap_usable(up->tap, why, sizeof(why)))
			return tap_fallback(sw, o, c, why, addr, d);
		add(c, "-netdev");
		add(c, "tap,id=fvnet%d,ifname=%s,script=no,downscript=no", up->slot, up->tap);
		diag_log(o->log,
		         "ferrovisor: switch %s uplink: tap %s on virtio-mmio slot %d (0x%llx)\n",
		         sw->name, up->tap, up->slot, addr);
		return 0;
	}
	add(c, "-netdev");
	if (up->kind == UPLINK_USER) {
		char fwd[MODEL_MAX_HOSTFWD * 48] = "", shown[MODEL_MAX_HOSTFWD * 48] = "";
		for (unsigned i = 0; i < up->nr_hostfwd; i++) {
			/* The loader admits only tcp|udp:127.0.0.1:PORT-[ADDR]:PORT: no commas. */
			snprintf(fwd + strlen(fwd), sizeof(fwd) - strlen(fwd), ",hostfwd=%s",
			         up->hostfwd[i]);
			snprintf(shown + strlen(shown), sizeof(shown) - strlen(shown), "%s%s",
			         i ? ", " : "; forwards ", up->hostfwd[i]);
		}
		add(c, "user,id=fvnet%d,restrict=on%s", up->slot, fwd);
		diag_log(o->log,
		         "ferrovisor: switch %s uplink: user-mode network (restrict=on%s) on "
		         "virtio-mmio slot %d (0x%llx)\n",
		         sw->name, shown, up->slot, addr);
		return 0;
	}
	/* socket: true, the operator's explicit choice of a 127.0.0.1 port. */
	unsigned port = up->port ? (unsigned)up->port : free_port();
	if (!port)
		return diag_error(d, up->at, up->key, "no free TCP port on " LOOPBACK);
	add(c, "socket,id=fvnet%d,listen=" LOOPBACK ":%u", up->slot, port);
	diag_log(o->log,
	         "ferrovisor: switch %s uplink: socket backend listening on " LOOPBACK
	         ":%u on virtio-mmio slot %d (0x%llx)\n",
	         sw->name, port, up->slot, addr);
	return 0;
}

/*
 * Interfaces are ports of the hypervisor's switches, not QEMU devices: only
 * each switch's uplink is a QEMU virtio-net device, with the uplink's MAC.
 */
static int add_uplinks(const struct model *m, const struct qemu_opts *o, struct qemu_cmd *c,
                       struct diag *d)
{
	for (unsigned s = 0; s < m->host.nr_switches; s++) {
		const struct model_switch *sw = &m->host.switches[s];
		if (sw->up.kind == UPLINK_NONE)
			continue;
		int r = add_netdev(sw, o, c, d);
		if (r < 0)
			return -1;
		if (r > 0)
			continue; /* no uplink: the hypervisor runs the switch without one */
		add(c, "-device");
		add(c, "virtio-net-device,netdev=fvnet%d,mac=%s,bus=virtio-mmio-bus.%d",
		    sw->up.slot, sw->up.mac, sw->up.slot);
	}
	return 0;
}

/* Mark the slots disks and uplinks use (and the dump channel's, if it has one). */
static void used_slots(const struct model *m, bool used[MODEL_VIRTIO_SLOTS])
{
	memset(used, 0, MODEL_VIRTIO_SLOTS * sizeof(bool));
	for (unsigned i = 0; i < m->nr_vms; i++)
		for (unsigned k = 0; k < m->vms[i].nr_disks; k++)
			if (m->vms[i].disks[k].slot >= 0 &&
			    m->vms[i].disks[k].slot < MODEL_VIRTIO_SLOTS)
				used[m->vms[i].disks[k].slot] = true;
	for (unsigned i = 0; i < m->host.nr_switches; i++)
		if (m->host.switches[i].up.slot >= 0 &&
		    m->host.switches[i].up.slot < MODEL_VIRTIO_SLOTS)
			used[m->host.switches[i].up.slot] = true;
	if (m->host.dump_slot1 && m->host.dump_slot1 <= MODEL_VIRTIO_SLOTS)
		used[m->host.dump_slot1 - 1] = true;
}

int qemu_dump_slot(const struct model *m, bool gdb)
{
	bool used[MODEL_VIRTIO_SLOTS];
	used_slots(m, used);
	/* Placing (again) the dump channel itself: its own slot is not taken. */
	if (m->host.dump_slot1 && m->host.dump_slot1 <= MODEL_VIRTIO_SLOTS)
		used[m->host.dump_slot1 - 1] = false;
	int slot = MODEL_VIRTIO_SLOTS - 1, skip = gdb ? 1 : 0;
	for (; slot >= 0; slot--) {
		if (used[slot])
			continue;
		if (skip-- == 0)
			return slot;
	}
	return -1;
}

/*
 * The guest debugger's channel: a virtio console (one port, no MULTIPORT)
 * on the highest virtio-mmio slot no disk, uplink or dump channel uses, its
 * chardev a TCP server on the loopback interface only. The hypervisor finds it
 * by device type and serves the VM the bundle's host/gdb-vm names.
 */
static int add_gdb_channel(const struct model *m, const struct qemu_opts *o, struct qemu_cmd *c,
                           struct diag *d)
{
	bool used[MODEL_VIRTIO_SLOTS];
	used_slots(m, used);
	int slot = MODEL_VIRTIO_SLOTS - 1;
	while (slot >= 0 && used[slot])
		slot--;
	if (slot < 0)
		return diag_error(d, NOPOS, "gdb",
		                  "no free virtio-mmio slot for the gdb channel (all %d are used)",
		                  MODEL_VIRTIO_SLOTS);
	add(c, "-chardev");
	add(c, "socket,id=fvgdb,host=" LOOPBACK ",port=%u,server=on,wait=off", o->gdb_port);
	add(c, "-device");
	add(c, "virtio-serial-device,max_ports=1,bus=virtio-mmio-bus.%d", slot);
	add(c, "-device");
	add(c, "virtconsole,chardev=fvgdb,nr=0");
	fprintf(o->log,
	        "ferrovisor: gdb channel for VM %s: virtio console on virtio-mmio slot %d, "
	        "tcp " LOOPBACK ":%u\n",
	        o->gdb_vm, slot, o->gdb_port);
	return 0;
}

/*
 * The dump channel (`run --dump-dir`): a virtio console on the slot the bundle's
 * host/dump-slot names, its chardev a client of the tool's Unix socket.
 */
static void add_dump_channel(const struct model *m, const struct qemu_opts *o, struct qemu_cmd *c)
{
	add(c, "-chardev");
	add(c, "socket,id=fvdump,path=%s", o->dump_sock);
	add(c, "-device");
	add(c, "virtio-serial-device,max_ports=1,bus=virtio-mmio-bus.%u", m->host.dump_slot1 - 1);
	add(c, "-device");
	add(c, "virtconsole,chardev=fvdump,nr=0");
	fprintf(o->log, "ferrovisor: dump channel: virtio console on virtio-mmio slot %u\n",
	        m->host.dump_slot1 - 1);
}

int qemu_plan(const struct model *m, const struct qemu_opts *o, struct qemu_cmd *c, struct diag *d)
{
	memset(c, 0, sizeof(*c));
	char mem[32];
	scalar_fmt_size(m->host.memory, mem, sizeof(mem));
	add(c, "%s", o->qemu);
	add(c, "-M");
	add(c, "virt");
	add(c, "-cpu");
	add(c, "rv64");
	add(c, "-smp");
	add(c, "%llu", (unsigned long long)m->host.cpus);
	add(c, "-m");
	add(c, "%s", mem);
	add(c, "-display");
	add(c, "none");
	add(c, "-bios");
	add(c, "default");
	add(c, "-kernel");
	add(c, "%s", o->hypervisor);
	add(c, "-initrd");
	add(c, "%s", o->bundle);
	/*
	 * The UART on stdio with QEMU's monitor behind Ctrl-A c; signal=off lets Ctrl-C reach
	 * the guests. The hypervisor's own console keys start with Ctrl-], which QEMU passes.
	 */
	add(c, "-chardev");
	add(c, "stdio,id=fvcon,mux=on,signal=off");
	add(c, "-serial");
	add(c, "chardev:fvcon");
	add(c, "-mon");
	add(c, "chardev=fvcon");
	/* The hypervisor's virtio drivers speak virtio 1.x only (no legacy MMIO layout). */
	add(c, "-global");
	add(c, "virtio-mmio.force-legacy=false");
	if (add_disks(m, o, c, d) || add_uplinks(m, o, c, d))
		return -1;
	if (o->dump_sock && m->host.dump_slot1)
		add_dump_channel(m, o, c);
	if (o->gdb_vm && add_gdb_channel(m, o, c, d))
		return -1;
	if (o->gdb) {
		add(c, "-S");
		add(c, "-s");
	}
	for (unsigned i = 0; i < o->nr_extra; i++)
		add(c, "%s", o->extra[i]);
	if (c->oom)
		return diag_error(d, NOPOS, "qemu", "out of memory");
	return 0;
}

void qemu_cmd_remove_sockets(struct qemu_cmd *c)
{
	if (!c->sock_dir_made)
		return;
	/* Our private directory: whatever is in it is a socket QEMU made there. */
	DIR *dir = opendir(c->sock_dir);
	if (dir) {
		struct dirent *e;
		while ((e = readdir(dir)) != NULL)
			if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
				unlinkat(dirfd(dir), e->d_name, 0);
		closedir(dir);
	}
	rmdir(c->sock_dir);
	c->sock_dir_made = false;
}

void qemu_cmd_free(struct qemu_cmd *c)
{
	free(c->sock_dir);
	for (unsigned i = 0; i < c->argc; i++)
		free(c->argv[i]);
	free(c->argv);
	memset(c, 0, sizeof(*c));
}

static bool needs_quotes(const char *s)
{
	if (!*s)
		return true;
	for (; *s; s++)
		if (!strchr(
		        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.,:/=+@%",
		        *s))
			return true;
	return false;
}

void qemu_cmd_print(FILE *f, const struct qemu_cmd *c)
{
	for (unsigned i = 0; i < c->argc; i++) {
		const char *a = c->argv[i];
		fputs(i ? " " : "", f);
		if (!needs_quotes(a)) {
			fputs(a, f);
			continue;
		}
		fputc('\'', f);
		for (; *a; a++) {
			if (*a == '\'')
				fputs("'\\''", f);
			else
				fputc(*a, f);
		}
		fputc('\'', f);
	}
	fputc('\n', f);
}
