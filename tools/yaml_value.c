// SPDX-License-Identifier: MIT
/* Value converters of the YAML configuration loader (contracts in yaml_value.h). */
#include "yaml_value.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scalar.h"

struct src_pos yv_pos(const yaml_node_t *n)
{
	struct src_pos p = {(unsigned)n->start_mark.line + 1, (unsigned)n->start_mark.column + 1};
	return p;
}

const char *yv_kind(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_MAPPING_NODE:
		return "a mapping";
	case YAML_SEQUENCE_NODE:
		return "a list";
	default:
		return "a scalar";
	}
}

yaml_node_t *yv_node(struct yload *y, int id)
{
	return yaml_document_get_node(y->doc, id);
}

/*
 * The text of a scalar node, or NULL after reporting why it is not one
 * (`expected` names what the key wants, e.g. "a number").
 */
const char *yv_scalar(struct yload *y, const char *key, yaml_node_t *n, const char *expected)
{
	if (n->type != YAML_SCALAR_NODE) {
		diag_error(y->d, yv_pos(n), key, "expected %s, not %s", expected, yv_kind(n));
		return NULL;
	}
	const char *s = (const char *)n->data.scalar.value;
	if (strlen(s) != n->data.scalar.length) {
		diag_error(y->d, yv_pos(n), key, "contains a NUL character");
		return NULL;
	}
	return s;
}

bool yv_is_null(const yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	       scalar_is_null((const char *)n->data.scalar.value);
}

static uint64_t *u64_at(void *obj, const struct field *f)
{
	return (uint64_t *)(void *)((char *)obj + f->off);
}

static int check_range(struct yload *y, const struct field *f, const char *key, yaml_node_t *n,
                       uint64_t v, bool size)
{
	char a[32], b[32], c[32];
	if (size) {
		scalar_fmt_size(f->min, a, sizeof(a));
		scalar_fmt_size(f->max, b, sizeof(b));
		scalar_fmt_size(v, c, sizeof(c));
	} else {
		snprintf(a, sizeof(a), "%llu", (unsigned long long)f->min);
		snprintf(b, sizeof(b), "%llu", (unsigned long long)f->max);
		snprintf(c, sizeof(c), "%llu", (unsigned long long)v);
	}
	if (v < f->min || v > f->max)
		return diag_error(y->d, yv_pos(n), key, "must be between %s and %s, not %s", a, b,
		                  c);
	if (f->align && v % f->align) {
		scalar_fmt_size(f->align, a, sizeof(a));
		return diag_error(y->d, yv_pos(n), key, "%s is not a multiple of %s", c, a);
	}
	return 0;
}

int yv_uint(struct yload *y, const struct field *f, const char *key, yaml_node_t *n, void *obj)
{
	const char *s = yv_scalar(y, key, n, "a number");
	if (!s)
		return -1;
	uint64_t v;
	if (scalar_u64(s, &v))
		return diag_error(y->d, yv_pos(n), key, "\"%s\" is not a whole number", s);
	if (check_range(y, f, key, n, v, false))
		return -1;
	*u64_at(obj, f) = v;
	return 0;
}

int yv_size(struct yload *y, const struct field *f, const char *key, yaml_node_t *n, void *obj)
{
	const char *s = yv_scalar(y, key, n, "a size");
	if (!s)
		return -1;
	uint64_t v;
	if (scalar_size(s, &v))
		return diag_error(y->d, yv_pos(n), key, "\"%s\" is not a size (e.g. 512M, 1G)", s);
	if (check_range(y, f, key, n, v, true))
		return -1;
	*u64_at(obj, f) = v;
	return 0;
}

int yv_addr(struct yload *y, const struct field *f, const char *key, yaml_node_t *n, void *obj)
{
	const char *s = yv_scalar(y, key, n, "an address");
	if (!s)
		return -1;
	uint64_t v;
	if (scalar_size(s, &v))
		return diag_error(y->d, yv_pos(n), key,
		                  "\"%s\" is not an address (e.g. 0x80000000 or 2G)", s);
	if (v > f->max)
		return diag_error(y->d, yv_pos(n), key, "0x%llx is above 0x%llx",
		                  (unsigned long long)v, (unsigned long long)f->max);
	if (f->align && v % f->align)
		return diag_error(y->d, yv_pos(n), key, "0x%llx is not a multiple of 0x%llx",
		                  (unsigned long long)v, (unsigned long long)f->align);
	*u64_at(obj, f) = v;
	return 0;
}

int yv_bool(struct yload *y, const struct field *f, const char *key, yaml_node_t *n, void *obj)
{
	const char *s = yv_scalar(y, key, n, "true or false");
	if (!s)
		return -1;
	if (scalar_bool(s, (bool *)(void *)((char *)obj + f->off)))
		return diag_error(y->d, yv_pos(n), key, "\"%s\" is not true or false", s);
	return 0;
}

/* A string stored as a malloc'd char * at f->off; f->max = longest length. */
int yv_string(struct yload *y, const struct field *f, const char *key, yaml_node_t *n, void *obj)
{
	const char *s = yv_scalar(y, key, n, "a string");
	if (!s)
		return -1;
	if (strlen(s) > f->max)
		return diag_error(y->d, yv_pos(n), key, "longer than %llu characters",
		                  (unsigned long long)f->max);
	if (f->min && !*s)
		return diag_error(y->d, yv_pos(n), key, "must not be empty");
	char **dst = (char **)(void *)((char *)obj + f->off);
	free(*dst);
	*dst = strdup(s);
	if (!*dst)
		return diag_error(y->d, yv_pos(n), key, "out of memory");
	return 0;
}

/* Characters of VM and interface names: safe in FDT node names and QEMU options. */
bool yv_name_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == '.';
}

/* Same rule as the hypervisor's name check (hyp/core/config.c). */
int yv_name(struct yload *y, const struct field *f, const char *key, yaml_node_t *n, void *obj)
{
	const char *s = yv_scalar(y, key, n, "a name");
	if (!s)
		return -1;
	size_t len = strlen(s);
	bool ok = len > 0 && len < VM_NAME_MAX && strcmp(s, MODEL_FOCUS_SHELL) != 0;
	for (size_t i = 0; ok && i < len; i++)
		ok = yv_name_char_ok(s[i]);
	if (!ok)
		return diag_error(y->d, yv_pos(n), key,
		                  "\"%s\" is not a valid name (1-31 letters, digits, '-', '_', "
		                  "'.'; not \"hyp\")",
		                  s);
	memcpy((char *)obj + f->off, s, len + 1);
	return 0;
}

int yv_focus(struct yload *y, const struct field *f, const char *key, yaml_node_t *n, void *obj)
{
	const char *s = yv_scalar(y, key, n, "a VM name");
	if (!s)
		return -1;
	if (!*s || strlen(s) >= VM_NAME_MAX)
		return diag_error(y->d, yv_pos(n), key, "\"%s\" is not a VM name", s);
	memcpy((char *)obj + f->off, s, strlen(s) + 1);
	return 0;
}

static int cpu_number(struct yload *y, const char *key, yaml_node_t *n, unsigned *cpu)
{
	const char *s = yv_scalar(y, key, n, "a CPU number");
	if (!s)
		return -1;
	uint64_t v;
	if (scalar_u64(s, &v))
		return diag_error(y->d, yv_pos(n), key, "\"%s\" is not a CPU number", s);
	if (v > MODEL_MAX_CPU_INDEX)
		return diag_error(y->d, yv_pos(n), key, "CPU %llu is above %u",
		                  (unsigned long long)v, MODEL_MAX_CPU_INDEX);
	*cpu = (unsigned)v;
	return 0;
}

/* affinity / cpus: one CPU number or a list of them; stored as a mask. */
int yv_affinity(struct yload *y, const struct field *f, const char *key, yaml_node_t *n, void *obj)
{
	uint64_t mask = 0;
	unsigned cpu = 0;
	if (n->type == YAML_SEQUENCE_NODE) {
		yaml_node_item_t *it = n->data.sequence.items.start;
		if (it == n->data.sequence.items.top)
			return diag_error(y->d, yv_pos(n), key, "empty list (omit it for any CPU)");
		for (; it < n->data.sequence.items.top; it++) {
			if (cpu_number(y, key, yv_node(y, *it), &cpu))
				return -1;
			mask |= 1ULL << cpu;
		}
	} else {
		if (cpu_number(y, key, n, &cpu))
			return -1;
		mask = 1ULL << cpu;
	}
	*u64_at(obj, f) = mask;
	return 0;
}

/* pin: one CPU number per vCPU, in vCPU order. */
int yv_pin(struct yload *y, const struct field *f, const char *key, yaml_node_t *n, void *obj)
{
	(void)f;
	struct model_vm *vm = obj;
	unsigned cpu = 0;
	vm->nr_pin = 0;
	if (n->type != YAML_SEQUENCE_NODE) {
		if (cpu_number(y, key, n, &cpu))
			return -1;
		vm->pin[vm->nr_pin++] = (int)cpu;
		return 0;
	}
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		if (vm->nr_pin == VM_MAX_VCPUS)
			return diag_error(y->d, yv_pos(yv_node(y, *it)), key,
			                  "more than %u entries (one CPU per vCPU)", VM_MAX_VCPUS);
		if (cpu_number(y, key, yv_node(y, *it), &cpu))
			return -1;
		vm->pin[vm->nr_pin++] = (int)cpu;
	}
	if (vm->nr_pin == 0)
		return diag_error(y->d, yv_pos(n), key, "empty list (omit it for no pinning)");
	return 0;
}

static int p_choice(struct yload *y, const char *key, yaml_node_t *n, const char *const *choices,
                    size_t nr, const char **out)
{
	const char *s = yv_scalar(y, key, n, "a string");
	if (!s)
		return -1;
	for (size_t i = 0; i < nr; i++) {
		if (strcmp(s, choices[i]) == 0) {
			*out = choices[i];
			return 0;
		}
	}
	char list[128] = "";
	for (size_t i = 0; i < nr; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "",
		         choices[i]);
	return diag_error(y->d, yv_pos(n), key, "\"%s\" is not one of: %s", s, list);
}

/* role: guest | service (the VM with the control channel, docs/control-protocol.md). */
int yv_arch(struct yload *y, const struct field *f, const char *key, yaml_node_t *n, void *obj)
{
	static const char *const arches[] = {"riscv64", "arm64"};
	const char *t;
	if (p_choice(y, key, n, arches, 2, &t))
		return -1;
	_Static_assert(sizeof(((struct model_host *)0)->arch) > sizeof("riscv64"), "arch fits");
	memcpy((char *)obj + f->off, t, strlen(t) + 1);
	return 0;
}

int yv_role(struct yload *y, const struct field *f, const char *key, yaml_node_t *n, void *obj)
{
	static const char *const roles[] = {"guest", "service"};
	const char *t;
	if (p_choice(y, key, n, roles, 2, &t))
		return -1;
	*(bool *)((char *)obj + f->off) = strcmp(t, "service") == 0;
	return 0;
}

int yv_nic_type(struct yload *y, const struct field *f, const char *key, yaml_node_t *n, void *obj)
{
	static const char *const types[] = {"virtio", "virtio-net"};
	const char *t;
	(void)f;
	(void)obj;
	return p_choice(y, key, n, types, 2, &t);
}

int yv_disk_type(struct yload *y, const struct field *f, const char *key, yaml_node_t *n, void *obj)
{
	static const char *const types[] = {"virtio-blk"};
	const char *t;
	(void)f;
	(void)obj;
	return p_choice(y, key, n, types, 1, &t);
}

int yv_format(struct yload *y, const struct field *f, const char *key, yaml_node_t *n, void *obj)
{
	static const char *const formats[] = {"auto", "raw", "qcow2"};
	const char *t;
	if (p_choice(y, key, n, formats, 3, &t))
		return -1;
	snprintf((char *)obj + f->off, sizeof(((struct model_disk *)0)->format), "%s", t);
	return 0;
}

int yv_tap(struct yload *y, const struct field *f, const char *key, yaml_node_t *n, void *obj)
{
	const char *s = yv_scalar(y, key, n, "an interface name");
	if (!s)
		return -1;
	size_t len = strlen(s);
	bool ok = len > 0 && len <= MODEL_IFNAME_MAX;
	for (size_t i = 0; ok && i < len; i++)
		ok = yv_name_char_ok(s[i]);
	if (!ok)
		return diag_error(y->d, yv_pos(n), key,
		                  "\"%s\" is not an interface name (1-15 letters, digits, '-', "
		                  "'_', '.')",
		                  s);
	return yv_string(y, f, key, n, obj);
}

int yv_mac(struct yload *y, const struct field *f, const char *key, yaml_node_t *n, void *obj)
{
	const char *s = yv_scalar(y, key, n, "a MAC address");
	if (!s)
		return -1;
	if (!scalar_mac_ok(s))
		return diag_error(y->d, yv_pos(n), key,
		                  "\"%s\" is not a unicast MAC address (e.g. 52:54:00:12:34:56)",
		                  s);
	memcpy((char *)obj + f->off, s, 18);
	return 0;
}

/* Same rule as the hypervisor's switch names (hyp/core/config.c). */
int yv_switch(struct yload *y, const struct field *f, const char *key, yaml_node_t *n, void *obj)
{
	const char *s = yv_scalar(y, key, n, "a switch name");
	if (!s)
		return -1;
	size_t len = strlen(s);
	bool ok = len > 0 && len < CFG_SWITCH_NAME;
	for (size_t i = 0; ok && i < len; i++)
		ok = (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
		     s[i] == '_';
	if (!ok)
		return diag_error(y->d, yv_pos(n), key,
		                  "\"%s\" is not a switch name (1-15 of a-z, 0-9, '-', '_')", s);
	memcpy((char *)obj + f->off, s, len + 1);
	return 0;
}

int yv_hostfwd(struct yload *y, const struct field *f, const char *key, yaml_node_t *n, void *obj)
{
	(void)f;
	struct model_uplink *up = obj;
	if (n->type != YAML_SEQUENCE_NODE)
		return diag_error(
		    y->d, yv_pos(n), key,
		    "expected a list of port forwards (e.g. [\"tcp:127.0.0.1:8080-:80\"]), "
		    "not %s",
		    yv_kind(n));
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		yaml_node_t *item = yv_node(y, *it);
		char k[96];
		snprintf(k, sizeof(k), "%s[%u]", key, up->nr_hostfwd);
		if (up->nr_hostfwd == MODEL_MAX_HOSTFWD)
			return diag_error(y->d, yv_pos(item), k, "more than %d port forwards",
			                  MODEL_MAX_HOSTFWD);
		const char *s = yv_scalar(y, k, item, "a port forward");
		if (!s)
			return -1;
		struct scalar_fwd fw;
		if (scalar_fwd(s, &fw))
			return diag_error(y->d, yv_pos(item), k,
			                  "\"%s\" is not a port forward "
			                  "(tcp|udp:127.0.0.1:HOSTPORT-[GUESTADDR]:GUESTPORT)",
			                  s);
		if (strcmp(fw.host_addr, "127.0.0.1") != 0)
			return diag_error(y->d, yv_pos(item), k,
			                  "\"%s\" listens on %s; only 127.0.0.1 is allowed", s,
			                  fw.host_addr[0] ? fw.host_addr : "every host address");
		for (unsigned i = 0; i < up->nr_hostfwd; i++) {
			struct scalar_fwd o;
			if (scalar_fwd(up->hostfwd[i], &o) == 0 && o.udp == fw.udp &&
			    o.host_port == fw.host_port)
				return diag_error(y->d, yv_pos(item), k,
				                  "host port %s %u is already forwarded by %s[%u]",
				                  fw.udp ? "udp" : "tcp", fw.host_port, key, i);
		}
		up->hostfwd[up->nr_hostfwd] = strdup(s);
		if (!up->hostfwd[up->nr_hostfwd])
			return diag_error(y->d, yv_pos(item), k, "out of memory");
		up->nr_hostfwd++;
	}
	return 0;
}
