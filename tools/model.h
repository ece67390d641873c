/* SPDX-License-Identifier: MIT */
#ifndef FV_TOOLS_MODEL_H
#define FV_TOOLS_MODEL_H

/*
 * The operator's configuration as the `ferrovisor` tool holds it: what the
 * YAML file said (with the source position of every key, for messages),
 * completed by the resolver with defaults, absolute paths, image sizes,
 * virtual switches and virtio-mmio slot numbers. Limits come from the
 * hypervisor's own configuration header so the tool and the hypervisor
 * agree on them.
 *
 * Two kinds of virtio slots: QEMU virt's 8 physical virtio-mmio slots back
 * the disks and the switch uplinks (each slot one device, shared by all
 * VMs); in a guest, its own virtio devices sit at the same addresses, j
 * counting its disks, then its interfaces, then its virtio console.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/guest_map.h"

/* QEMU virt: 8 virtio-mmio transports, slot i at 0x10001000 + i * 0x1000, irq i + 1. */
#define MODEL_VIRTIO_SLOTS   8
#define MODEL_VIRTIO_BASE    0x10001000ULL
#define MODEL_VIRTIO_STRIDE  0x1000ULL
#define MODEL_HOST_MAX_CPUS  8 /* the hypervisor's FV_MAX_CPUS */
#define MODEL_MAX_CPU_INDEX  63
#define MODEL_DEFAULT_CPUS   2
#define MODEL_DEFAULT_VCPUS  1
#define MODEL_DEFAULT_MEMORY (256ULL << 20)
/* riscv64's defaults; the resolver applies the map of the configuration's architecture. */
#define MODEL_DEFAULT_MEM_BASE 0x80000000ULL
#define MODEL_DEFAULT_KOFFSET  0x200000ULL
#define MODEL_DEFAULT_UART     0x10000000ULL
#define MODEL_DEFAULT_WEIGHT   256
#define MODEL_DEFAULT_SLICE_US 4000
#define MODEL_MEM_ALIGN        (2ULL << 20)
#define MODEL_MAX_GPA          (1ULL << 41) /* the largest any map allows (riscv64's Sv39x4) */
#define MODEL_LINUX_BOOTARGS   "console=ttyS0 earlycon=sbi"
#define MODEL_FOCUS_SHELL      "hyp" /* console_focus value for the hypervisor shell */
#define MODEL_IFNAME_MAX       15    /* IFNAMSIZ - 1 */
#define MODEL_DEFAULT_SWITCH   "lan0"
#define MODEL_MAX_HOSTFWD      8
#define MODEL_TOKENS_MAX       16 /* API tokens of the service VM (ferrovisord --tokens) */
#define MODEL_TOKEN_ID_MAX     31
/* Default MACs: locally administered 02:46:56 ("FV"), then 00:VM:NIC or 01:00:SWITCH. */
#define MODEL_MAC_PREFIX "02:46:56"

/* A 1-based line and column in the configuration file; line 0 = no position. */
struct src_pos {
	unsigned line;
	unsigned col;
};

/* VM keys, in documentation order. pos[] in struct model_vm is indexed by these. */
enum vm_key {
	VMK_NAME,
	VMK_VCPUS,
	VMK_MEMORY,
	VMK_MEMORY_BASE,
	VMK_KERNEL,
	VMK_KERNEL_OFFSET,
	VMK_INITRD,
	VMK_COMMAND_LINE,
	VMK_WEIGHT,
	VMK_AFFINITY,
	VMK_PIN,
	VMK_AUTOSTART,
	VMK_UART,
	VMK_UART_BASE,
	VMK_NETWORK,
	VMK_STORAGE,
	VMK_VIRTIO_CONSOLE,
	VMK_TEMPLATE,
	VMK_ROLE,
	VMK_TOKENS,
	VMK_RTC,
	VMK_COUNT
};

/* Keys of a service VM's tokens: entry. */
enum token_key { TK_ID, TK_ROLE, TK_SHA256, TK_COUNT };

/* An API token of the service VM's ferrovisord, by the SHA-256 of its text (never the text;
 * docs/ferrovisord.md, "Tokens, roles, audit"). */
struct model_token {
	struct src_pos at;
	struct src_pos pos[TK_COUNT];
	char id[MODEL_TOKEN_ID_MAX + 1];
	char role[10];   /* viewer | operator | admin */
	char sha256[65]; /* 64 lowercase hex digits */
};

enum host_key {
	HK_CPUS,
	HK_MEMORY,
	HK_TIME_SLICE_US,
	HK_CONSOLE_FOCUS,
	HK_SWITCHES,
	HK_BEST_EFFORT,
	HK_ARCH,
	HK_COUNT
};

enum nic_key { NK_TYPE, NK_SWITCH, NK_TAP, NK_MAC, NK_PORT, NK_COUNT };

enum switch_key { SK_NAME, SK_UPLINK, SK_COUNT };

/* Keys of an uplink mapping and (UK_HOSTFWD) of its user: mapping. */
enum uplink_key { UK_TAP, UK_SOCKET, UK_USER, UK_PORT, UK_MAC, UK_HOSTFWD, UK_COUNT };

enum disk_key { DK_TYPE, DK_IMAGE, DK_FORMAT, DK_READONLY, DK_SIZE, DK_SLICE, DK_COUNT };

/* Keys of a storage entry's slice: mapping. */
enum slice_key { SLK_OFFSET, SLK_SIZE, SLK_COUNT };

enum image_kind {
	IMAGE_FLAT,  /* a flat binary entered at its first byte */
	IMAGE_LINUX, /* a RISC-V Linux Image (header with "RSC\x05" magic) */
};

enum uplink_kind {
	UPLINK_NONE,
	UPLINK_TAP, /* host tap interface; none (or `run --uplink-fallback unix`) when unusable */
	UPLINK_SOCKET, /* -netdev socket,listen=127.0.0.1:PORT */
	UPLINK_USER,   /* -netdev user,restrict=on with 127.0.0.1 port forwards */
};

/* How a switch reaches the host: one physical virtio-net device. */
struct model_uplink {
	enum uplink_kind kind;
	struct src_pos at; /* the uplink mapping, or the interface key that implied it */
	char key[48];      /* the key at `at`, for messages */
	struct src_pos pos[UK_COUNT];
	char *tap;     /* UPLINK_TAP: interface name */
	bool socket;   /* socket: true was given */
	bool user;     /* user: was given (true or a mapping) */
	uint64_t port; /* socket port on 127.0.0.1 (socket, or a tap's fallback); 0 = free one */
	char *hostfwd[MODEL_MAX_HOSTFWD]; /* UPLINK_USER: "tcp:127.0.0.1:8080-:80" */
	unsigned nr_hostfwd;
	char mac[18]; /* the device's own MAC; generated when not given */
	int slot;     /* physical virtio-mmio slot, -1 until resolved */
};

/* A virtual switch in the hypervisor: VM interfaces are its ports. */
struct model_switch {
	struct src_pos at; /* the host.switches item, or the first interface naming it */
	struct src_pos pos[SK_COUNT];
	char name[CFG_SWITCH_NAME];
	bool declared; /* listed in host.switches (else made by an interface) */
	struct model_uplink up;
	unsigned nr_ports; /* interfaces on it (resolver) */
};

struct model_nic {
	struct src_pos at; /* the list item */
	struct src_pos pos[NK_COUNT];
	char sw[CFG_SWITCH_NAME]; /* switch name; "" = MODEL_DEFAULT_SWITCH */
	char *tap;                /* compatibility: the switch's uplink is this tap */
	char mac[18];             /* the guest's MAC; generated when not given */
	uint64_t port;            /* compatibility: the switch's uplink socket port */
	int sw_index;             /* resolver: index into model_host.switches */
};

/*
 * A VM disk: a disk image, or with slice: a part of one. Entries (of one VM
 * or of several) may name the same image only if each has a slice and the
 * slices do not overlap; they then share one QEMU drive and physical slot,
 * that of the first entry naming the image (share_vm/share_disk).
 */
struct model_disk {
	struct src_pos at;
	struct src_pos pos[DK_COUNT];
	struct src_pos slice_pos[SLK_COUNT];
	char *image;    /* as written */
	char *path;     /* resolved absolute path */
	char format[8]; /* "auto" (as written), then "raw" or "qcow2" or a foreign format */
	bool readonly;
	uint64_t size; /* create the image with this size when it does not exist; 0 = never */
	bool create;   /* resolver: it does not exist yet; `run` creates it */
	bool slice;    /* slice: given */
	uint64_t slice_offset; /* bytes, multiple of 512 */
	uint64_t slice_size;   /* bytes, multiple of 512; 0 = to the end of the image */
	/* Resolver: */
	uint64_t image_bytes; /* the disk's size as the guest sees it, 0 = unknown */
	int share_vm;         /* the entry whose drive this one shares, -1 = its own */
	int share_disk;
	int slot;
};

struct model_vm {
	struct src_pos at;             /* the VM's mapping */
	struct src_pos pos[VMK_COUNT]; /* line 0 = key not given */
	char name[VM_NAME_MAX];
	uint64_t vcpus;
	uint64_t memory;
	uint64_t memory_base;
	char *kernel;      /* as written */
	char *kernel_path; /* resolved */
	uint64_t kernel_offset;
	char *initrd;
	char *initrd_path;
	char *command_line; /* NULL = not given */
	uint64_t weight;
	uint64_t affinity; /* CPU mask, 0 = any */
	int pin[VM_MAX_VCPUS];
	unsigned nr_pin;
	bool autostart;
	bool template_vm; /* `template: true`: not booted; `vm create NAME` instantiates it */
	bool uart;
	uint64_t uart_base;
	bool rtc; /* goldfish RTC at 0x101000 (default true) */
	struct model_nic nics[MODEL_VIRTIO_SLOTS];
	unsigned nr_nics;
	struct model_disk disks[MODEL_VIRTIO_SLOTS];
	unsigned nr_disks;
	bool virtio_console;
	bool service; /* role: service (the control channel's VM) */
	struct model_token tokens[MODEL_TOKENS_MAX];
	unsigned nr_tokens;
	/* Filled by the resolver. */
	uint64_t kernel_size;
	uint64_t initrd_size;  /* with the tokens layer (tokens_layer bytes at its end) */
	uint64_t tokens_layer; /* cpio layer carrying the tokens, appended to the initrd */
	enum image_kind kernel_kind;
};

struct model_host {
	struct src_pos at;
	struct src_pos pos[HK_COUNT];
	uint64_t cpus;
	uint64_t memory;  /* 0 = automatic (filled by the resolver) */
	bool memory_auto; /* memory was computed, not given */
	uint64_t time_slice_us;
	char focus[VM_NAME_MAX]; /* "" = first VM (resolved), "hyp" = shell */
	/* host.switches in order, then (resolver) those only interfaces name. */
	struct model_switch switches[CFG_MAX_SWITCHES];
	unsigned nr_switches;
	bool best_effort;         /* start the VMs that can be set up even if others cannot */
	char arch[16];            /* host.arch: "riscv64", "arm64"; "" = not given */
	char gdb_vm[VM_NAME_MAX]; /* `run --gdb NAME`: the VM the gdb channel serves, "" = none */
	unsigned dump_slot1;      /* `run --dump-dir`: virtio-mmio slot of the dump channel + 1 */
};

struct model {
	char *file;  /* the configuration file as named by the user */
	char *dir;   /* its directory, absolute: base of relative paths */
	bool single; /* one-VM form (VM keys at the top level) */
	struct model_host host;
	/* The guest map of the architecture the configuration targets (resolver). */
	const struct guest_map *map;
	struct model_vm vms[CFG_MAX_VMS];
	unsigned nr_vms;
	uint64_t bundle_estimate; /* bytes of the blob, from image sizes (resolver) */
};

/* Set every field to its default; file is copied. Returns 0 or -1 (out of memory). */
int model_init(struct model *m, const char *file);

/* Reset one VM to its defaults (the loader calls it for each VM it starts). */
void model_vm_init(struct model_vm *vm);

/* Free everything model_init() and the loader allocated; m may be reused after model_init(). */
void model_free(struct model *m);

/* Physical virtio-mmio slots in use: all disk drives (shared ones once) and switch uplinks. */
unsigned model_virtio_count(const struct model *m);

/* Reset a switch to "no uplink" with name (copied, at most CFG_SWITCH_NAME - 1 bytes). */
void model_switch_init(struct model_switch *sw, const char *name);

/* "tap vm-tap0", "socket", "user-mode network" (for messages). */
void model_uplink_describe(const struct model_uplink *up, char *buf, size_t len);

#endif
