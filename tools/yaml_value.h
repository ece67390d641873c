/* SPDX-License-Identifier: MIT */
#ifndef FV_TOOLS_YAML_VALUE_H
#define FV_TOOLS_YAML_VALUE_H

/*
 * Value converters of the YAML loader (yaml_load.c), one per kind of key:
 * each takes a libyaml node, checks its type and range and stores the
 * value at field->off in the object being filled, or records the error
 * (at the node's position, naming the key) and returns -1. Private to the
 * loader; the unit tests reach them through yload_buffer().
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yaml.h>

#include "diag.h"
#include "model.h"

/* Loader state: the document being read, the model being filled, where errors go. */
struct yload {
	yaml_document_t *doc;
	struct model *m;
	struct diag *d;
};

struct field;
typedef int (*parse_fn)(struct yload *y, const struct field *f, const char *key, yaml_node_t *n,
                        void *obj);

/* One known key of a mapping: how to parse it and where the value goes in obj. */
struct field {
	const char *name;
	int key; /* index into the mapping's pos[] */
	parse_fn parse;
	size_t off;   /* offset of the value in obj */
	uint64_t min; /* numbers and sizes: inclusive range; strings: max length in max */
	uint64_t max;
	uint64_t align; /* sizes and addresses: required alignment, 0 = none */
};

/* Position (1-based) of a node, from libyaml's 0-based start mark. */
struct src_pos yv_pos(const yaml_node_t *n);

/* "a mapping", "a list" or "a scalar", for messages. */
const char *yv_kind(const yaml_node_t *n);

/* Node id of the loaded document. */
yaml_node_t *yv_node(struct yload *y, int id);

/*
 * The text of a scalar node, or NULL after reporting why it is not one
 * (expected names what the key wants, e.g. "a number") or that it holds a NUL.
 */
const char *yv_scalar(struct yload *y, const char *key, yaml_node_t *n, const char *expected);

/* A plain scalar that YAML reads as null ("", "~", "null"). */
bool yv_is_null(const yaml_node_t *n);

/* Characters of VM and interface names: safe in FDT node names and QEMU options. */
bool yv_name_char_ok(char c);

/*
 * Converters (parse_fn). Numbers go to uint64_t fields, booleans to bool,
 * strings to malloc'd char *, names and MACs to char arrays.
 */
int yv_uint(struct yload *y, const struct field *f, const char *key, yaml_node_t *n, void *obj);
int yv_size(struct yload *y, const struct field *f, const char *key, yaml_node_t *n, void *obj);
int yv_addr(struct yload *y, const struct field *f, const char *key, yaml_node_t *n, void *obj);
int yv_bool(struct yload *y, const struct field *f, const char *key, yaml_node_t *n, void *obj);
int yv_string(struct yload *y, const struct field *f, const char *key, yaml_node_t *n, void *obj);
int yv_name(struct yload *y, const struct field *f, const char *key, yaml_node_t *n, void *obj);
int yv_focus(struct yload *y, const struct field *f, const char *key, yaml_node_t *n, void *obj);
int yv_affinity(struct yload *y, const struct field *f, const char *key, yaml_node_t *n, void *obj);
int yv_pin(struct yload *y, const struct field *f, const char *key, yaml_node_t *n, void *obj);
/* host.arch: an architecture whose guest map the tool knows (tools/arch_map.c). */
int yv_arch(struct yload *y, const struct field *f, const char *key, yaml_node_t *n, void *obj);
int yv_role(struct yload *y, const struct field *f, const char *key, yaml_node_t *n, void *obj);
int yv_nic_type(struct yload *y, const struct field *f, const char *key, yaml_node_t *n, void *obj);
int yv_disk_type(struct yload *y, const struct field *f, const char *key, yaml_node_t *n,
                 void *obj);
int yv_format(struct yload *y, const struct field *f, const char *key, yaml_node_t *n, void *obj);
int yv_tap(struct yload *y, const struct field *f, const char *key, yaml_node_t *n, void *obj);
int yv_mac(struct yload *y, const struct field *f, const char *key, yaml_node_t *n, void *obj);
/* A switch name (1-15 of a-z 0-9 - _) into a char[CFG_SWITCH_NAME]. */
int yv_switch(struct yload *y, const struct field *f, const char *key, yaml_node_t *n, void *obj);
/* Port forwards of a user-mode uplink: a list of "tcp:127.0.0.1:HOSTPORT-:GUESTPORT". */
int yv_hostfwd(struct yload *y, const struct field *f, const char *key, yaml_node_t *n, void *obj);

#endif
