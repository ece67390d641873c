/* SPDX-License-Identifier: MIT */
#ifndef FV_TOOLS_QEMU_H
#define FV_TOOLS_QEMU_H

/*
 * The QEMU command line for a resolved configuration: the machine sized
 * by host.cpus and host.memory, the hypervisor as -kernel, the bundle as
 * -initrd, the console on stdio (multiplexed with QEMU's monitor behind
 * QEMU's escape key Ctrl-A; the hypervisor's console keys use Ctrl-]),
 * virtio-mmio in modern mode (-global virtio-mmio.force-legacy=false), and
 * the physical virtio devices on the virtio-mmio slot the bundle records:
 *   disks:   -drive file=...,if=none,format=raw|qcow2,id=fvblkN
 *            -device virtio-blk-device,drive=fvblkN,bus=virtio-mmio-bus.SLOT
 *            (other formats are converted once with qemu-img into the cache;
 *            one drive per image, shared by all slices of it)
 *   switch uplinks: -device virtio-net-device,mac=UPLINK-MAC,... with
 *            -netdev tap,ifname=NAME,script=no,downscript=no when
 *            /dev/net/tun opens and NAME is an existing tap interface; else
 *            no uplink at all (a loud warning), or with --uplink-fallback
 *            unix -netdev stream,server=on on a Unix socket in a private
 *            0700 directory (never a TCP port: any local process could
 *            connect); socket: true is -netdev socket,listen=127.0.0.1:PORT
 *            (never another address); user: -netdev user,restrict=on
 *            [,hostfwd=tcp:127.0.0.1:...].
 * VM interfaces are ports of the hypervisor's virtual switches: no QEMU device.
 */
#include <stdbool.h>
#include <stdio.h>

#include "diag.h"
#include "model.h"

#define QEMU_DEFAULT_BIN "qemu-system-riscv64"
#define QEMU_ESCAPE_KEY  "Ctrl-A" /* QEMU's default -echr */
#define HYP_ESCAPE_KEY   "Ctrl-]" /* ESCAPE_CHAR of hyp/core/vconsole.c */

/* What a tap uplink that cannot be used becomes (run --uplink-fallback). */
enum qemu_fallback {
	QEMU_FALLBACK_NONE, /* the switch runs without its uplink (default) */
	QEMU_FALLBACK_UNIX, /* a Unix socket in a private 0700 directory */
};

struct qemu_opts {
	const char *qemu;       /* QEMU binary */
	const char *hypervisor; /* ferrovisor.bin */
	const char *bundle;     /* the boot bundle (-initrd) */
	char *const *extra;     /* --qemu-arg values, appended last */
	unsigned nr_extra;
	bool gdb;              /* -S -s: wait for gdb on tcp::1234 */
	const char *gdb_vm;    /* guest debugger: a virtio console on a free slot, NULL = none */
	unsigned gdb_port;     /* its TCP port on 127.0.0.1 */
	const char *dump_sock; /* dump channel: the tool's Unix socket (m->host.dump_slot1) */
	bool dry_run;          /* plan only: convert no disk, probe no port, make no directory */
	enum qemu_fallback fallback;
	FILE *log; /* where the choices are reported (stderr) */
};

struct qemu_cmd {
	char **argv; /* NULL-terminated */
	unsigned argc;
	unsigned cap;
	bool oom;
	char *sock_dir;     /* private directory of fallback uplink sockets, or NULL */
	bool sock_dir_made; /* it exists (not a dry run): qemu_cmd_remove_sockets() */
};

/*
 * Decide the device backends (reporting each choice on o->log), convert
 * foreign disk images, and build the command. Returns 0, or -1 with d.
 */
int qemu_plan(const struct model *m, const struct qemu_opts *o, struct qemu_cmd *cmd,
              struct diag *d);

/*
 * The virtio-mmio slot for the dump channel (`run --dump-dir`): the highest one no disk or
 * uplink uses, the next lower one when the gdb channel (gdb) takes the highest. -1 if none
 * is free.
 */
int qemu_dump_slot(const struct model *m, bool gdb);

/* Remove the fallback sockets and their private directory (after QEMU ended). */
void qemu_cmd_remove_sockets(struct qemu_cmd *cmd);

/* Free the command's strings. */
void qemu_cmd_free(struct qemu_cmd *cmd);

/* Print the command as a shell would read it, one line. */
void qemu_cmd_print(FILE *f, const struct qemu_cmd *cmd);

/*
 * Whether a QEMU tap backend can use interface ifname here: /dev/net/tun
 * opens read-write and /sys/class/net/IFNAME is a tun/tap device. When
 * not, why says what is missing.
 */
bool qemu_tap_usable(const char *ifname, char *why, size_t len);

#endif
