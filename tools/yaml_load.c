// SPDX-License-Identifier: MIT
/*
 * YAML configuration loader: libyaml builds the document tree; tables of
 * known keys (one per kind of mapping) say how each value is converted
 * and checked. Every message carries the position libyaml recorded for the
 * key or value (marks are 0-based, messages 1-based).
 */
#include "yaml_load.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "scalar.h"
#include "yaml_value.h"

static int p_nics(struct yload *y, const struct field *f, const char *key, yaml_node_t *n,
                  void *obj);
static int p_disks(struct yload *y, const struct field *f, const char *key, yaml_node_t *n,
                   void *obj);
static int p_switches(struct yload *y, const struct field *f, const char *key, yaml_node_t *n,
                      void *obj);
static int p_uplink(struct yload *y, const struct field *f, const char *key, yaml_node_t *n,
                    void *obj);
static int p_user(struct yload *y, const struct field *f, const char *key, yaml_node_t *n,
                  void *obj);
static int p_slice(struct yload *y, const struct field *f, const char *key, yaml_node_t *n,
                   void *obj);
static int p_tokens(struct yload *y, const struct field *f, const char *key, yaml_node_t *n,
                    void *obj);
static int yv_token_str(struct yload *y, const struct field *f, const char *key, yaml_node_t *n,
                        void *obj);

#define VMF(n, k, fn, member, lo, hi, al)                                                          \
	{                                                                                          \
		n, k, fn, offsetof(struct model_vm, member), lo, hi, al                            \
	}
static const struct field vm_fields[] = {
    VMF("name", VMK_NAME, yv_name, name, 0, 0, 0),
    VMF("vcpus", VMK_VCPUS, yv_uint, vcpus, 1, VM_MAX_VCPUS, 0),
    VMF("memory", VMK_MEMORY, yv_size, memory, MODEL_MEM_ALIGN, MODEL_MAX_GPA, MODEL_MEM_ALIGN),
    VMF("memory_base", VMK_MEMORY_BASE, yv_addr, memory_base, 0, MODEL_MAX_GPA - MODEL_MEM_ALIGN,
        MODEL_MEM_ALIGN),
    VMF("kernel", VMK_KERNEL, yv_string, kernel, 1, 4095, 0),
    VMF("kernel_offset", VMK_KERNEL_OFFSET, yv_addr, kernel_offset, 0, MODEL_MAX_GPA, 4),
    VMF("initrd", VMK_INITRD, yv_string, initrd, 1, 4095, 0),
    VMF("command_line", VMK_COMMAND_LINE, yv_string, command_line, 0, CFG_BOOTARGS_MAX - 1, 0),
    VMF("weight", VMK_WEIGHT, yv_uint, weight, 1, 65535, 0),
    VMF("affinity", VMK_AFFINITY, yv_affinity, affinity, 0, 0, 0),
    VMF("cpus", VMK_AFFINITY, yv_affinity, affinity, 0, 0, 0),
    VMF("pin", VMK_PIN, yv_pin, pin, 0, 0, 0),
    VMF("autostart", VMK_AUTOSTART, yv_bool, autostart, 0, 0, 0),
    VMF("template", VMK_TEMPLATE, yv_bool, template_vm, 0, 0, 0),
    VMF("uart", VMK_UART, yv_bool, uart, 0, 0, 0),
    VMF("uart_base", VMK_UART_BASE, yv_addr, uart_base, 0, MODEL_MAX_GPA, 0x100),
    VMF("network", VMK_NETWORK, p_nics, nics, 0, 0, 0),
    VMF("storage", VMK_STORAGE, p_disks, disks, 0, 0, 0),
    VMF("virtio_console", VMK_VIRTIO_CONSOLE, yv_bool, virtio_console, 0, 0, 0),
    VMF("role", VMK_ROLE, yv_role, service, 0, 0, 0),
    VMF("tokens", VMK_TOKENS, p_tokens, tokens, 0, 0, 0),
    VMF("rtc", VMK_RTC, yv_bool, rtc, 0, 0, 0),
};

/* A tokens: entry; min selects the check of yv_token_str (0 id, 1 role, 2 sha256). */
static const struct field token_fields[] = {
    {"id", TK_ID, yv_token_str, offsetof(struct model_token, id), 0, MODEL_TOKEN_ID_MAX, 0},
    {"role", TK_ROLE, yv_token_str, offsetof(struct model_token, role), 1, 9, 0},
    {"sha256", TK_SHA256, yv_token_str, offsetof(struct model_token, sha256), 2, 64, 0},
};

#define HF(n, k, fn, member, lo, hi)                                                               \
	{                                                                                          \
		n, k, fn, offsetof(struct model_host, member), lo, hi, 0                           \
	}
static const struct field host_fields[] = {
    HF("cpus", HK_CPUS, yv_uint, cpus, 1, MODEL_HOST_MAX_CPUS),
    HF("memory", HK_MEMORY, yv_size, memory, 64ULL << 20, 1ULL << 40),
    HF("time_slice_us", HK_TIME_SLICE_US, yv_uint, time_slice_us, 100, 1000000),
    HF("console_focus", HK_CONSOLE_FOCUS, yv_focus, focus, 0, 0),
    HF("switches", HK_SWITCHES, p_switches, switches, 0, 0),
    HF("best_effort", HK_BEST_EFFORT, yv_bool, best_effort, 0, 0),
    HF("arch", HK_ARCH, yv_arch, arch, 0, 0),
};

#define SF(n, k, fn, member)                                                                       \
	{                                                                                          \
		n, k, fn, offsetof(struct model_switch, member), 0, 0, 0                           \
	}
static const struct field switch_fields[] = {
    SF("name", SK_NAME, yv_switch, name),
    SF("uplink", SK_UPLINK, p_uplink, up),
};

#define UF(n, k, fn, member, lo, hi)                                                               \
	{                                                                                          \
		n, k, fn, offsetof(struct model_uplink, member), lo, hi, 0                         \
	}
static const struct field uplink_fields[] = {
    UF("tap", UK_TAP, yv_tap, tap, 1, MODEL_IFNAME_MAX),
    UF("socket", UK_SOCKET, yv_bool, socket, 0, 0),
    UF("user", UK_USER, p_user, user, 0, 0),
    UF("port", UK_PORT, yv_uint, port, 1, 65535),
    UF("mac", UK_MAC, yv_mac, mac, 0, 0),
};

static const struct field user_fields[] = {
    UF("hostfwd", UK_HOSTFWD, yv_hostfwd, hostfwd, 0, 0),
};

#define NF(n, k, fn, member, lo, hi)                                                               \
	{                                                                                          \
		n, k, fn, offsetof(struct model_nic, member), lo, hi, 0                            \
	}
static const struct field nic_fields[] = {
    NF("type", NK_TYPE, yv_nic_type, sw_index, 0, 0),
    NF("switch", NK_SWITCH, yv_switch, sw, 0, 0),
    NF("tap", NK_TAP, yv_tap, tap, 1, MODEL_IFNAME_MAX),
    NF("mac", NK_MAC, yv_mac, mac, 0, 0),
    NF("port", NK_PORT, yv_uint, port, 1, 65535),
};

#define DF(n, k, fn, member, lo, hi)                                                               \
	{                                                                                          \
		n, k, fn, offsetof(struct model_disk, member), lo, hi, 0                           \
	}
static const struct field disk_fields[] = {
    DF("type", DK_TYPE, yv_disk_type, slot, 0, 0),
    DF("image", DK_IMAGE, yv_string, image, 1, 4095),
    DF("format", DK_FORMAT, yv_format, format, 0, 0),
    DF("readonly", DK_READONLY, yv_bool, readonly, 0, 0),
    {"size", DK_SIZE, yv_size, offsetof(struct model_disk, size), 1ULL << 20, 1ULL << 44, 512},
    DF("slice", DK_SLICE, p_slice, slice, 0, 0),
};

/* A slice of a disk image: bytes offset .. offset + size - 1, size absent = to the end. */
static const struct field slice_fields[] = {
    {"offset", SLK_OFFSET, yv_size, offsetof(struct model_disk, slice_offset), 0, 1ULL << 44, 512},
    {"size", SLK_SIZE, yv_size, offsetof(struct model_disk, slice_size), 512, 1ULL << 44, 512},
};

static const char *const top_keys[] = {"host", "vms"};

/* key: as printed (with its prefix); the suggestion compares only the bare name in k. */
static int unknown_key(struct yload *y, yaml_node_t *k, const char *key, const struct field *f,
                       size_t nf, bool top)
{
	const char *bare = (const char *)k->data.scalar.value;
	const char *best = NULL;
	unsigned best_d = 3; /* suggest only names at most 2 edits away */
	char list[512] = "";
	for (size_t i = 0; i < nf + (top ? 2 : 0); i++) {
		const char *name = f && i < nf ? f[i].name : top_keys[i - nf];
		unsigned dist = scalar_distance(bare, name);
		if (dist < best_d) {
			best_d = dist;
			best = name;
		}
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "",
		         name);
	}
	if (best)
		return diag_error(y->d, yv_pos(k), key, "unknown key (did you mean %s?)", best);
	return diag_error(y->d, yv_pos(k), key, "unknown key (known keys: %s)", list);
}

/* Key indices of every table fit in this (VMK_COUNT is the largest). */
#define LOAD_MAP_KEYS 32

/*
 * Walk the mapping n: every key must be in fields (or, with top set, be
 * "host"/"vms", which the caller handles); values go into obj, positions
 * into pos[]. prefix ("host.", "storage[0].") qualifies keys in messages.
 * A key with a null value ("key:", "key: ~", "key: null") keeps its
 * default: it is checked for duplicates but leaves obj and pos[] as if it
 * were absent, so every later "was it given?" test (pos[].line) and every
 * default that depends on other keys treat it as not given.
 */
static int load_map(struct yload *y, yaml_node_t *n, const char *what, const struct field *fields,
                    size_t nf, void *obj, struct src_pos *pos, const char *prefix, bool top)
{
	if (n->type != YAML_MAPPING_NODE)
		return diag_error(y->d, yv_pos(n), what, "expected a mapping of keys, not %s",
		                  yv_kind(n));
	struct src_pos seen[LOAD_MAP_KEYS] = {{0, 0}};
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yv_node(y, p->key), *v = yv_node(y, p->value);
		const char *name = yv_scalar(y, what, k, "a key name");
		if (!name)
			return -1;
		char key[96];
		snprintf(key, sizeof(key), "%s%s", prefix, name);
		if (top && (strcmp(name, "host") == 0 || strcmp(name, "vms") == 0))
			continue;
		const struct field *f = NULL;
		for (size_t i = 0; i < nf && !f; i++)
			if (strcmp(fields[i].name, name) == 0)
				f = &fields[i];
		if (!f)
			return unknown_key(y, k, key, fields, nf, top);
		_Static_assert(VMK_COUNT <= LOAD_MAP_KEYS && HK_COUNT <= LOAD_MAP_KEYS &&
		                   NK_COUNT <= LOAD_MAP_KEYS && DK_COUNT <= LOAD_MAP_KEYS &&
		                   UK_COUNT <= LOAD_MAP_KEYS,
		               "seen[] holds every key index");
		if (seen[f->key].line)
			return diag_error(y->d, yv_pos(k), key, "given twice (first at line %u)",
			                  seen[f->key].line);
		seen[f->key] = yv_pos(v);
		if (yv_is_null(v))
			continue; /* "key:" or "key: ~" keeps the default */
		pos[f->key] = yv_pos(v);
		if (f->parse(y, f, key, v, obj))
			return -1;
	}
	return 0;
}

static int p_nics(struct yload *y, const struct field *f, const char *key, yaml_node_t *n,
                  void *obj)
{
	(void)f;
	struct model_vm *vm = obj;
	if (n->type != YAML_SEQUENCE_NODE)
		return diag_error(y->d, yv_pos(n), key, "expected a list of interfaces, not %s",
		                  yv_kind(n));
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		yaml_node_t *item = yv_node(y, *it);
		if (vm->nr_nics == CFG_MAX_VIRTIO)
			return diag_error(
			    y->d, yv_pos(item), key,
			    "more than %d interfaces (a VM has at most %d virtio devices)",
			    CFG_MAX_VIRTIO, CFG_MAX_VIRTIO);
		char what[48], prefix[64];
		snprintf(what, sizeof(what), "%s[%u]", key, vm->nr_nics);
		snprintf(prefix, sizeof(prefix), "%s.", what);
		struct model_nic *nic = &vm->nics[vm->nr_nics++];
		memset(nic, 0, sizeof(*nic));
		nic->sw_index = -1;
		nic->at = yv_pos(item);
		if (load_map(y, item, what, nic_fields, sizeof(nic_fields) / sizeof(nic_fields[0]),
		             nic, nic->pos, prefix, false))
			return -1;
	}
	return 0;
}

static int p_disks(struct yload *y, const struct field *f, const char *key, yaml_node_t *n,
                   void *obj)
{
	(void)f;
	struct model_vm *vm = obj;
	if (n->type != YAML_SEQUENCE_NODE)
		return diag_error(y->d, yv_pos(n), key, "expected a list of disks, not %s",
		                  yv_kind(n));
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		yaml_node_t *item = yv_node(y, *it);
		if (vm->nr_disks == MODEL_VIRTIO_SLOTS)
			return diag_error(y->d, yv_pos(item), key,
			                  "more than %d disks (QEMU virt has %d virtio slots)",
			                  MODEL_VIRTIO_SLOTS, MODEL_VIRTIO_SLOTS);
		char what[48], prefix[64];
		snprintf(what, sizeof(what), "%s[%u]", key, vm->nr_disks);
		snprintf(prefix, sizeof(prefix), "%s.", what);
		struct model_disk *disk = &vm->disks[vm->nr_disks++];
		memset(disk, 0, sizeof(*disk));
		disk->slot = -1;
		disk->share_vm = -1;
		disk->share_disk = -1;
		disk->at = yv_pos(item);
		strcpy(disk->format, "auto");
		if (load_map(y, item, what, disk_fields,
		             sizeof(disk_fields) / sizeof(disk_fields[0]), disk, disk->pos, prefix,
		             false))
			return -1;
		if (!disk->image)
			return diag_error(y->d, disk->at, what,
			                  "image: missing (the disk image file)");
	}
	return 0;
}

/* id (as ferrovisord's: [A-Za-z0-9_-], first alphanumeric), role, or sha256 of a token. */
static int yv_token_str(struct yload *y, const struct field *f, const char *key, yaml_node_t *n,
                        void *obj)
{
	static const char *const roles[] = {"viewer", "operator", "admin"};
	const char *s = yv_scalar(y, key, n, "a string");
	size_t len;
	bool ok = true;

	if (!s)
		return -1;
	len = strlen(s);
	if (f->min == 1) {
		ok = false;
		for (size_t i = 0; i < 3; i++)
			ok = ok || strcmp(s, roles[i]) == 0;
		if (!ok)
			return diag_error(y->d, yv_pos(n), key,
			                  "\"%s\" is not a role (viewer, operator, admin)", s);
	} else if (f->min == 2) {
		for (size_t i = 0; i < len; i++)
			ok = ok && ((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'));
		if (!ok || len != 64)
			return diag_error(
			    y->d, yv_pos(n), key,
			    "expected the SHA-256 of the token text as 64 lowercase hex "
			    "digits (printf %%s \"$TOKEN\" | sha256sum)");
	} else {
		for (size_t i = 0; i < len; i++) {
			char c = s[i];
			bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			             (c >= '0' && c <= '9');
			ok = ok && (alnum || (i > 0 && (c == '-' || c == '_')));
		}
		if (!ok || len == 0 || len > f->max)
			return diag_error(
			    y->d, yv_pos(n), key,
			    "\"%s\": a token id is 1-%d of A-Z a-z 0-9 _ -, the first "
			    "alphanumeric",
			    s, MODEL_TOKEN_ID_MAX);
	}
	memcpy((char *)obj + f->off, s, len + 1);
	return 0;
}

/* tokens: the service VM's API tokens, [{id, role, sha256}], ids unique. */
static int p_tokens(struct yload *y, const struct field *f, const char *key, yaml_node_t *n,
                    void *obj)
{
	(void)f;
	struct model_vm *vm = obj;
	if (n->type != YAML_SEQUENCE_NODE)
		return diag_error(y->d, yv_pos(n), key,
		                  "expected a list of {id, role, sha256}, not %s", yv_kind(n));
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		yaml_node_t *item = yv_node(y, *it);
		if (vm->nr_tokens == MODEL_TOKENS_MAX)
			return diag_error(y->d, yv_pos(item), key, "more than %d tokens",
			                  MODEL_TOKENS_MAX);
		char what[48], prefix[64];
		snprintf(what, sizeof(what), "%s[%u]", key, vm->nr_tokens);
		snprintf(prefix, sizeof(prefix), "%s.", what);
		struct model_token *t = &vm->tokens[vm->nr_tokens++];
		memset(t, 0, sizeof(*t));
		t->at = yv_pos(item);
		if (load_map(y, item, what, token_fields,
		             sizeof(token_fields) / sizeof(token_fields[0]), t, t->pos, prefix,
		             false))
			return -1;
		if (!t->id[0] || !t->role[0] || !t->sha256[0])
			return diag_error(y->d, t->at, what, "needs id, role and sha256");
		for (unsigned i = 0; i + 1 < vm->nr_tokens; i++) {
			if (strcmp(vm->tokens[i].id, t->id) == 0)
				return diag_error(
				    y->d, t->pos[TK_ID], what,
				    "id \"%s\" is already the id of tokens[%u] (line %u)", t->id, i,
				    vm->tokens[i].at.line);
		}
	}
	return 0;
}

/* host.switches: the declared virtual switches, in order. */
static int p_switches(struct yload *y, const struct field *f, const char *key, yaml_node_t *n,
                      void *obj)
{
	(void)f;
	struct model_host *h = obj;
	if (n->type != YAML_SEQUENCE_NODE)
		return diag_error(y->d, yv_pos(n), key, "expected a list of switches, not %s",
		                  yv_kind(n));
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		yaml_node_t *item = yv_node(y, *it);
		if (h->nr_switches == CFG_MAX_SWITCHES)
			return diag_error(y->d, yv_pos(item), key, "more than %d switches",
			                  CFG_MAX_SWITCHES);
		char what[48], prefix[64];
		snprintf(what, sizeof(what), "%s[%u]", key, h->nr_switches);
		snprintf(prefix, sizeof(prefix), "%s.", what);
		struct model_switch *sw = &h->switches[h->nr_switches++];
		model_switch_init(sw, "");
		sw->declared = true;
		sw->at = yv_pos(item);
		if (load_map(y, item, what, switch_fields,
		             sizeof(switch_fields) / sizeof(switch_fields[0]), sw, sw->pos, prefix,
		             false))
			return -1;
		if (!sw->name[0])
			return diag_error(y->d, sw->at, what, "name: missing (the switch's name)");
		char k[80];
		snprintf(k, sizeof(k), "%sname", prefix);
		for (unsigned i = 0; i + 1 < h->nr_switches; i++)
			if (strcmp(h->switches[i].name, sw->name) == 0)
				return diag_error(
				    y->d, sw->pos[SK_NAME], k,
				    "\"%s\" is already the name of the switch at line %u", sw->name,
				    h->switches[i].pos[SK_NAME].line);
	}
	return 0;
}

/* An uplink mapping: exactly one of tap, socket: true, user. */
static int p_uplink(struct yload *y, const struct field *f, const char *key, yaml_node_t *n,
                    void *obj)
{
	(void)f;
	struct model_uplink *up = &((struct model_switch *)obj)->up;
	char prefix[96];
	snprintf(prefix, sizeof(prefix), "%s.", key);
	up->at = yv_pos(n);
	snprintf(up->key, sizeof(up->key), "%s", key);
	if (load_map(y, n, key, uplink_fields, sizeof(uplink_fields) / sizeof(uplink_fields[0]), up,
	             up->pos, prefix, false))
		return -1;
	const struct {
		bool on;
		enum uplink_kind kind;
		enum uplink_key key;
		const char *name;
	} kinds[] = {{up->tap != NULL, UPLINK_TAP, UK_TAP, "tap"},
	             {up->socket, UPLINK_SOCKET, UK_SOCKET, "socket"},
	             {up->user, UPLINK_USER, UK_USER, "user"}};
	const char *chosen = NULL;
	char k[112];
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (!kinds[i].on)
			continue;
		snprintf(k, sizeof(k), "%s%s", prefix, kinds[i].name);
		if (chosen)
			return diag_error(y->d, up->pos[kinds[i].key], k,
			                  "an uplink is one of tap, socket and user, and %s is "
			                  "given too",
			                  chosen);
		chosen = kinds[i].name;
		up->kind = kinds[i].kind;
	}
	if (!chosen)
		return diag_error(y->d, up->at, key,
		                  "needs one of tap: IFNAME, socket: true or user: true");
	if (up->kind == UPLINK_USER && up->port) {
		snprintf(k, sizeof(k), "%sport", prefix);
		return diag_error(y->d, up->pos[UK_PORT], k,
		                  "only for socket and tap uplinks (user-mode networking "
		                  "forwards ports with user.hostfwd)");
	}
	return 0;
}

/* user: true/false, or a mapping of its options (hostfwd). */
static int p_user(struct yload *y, const struct field *f, const char *key, yaml_node_t *n,
                  void *obj)
{
	struct model_uplink *up = obj;
	if (n->type == YAML_SCALAR_NODE)
		return yv_bool(y, f, key, n, obj);
	if (n->type != YAML_MAPPING_NODE)
		return diag_error(y->d, yv_pos(n), key,
		                  "expected true, false or a mapping (hostfwd: [...]), not %s",
		                  yv_kind(n));
	char prefix[112];
	snprintf(prefix, sizeof(prefix), "%s.", key);
	up->user = true;
	return load_map(y, n, key, user_fields, sizeof(user_fields) / sizeof(user_fields[0]), up,
	                up->pos, prefix, false);
}

/* slice: a mapping of offset (default 0) and size (default: to the end of the image). */
static int p_slice(struct yload *y, const struct field *f, const char *key, yaml_node_t *n,
                   void *obj)
{
	(void)f;
	struct model_disk *disk = obj;
	char prefix[112];
	snprintf(prefix, sizeof(prefix), "%s.", key);
	if (n->type != YAML_MAPPING_NODE)
		return diag_error(y->d, yv_pos(n), key,
		                  "expected a mapping (e.g. {offset: 64M, size: 64M}), not %s",
		                  yv_kind(n));
	disk->slice = true;
	return load_map(y, n, key, slice_fields, sizeof(slice_fields) / sizeof(slice_fields[0]),
	                disk, disk->slice_pos, prefix, false);
}

/* Default name of VM index i: the file's base name for a one-VM file, else vm<i+1>. */
static void default_name(const struct model *m, unsigned i, char *out)
{
	if (!m->single) {
		snprintf(out, VM_NAME_MAX, "vm%u", i + 1);
		return;
	}
	const char *base = strrchr(m->file, '/');
	base = base ? base + 1 : m->file;
	size_t n = 0;
	for (; base[n] && base[n] != '.' && n < VM_NAME_MAX - 1; n++)
		out[n] = yv_name_char_ok(base[n]) ? base[n] : '-';
	out[n] = '\0';
	if (n == 0 || strcmp(out, MODEL_FOCUS_SHELL) == 0)
		snprintf(out, VM_NAME_MAX, "vm1");
}

static int load_vm(struct yload *y, yaml_node_t *n, const char *what, bool top)
{
	struct model *m = y->m;
	struct model_vm *vm = &m->vms[m->nr_vms++];
	model_vm_init(vm);
	vm->at = yv_pos(n);
	if (load_map(y, n, what, vm_fields, sizeof(vm_fields) / sizeof(vm_fields[0]), vm, vm->pos,
	             "", top))
		return -1;
	if (!vm->pos[VMK_NAME].line)
		default_name(m, m->nr_vms - 1, vm->name);
	return 0;
}

static int load_root(struct yload *y, yaml_node_t *root)
{
	struct model *m = y->m;
	if (root->type != YAML_MAPPING_NODE)
		return diag_error(y->d, yv_pos(root), "config",
		                  "expected a mapping (a VM's keys, or host: and vms:), not %s",
		                  yv_kind(root));
	yaml_node_t *host = NULL, *vms = NULL;
	struct src_pos hpos = {0, 0}, vpos = {0, 0};
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yv_node(y, p->key);
		const char *name = yv_scalar(y, "config", k, "a key name");
		if (!name)
			return -1;
		bool is_host = strcmp(name, "host") == 0;
		if (!is_host && strcmp(name, "vms") != 0)
			continue;
		struct src_pos *first = is_host ? &hpos : &vpos;
		if (first->line)
			return diag_error(y->d, yv_pos(k), name, "given twice (first at line %u)",
			                  first->line);
		*first = yv_pos(k);
		*(is_host ? &host : &vms) = yv_node(y, p->value);
	}
	if (host && !yv_is_null(host)) {
		m->host.at = yv_pos(host);
		if (load_map(y, host, "host", host_fields,
		             sizeof(host_fields) / sizeof(host_fields[0]), &m->host, m->host.pos,
		             "host.", false))
			return -1;
	}
	if (!vms) {
		m->single = true;
		return load_vm(y, root, "config", true);
	}
	/* With vms:, the top level holds only host: and vms:. */
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yv_node(y, p->key);
		const char *name = (const char *)k->data.scalar.value;
		if (strcmp(name, "host") == 0 || strcmp(name, "vms") == 0)
			continue;
		for (size_t i = 0; i < sizeof(vm_fields) / sizeof(vm_fields[0]); i++)
			if (strcmp(vm_fields[i].name, name) == 0)
				return diag_error(y->d, yv_pos(k), name,
				                  "not allowed next to vms: (put it into a VM "
				                  "under vms:)");
		return unknown_key(y, k, name, NULL, 0, true);
	}
	if (vms->type != YAML_SEQUENCE_NODE)
		return diag_error(y->d, yv_pos(vms), "vms", "expected a list of VMs, not %s",
		                  yv_kind(vms));
	if (vms->data.sequence.items.start == vms->data.sequence.items.top)
		return diag_error(y->d, yv_pos(vms), "vms", "empty list (no VMs configured)");
	for (yaml_node_item_t *it = vms->data.sequence.items.start;
	     it < vms->data.sequence.items.top; it++) {
		yaml_node_t *vm = yv_node(y, *it);
		if (m->nr_vms == CFG_MAX_VMS)
			return diag_error(y->d, yv_pos(vm), "vms", "more than %d VMs", CFG_MAX_VMS);
		char what[16];
		snprintf(what, sizeof(what), "vms[%u]", m->nr_vms);
		if (load_vm(y, vm, what, false))
			return -1;
	}
	return 0;
}

/* Line and column (1-based) of byte offset off in buf. */
static struct src_pos pos_at_offset(const unsigned char *buf, size_t len, size_t off)
{
	struct src_pos p = {1, 1};
	for (size_t i = 0; i < off && i < len; i++) {
		if (buf[i] == '\n') {
			p.line++;
			p.col = 1;
		} else {
			p.col++;
		}
	}
	return p;
}

static int syntax_error(struct yload *y, const yaml_parser_t *p, const unsigned char *buf,
                        size_t len)
{
	if (p->error == YAML_MEMORY_ERROR)
		return diag_error(y->d, (struct src_pos){0, 0}, "config", "out of memory");
	const char *problem = p->problem ? p->problem : "malformed YAML";
	if (p->error == YAML_READER_ERROR) {
		struct src_pos at = pos_at_offset(buf, len, p->problem_offset);
		if (p->problem_value != -1)
			return diag_error(y->d, at, "syntax error", "%s (byte 0x%02x)", problem,
			                  (unsigned)p->problem_value & 0xff);
		return diag_error(y->d, at, "syntax error", "%s", problem);
	}
	struct src_pos at = {(unsigned)p->problem_mark.line + 1,
	                     (unsigned)p->problem_mark.column + 1};
	if (p->context)
		return diag_error(y->d, at, "syntax error", "%s (%s at line %u)", problem,
		                  p->context, (unsigned)p->context_mark.line + 1);
	return diag_error(y->d, at, "syntax error", "%s", problem);
}

/*
 * First pass over the events only: refuse nesting deeper than
 * YLOAD_MAX_DEPTH at the collection that goes too deep, before libyaml
 * builds the document (whose scanner is quadratic in the depth). Returns
 * 0 if the depth is fine (syntax errors are left to the document load).
 */
static int check_depth(struct yload *y, const unsigned char *buf, size_t len)
{
	yaml_parser_t parser;
	if (!yaml_parser_initialize(&parser))
		return diag_error(y->d, (struct src_pos){0, 0}, "config", "out of memory");
	yaml_parser_set_input_string(&parser, buf, len);
	unsigned depth = 0;
	int ret = 0;
	for (bool done = false; !done;) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&parser, &ev))
			break; /* the document load reports it with its position */
		switch (ev.type) {
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (++depth > YLOAD_MAX_DEPTH) {
				struct src_pos at = {(unsigned)ev.start_mark.line + 1,
				                     (unsigned)ev.start_mark.column + 1};
				ret = diag_error(y->d, at, "config",
				                 "nesting deeper than %u levels", YLOAD_MAX_DEPTH);
				done = true;
			}
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			depth--;
			break;
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	return ret;
}

int yload_buffer(struct model *m, const unsigned char *buf, size_t len, struct diag *d)
{
	struct yload y = {NULL, m, d};
	yaml_parser_t parser;
	yaml_document_t doc, extra;
	int ret = -1;

	if (len > YLOAD_MAX_BYTES)
		return diag_error(d, (struct src_pos){0, 0}, "config", "larger than %u bytes",
		                  YLOAD_MAX_BYTES);
	if (check_depth(&y, buf, len))
		return -1;
	if (!yaml_parser_initialize(&parser))
		return diag_error(d, (struct src_pos){0, 0}, "config", "out of memory");
	yaml_parser_set_input_string(&parser, buf, len);
	if (!yaml_parser_load(&parser, &doc)) {
		syntax_error(&y, &parser, buf, len);
		goto out_parser;
	}
	y.doc = &doc;
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	if (!root) {
		diag_error(d, (struct src_pos){1, 1}, "config",
		           "empty file (expected a VM, or host: and vms:)");
		goto out_doc;
	}
	if (!yaml_parser_load(&parser, &extra)) {
		syntax_error(&y, &parser, buf, len);
		goto out_doc;
	}
	yaml_node_t *second = yaml_document_get_root_node(&extra);
	if (second)
		diag_error(d, yv_pos(second), "config",
		           "more than one YAML document (remove the second ---)");
	yaml_document_delete(&extra);
	if (!second)
		ret = load_root(&y, root);
out_doc:
	yaml_document_delete(&doc);
out_parser:
	yaml_parser_delete(&parser);
	return ret;
}

int yload_file(struct model *m, struct diag *d)
{
	FILE *f = fopen(m->file, "rb");
	if (!f)
		return diag_error(d, (struct src_pos){0, 0}, "config", "cannot open: %s",
		                  strerror(errno));
	unsigned char *buf = malloc(YLOAD_MAX_BYTES + 1);
	if (!buf) {
		fclose(f);
		return diag_error(d, (struct src_pos){0, 0}, "config", "out of memory");
	}
	size_t len = fread(buf, 1, YLOAD_MAX_BYTES + 1, f);
	int err = ferror(f);
	fclose(f);
	int ret;
	if (err)
		ret = diag_error(d, (struct src_pos){0, 0}, "config", "cannot read: %s",
		                 strerror(errno));
	else
		ret = yload_buffer(m, buf, len, d);
	free(buf);
	return ret;
}
