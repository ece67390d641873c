/* SPDX-License-Identifier: MIT */
/*
 * Host unit tests for hyp/core/config.c: the configuration blob parser.
 *
 * Blobs are built with the host libfdt sequential-write API from a small
 * in-memory description (struct spec: root compatible, /host with its
 * /host/switches/NAME children, /vms/NODE with their properties), so every
 * case is "the good configuration plus a few edits". Each blob is handed to config_parse() in an
 * exactly sized heap buffer, so ASan flags any read past it.
 *
 *  - a good three-VM configuration is checked field by field, including
 *    every default (virtio disks, NICs on switches, MACs, console);
 *  - one variant per validation rule asserts the return code and the exact
 *    error line;
 *  - boundary variants that must still be accepted;
 *  - config_parse_size() on a table of strings;
 *  - disk slices: config_sectors_overlap() and config_slice_resolve() on
 *    tables, including values near 2^64;
 *  - random byte mutations and truncations of the good blob (and of a
 *    variant with disks sharing a slot as slices): config_parse() never
 *    crashes and returns 0 or an error with a message, and what it accepts
 *    never gives one part of a physical disk to two disks.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <libfdt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"

#define LF(call) assert_int_equal((call), 0)

#define MIB (1ULL << 20)

/* ---- blob description and builder ---- */

#define MAX_PROPS    20
#define PROP_VAL_MAX 1100
#define MAX_NODES    12
#define MAX_SWITCHES 6 /* one more than the parser accepts */
#define BUILD_BUF    (64 * 1024)

struct prop {
	char name[32];
	uint8_t val[PROP_VAL_MAX];
	int len;
};

struct node {
	char name[80];
	struct prop props[MAX_PROPS];
	int nprops;
};

struct spec {
	const char *compat; /* NULL: no compatible property */
	bool has_host;
	struct node host;
	int nswitches; /* children of /host/switches; 0 = no such node */
	struct node switches[MAX_SWITCHES];
	bool has_vms;
	struct node vms[MAX_NODES];
	int nvms;
};

static struct prop *node_prop(struct node *n, const char *name)
{
	for (int i = 0; i < n->nprops; i++)
		if (strcmp(n->props[i].name, name) == 0)
			return &n->props[i];
	assert_true(n->nprops < MAX_PROPS);
	struct prop *p = &n->props[n->nprops++];
	assert_true(strlen(name) < sizeof(p->name));
	strcpy(p->name, name);
	p->len = 0;
	return p;
}

static void set_raw(struct node *n, const char *name, const void *val, int len)
{
	assert_true(len >= 0 && len <= PROP_VAL_MAX);
	struct prop *p = node_prop(n, name);
	if (len)
		memcpy(p->val, val, (size_t)len);
	p->len = len;
}

static void set_u32(struct node *n, const char *name, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
	set_raw(n, name, b, 4);
}

static void set_u64(struct node *n, const char *name, uint64_t v)
{
	uint8_t b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (56 - 8 * i));
	set_raw(n, name, b, 8);
}

/* /bits/ 64 <...> of small numbers. */
static void set_u64_cells(struct node *n, const char *name, const uint32_t *c, int cnt)
{
	uint8_t b[8 * 10];
	assert_true(cnt <= 10);
	for (int i = 0; i < cnt; i++)
		for (int j = 0; j < 8; j++)
			b[8 * i + j] = (uint8_t)((uint64_t)c[i] >> (56 - 8 * j));
	set_raw(n, name, b, 8 * cnt);
}

static void set_cells(struct node *n, const char *name, const uint32_t *c, int cnt)
{
	uint8_t b[4 * 16];
	assert_true(cnt <= 16);
	for (int i = 0; i < cnt; i++) {
		b[4 * i] = (uint8_t)(c[i] >> 24);
		b[4 * i + 1] = (uint8_t)(c[i] >> 16);
		b[4 * i + 2] = (uint8_t)(c[i] >> 8);
		b[4 * i + 3] = (uint8_t)c[i];
	}
	set_raw(n, name, b, 4 * cnt);
}

static void set_str(struct node *n, const char *name, const char *s)
{
	set_raw(n, name, s, (int)strlen(s) + 1);
}

/* A string of len copies of c (plus the NUL). */
static void set_fill(struct node *n, const char *name, char c, int len)
{
	char buf[PROP_VAL_MAX];
	assert_true(len < PROP_VAL_MAX);
	memset(buf, c, (size_t)len);
	buf[len] = '\0';
	set_str(n, name, buf);
}

static void del_prop(struct node *n, const char *name)
{
	for (int i = 0; i < n->nprops; i++) {
		if (strcmp(n->props[i].name, name) == 0) {
			memmove(&n->props[i], &n->props[i + 1],
			        (size_t)(n->nprops - i - 1) * sizeof(n->props[0]));
			n->nprops--;
			return;
		}
	}
}

static void set_node_name(struct node *n, const char *name)
{
	assert_true(strlen(name) < sizeof(n->name));
	strcpy(n->name, name);
}

enum { VM_ALPHA, VM_BETA, VM_GAMMA };

static const char alpha_kernel[] = "ALPHA-KERNEL-IMG"; /* 16 bytes without the NUL */
static const char alpha_initrd[] = "initrd-bytes-for-alpha-0123456-";
static const char alpha_args[] = "console=ttyS0 root=/dev/vda";
static const char alpha_macs[] = "\x52\x54\x00\x12\x34\x56\x0a\x00\x00\x00\x00\x01";

/*
 * The good configuration: alpha sets (nearly) everything explicitly, beta
 * and gamma rely on defaults. Switches: lan0 (uplink on physical slot 5),
 * dmz_2-x (no uplink, no NICs), wan (made by alpha's second NIC).
 */
static void good_spec(struct spec *s)
{
	memset(s, 0, sizeof(*s));
	s->compat = "ferrovisor,config-v1";
	s->has_host = true;
	set_node_name(&s->host, "host");
	set_str(&s->host, "console-focus", "beta.2_x-y");
	set_u32(&s->host, "time-slice-us", 2000);
	set_u32(&s->host, "dump-slot", 7);
	s->nswitches = 2;
	set_node_name(&s->switches[0], "lan0");
	set_u32(&s->switches[0], "uplink-slot", 5);
	set_node_name(&s->switches[1], "dmz_2-x"); /* no uplink */
	s->has_vms = true;
	s->nvms = 3;

	struct node *a = &s->vms[VM_ALPHA];
	set_node_name(a, "alpha");
	set_u32(a, "vcpus", 2);
	set_u64(a, "memory-size", 64 * MIB);
	set_u64(a, "memory-base", 0x100000000ULL);
	set_u32(a, "weight", 512);
	set_cells(a, "cpu-affinity", (const uint32_t[]){1, 2, 3}, 3);
	set_cells(a, "vcpu-pin", (const uint32_t[]){3, 1}, 2);
	set_raw(a, "kernel", alpha_kernel, 16);
	set_u32(a, "kernel-offset", 0x400000); /* one cell: accepted as 64-bit */
	set_raw(a, "initrd", alpha_initrd, 32);
	set_str(a, "bootargs", alpha_args);
	set_raw(a, "autostart", NULL, 0);
	set_u64(a, "uart-base", 0x20000000);
	set_cells(a, "virtio-blk-slots", (const uint32_t[]){0, 1}, 2);
	set_raw(a, "virtio-net-switch", "lan0\0wan", 9); /* wan: not declared */
	set_raw(a, "virtio-net-mac", alpha_macs, 12);
	set_raw(a, "virtio-console", NULL, 0);

	struct node *b = &s->vms[VM_BETA];
	set_node_name(b, "beta");
	set_str(b, "vm-name", "beta.2_x-y");
	set_u32(b, "memory-size", 32 * MIB); /* one cell */
	set_raw(b, "kernel", "BETAKERN", 8);
	set_raw(b, "no-uart", NULL, 0);
	set_raw(b, "no-rtc", NULL, 0);
	set_cells(b, "virtio-blk-slots", (const uint32_t[]){2}, 1);
	set_str(b, "virtio-net-switch", "lan0"); /* default MAC */

	struct node *g = &s->vms[VM_GAMMA];
	set_node_name(g, "gamma");
	set_u32(g, "vcpus", 8);
	set_u64(g, "memory-size", 4 * MIB);
	set_raw(g, "kernel", "GAMA", 4);
	set_cells(g, "cpu-affinity", (const uint32_t[]){63, 0}, 2);
}

static void add_props(void *fdt, const struct node *n)
{
	for (int i = 0; i < n->nprops; i++)
		LF(fdt_property(fdt, n->props[i].name, n->props[i].val, n->props[i].len));
}

static void add_node(void *fdt, const struct node *n)
{
	LF(fdt_begin_node(fdt, n->name));
	add_props(fdt, n);
	LF(fdt_end_node(fdt));
}

/* /host with its properties and, when there are any, /host/switches. */
static void add_host(void *fdt, const struct spec *s)
{
	LF(fdt_begin_node(fdt, s->host.name));
	add_props(fdt, &s->host);
	if (s->nswitches) {
		LF(fdt_begin_node(fdt, "switches"));
		for (int i = 0; i < s->nswitches; i++)
			add_node(fdt, &s->switches[i]);
		LF(fdt_end_node(fdt));
	}
	LF(fdt_end_node(fdt));
}

/* Build the blob; returns an exactly sized heap copy (caller frees). */
static uint8_t *build(const struct spec *s, size_t *size)
{
	uint8_t *tmp = malloc(BUILD_BUF);
	assert_non_null(tmp);
	LF(fdt_create(tmp, BUILD_BUF));
	LF(fdt_finish_reservemap(tmp));
	LF(fdt_begin_node(tmp, ""));
	if (s->compat)
		LF(fdt_property_string(tmp, "compatible", s->compat));
	if (s->has_host)
		add_host(tmp, s);
	if (s->has_vms) {
		LF(fdt_begin_node(tmp, "vms"));
		for (int i = 0; i < s->nvms; i++)
			add_node(tmp, &s->vms[i]);
		LF(fdt_end_node(tmp));
	}
	LF(fdt_end_node(tmp));
	LF(fdt_finish(tmp));
	assert_int_equal(fdt_check_full(tmp, BUILD_BUF), 0);
	*size = fdt_totalsize(tmp);
	uint8_t *blob = malloc(*size);
	assert_non_null(blob);
	memcpy(blob, tmp, *size);
	free(tmp);
	return blob;
}

/* ---- the good configuration ---- */

static bool points_into(const void *p, uint64_t len, const uint8_t *blob, size_t size)
{
	const uint8_t *b = p;
	return b >= blob && b <= blob + size && len <= (uint64_t)(blob + size - b);
}

static void test_good_config(void **state)
{
	(void)state;
	struct spec *s = malloc(sizeof(*s));
	assert_non_null(s);
	good_spec(s);
	size_t size;
	uint8_t *blob = build(s, &size);
	struct hyp_config *c = malloc(sizeof(*c));
	assert_non_null(c);
	char err[256] = "stale message";

	assert_int_equal(config_parse(blob, size, c, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(c->nr_vms, 3);
	assert_string_equal(c->focus, "beta.2_x-y");
	assert_int_equal(c->slice_us, 2000);
	assert_int_equal(c->dump_slot1, 7 + 1);

	const struct vm_config *a = &c->vms[0];
	assert_string_equal(a->name, "alpha");
	assert_int_equal(a->vcpus, 2);
	assert_int_equal(a->mem_base, 0x100000000ULL);
	assert_int_equal(a->mem_size, 64 * MIB);
	assert_int_equal(a->weight, 512);
	assert_int_equal(a->affinity, 0xeULL);
	assert_int_equal(a->vcpu_pin[0], 3);
	assert_int_equal(a->vcpu_pin[1], 1);
	for (int i = 2; i < VM_MAX_VCPUS; i++)
		assert_int_equal(a->vcpu_pin[i], -1);
	assert_int_equal(a->kernel_size, 16);
	assert_true(points_into(a->kernel, a->kernel_size, blob, size));
	assert_memory_equal(a->kernel, alpha_kernel, 16);
	assert_int_equal(a->kernel_offset, 0x400000);
	assert_int_equal(a->initrd_size, 32);
	assert_true(points_into(a->initrd, a->initrd_size, blob, size));
	assert_memory_equal(a->initrd, alpha_initrd, 32);
	assert_string_equal(a->bootargs, alpha_args);
	assert_true(a->autostart);
	assert_true(a->has_uart);
	assert_int_equal(a->uart_base, 0x20000000);
	assert_true(a->has_rtc); /* the default */

	/* beta: vm-name overrides the node name; everything else defaults. */
	const struct vm_config *b = &c->vms[1];
	assert_string_equal(b->name, "beta.2_x-y");
	assert_int_equal(b->vcpus, 1);
	assert_int_equal(b->mem_base, 0x80000000ULL);
	assert_int_equal(b->mem_size, 32 * MIB);
	assert_int_equal(b->weight, 256);
	assert_int_equal(b->affinity, 0);
	for (int i = 0; i < VM_MAX_VCPUS; i++)
		assert_int_equal(b->vcpu_pin[i], -1);
	assert_int_equal(b->kernel_size, 8);
	assert_memory_equal(b->kernel, "BETAKERN", 8);
	assert_int_equal(b->kernel_offset, 0x200000);
	assert_null(b->initrd);
	assert_int_equal(b->initrd_size, 0);
	assert_string_equal(b->bootargs, "");
	assert_false(b->autostart);
	assert_false(b->has_uart);
	assert_int_equal(b->uart_base, 0x10000000);
	assert_false(b->has_rtc);

	const struct vm_config *g = &c->vms[2];
	assert_string_equal(g->name, "gamma");
	assert_int_equal(g->vcpus, 8);
	assert_int_equal(g->mem_base, 0x80000000ULL);
	assert_int_equal(g->mem_size, 4 * MIB);
	assert_int_equal(g->affinity, (1ULL << 63) | 1ULL);
	assert_int_equal(g->kernel_offset, 0x200000);
	assert_true(g->has_uart);
	assert_int_equal(g->uart_base, 0x10000000);
	assert_false(g->autostart);

	/* Switches: the declared ones in order, then those made by NICs. */
	assert_int_equal(c->nr_switches, 3);
	assert_string_equal(c->switches[0].name, "lan0");
	assert_int_equal(c->switches[0].uplink_slot, 5);
	assert_string_equal(c->switches[1].name, "dmz_2-x");
	assert_int_equal(c->switches[1].uplink_slot, -1);
	assert_string_equal(c->switches[2].name, "wan");
	assert_int_equal(c->switches[2].uplink_slot, -1);
	/* Virtio devices. */
	assert_int_equal(a->nr_disks, 2);
	assert_int_equal(a->disk_slot[0], 0);
	assert_int_equal(a->disk_slot[1], 1);
	for (int k = 0; k < 2; k++) { /* no virtio-blk-slices: whole disks */
		assert_int_equal(a->disk_start[k], 0);
		assert_int_equal(a->disk_sectors[k], 0);
	}
	assert_int_equal(a->nr_nics, 2);
	assert_int_equal(a->nic_switch[0], 0);
	assert_int_equal(a->nic_switch[1], 2);
	assert_memory_equal(a->nic_mac[0], "\x52\x54\x00\x12\x34\x56", 6);
	assert_memory_equal(a->nic_mac[1], "\x0a\x00\x00\x00\x00\x01", 6);
	assert_true(a->virtio_console);
	assert_int_equal(b->nr_disks, 1);
	assert_int_equal(b->disk_slot[0], 2);
	assert_int_equal(b->nr_nics, 1);
	assert_int_equal(b->nic_switch[0], 0);
	assert_memory_equal(b->nic_mac[0], "\x02\x46\x56\x00\x01\x00", 6); /* VM 1, NIC 0 */
	assert_false(b->virtio_console);
	assert_int_equal(g->nr_disks, 0);
	assert_int_equal(g->nr_nics, 0);
	assert_false(g->virtio_console);

	free(c);
	free(blob);
	free(s);
}

/* Without /host: slice 4000 us, no focus, no declared switches. */
static void test_host_defaults(void **state)
{
	(void)state;
	struct spec *s = malloc(sizeof(*s));
	assert_non_null(s);
	good_spec(s);
	s->has_host = false;
	size_t size;
	uint8_t *blob = build(s, &size);
	struct hyp_config *c = malloc(sizeof(*c));
	assert_non_null(c);
	char err[128];

	assert_int_equal(config_parse(blob, size, c, err, sizeof(err)), 0);
	assert_int_equal(c->slice_us, 4000);
	assert_string_equal(c->focus, "");
	assert_int_equal(c->dump_slot1, 0); /* no dump channel */
	assert_int_equal(c->nr_vms, 3);
	/* Without /host/switches, NICs make their switches in order of first use. */
	assert_int_equal(c->nr_switches, 2);
	assert_string_equal(c->switches[0].name, "lan0");
	assert_int_equal(c->switches[0].uplink_slot, -1);
	assert_string_equal(c->switches[1].name, "wan");
	assert_int_equal(c->vms[0].nic_switch[1], 1);
	assert_int_equal(c->vms[1].nic_switch[0], 0);
	free(c);
	free(blob);
	free(s);
}

/* ---- edits: one table row = the good config plus up to three edits ---- */

enum op {
	OP_END,
	OP_U32,
	OP_U64,
	OP_STR,
	OP_RAW,   /* s with len bytes */
	OP_FLAG,  /* empty property */
	OP_DEL,   /* remove the property */
	OP_CELLS, /* cells[0..len) */
	OP_U64S,  /* cells[0..len), each as a 64-bit number (/bits/ 64 <...>) */
	OP_FILL,  /* string of v times 'x' */
	OP_NODE_NAME,
	OP_COMPAT, /* root compatible = s (NULL: none) */
	OP_NO_VMS,
	OP_NVMS, /* v VMs: 0 clears all (and the focus), more adds copies of gamma */
	OP_NSW,  /* v switch nodes: more adds nodes "swN" without properties */
};

#define HOST  (-1)
#define SW(i) (-10 - (i)) /* node /host/switches/<i-th> */

struct edit {
	enum op op;
	int node; /* VM index or HOST */
	const char *prop;
	uint64_t v;
	const char *s;
	int len;
	uint32_t cells[10];
};

static struct node *edit_node(struct spec *s, int node)
{
	if (node == HOST) {
		s->has_host = true;
		return &s->host;
	}
	if (node <= SW(0)) {
		int i = SW(0) - node;
		assert_true(i < s->nswitches);
		return &s->switches[i];
	}
	assert_true(node >= 0 && node < s->nvms);
	return &s->vms[node];
}

static void apply(struct spec *s, const struct edit *e)
{
	switch (e->op) {
	case OP_END:
		break;
	case OP_U32:
		set_u32(edit_node(s, e->node), e->prop, (uint32_t)e->v);
		break;
	case OP_U64:
		set_u64(edit_node(s, e->node), e->prop, e->v);
		break;
	case OP_STR:
		set_str(edit_node(s, e->node), e->prop, e->s);
		break;
	case OP_RAW:
		set_raw(edit_node(s, e->node), e->prop, e->s, e->len);
		break;
	case OP_FLAG:
		set_raw(edit_node(s, e->node), e->prop, NULL, 0);
		break;
	case OP_DEL:
		del_prop(edit_node(s, e->node), e->prop);
		break;
	case OP_CELLS:
		set_cells(edit_node(s, e->node), e->prop, e->cells, e->len);
		break;
	case OP_U64S:
		set_u64_cells(edit_node(s, e->node), e->prop, e->cells, e->len);
		break;
	case OP_FILL:
		set_fill(edit_node(s, e->node), e->prop, 'x', (int)e->v);
		break;
	case OP_NODE_NAME:
		set_node_name(edit_node(s, e->node), e->s);
		break;
	case OP_COMPAT:
		s->compat = e->s;
		break;
	case OP_NO_VMS:
		s->has_vms = false;
		break;
	case OP_NVMS:
		if (e->v == 0) {
			s->nvms = 0;
			del_prop(&s->host, "console-focus");
		}
		assert_true(e->v <= MAX_NODES);
		while ((uint64_t)s->nvms < e->v) {
			s->vms[s->nvms] = s->vms[VM_GAMMA];
			char name[16];
			snprintf(name, sizeof(name), "extra%d", s->nvms);
			set_node_name(&s->vms[s->nvms], name);
			s->nvms++;
		}
		break;
	case OP_NSW:
		assert_true(e->v <= MAX_SWITCHES);
		while ((uint64_t)s->nswitches < e->v) {
			struct node *n = &s->switches[s->nswitches];
			memset(n, 0, sizeof(*n));
			char name[16];
			snprintf(name, sizeof(name), "sw%d", s->nswitches);
			set_node_name(n, name);
			s->nswitches++;
		}
		s->nswitches = (int)e->v;
		break;
	}
}

#define NAME_MSG "must be 1-31 characters of letters, digits, '-', '_', '.' (not 'hyp')"
/*
 * Gamma's 4-byte kernel at 4 MiB - INITRD_ROOM leaves room for an initrd of
 * INITRD_MAX bytes: the parser keeps one page free after it. OP_FILL of n
 * makes a property of n + 1 bytes (the NUL).
 */
#define INITRD_ROOM 0x1400U
#define INITRD_MAX  (INITRD_ROOM - 4 - 0x1000)
#define N40         "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn"
#define SW_NAME_MSG "must be 1-15 characters of a-z, 0-9, '-', '_'"

struct bad_case {
	const char *what;
	struct edit e[3];
	int rc;
	const char *msg;
};

#define SLICES_MSG                                                                                 \
	"must hold two 64-bit numbers (start sector, sector count) per disk of virtio-blk-slots"

static const struct bad_case bad_cases[] = {
    /* streamed images: sizes only */
    {"kernel-size 0",
     {{OP_DEL, VM_ALPHA, "kernel", 0, NULL, 0, {0}},
      {OP_U64, VM_ALPHA, "kernel-size", 0, NULL, 0, {0}}},
     -FV_EINVAL,
     "vms/alpha: kernel: missing or empty (the guest image)"},
    {"kernel-size larger than memory",
     {{OP_DEL, VM_ALPHA, "kernel", 0, NULL, 0, {0}},
      {OP_U64, VM_ALPHA, "kernel-size", 64 * MIB, NULL, 0, {0}}},
     -FV_ERANGE,
     "vms/alpha: kernel: does not fit in memory at kernel-offset"},
    {"initrd-size 0",
     {{OP_DEL, VM_ALPHA, "initrd", 0, NULL, 0, {0}},
      {OP_U64, VM_ALPHA, "initrd-size", 0, NULL, 0, {0}}},
     -FV_ERANGE,
     "vms/alpha: initrd-size: must be 1 byte to 4 GiB"},
    {"initrd-size larger than memory",
     {{OP_DEL, VM_ALPHA, "initrd", 0, NULL, 0, {0}},
      {OP_U64, VM_ALPHA, "initrd-size", 63 * MIB, NULL, 0, {0}}},
     -FV_ERANGE,
     "vms/alpha: initrd: kernel and initrd do not fit in memory"},
    /* root */
    {"wrong compatible",
     {{OP_COMPAT, 0, NULL, 0, "ferrovisor,config-v2", 0, {0}}},
     -FV_EINVAL,
     "/: compatible: must be \"ferrovisor,config-v1\""},
    {"no compatible",
     {{OP_COMPAT, 0, NULL, 0, NULL, 0, {0}}},
     -FV_EINVAL,
     "/: compatible: must be \"ferrovisor,config-v1\""},
    {"no /vms",
     {{OP_NO_VMS, 0, NULL, 0, NULL, 0, {0}}},
     -FV_EINVAL,
     "/: vms: missing (no VMs configured)"},
    {"0 VMs", {{OP_NVMS, 0, NULL, 0, NULL, 0, {0}}}, -FV_EINVAL, "/: vms: no VMs configured"},
    {"9 VMs", {{OP_NVMS, 0, NULL, 9, NULL, 0, {0}}}, -FV_ERANGE, "vms: count: more than 8 VMs"},
    /* names */
    {"name with a space",
     {{OP_STR, VM_ALPHA, "vm-name", 0, "bad name", 0, {0}}},
     -FV_EINVAL,
     "vms/alpha: vm-name: " NAME_MSG},
    {"name with '/'",
     {{OP_STR, VM_ALPHA, "vm-name", 0, "a/b", 0, {0}}},
     -FV_EINVAL,
     "vms/alpha: vm-name: " NAME_MSG},
    {"node name with a unit address",
     {{OP_NODE_NAME, VM_GAMMA, NULL, 0, "vm@1", 0, {0}}},
     -FV_EINVAL,
     "vms/vm@1: vm-name: " NAME_MSG},
    {"name of 32 characters",
     {{OP_STR, VM_ALPHA, "vm-name", 0, "abcdefghijklmnopqrstuvwxyz012345", 0, {0}}},
     -FV_EINVAL,
     "vms/alpha: vm-name: " NAME_MSG},
    {"node name of 45 characters (error names its first 40)",
     {{OP_NODE_NAME, VM_GAMMA, NULL, 0, N40 "nnnnn", 0, {0}}},
     -FV_EINVAL,
     "vms/" N40 ": vm-name: " NAME_MSG},
    {"name hyp",
     {{OP_STR, VM_ALPHA, "vm-name", 0, "hyp", 0, {0}}},
     -FV_EINVAL,
     "vms/alpha: vm-name: " NAME_MSG},
    {"node name hyp",
     {{OP_NODE_NAME, VM_GAMMA, NULL, 0, "hyp", 0, {0}}},
     -FV_EINVAL,
     "vms/hyp: vm-name: " NAME_MSG},
    {"empty vm-name",
     {{OP_STR, VM_ALPHA, "vm-name", 0, "", 0, {0}}},
     -FV_EINVAL,
     "vms/alpha: vm-name: " NAME_MSG},
    {"duplicate name (vm-name vs node name)",
     {{OP_STR, VM_GAMMA, "vm-name", 0, "alpha", 0, {0}}},
     -FV_EEXIST,
     "vms/gamma: vm-name: already used by another VM"},
    /* vcpus */
    {"vcpus 0",
     {{OP_U32, VM_ALPHA, "vcpus", 0, NULL, 0, {0}}},
     -FV_ERANGE,
     "vms/alpha: vcpus: must be between 1 and 8"},
    {"vcpus 9",
     {{OP_U32, VM_GAMMA, "vcpus", 9, NULL, 0, {0}}},
     -FV_ERANGE,
     "vms/gamma: vcpus: must be between 1 and 8"},
    {"vcpus 8 bytes",
     {{OP_U64, VM_ALPHA, "vcpus", 2, NULL, 0, {0}}},
     -FV_EINVAL,
     "vms/alpha: vcpus: must be a 32-bit number"},
    {"vcpus 2 bytes",
     {{OP_RAW, VM_ALPHA, "vcpus", 0, "\0\2", 2, {0}}},
     -FV_EINVAL,
     "vms/alpha: vcpus: must be a 32-bit number"},
    /* memory */
    {"memory-size missing",
     {{OP_DEL, VM_ALPHA, "memory-size", 0, NULL, 0, {0}}},
     -FV_EINVAL,
     "vms/alpha: memory-size: missing or not a number"},
    {"memory-size 3 bytes",
     {{OP_RAW, VM_ALPHA, "memory-size", 0, "\1\0\0", 3, {0}}},
     -FV_EINVAL,
     "vms/alpha: memory-size: missing or not a number"},
    {"memory-size 0",
     {{OP_U64, VM_ALPHA, "memory-size", 0, NULL, 0, {0}}},
     -FV_EINVAL,
     "vms/alpha: memory-size: must be a non-zero multiple of 2 MiB"},
    {"memory-size 1 MiB",
     {{OP_U64, VM_ALPHA, "memory-size", MIB, NULL, 0, {0}}},
     -FV_EINVAL,
     "vms/alpha: memory-size: must be a non-zero multiple of 2 MiB"},
    {"memory-size 65 MiB",
     {{OP_U64, VM_ALPHA, "memory-size", 65 * MIB, NULL, 0, {0}}},
     -FV_EINVAL,
     "vms/alpha: memory-size: must be a non-zero multiple of 2 MiB"},
    {"memory-base not 2 MiB aligned",
     {{OP_U64, VM_ALPHA, "memory-base", 0x100100000ULL, NULL, 0, {0}}},
     -FV_ERANGE,
     "vms/alpha: memory-base: must be 2 MiB aligned and end below 2 TiB"},
    {"memory-base at 2 TiB",
     {{OP_U64, VM_ALPHA, "memory-base", 1ULL << 41, NULL, 0, {0}}},
     -FV_ERANGE,
     "vms/alpha: memory-base: must be 2 MiB aligned and end below 2 TiB"},
    {"memory ends past 2 TiB",
     {{OP_U64, VM_ALPHA, "memory-base", (1ULL << 41) - 32 * MIB, NULL, 0, {0}}},
     -FV_ERANGE,
     "vms/alpha: memory-base: must be 2 MiB aligned and end below 2 TiB"},
    {"memory-base near 2^64",
     {{OP_U64, VM_ALPHA, "memory-base", 0xffffffffffe00000ULL, NULL, 0, {0}}},
     -FV_ERANGE,
     "vms/alpha: memory-base: must be 2 MiB aligned and end below 2 TiB"},
    {"memory-base 2 bytes",
     {{OP_RAW, VM_ALPHA, "memory-base", 0, "\0\0", 2, {0}}},
     -FV_EINVAL,
     "vms/alpha: memory-base: must be a number"},
    /* weight */
    {"weight 0",
     {{OP_U32, VM_ALPHA, "weight", 0, NULL, 0, {0}}},
     -FV_ERANGE,
     "vms/alpha: weight: must be between 1 and 65535"},
    {"weight 65536",
     {{OP_U32, VM_ALPHA, "weight", 65536, NULL, 0, {0}}},
     -FV_ERANGE,
     "vms/alpha: weight: must be between 1 and 65535"},
    {"weight 8 bytes",
     {{OP_U64, VM_ALPHA, "weight", 5, NULL, 0, {0}}},
     -FV_EINVAL,
     "vms/alpha: weight: must be a 32-bit number"},
    /* affinity and pinning */
    {"cpu-affinity 6 bytes",
     {{OP_RAW, VM_ALPHA, "cpu-affinity", 0, "\0\0\0\1\0\0", 6, {0}}},
     -FV_EINVAL,
     "vms/alpha: cpu-affinity: must list CPU numbers 0-63"},
    {"cpu-affinity empty",
     {{OP_FLAG, VM_ALPHA, "cpu-affinity", 0, NULL, 0, {0}}},
     -FV_EINVAL,
     "vms/alpha: cpu-affinity: must list CPU numbers 0-63"},
    {"cpu-affinity cpu 64",
     {{OP_CELLS, VM_ALPHA, "cpu-affinity", 0, NULL, 2, {1, 64}}},
     -FV_EINVAL,
     "vms/alpha: cpu-affinity: must list CPU numbers 0-63"},
    {"cpu-affinity cpu 0xffffffff",
     {{OP_CELLS, VM_ALPHA, "cpu-affinity", 0, NULL, 1, {0xffffffffU}}},
     -FV_EINVAL,
     "vms/alpha: cpu-affinity: must list CPU numbers 0-63"},
    {"vcpu-pin one cpu for two vcpus",
     {{OP_CELLS, VM_ALPHA, "vcpu-pin", 0, NULL, 1, {1}}},
     -FV_EINVAL,
     "vms/alpha: vcpu-pin: needs exactly one CPU per vCPU"},
    {"vcpu-pin three cpus for two vcpus",
     {{OP_CELLS, VM_ALPHA, "vcpu-pin", 0, NULL, 3, {1, 2, 3}}},
     -FV_EINVAL,
     "vms/alpha: vcpu-pin: needs exactly one CPU per vCPU"},
    {"vcpu-pin nine cpus",
     {{OP_CELLS, VM_ALPHA, "vcpu-pin", 0, NULL, 9, {1, 2, 3, 1, 2, 3, 1, 2, 3}}},
     -FV_EINVAL,
     "vms/alpha: vcpu-pin: must list one CPU number (0-63) per vCPU"},
    {"vcpu-pin cpu 64",
     {{OP_CELLS, VM_ALPHA, "vcpu-pin", 0, NULL, 2, {1, 64}}},
     -FV_EINVAL,
     "vms/alpha: vcpu-pin: must list one CPU number (0-63) per vCPU"},
    {"vcpu-pin 5 bytes",
     {{OP_RAW, VM_ALPHA, "vcpu-pin", 0, "\0\0\0\1\0", 5, {0}}},
     -FV_EINVAL,
     "vms/alpha: vcpu-pin: must list one CPU number (0-63) per vCPU"},
    {"vcpu-pin outside cpu-affinity",
     {{OP_CELLS, VM_ALPHA, "vcpu-pin", 0, NULL, 2, {1, 4}}},
     -FV_EINVAL,
     "vms/alpha: vcpu-pin: pins a vCPU outside cpu-affinity"},
    /* images */
    {"kernel missing",
     {{OP_DEL, VM_ALPHA, "kernel", 0, NULL, 0, {0}}},
     -FV_EINVAL,
     "vms/alpha: kernel: missing or empty (the guest image)"},
    {"kernel empty",
     {{OP_FLAG, VM_ALPHA, "kernel", 0, NULL, 0, {0}}},
     -FV_EINVAL,
     "vms/alpha: kernel: missing or empty (the guest image)"},
    {"kernel-offset at the end of memory",
     {{OP_U64, VM_GAMMA, "kernel-offset", 4 * MIB, NULL, 0, {0}}},
     -FV_ERANGE,
     "vms/gamma: kernel: does not fit in memory at kernel-offset"},
    {"kernel-offset far past memory",
     {{OP_U64, VM_GAMMA, "kernel-offset", 0xfffffffffffffff0ULL, NULL, 0, {0}}},
     -FV_ERANGE,
     "vms/gamma: kernel: does not fit in memory at kernel-offset"},
    {"kernel one word too long",
     {{OP_U64, VM_GAMMA, "kernel-offset", 4 * MIB - 4, NULL, 0, {0}},
      {OP_RAW, VM_GAMMA, "kernel", 0, "GAMMA-KE", 8, {0}}},
     -FV_ERANGE,
     "vms/gamma: kernel: does not fit in memory at kernel-offset"},
    {"default kernel-offset with 2 MiB of memory",
     {{OP_U64, VM_GAMMA, "memory-size", 2 * MIB, NULL, 0, {0}}},
     -FV_ERANGE,
     "vms/gamma: kernel: does not fit in memory at kernel-offset"},
    {"kernel-offset not 4-byte aligned",
     {{OP_U64, VM_GAMMA, "kernel-offset", 0x200002, NULL, 0, {0}}},
     -FV_EINVAL,
     "vms/gamma: kernel-offset: must be a multiple of 4"},
    {"uart-base beyond 2 TiB",
     {{OP_U64, VM_GAMMA, "uart-base", 0xffffffffffffff00ULL, NULL, 0, {0}}},
     -FV_ERANGE,
     "vms/gamma: uart-base: must be below 2 TiB"},
    {"vm-name not terminated",
     {{OP_RAW, VM_GAMMA, "vm-name", 0, "abc", 3, {0}}},
     -FV_EINVAL,
     "vms/gamma: vm-name: must be a NUL-terminated string"},
    {"kernel-offset 3 bytes",
     {{OP_RAW, VM_GAMMA, "kernel-offset", 0, "\0\0\0", 3, {0}}},
     -FV_EINVAL,
     "vms/gamma: kernel-offset: must be a 32- or 64-bit number"},
    {"initrd does not fit (needs a page of slack)",
     {{OP_U64, VM_GAMMA, "kernel-offset", 4 * MIB - 0x1000, NULL, 0, {0}},
      {OP_RAW, VM_GAMMA, "initrd", 0, "I", 1, {0}}},
     -FV_ERANGE,
     "vms/gamma: initrd: kernel and initrd do not fit in memory"},
    {"initrd one byte too long",
     {{OP_U64, VM_GAMMA, "kernel-offset", 4 * MIB - INITRD_ROOM, NULL, 0, {0}},
      {OP_FILL, VM_GAMMA, "initrd", INITRD_MAX, NULL, 0, {0}}},
     -FV_ERANGE,
     "vms/gamma: initrd: kernel and initrd do not fit in memory"},
    {"bootargs of 512 characters",
     {{OP_FILL, VM_ALPHA, "bootargs", 512, NULL, 0, {0}}},
     -FV_ERANGE,
     "vms/alpha: bootargs: longer than 511 characters"},
    /* uart */
    {"uart-base not 256-byte aligned",
     {{OP_U64, VM_ALPHA, "uart-base", 0x20000080, NULL, 0, {0}}},
     -FV_EINVAL,
     "vms/alpha: uart-base: must be a 256-byte aligned address"},
    {"uart-base 2 bytes",
     {{OP_RAW, VM_ALPHA, "uart-base", 0, "\0\0", 2, {0}}},
     -FV_EINVAL,
     "vms/alpha: uart-base: must be a 256-byte aligned address"},
    /* UART over RAM and other overlaps: guest_layout_check_vm() (test_guest_layout.c). */
    /* host */
    {"console-focus names no VM",
     {{OP_STR, HOST, "console-focus", 0, "nobody", 0, {0}}},
     -FV_ENOENT,
     "host: console-focus: names no configured VM"},
    {"console-focus of 32 characters",
     {{OP_FILL, HOST, "console-focus", 32, NULL, 0, {0}}},
     -FV_EINVAL,
     "host: console-focus: name too long"},
    {"time-slice-us 99",
     {{OP_U32, HOST, "time-slice-us", 99, NULL, 0, {0}}},
     -FV_ERANGE,
     "host: time-slice-us: must be between 100 and 1000000"},
    {"time-slice-us 1000001",
     {{OP_U32, HOST, "time-slice-us", 1000001, NULL, 0, {0}}},
     -FV_ERANGE,
     "host: time-slice-us: must be between 100 and 1000000"},
    {"time-slice-us 8 bytes",
     {{OP_U64, HOST, "time-slice-us", 2000, NULL, 0, {0}}},
     -FV_EINVAL,
     "host: time-slice-us: must be a 32-bit number"},
    {"dump-slot 8 (past the last virtio-mmio slot)",
     {{OP_U32, HOST, "dump-slot", 8, NULL, 0, {0}}},
     -FV_ERANGE,
     "host: dump-slot: not a virtio-mmio slot"},
    {"dump-slot 8 bytes",
     {{OP_U64, HOST, "dump-slot", 7, NULL, 0, {0}}},
     -FV_EINVAL,
     "host: dump-slot: must be a 32-bit number"},
    /* switches */
    {"switch name with a capital letter",
     {{OP_NODE_NAME, SW(0), NULL, 0, "Lan0", 0, {0}}},
     -FV_EINVAL,
     "host/switches/Lan0: name: " SW_NAME_MSG},
    {"switch name with a unit address",
     {{OP_NODE_NAME, SW(0), NULL, 0, "lan@1", 0, {0}}},
     -FV_EINVAL,
     "host/switches/lan@1: name: " SW_NAME_MSG},
    {"switch name of 16 characters",
     {{OP_NODE_NAME, SW(1), NULL, 0, "abcdefghijklmnop", 0, {0}}},
     -FV_EINVAL,
     "host/switches/abcdefghijklmnop: name: " SW_NAME_MSG},
    {"switch declared twice",
     {{OP_NODE_NAME, SW(1), NULL, 0, "lan0", 0, {0}}},
     -FV_EEXIST,
     "host/switches/lan0: name: declared twice"},
    {"5 switches declared",
     {{OP_NSW, 0, NULL, 5, NULL, 0, {0}}},
     -FV_ERANGE,
     "host/switches: count: more than 4 switches"},
    {"switch made by a NIC is the 5th",
     {{OP_NSW, 0, NULL, 4, NULL, 0, {0}}},
     -FV_ERANGE,
     "vms/alpha: virtio-net-switch: more than 4 switches"},
    {"uplink-slot 8",
     {{OP_U32, SW(0), "uplink-slot", 8, NULL, 0, {0}}},
     -FV_ERANGE,
     "host/switches/lan0: uplink-slot: must be between 0 and 7"},
    {"uplink-slot 8 bytes",
     {{OP_U64, SW(0), "uplink-slot", 5, NULL, 0, {0}}},
     -FV_EINVAL,
     "host/switches/lan0: uplink-slot: must be a 32-bit number"},
    {"two switches on one uplink slot",
     {{OP_U32, SW(1), "uplink-slot", 5, NULL, 0, {0}}},
     -FV_EEXIST,
     "host/switches/dmz_2-x: uplink-slot: physical slot 5 is already the uplink of switch "
     "lan0"},
    /* disks */
    {"disk on the uplink's slot",
     {{OP_CELLS, VM_ALPHA, "virtio-blk-slots", 0, NULL, 2, {0, 5}}},
     -FV_EEXIST,
     "vms/alpha: virtio-blk-slots: physical slot 5 is already the uplink of switch lan0"},
    {"two disks of one VM on one slot",
     {{OP_CELLS, VM_ALPHA, "virtio-blk-slots", 0, NULL, 2, {1, 1}}},
     -FV_EEXIST,
     "vms/alpha: virtio-blk-slots: physical slot 1 is already a disk of VM alpha"},
    {"disks of two VMs on one slot",
     {{OP_CELLS, VM_BETA, "virtio-blk-slots", 0, NULL, 1, {0}}},
     -FV_EEXIST,
     "vms/beta: virtio-blk-slots: physical slot 0 is already a disk of VM alpha"},
    {"disk slot 8",
     {{OP_CELLS, VM_ALPHA, "virtio-blk-slots", 0, NULL, 2, {0, 8}}},
     -FV_ERANGE,
     "vms/alpha: virtio-blk-slots: slots must be between 0 and 7"},
    {"virtio-blk-slots 5 bytes",
     {{OP_RAW, VM_ALPHA, "virtio-blk-slots", 0, "\0\0\0\1\0", 5, {0}}},
     -FV_EINVAL,
     "vms/alpha: virtio-blk-slots: must list 1-8 physical slots, one per disk"},
    {"virtio-blk-slots empty",
     {{OP_FLAG, VM_ALPHA, "virtio-blk-slots", 0, NULL, 0, {0}}},
     -FV_EINVAL,
     "vms/alpha: virtio-blk-slots: must list 1-8 physical slots, one per disk"},
    {"9 disks",
     {{OP_CELLS, VM_GAMMA, "virtio-blk-slots", 0, NULL, 9, {2, 3, 4, 6, 7, 0, 1, 2, 3}}},
     -FV_EINVAL,
     "vms/gamma: virtio-blk-slots: must list 1-8 physical slots, one per disk"},
    /* disk slices */
    {"slices without disks",
     {{OP_U64S, VM_GAMMA, "virtio-blk-slices", 0, NULL, 2, {0, 8}}},
     -FV_EINVAL,
     "vms/gamma: virtio-blk-slices: " SLICES_MSG},
    {"one slice for two disks",
     {{OP_U64S, VM_ALPHA, "virtio-blk-slices", 0, NULL, 2, {0, 8}}},
     -FV_EINVAL,
     "vms/alpha: virtio-blk-slices: " SLICES_MSG},
    {"three slices for two disks",
     {{OP_U64S, VM_ALPHA, "virtio-blk-slices", 0, NULL, 6, {0, 8, 0, 8, 0, 8}}},
     -FV_EINVAL,
     "vms/alpha: virtio-blk-slices: " SLICES_MSG},
    {"slices in 32-bit cells",
     {{OP_CELLS, VM_BETA, "virtio-blk-slices", 0, NULL, 2, {0, 8}}},
     -FV_EINVAL,
     "vms/beta: virtio-blk-slices: " SLICES_MSG},
    {"slices empty",
     {{OP_FLAG, VM_BETA, "virtio-blk-slices", 0, NULL, 0, {0}}},
     -FV_EINVAL,
     "vms/beta: virtio-blk-slices: " SLICES_MSG},
    {"slice start + count overflows 64 bits",
     {{OP_RAW,
       VM_BETA,
       "virtio-blk-slices",
       0,
       "\xff\xff\xff\xff\xff\xff\xff\xfe\x00\x00\x00\x00\x00\x00\x00\x05",
       16,
       {0}}},
     -FV_ERANGE,
     "vms/beta: virtio-blk-slices: disk 0: slice must end below sector 2^55"},
    {"slice count 2^64 - 1",
     {{OP_RAW,
       VM_BETA,
       "virtio-blk-slices",
       0,
       "\x00\x00\x00\x00\x00\x00\x00\x01\xff\xff\xff\xff\xff\xff\xff\xff",
       16,
       {0}}},
     -FV_ERANGE,
     "vms/beta: virtio-blk-slices: disk 0: slice must end below sector 2^55"},
    {"open-ended slice from sector 2^55",
     {{OP_RAW,
       VM_BETA,
       "virtio-blk-slices",
       0,
       "\x00\x80\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00",
       16,
       {0}}},
     -FV_ERANGE,
     "vms/beta: virtio-blk-slices: disk 0: slice must end below sector 2^55"},
    {"slice one sector past 2^55",
     {{OP_RAW,
       VM_ALPHA,
       "virtio-blk-slices",
       0,
       "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x08"
       "\x00\x7f\xff\xff\xff\xff\xff\xf8\x00\x00\x00\x00\x00\x00\x00\x09",
       32,
       {0}}},
     -FV_ERANGE,
     "vms/alpha: virtio-blk-slices: disk 1: slice must end below sector 2^55"},
    {"slices of two VMs overlap by one sector",
     {{OP_U64S, VM_ALPHA, "virtio-blk-slices", 0, NULL, 4, {0, 100, 0, 0}},
      {OP_CELLS, VM_BETA, "virtio-blk-slots", 0, NULL, 1, {0}},
      {OP_U64S, VM_BETA, "virtio-blk-slices", 0, NULL, 2, {99, 10}}},
     -FV_EEXIST,
     "vms/beta: virtio-blk-slices: disk 0 (sectors 99-108) overlaps disk 0 of VM alpha "
     "(sectors 0-99) on slot 0"},
    {"slice inside an open-ended slice",
     {{OP_U64S, VM_ALPHA, "virtio-blk-slices", 0, NULL, 4, {50, 0, 0, 0}},
      {OP_CELLS, VM_BETA, "virtio-blk-slots", 0, NULL, 1, {0}},
      {OP_U64S, VM_BETA, "virtio-blk-slices", 0, NULL, 2, {1000000, 1}}},
     -FV_EEXIST,
     "vms/beta: virtio-blk-slices: disk 0 (sector 1000000) overlaps disk 0 of VM alpha "
     "(sectors 50-end) on slot 0"},
    {"open-ended slice over a later slice",
     {{OP_U64S, VM_ALPHA, "virtio-blk-slices", 0, NULL, 4, {0, 100, 0, 0}},
      {OP_CELLS, VM_BETA, "virtio-blk-slots", 0, NULL, 1, {0}},
      {OP_U64S, VM_BETA, "virtio-blk-slices", 0, NULL, 2, {5, 0}}},
     -FV_EEXIST,
     "vms/beta: virtio-blk-slices: disk 0 (sectors 5-end) overlaps disk 0 of VM alpha "
     "(sectors 0-99) on slot 0"},
    {"slice of a disk another VM has whole",
     {{OP_CELLS, VM_BETA, "virtio-blk-slots", 0, NULL, 1, {0}},
      {OP_U64S, VM_BETA, "virtio-blk-slices", 0, NULL, 2, {100, 10}}},
     -FV_EEXIST,
     "vms/beta: virtio-blk-slices: disk 0 (sectors 100-109) overlaps disk 0 of VM alpha "
     "(whole disk) on slot 0"},
    {"whole disk of which another VM has a slice",
     {{OP_U64S, VM_ALPHA, "virtio-blk-slices", 0, NULL, 4, {0, 100, 0, 0}},
      {OP_CELLS, VM_BETA, "virtio-blk-slots", 0, NULL, 1, {0}}},
     -FV_EEXIST,
     "vms/beta: virtio-blk-slots: disk 0 (whole disk) overlaps disk 0 of VM alpha (sectors "
     "0-99) on slot 0"},
    {"slice (0, 0) is the whole disk",
     {{OP_U64S, VM_ALPHA, "virtio-blk-slices", 0, NULL, 4, {0, 100, 0, 0}},
      {OP_CELLS, VM_BETA, "virtio-blk-slots", 0, NULL, 1, {1}},
      {OP_U64S, VM_BETA, "virtio-blk-slices", 0, NULL, 2, {0, 0}}},
     -FV_EEXIST,
     "vms/beta: virtio-blk-slots: physical slot 1 is already a disk of VM alpha"},
    {"two slices of one VM overlap",
     {{OP_CELLS, VM_ALPHA, "virtio-blk-slots", 0, NULL, 2, {0, 0}},
      {OP_U64S, VM_ALPHA, "virtio-blk-slices", 0, NULL, 4, {0, 10, 9, 1}}},
     -FV_EEXIST,
     "vms/alpha: virtio-blk-slices: disk 1 (sector 9) overlaps disk 0 of VM alpha (sectors "
     "0-9) on slot 0"},
    {"slice on the uplink's slot",
     {{OP_CELLS, VM_ALPHA, "virtio-blk-slots", 0, NULL, 2, {0, 5}},
      {OP_U64S, VM_ALPHA, "virtio-blk-slices", 0, NULL, 4, {0, 10, 10, 10}}},
     -FV_EEXIST,
     "vms/alpha: virtio-blk-slots: physical slot 5 is already the uplink of switch lan0"},
    /* NICs */
    {"virtio-net-switch not terminated",
     {{OP_RAW, VM_ALPHA, "virtio-net-switch", 0, "lan0", 4, {0}}},
     -FV_EINVAL,
     "vms/alpha: virtio-net-switch: must be a list of switch names, one per NIC"},
    {"virtio-net-switch empty",
     {{OP_FLAG, VM_ALPHA, "virtio-net-switch", 0, NULL, 0, {0}}},
     -FV_EINVAL,
     "vms/alpha: virtio-net-switch: must be a list of switch names, one per NIC"},
    {"virtio-net-switch with an empty name",
     {{OP_RAW, VM_BETA, "virtio-net-switch", 0, "lan0\0", 6, {0}}},
     -FV_EINVAL,
     "vms/beta: virtio-net-switch: switch names must be 1-15 characters of a-z, 0-9, '-', "
     "'_'"},
    {"virtio-net-switch with a bad name",
     {{OP_STR, VM_BETA, "virtio-net-switch", 0, "lan 0", 0, {0}}},
     -FV_EINVAL,
     "vms/beta: virtio-net-switch: switch names must be 1-15 characters of a-z, 0-9, '-', "
     "'_'"},
    {"9 virtio devices: 7 disks and 2 NICs",
     {{OP_DEL, VM_BETA, "virtio-blk-slots", 0, NULL, 0, {0}},
      {OP_CELLS, VM_ALPHA, "virtio-blk-slots", 0, NULL, 7, {0, 1, 2, 3, 4, 6, 7}}},
     -FV_ERANGE,
     "vms/alpha: virtio-net-switch: more than 8 virtio devices (disks, NICs and console)"},
    {"9 virtio devices: 6 disks, 2 NICs and the console",
     {{OP_DEL, VM_BETA, "virtio-blk-slots", 0, NULL, 0, {0}},
      {OP_CELLS, VM_ALPHA, "virtio-blk-slots", 0, NULL, 6, {0, 1, 2, 3, 4, 6}}},
     -FV_ERANGE,
     "vms/alpha: virtio-console: more than 8 virtio devices (disks, NICs and console)"},
    /* role */
    {"role with an unknown value",
     {{OP_STR, VM_GAMMA, "role", 0, "admin", 0, {0}}},
     -FV_EINVAL,
     "vms/gamma: role: must be \"service\" or \"guest\""},
    {"two service VMs",
     {{OP_STR, VM_BETA, "role", 0, "service", 0, {0}},
      {OP_STR, VM_GAMMA, "role", 0, "service", 0, {0}}},
     -FV_EEXIST,
     "vms/gamma: role: a service VM is already configured"},
    {"service VM with 8 virtio devices already",
     {{OP_DEL, VM_BETA, "virtio-blk-slots", 0, NULL, 0, {0}},
      {OP_CELLS, VM_ALPHA, "virtio-blk-slots", 0, NULL, 5, {0, 1, 2, 3, 4}},
      {OP_STR, VM_ALPHA, "role", 0, "service", 0, {0}}},
     -FV_ERANGE,
     "vms/alpha: role: the control channel would be a 9th virtio device"},
    /* MACs */
    {"virtio-net-mac for one NIC of two",
     {{OP_RAW, VM_ALPHA, "virtio-net-mac", 0, "\x52\x54\x00\x12\x34\x56", 6, {0}}},
     -FV_EINVAL,
     "vms/alpha: virtio-net-mac: must hold 6 bytes per NIC of virtio-net-switch"},
    {"virtio-net-mac without NICs",
     {{OP_RAW, VM_GAMMA, "virtio-net-mac", 0, "\x52\x54\x00\x12\x34\x56", 6, {0}}},
     -FV_EINVAL,
     "vms/gamma: virtio-net-mac: must hold 6 bytes per NIC of virtio-net-switch"},
    {"multicast MAC",
     {{OP_RAW, VM_BETA, "virtio-net-mac", 0, "\x01\x00\x5e\x00\x00\x01", 6, {0}}},
     -FV_EINVAL,
     "vms/beta: virtio-net-mac: MACs must be unicast and not all zero"},
    {"all-zero MAC",
     {{OP_RAW, VM_BETA, "virtio-net-mac", 0, "\0\0\0\0\0\0", 6, {0}}},
     -FV_EINVAL,
     "vms/beta: virtio-net-mac: MACs must be unicast and not all zero"},
    {"one MAC twice in a VM",
     {{OP_RAW,
       VM_ALPHA,
       "virtio-net-mac",
       0,
       "\x52\x54\x00\x12\x34\x56\x52\x54\x00\x12\x34\x56",
       12,
       {0}}},
     -FV_EEXIST,
     "vms/alpha: virtio-net-mac: 52:54:00:12:34:56 is already used by VM alpha"},
    {"one MAC in two VMs",
     {{OP_RAW, VM_BETA, "virtio-net-mac", 0, "\x52\x54\x00\x12\x34\x56", 6, {0}}},
     -FV_EEXIST,
     "vms/beta: virtio-net-mac: 52:54:00:12:34:56 is already used by VM alpha"},
    {"a default MAC given to another VM",
     {{OP_RAW,
       VM_ALPHA,
       "virtio-net-mac",
       0,
       "\x52\x54\x00\x12\x34\x56\x02\x46\x56\x00\x01\x00",
       12,
       {0}}},
     -FV_EEXIST,
     "vms/beta: virtio-net-mac: default MAC 02:46:56:00:01:00 is already used by VM alpha"},
};

static uint8_t *build_edited(const struct edit *edits, size_t nedits, size_t *size)
{
	struct spec *s = malloc(sizeof(*s));
	assert_non_null(s);
	good_spec(s);
	for (size_t i = 0; i < nedits; i++)
		apply(s, &edits[i]);
	uint8_t *blob = build(s, size);
	free(s);
	return blob;
}

static void test_bad_variants(void **state)
{
	(void)state;
	struct hyp_config *c = malloc(sizeof(*c));
	assert_non_null(c);
	int failures = 0;

	for (size_t i = 0; i < ARRAY_SIZE(bad_cases); i++) {
		const struct bad_case *bc = &bad_cases[i];
		size_t size;
		uint8_t *blob = build_edited(bc->e, ARRAY_SIZE(bc->e), &size);
		char err[256];
		int rc = config_parse(blob, size, c, err, sizeof(err));
		if (rc != bc->rc || strcmp(err, bc->msg) != 0) {
			print_error("case \"%s\":\n  got      %d \"%s\"\n  expected %d \"%s\"\n",
			            bc->what, rc, err, bc->rc, bc->msg);
			failures++;
		}
		free(blob);
	}
	free(c);
	assert_int_equal(failures, 0);
}

/* ---- boundary variants that must be accepted ---- */

struct good_case {
	const char *what;
	struct edit e[3];
	void (*check)(const struct hyp_config *c);
};

static void check_service_role(const struct hyp_config *c)
{
	for (unsigned i = 0; i < c->nr_vms; i++)
		assert_int_equal(c->vms[i].service, strcmp(c->vms[i].name, "gamma") == 0);
}

static void check_eight_vms(const struct hyp_config *c)
{
	assert_int_equal(c->nr_vms, 8);
	assert_string_equal(c->vms[7].name, "extra7");
}

static void check_name31(const struct hyp_config *c)
{
	assert_string_equal(c->vms[0].name, "abcdefghijklmnopqrstuvwxyz01234");
}

static void check_base_top(const struct hyp_config *c)
{
	assert_int_equal(c->vms[0].mem_base, (1ULL << 41) - 64 * MIB);
}

static void check_weight1(const struct hyp_config *c)
{
	assert_int_equal(c->vms[0].weight, 1);
}

static void check_weight_max(const struct hyp_config *c)
{
	assert_int_equal(c->vms[0].weight, 65535);
}

static void check_kernel_at_end(const struct hyp_config *c)
{
	assert_int_equal(c->vms[2].kernel_offset, 4 * MIB - 4);
	assert_int_equal(c->vms[2].kernel_size, 4);
}

static void check_initrd_exact(const struct hyp_config *c)
{
	assert_int_equal(c->vms[2].initrd_size, INITRD_MAX);
}

static void check_args511(const struct hyp_config *c)
{
	assert_int_equal(strlen(c->vms[0].bootargs), 511);
	assert_int_equal(c->vms[0].bootargs[0], 'x');
}

static void check_uart_below(const struct hyp_config *c)
{
	assert_int_equal(c->vms[0].uart_base, 0x100000000ULL - 0x100);
}

static void check_uart_above(const struct hyp_config *c)
{
	assert_int_equal(c->vms[0].uart_base, 0x100000000ULL + 64 * MIB);
}

static void check_no_uart(const struct hyp_config *c)
{
	assert_false(c->vms[0].has_uart);
	assert_int_equal(c->vms[0].uart_base, 0x100000000ULL);
}

static void check_template(const struct hyp_config *c)
{
	assert_false(c->vms[VM_ALPHA].is_template);
	assert_true(c->vms[VM_BETA].is_template);
}

/* Images streamed separately: only their sizes in the blob, no bytes. */
static void check_staged_kernel(const struct hyp_config *c)
{
	assert_null(c->vms[VM_ALPHA].kernel);
	assert_int_equal(c->vms[VM_ALPHA].kernel_size, 40 * MIB);
	assert_null(c->vms[VM_ALPHA].initrd);
	assert_int_equal(c->vms[VM_ALPHA].initrd_size, 0);
}

static void check_staged_initrd(const struct hyp_config *c)
{
	assert_non_null(c->vms[VM_ALPHA].kernel);
	assert_null(c->vms[VM_ALPHA].initrd);
	assert_int_equal(c->vms[VM_ALPHA].initrd_size, 5000);
}

static void check_slice_min(const struct hyp_config *c)
{
	assert_int_equal(c->slice_us, 100);
}

static void check_slice_max(const struct hyp_config *c)
{
	assert_int_equal(c->slice_us, 1000000);
}

static void check_pin_any(const struct hyp_config *c)
{
	assert_int_equal(c->vms[1].affinity, 0);
	assert_int_equal(c->vms[1].vcpu_pin[0], 63);
}

static void check_no_focus(const struct hyp_config *c)
{
	assert_string_equal(c->focus, "");
}

static void check_vcpus_default(const struct hyp_config *c)
{
	assert_int_equal(c->vms[0].vcpus, 1);
	assert_int_equal(c->vms[0].vcpu_pin[0], -1);
}

static void check_eight_virtio(const struct hyp_config *c)
{
	assert_int_equal(c->vms[0].nr_disks, 6);
	assert_int_equal(c->vms[0].nr_nics, 2);
	assert_false(c->vms[0].virtio_console);
}

static void check_four_switches(const struct hyp_config *c)
{
	assert_int_equal(c->nr_switches, 4);
	assert_string_equal(c->switches[2].name, "sw2");
	assert_string_equal(c->switches[3].name, "wan");
	assert_int_equal(c->vms[0].nic_switch[1], 3);
}

static void check_switch_name15(const struct hyp_config *c)
{
	assert_string_equal(c->switches[1].name, "abcdefghijklmno");
}

static void check_gamma_nic(const struct hyp_config *c)
{
	const struct vm_config *g = &c->vms[2];
	assert_int_equal(g->nr_nics, 2);
	assert_int_equal(g->nic_switch[0], 1);
	assert_int_equal(g->nic_switch[1], 1);
	assert_memory_equal(g->nic_mac[0], "\x02\x46\x56\x00\x02\x00", 6);
	assert_memory_equal(g->nic_mac[1], "\x02\x46\x56\x00\x02\x01", 6);
	assert_int_equal(g->disk_slot[0], 7);
	assert_true(g->virtio_console);
}

static void check_uplink_slot7(const struct hyp_config *c)
{
	assert_int_equal(c->switches[1].uplink_slot, 7);
}

/* alpha: slot 0 sectors 0-999 and slot 1 whole; beta: slot 0 from sector 1000 to the end. */
static void check_shared_slot(const struct hyp_config *c)
{
	const struct vm_config *a = &c->vms[VM_ALPHA], *b = &c->vms[VM_BETA];
	assert_int_equal(a->disk_slot[0], 0);
	assert_int_equal(a->disk_start[0], 0);
	assert_int_equal(a->disk_sectors[0], 1000);
	assert_int_equal(a->disk_slot[1], 1);
	assert_int_equal(a->disk_start[1], 0);
	assert_int_equal(a->disk_sectors[1], 0);
	assert_int_equal(b->nr_disks, 1);
	assert_int_equal(b->disk_slot[0], 0);
	assert_int_equal(b->disk_start[0], 1000);
	assert_int_equal(b->disk_sectors[0], 0);
}

static void check_one_vm_two_slices(const struct hyp_config *c)
{
	const struct vm_config *a = &c->vms[VM_ALPHA];
	assert_int_equal(a->nr_disks, 2);
	assert_int_equal(a->disk_slot[0], 3);
	assert_int_equal(a->disk_slot[1], 3);
	assert_int_equal(a->disk_start[0], 8);
	assert_int_equal(a->disk_sectors[0], 8);
	assert_int_equal(a->disk_start[1], 0);
	assert_int_equal(a->disk_sectors[1], 8);
	assert_int_equal(c->vms[VM_BETA].disk_sectors[0], 0); /* no slices: whole disk */
}

static void check_slice_limit(const struct hyp_config *c)
{
	const struct vm_config *a = &c->vms[VM_ALPHA];
	assert_int_equal(a->disk_start[0], CFG_SECTOR_LIMIT - 8);
	assert_int_equal(a->disk_sectors[0], 8);
	assert_int_equal(a->disk_start[1], CFG_SECTOR_LIMIT - 1);
	assert_int_equal(a->disk_sectors[1], 0);
}

static const struct good_case good_cases[] = {
    {"template flag", {{OP_FLAG, VM_BETA, "template", 0, NULL, 0, {0}}}, check_template},
    {"kernel-size instead of kernel bytes",
     {{OP_DEL, VM_ALPHA, "kernel", 0, NULL, 0, {0}},
      {OP_U64, VM_ALPHA, "kernel-size", 40 * MIB, NULL, 0, {0}},
      {OP_DEL, VM_ALPHA, "initrd", 0, NULL, 0, {0}}},
     check_staged_kernel},
    {"initrd-size instead of initrd bytes",
     {{OP_DEL, VM_ALPHA, "initrd", 0, NULL, 0, {0}},
      {OP_U64, VM_ALPHA, "initrd-size", 5000, NULL, 0, {0}}},
     check_staged_initrd},
    {"role: service on one VM, guest on another",
     {{OP_STR, VM_GAMMA, "role", 0, "service", 0, {0}},
      {OP_STR, VM_BETA, "role", 0, "guest", 0, {0}}},
     check_service_role},
    {"8 virtio devices: 6 disks and 2 NICs",
     {{OP_DEL, VM_BETA, "virtio-blk-slots", 0, NULL, 0, {0}},
      {OP_CELLS, VM_ALPHA, "virtio-blk-slots", 0, NULL, 6, {0, 1, 2, 3, 4, 6}},
      {OP_DEL, VM_ALPHA, "virtio-console", 0, NULL, 0, {0}}},
     check_eight_virtio},
    {"4 switches, the last one made by a NIC",
     {{OP_NSW, 0, NULL, 3, NULL, 0, {0}}},
     check_four_switches},
    {"switch name of 15 characters",
     {{OP_NODE_NAME, SW(1), NULL, 0, "abcdefghijklmno", 0, {0}}},
     check_switch_name15},
    {"default MACs of VM 2, two NICs on a switch without uplink",
     {{OP_RAW, VM_GAMMA, "virtio-net-switch", 0, "dmz_2-x\0dmz_2-x", 16, {0}},
      {OP_CELLS, VM_GAMMA, "virtio-blk-slots", 0, NULL, 1, {7}},
      {OP_FLAG, VM_GAMMA, "virtio-console", 0, NULL, 0, {0}}},
     check_gamma_nic},
    {"uplink on slot 7", {{OP_U32, SW(1), "uplink-slot", 7, NULL, 0, {0}}}, check_uplink_slot7},
    {"two VMs on slices of one disk, the second to the end",
     {{OP_U64S, VM_ALPHA, "virtio-blk-slices", 0, NULL, 4, {0, 1000, 0, 0}},
      {OP_CELLS, VM_BETA, "virtio-blk-slots", 0, NULL, 1, {0}},
      {OP_U64S, VM_BETA, "virtio-blk-slices", 0, NULL, 2, {1000, 0}}},
     check_shared_slot},
    {"one VM with two adjacent slices of one disk, in reverse order",
     {{OP_CELLS, VM_ALPHA, "virtio-blk-slots", 0, NULL, 2, {3, 3}},
      {OP_U64S, VM_ALPHA, "virtio-blk-slices", 0, NULL, 4, {8, 8, 0, 8}}},
     check_one_vm_two_slices},
    {"slices ending exactly at sector 2^55",
     {{OP_RAW,
       VM_ALPHA,
       "virtio-blk-slices",
       0,
       "\x00\x7f\xff\xff\xff\xff\xff\xf8\x00\x00\x00\x00\x00\x00\x00\x08"
       "\x00\x7f\xff\xff\xff\xff\xff\xff\x00\x00\x00\x00\x00\x00\x00\x00",
       32,
       {0}}},
     check_slice_limit},
    {"exactly 8 VMs", {{OP_NVMS, 0, NULL, 8, NULL, 0, {0}}}, check_eight_vms},
    {"name of 31 characters",
     {{OP_STR, VM_ALPHA, "vm-name", 0, "abcdefghijklmnopqrstuvwxyz01234", 0, {0}}},
     check_name31},
    {"memory ends exactly at 2 TiB",
     {{OP_U64, VM_ALPHA, "memory-base", (1ULL << 41) - 64 * MIB, NULL, 0, {0}}},
     check_base_top},
    {"weight 1", {{OP_U32, VM_ALPHA, "weight", 1, NULL, 0, {0}}}, check_weight1},
    {"weight 65535", {{OP_U32, VM_ALPHA, "weight", 65535, NULL, 0, {0}}}, check_weight_max},
    {"kernel ends exactly at the end of memory",
     {{OP_U64, VM_GAMMA, "kernel-offset", 4 * MIB - 4, NULL, 0, {0}}},
     check_kernel_at_end},
    {"initrd fits exactly with a page of slack",
     {{OP_U64, VM_GAMMA, "kernel-offset", 4 * MIB - INITRD_ROOM, NULL, 0, {0}},
      {OP_FILL, VM_GAMMA, "initrd", INITRD_MAX - 1, NULL, 0, {0}}},
     check_initrd_exact},
    {"bootargs of 511 characters",
     {{OP_FILL, VM_ALPHA, "bootargs", 511, NULL, 0, {0}}},
     check_args511},
    {"uart just below RAM",
     {{OP_U64, VM_ALPHA, "uart-base", 0x100000000ULL - 0x100, NULL, 0, {0}}},
     check_uart_below},
    {"uart just above RAM",
     {{OP_U64, VM_ALPHA, "uart-base", 0x100000000ULL + 64 * MIB, NULL, 0, {0}}},
     check_uart_above},
    {"no-uart: an overlapping uart-base does not matter",
     {{OP_U64, VM_ALPHA, "uart-base", 0x100000000ULL, NULL, 0, {0}},
      {OP_FLAG, VM_ALPHA, "no-uart", 0, NULL, 0, {0}}},
     check_no_uart},
    {"time-slice-us 100", {{OP_U32, HOST, "time-slice-us", 100, NULL, 0, {0}}}, check_slice_min},
    {"time-slice-us 1000000",
     {{OP_U32, HOST, "time-slice-us", 1000000, NULL, 0, {0}}},
     check_slice_max},
    {"vcpu-pin without cpu-affinity may name any CPU",
     {{OP_CELLS, VM_BETA, "vcpu-pin", 0, NULL, 1, {63}}},
     check_pin_any},
    {"host node without console-focus",
     {{OP_DEL, HOST, "console-focus", 0, NULL, 0, {0}}},
     check_no_focus},
    {"vcpus absent means 1",
     {{OP_DEL, VM_ALPHA, "vcpus", 0, NULL, 0, {0}},
      {OP_DEL, VM_ALPHA, "vcpu-pin", 0, NULL, 0, {0}}},
     check_vcpus_default},
};

static void test_good_variants(void **state)
{
	(void)state;
	struct hyp_config *c = malloc(sizeof(*c));
	assert_non_null(c);

	for (size_t i = 0; i < ARRAY_SIZE(good_cases); i++) {
		const struct good_case *gc = &good_cases[i];
		size_t size;
		uint8_t *blob = build_edited(gc->e, ARRAY_SIZE(gc->e), &size);
		char err[256];
		int rc = config_parse(blob, size, c, err, sizeof(err));
		if (rc != 0)
			fail_msg("case \"%s\": got %d \"%s\", expected success", gc->what, rc, err);
		assert_string_equal(err, "");
		gc->check(c);
		free(blob);
	}
	free(c);
}

/* ---- error buffer handling and blob-level errors ---- */

static void test_error_buffer(void **state)
{
	(void)state;
	struct hyp_config *c = malloc(sizeof(*c));
	assert_non_null(c);
	const struct edit e = {OP_U32, VM_ALPHA, "vcpus", 0, NULL, 0, {0}};
	size_t size;
	uint8_t *blob = build_edited(&e, 1, &size);

	/* No buffer at all: only the return code. */
	assert_int_equal(config_parse(blob, size, c, NULL, 0), -FV_ERANGE);
	/* A short buffer is truncated and still terminated. */
	char small[9];
	memset(small, 'Z', sizeof(small));
	assert_int_equal(config_parse(blob, size, c, small, 8), -FV_ERANGE);
	assert_string_equal(small, "vms/alp");
	assert_int_equal(small[8], 'Z');
	/* errlen 0 leaves the buffer untouched. */
	char untouched[4] = "abc";
	assert_int_equal(config_parse(blob, size, c, untouched, 0), -FV_ERANGE);
	assert_string_equal(untouched, "abc");
	free(blob);
	free(c);
}

static void test_bad_blob(void **state)
{
	(void)state;
	struct hyp_config *c = malloc(sizeof(*c));
	assert_non_null(c);
	char err[128];
	struct spec *s = malloc(sizeof(*s));
	assert_non_null(s);
	good_spec(s);
	size_t size;
	uint8_t *blob = build(s, &size);

	/* Too small for the header it claims. */
	assert_int_equal(config_parse(blob, size - 1, c, err, sizeof(err)), -FV_EINVAL);
	assert_string_equal(err, "/: blob: not a valid flattened device tree");
	assert_int_equal(config_parse(blob, 0, c, err, sizeof(err)), -FV_EINVAL);
	assert_string_equal(err, "/: blob: not a valid flattened device tree");
	/* Bad magic. */
	blob[0] ^= 0xff;
	assert_int_equal(config_parse(blob, size, c, err, sizeof(err)), -FV_EINVAL);
	assert_string_equal(err, "/: blob: not a valid flattened device tree");
	/* Output is reset even on failure. */
	assert_int_equal(c->nr_vms, 0);
	assert_int_equal(c->slice_us, 4000);
	free(blob);
	free(s);
	free(c);
}

/* ---- config_parse_size ---- */

static void test_parse_size(void **state)
{
	(void)state;
	static const struct {
		const char *s;
		int rc;
		uint64_t v;
	} cases[] = {
	    {"64M", 0, 64ULL << 20},
	    {"64m", 0, 64ULL << 20},
	    {"64MB", 0, 64ULL << 20},
	    {"512MiB", 0, 512ULL << 20},
	    {"1G", 0, 1ULL << 30},
	    {"1g", 0, 1ULL << 30},
	    {"2T", 0, 2ULL << 40},
	    {"1KB", 0, 1024},
	    {"1k", 0, 1024},
	    {"4096", 0, 4096},
	    {"0", 0, 0},
	    {"007", 0, 7},
	    {"18446744073709551615", 0, UINT64_MAX},
	    {"16777215T", 0, 16777215ULL << 40},
	    {"1Q", -FV_EINVAL, 0},
	    {"", -FV_EINVAL, 0},
	    {"M", -FV_EINVAL, 0},
	    {" 1M", -FV_EINVAL, 0},
	    {"1 M", -FV_EINVAL, 0},
	    {"-1", -FV_EINVAL, 0},
	    {"+1", -FV_EINVAL, 0},
	    {"1MiBx", -FV_EINVAL, 0},
	    {"1MBB", -FV_EINVAL, 0},
	    {"1B", -FV_EINVAL, 0},
	    {"0x10", -FV_EINVAL, 0},
	    {"99999999999T", -FV_ERANGE, 0},
	    {"16777216T", -FV_ERANGE, 0},
	    {"18446744073709551616", -FV_ERANGE, 0},
	    {"99999999999999999999999", -FV_ERANGE, 0},
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		uint64_t v = 0x5a5a5a5a5a5a5a5aULL;
		int rc = config_parse_size(cases[i].s, &v);
		if (rc != cases[i].rc)
			fail_msg("\"%s\": rc %d, expected %d", cases[i].s, rc, cases[i].rc);
		if (rc == 0)
			assert_int_equal(v, cases[i].v);
		else
			assert_int_equal(v, 0x5a5a5a5a5a5a5a5aULL); /* untouched on error */
	}
	uint64_t v;
	assert_int_equal(config_parse_size(NULL, &v), -FV_EINVAL);
}

/* ---- hostile blobs ---- */

#define FUZZ_ITERS 100000

static bool is_fv_err(int rc)
{
	return rc <= -FV_EINVAL && rc >= -FV_EIO;
}

/* What must hold for any accepted configuration. */
static void check_sane(const struct hyp_config *c, const uint8_t *blob, size_t size)
{
	assert_true(c->nr_vms >= 1 && c->nr_vms <= CFG_MAX_VMS);
	assert_true(c->slice_us >= 100 && c->slice_us <= 1000000);
	assert_true(memchr(c->focus, 0, sizeof(c->focus)) != NULL);
	assert_true(c->nr_switches <= CFG_MAX_SWITCHES);
	unsigned slots = 0; /* physical slots in use */
	for (unsigned i = 0; i < c->nr_switches; i++) {
		const struct switch_config *sw = &c->switches[i];
		assert_true(sw->name[0] != '\0');
		assert_true(memchr(sw->name, 0, sizeof(sw->name)) != NULL);
		assert_true(sw->uplink_slot >= -1 && sw->uplink_slot < CFG_PHYS_SLOTS);
		if (sw->uplink_slot >= 0) {
			assert_false(slots & (1U << sw->uplink_slot));
			slots |= 1U << sw->uplink_slot;
		}
	}
	for (unsigned i = 0; i < c->nr_vms; i++) {
		const struct vm_config *vm = &c->vms[i];
		assert_true(memchr(vm->name, 0, sizeof(vm->name)) != NULL);
		assert_true(vm->name[0] != '\0');
		assert_true(vm->vcpus >= 1 && vm->vcpus <= VM_MAX_VCPUS);
		assert_true(vm->mem_size && vm->mem_size % (2 * MIB) == 0);
		assert_true(vm->mem_base + vm->mem_size <= (1ULL << 41));
		assert_true(vm->kernel_size > 0);
		assert_true(points_into(vm->kernel, vm->kernel_size, blob, size));
		assert_true(vm->kernel_offset + vm->kernel_size <= vm->mem_size);
		if (vm->initrd)
			assert_true(points_into(vm->initrd, vm->initrd_size, blob, size));
		assert_true(memchr(vm->bootargs, 0, sizeof(vm->bootargs)) != NULL);
		for (unsigned j = 0; j < VM_MAX_VCPUS; j++)
			assert_true(vm->vcpu_pin[j] >= -1 && vm->vcpu_pin[j] <= 63);
		assert_true(vm->nr_disks + vm->nr_nics + vm->virtio_console <= CFG_MAX_VIRTIO);
		for (unsigned k = 0; k < vm->nr_disks; k++) {
			assert_true(vm->disk_slot[k] < CFG_PHYS_SLOTS);
			assert_false(slots & (1U << vm->disk_slot[k])); /* not an uplink's */
			assert_true(vm->disk_start[k] < CFG_SECTOR_LIMIT);
			assert_true(vm->disk_sectors[k] <= CFG_SECTOR_LIMIT - vm->disk_start[k]);
			/* Disks on one slot: non-overlapping slices (a whole disk overlaps all). */
			for (unsigned w = 0; w <= i; w++) {
				const struct vm_config *o = &c->vms[w];
				for (unsigned j = 0; j < (w < i ? o->nr_disks : k); j++)
					assert_false(o->disk_slot[j] == vm->disk_slot[k] &&
					             config_sectors_overlap(
					                 o->disk_start[j], o->disk_sectors[j],
					                 vm->disk_start[k], vm->disk_sectors[k]));
			}
		}
		for (unsigned k = 0; k < vm->nr_nics; k++) {
			assert_true(vm->nic_switch[k] < c->nr_switches);
			assert_false(vm->nic_mac[k][0] & 1);
			for (unsigned w = 0; w <= i; w++)
				for (unsigned j = 0; j < (w < i ? c->vms[w].nr_nics : k); j++)
					assert_memory_not_equal(c->vms[w].nic_mac[j],
					                        vm->nic_mac[k], 6);
		}
	}
}

static void check_outcome(int rc, const char *err, size_t errlen, const struct hyp_config *c,
                          const uint8_t *blob, size_t size)
{
	if (rc == 0) {
		assert_string_equal(err, "");
		check_sane(c, blob, size);
	} else {
		if (!is_fv_err(rc))
			fail_msg("unexpected return code %d", rc);
		assert_true(err[0] != '\0');
		assert_true(strnlen(err, errlen) < errlen);
	}
}

/* The good configuration with three disks sharing physical slot 3 as slices. */
static const struct edit sliced_edits[] = {
    {OP_CELLS, VM_ALPHA, "virtio-blk-slots", 0, NULL, 2, {3, 3}},
    {OP_U64S, VM_ALPHA, "virtio-blk-slices", 0, NULL, 4, {0, 0x100, 0x200, 0x100}},
    {OP_CELLS, VM_BETA, "virtio-blk-slots", 0, NULL, 1, {3}},
    {OP_U64S, VM_BETA, "virtio-blk-slices", 0, NULL, 2, {0x300, 0}},
};

static void mutate(const uint8_t *good, size_t size, int iters)
{
	uint8_t *b = malloc(size);
	assert_non_null(b);
	struct hyp_config *c = malloc(sizeof(*c));
	assert_non_null(c);
	static const uint8_t interesting[] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x09,
	                                      0x7f, 0x80, 0xfe, 0xff, '@',  '/'};
	unsigned int seed = 20240601;
	unsigned accepted = 0;

	for (int it = 0; it < iters; it++) {
		memcpy(b, good, size);
		int n = 1 + rand_r(&seed) % 6;
		for (int k = 0; k < n; k++) {
			size_t pos = (size_t)rand_r(&seed) % size;
			if (rand_r(&seed) % 4 == 0)
				b[pos] = interesting[(size_t)rand_r(&seed) % sizeof(interesting)];
			else
				b[pos] = (uint8_t)rand_r(&seed);
		}
		/* Sometimes also claim less memory than the blob needs. */
		size_t len = size;
		if (rand_r(&seed) % 16 == 0)
			len = (size_t)rand_r(&seed) % (size + 1);
		char err[96];
		int rc = config_parse(b, len, c, err, sizeof(err));
		check_outcome(rc, err, sizeof(err), c, b, len);
		accepted += rc == 0;
	}
	/* Many mutations hit the image bytes or string padding and stay valid. */
	assert_true(accepted > 0 && accepted < (unsigned)iters);
	free(c);
	free(b);
}

static void test_random_mutations(void **state)
{
	(void)state;
	struct spec *s = malloc(sizeof(*s));
	assert_non_null(s);
	good_spec(s);
	size_t size;
	uint8_t *good = build(s, &size);
	free(s);
	mutate(good, size, FUZZ_ITERS);
	free(good);
	good = build_edited(sliced_edits, ARRAY_SIZE(sliced_edits), &size);
	mutate(good, size, FUZZ_ITERS / 2);
	free(good);
}

/* ---- slice helpers: overlap and resolution against the real disk size ---- */

static void test_slice_helpers(void **state)
{
	(void)state;
	static const struct {
		uint64_t a, an, b, bn;
		bool overlap;
	} ov[] = {
	    {0, 10, 10, 10, false},
	    {0, 10, 9, 1, true},
	    {0, 0, 0, 0, true},                        /* whole and whole */
	    {0, 0, 1000000, 1, true},                  /* whole and any slice */
	    {5, 0, 0, 5, false},                       /* open-ended after a slice */
	    {5, 0, 0, 6, true},                        /* ... that reaches into it */
	    {5, 0, 100, 0, true},                      /* two open-ended slices */
	    {UINT64_MAX, 1, 0, 0, true},               /* far away, still inside "to the end" */
	    {UINT64_MAX - 1, 1, UINT64_MAX, 1, false}, /* no wrap at the top */
	    {UINT64_MAX, UINT64_MAX, 0, UINT64_MAX, false},
	    {1, UINT64_MAX, 0, 2, true},
	};
	for (size_t i = 0; i < ARRAY_SIZE(ov); i++) {
		if (config_sectors_overlap(ov[i].a, ov[i].an, ov[i].b, ov[i].bn) != ov[i].overlap ||
		    config_sectors_overlap(ov[i].b, ov[i].bn, ov[i].a, ov[i].an) != ov[i].overlap)
			fail_msg("overlap case %zu: expected %d", i, ov[i].overlap);
	}
	static const struct {
		uint64_t cap, start, sectors;
		int rc;
		uint64_t out;
	} rs[] = {
	    {131072, 0, 0, 0, 131072},        /* whole disk */
	    {0, 0, 0, 0, 0},                  /* whole of an empty disk */
	    {131072, 0, 32768, 0, 32768},     /* a slice */
	    {131072, 32768, 0, 0, 98304},     /* to the end */
	    {131072, 131071, 0, 0, 1},        /* the last sector, to the end */
	    {131072, 65536, 65536, 0, 65536}, /* up to the last sector */
	    {131072, 65536, 65537, -FV_ENOSPC, 0},
	    {131072, 131072, 0, -FV_ERANGE, 0}, /* starts at the end */
	    {131072, 131072, 1, -FV_ERANGE, 0},
	    {131072, 200000, 8, -FV_ERANGE, 0},
	    {0, 0, 1, -FV_ERANGE, 0}, /* any slice of an empty disk */
	    {UINT64_MAX, 1, UINT64_MAX, -FV_ENOSPC, 0},
	    {UINT64_MAX, UINT64_MAX - 1, 0, 0, 1},
	};
	for (size_t i = 0; i < ARRAY_SIZE(rs); i++) {
		uint64_t n = rs[i].sectors;
		int rc = config_slice_resolve(rs[i].cap, rs[i].start, &n);
		if (rc != rs[i].rc)
			fail_msg("resolve case %zu: rc %d, expected %d", i, rc, rs[i].rc);
		assert_int_equal(n, rc ? rs[i].sectors : rs[i].out);
	}
}

static void test_truncation(void **state)
{
	(void)state;
	struct spec *s = malloc(sizeof(*s));
	assert_non_null(s);
	good_spec(s);
	size_t size;
	uint8_t *good = build(s, &size);
	free(s);
	struct hyp_config *c = malloc(sizeof(*c));
	assert_non_null(c);

	for (size_t len = 0; len < size; len++) {
		uint8_t *b = malloc(len ? len : 1);
		assert_non_null(b);
		memcpy(b, good, len);
		char err[96];
		int rc = config_parse(b, len, c, err, sizeof(err));
		assert_int_equal(rc, -FV_EINVAL);
		assert_string_equal(err, "/: blob: not a valid flattened device tree");
		free(b);
	}
	free(c);
	free(good);
}

static void on_alarm(int sig)
{
	(void)sig;
	static const char msg[] = "test_config: timeout, config_parse does not terminate\n";

	(void)!write(2, msg, sizeof(msg) - 1);
	_exit(1);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_good_config),  cmocka_unit_test(test_host_defaults),
	    cmocka_unit_test(test_bad_variants), cmocka_unit_test(test_good_variants),
	    cmocka_unit_test(test_error_buffer), cmocka_unit_test(test_bad_blob),
	    cmocka_unit_test(test_parse_size),   cmocka_unit_test(test_random_mutations),
	    cmocka_unit_test(test_truncation),   cmocka_unit_test(test_slice_helpers),
	};

	signal(SIGALRM, on_alarm);
	alarm(300);
	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
