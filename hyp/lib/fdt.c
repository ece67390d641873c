/* SPDX-License-Identifier: MIT */
/*
 * Bounds-checked FDT reader (Devicetree Specification v0.4, chapter 5).
 *
 * Every public function re-reads and re-validates the header into a
 * struct hdr and then only touches the blob through next_tag(), which
 * checks each token against the structure block, and prop_at()/
 * string_at(), which check property names against the strings block.
 * next_tag() always returns an offset strictly greater than the one it was
 * given, which is what makes every walk below terminate on any input.
 */
#include "lib/fdt.h"

#include "lib/string.h"

/* Header fields after validation. */
struct hdr {
	const uint8_t *b;
	uint32_t total;
	uint32_t off_rsv;
	const uint8_t *st; /* structure block */
	uint32_t st_size;
	const char *str; /* strings block */
	uint32_t str_size;
	bool str_nul_end; /* the strings block ends in NUL: every name in it is terminated */
};

static uint32_t field(const void *blob, unsigned int off)
{
	return fv_fdt_be32((const uint8_t *)blob + off);
}

/* Validate the header of a blob readable for limit bytes. */
static int hdr_parse(const void *blob, size_t limit, struct hdr *h)
{
	uint32_t version, hdr_size, off_st, off_str;

	if (!blob || limit < FV_FDT_HDR_SIZE_V16 || field(blob, FV_FDT_H_MAGIC) != FV_FDT_MAGIC)
		return -FV_EINVAL;
	version = field(blob, FV_FDT_H_VERSION);
	/* We understand v16 and v17 layouts; later versions promise to stay readable as v17. */
	if (version < FV_FDT_MIN_VERSION || field(blob, FV_FDT_H_LAST_COMP_VER) > FV_FDT_VERSION)
		return -FV_EINVAL;
	hdr_size = version >= 17 ? FV_FDT_HDR_SIZE : FV_FDT_HDR_SIZE_V16;

	h->b = blob;
	h->total = field(blob, FV_FDT_H_TOTALSIZE);
	if (limit < hdr_size || h->total < hdr_size || h->total > limit ||
	    h->total > FV_FDT_MAX_SIZE)
		return -FV_EINVAL;

	/* Memory reservation map: 8-byte aligned, room for at least the terminator. */
	h->off_rsv = field(blob, FV_FDT_H_OFF_RSVMAP);
	if (h->off_rsv % 8 || h->off_rsv < hdr_size ||
	    h->off_rsv > h->total - FV_FDT_RSV_ENTRY_SIZE)
		return -FV_EINVAL;

	off_st = field(blob, FV_FDT_H_OFF_STRUCT);
	if (off_st % 4 || off_st < hdr_size || off_st > h->total)
		return -FV_EINVAL;
	/* v16 has no size_dt_struct: the block may extend to the end of the blob. */
	h->st_size = version >= 17 ? field(blob, FV_FDT_H_SIZE_STRUCT) : h->total - off_st;
	if (h->st_size > h->total - off_st)
		return -FV_EINVAL;
	h->st = h->b + off_st;

	off_str = field(blob, FV_FDT_H_OFF_STRINGS);
	h->str_size = field(blob, FV_FDT_H_SIZE_STRINGS);
	if (off_str < hdr_size || off_str > h->total || h->str_size > h->total - off_str)
		return -FV_EINVAL;
	h->str = (const char *)h->b + off_str;
	h->str_nul_end = h->str_size > 0 && h->str[h->str_size - 1] == '\0';
	return 0;
}

/* Header of a blob that passed fv_fdt_check(): totalsize is the readable size. */
static int hdr_get(const void *blob, struct hdr *h)
{
	if (!blob)
		return -FV_EINVAL;
	return hdr_parse(blob, field(blob, FV_FDT_H_TOTALSIZE), h);
}

/*
 * Decode the token at off: its tag, and in *next the offset of the token
 * after it (always > off). Checks that the token, a node name and its NUL,
 * or a property header and value lie inside the structure block.
 */
static int next_tag(const struct hdr *h, int off, uint32_t *tag, int *next)
{
	uint32_t o = (uint32_t)off, end, len;

	if (off < 0 || o % 4 || h->st_size < 4 || o > h->st_size - 4)
		return -FV_EINVAL;
	*tag = fv_fdt_be32(h->st + o);
	end = o + 4;
	switch (*tag) {
	case FV_FDT_BEGIN_NODE:
		len = (uint32_t)strnlen((const char *)h->st + end, h->st_size - end);
		if (len == h->st_size - end)
			return -FV_EINVAL; /* name not terminated inside the block */
		end += len + 1;
		break;
	case FV_FDT_PROP:
		if (h->st_size - end < 8)
			return -FV_EINVAL;
		len = fv_fdt_be32(h->st + end);
		end += 8;
		if (len > h->st_size - end)
			return -FV_EINVAL;
		end += len;
		break;
	case FV_FDT_END_NODE:
	case FV_FDT_NOP:
	case FV_FDT_END:
		break;
	default:
		return -FV_EINVAL;
	}
	/* end <= st_size <= FV_FDT_MAX_SIZE, so aligning cannot overflow. */
	*next = (int)ALIGN_UP(end, 4);
	return 0;
}

/* Offset just past node's BEGIN_NODE token and name, or -FV_EINVAL if node is not a node. */
static int node_body(const struct hdr *h, int node)
{
	uint32_t tag;
	int next;

	if (next_tag(h, node, &tag, &next) || tag != FV_FDT_BEGIN_NODE)
		return -FV_EINVAL;
	return next;
}

/* Skip NOP tokens from off; returns the offset of the next other token and its tag. */
static int skip_nops(const struct hdr *h, int off, uint32_t *tag)
{
	int next;

	for (;;) {
		int err = next_tag(h, off, tag, &next);

		if (err)
			return err;
		if (*tag != FV_FDT_NOP)
			return off;
		off = next;
	}
}

static int root(const struct hdr *h)
{
	uint32_t tag;
	int off = skip_nops(h, 0, &tag);

	if (off < 0)
		return off;
	return tag == FV_FDT_BEGIN_NODE ? off : -FV_EINVAL;
}

static int next_node(const struct hdr *h, int node, int *depth)
{
	uint32_t tag;
	int off, next;

	if (node < 0) {
		if (depth)
			*depth = 0;
		return root(h);
	}
	off = node_body(h, node);
	if (off < 0)
		return off;
	for (;; off = next) {
		int err = next_tag(h, off, &tag, &next);

		if (err)
			return err;
		switch (tag) {
		case FV_FDT_BEGIN_NODE:
			if (depth)
				(*depth)++;
			return off;
		case FV_FDT_END_NODE:
			if (depth && --(*depth) < 0)
				return -FV_ENOENT; /* left the subtree the caller started in */
			break;
		case FV_FDT_END:
			return -FV_ENOENT;
		default: /* PROP, NOP */
			break;
		}
	}
}

static int first_child(const struct hdr *h, int node)
{
	uint32_t tag;
	int off = node_body(h, node), next;

	for (; off >= 0; off = next) {
		int err = next_tag(h, off, &tag, &next);

		if (err)
			return err;
		if (tag == FV_FDT_BEGIN_NODE)
			return off;
		if (tag == FV_FDT_END_NODE)
			return -FV_ENOENT;
		if (tag == FV_FDT_END)
			return -FV_EINVAL; /* node never closed */
	}
	return off;
}

/*
 * Depth 1 is node's level, so closing node itself (depth 0) is fine and
 * closing its parent (depth -1) ends the walk with -FV_ENOENT.
 */
static int next_sibling(const struct hdr *h, int node)
{
	int depth = 1, off = node;

	do {
		off = next_node(h, off, &depth);
	} while (off >= 0 && depth > 1);
	return off;
}

static const char *node_name(const struct hdr *h, int node, int *len)
{
	int body = node_body(h, node);

	if (body < 0) {
		if (len)
			*len = body;
		return NULL;
	}
	/* node_body() checked the NUL is inside the block. */
	if (len)
		*len = (int)strlen((const char *)h->st + node + 4);
	return (const char *)h->st + node + 4;
}

/* First PROP token at or after off (skipping NOPs) before the node's children/end. */
static int prop_from(const struct hdr *h, int off)
{
	uint32_t tag;

	if (off < 0)
		return off;
	off = skip_nops(h, off, &tag);
	if (off < 0)
		return off;
	if (tag == FV_FDT_PROP)
		return off;
	return tag == FV_FDT_END ? -FV_EINVAL : -FV_ENOENT;
}

static int next_prop(const struct hdr *h, int prop)
{
	uint32_t tag;
	int next;

	if (next_tag(h, prop, &tag, &next) || tag != FV_FDT_PROP)
		return -FV_EINVAL;
	return prop_from(h, next);
}

/* The NUL-terminated string at off in the strings block, or NULL. */
static const char *string_at(const struct hdr *h, uint32_t off)
{
	if (off >= h->str_size)
		return NULL;
	/* A final NUL terminates every string that starts inside the block (the usual case). */
	if (!h->str_nul_end && strnlen(h->str + off, h->str_size - off) == h->str_size - off)
		return NULL;
	return h->str + off;
}

static const void *prop_at(const struct hdr *h, int prop, const char **name, int *len)
{
	uint32_t tag;
	int next;
	const char *n;

	if (next_tag(h, prop, &tag, &next) || tag != FV_FDT_PROP)
		goto bad;
	n = string_at(h, fv_fdt_be32(h->st + prop + 8));
	if (!n)
		goto bad;
	if (name)
		*name = n;
	/* next_tag() bounded the length by the block size, which fits an int. */
	if (len)
		*len = (int)fv_fdt_be32(h->st + prop + 4);
	return h->st + prop + 12;
bad:
	if (len)
		*len = -FV_EINVAL;
	return NULL;
}

/*
 * Property of node named by the namelen bytes at name (which hold no NUL).
 * The same walk as prop_from()/next_prop()/prop_at(), with one next_tag()
 * per token instead of three: getprop is the hot loop of every lookup at
 * boot (docs/performance.md, boot path). Errors as theirs: a property
 * whose name is not a string in the strings block fails the lookup
 * (-FV_EINVAL), as does FV_FDT_END before the node's end; no such property
 * is -FV_ENOENT.
 */
static const void *getprop_n(const struct hdr *h, int node, const char *name, size_t namelen,
                             int *len)
{
	uint32_t tag;
	int off = node_body(h, node), next, ret;

	for (; off >= 0; off = next) {
		const char *pname;

		ret = next_tag(h, off, &tag, &next);
		if (ret)
			goto fail;
		if (tag == FV_FDT_NOP)
			continue;
		if (tag != FV_FDT_PROP) {
			ret = tag == FV_FDT_END ? -FV_EINVAL : -FV_ENOENT;
			goto fail;
		}
		pname = string_at(h, fv_fdt_be32(h->st + off + 8));
		if (!pname) {
			ret = -FV_EINVAL;
			goto fail;
		}
		/* pname is terminated: strncmp stops at its NUL, so pname[namelen] is in bounds if
		 * equal. */
		if (!strncmp(pname, name, namelen) && pname[namelen] == '\0') {
			/* next_tag() bounded the length by the block size, which fits an int. */
			if (len)
				*len = (int)fv_fdt_be32(h->st + off + 4);
			return h->st + off + 12;
		}
	}
	ret = off;
fail:
	if (len)
		*len = ret;
	return NULL;
}

/*
 * Several properties of node in one walk of its properties: vals[i] and lens[i] as getprop
 * would return them for names[i] (n <= FV_FDT_GETPROPS_MAX). The walk stops once every name
 * is found, so a malformed token after them fails none of them, as separate getprop calls
 * would not; names still unfound at an error get it, as theirs would.
 */
static void getprops(const struct hdr *h, int node, const char *const *names, unsigned n,
                     const void **vals, int *lens)
{
	size_t nlen[FV_FDT_GETPROPS_MAX];
	unsigned left = n, i;
	uint32_t tag;
	int off = node_body(h, node), next, ret;

	for (i = 0; i < n; i++) {
		vals[i] = NULL;
		nlen[i] = strlen(names[i]);
	}
	for (; left > 0 && off >= 0; off = next) {
		const char *pname;

		ret = next_tag(h, off, &tag, &next);
		if (ret)
			goto fail;
		if (tag == FV_FDT_NOP)
			continue;
		if (tag != FV_FDT_PROP) {
			ret = tag == FV_FDT_END ? -FV_EINVAL : -FV_ENOENT;
			goto fail;
		}
		pname = string_at(h, fv_fdt_be32(h->st + off + 8));
		if (!pname) {
			ret = -FV_EINVAL;
			goto fail;
		}
		for (i = 0; i < n; i++) {
			/* As getprop_n: pname is terminated, so pname[nlen] is in bounds if equal.
			 */
			if (vals[i] || pname[0] != names[i][0] ||
			    strncmp(pname, names[i], nlen[i]) || pname[nlen[i]] != '\0')
				continue;
			/* next_tag() bounded the length by the block size, which fits an int. */
			vals[i] = h->st + off + 12;
			lens[i] = (int)fv_fdt_be32(h->st + off + 4);
			left--;
			break; /* a later property of the same name is not the first */
		}
	}
	if (left == 0)
		return;
	ret = off;
fail:
	for (i = 0; i < n; i++)
		if (!vals[i])
			lens[i] = ret;
}

static const void *getprop(const struct hdr *h, int node, const char *name, int *len)
{
	if (!name) {
		if (len)
			*len = -FV_EINVAL;
		return NULL;
	}
	return getprop_n(h, node, name, strlen(name), len);
}

/*
 * How node name cname matches the path component name[0..namelen), which
 * contains no NUL: 2 exactly, 1 up to cname's '@' when name has no '@', 0 not.
 */
static int name_match(const char *cname, const char *name, size_t namelen)
{
	size_t i;

	/* Equal means cname has namelen non-NUL bytes, so cname[namelen] is in bounds. */
	if (strncmp(cname, name, namelen))
		return 0;
	if (cname[namelen] == '\0')
		return 2;
	if (cname[namelen] != '@')
		return 0;
	for (i = 0; i < namelen; i++) {
		if (name[i] == '@')
			return 0;
	}
	return 1;
}

/* An exact name wins over an earlier unit-address match ("dup" over "dup@1"). */
static int subnode(const struct hdr *h, int parent, const char *name, size_t namelen)
{
	int child, prefix = -FV_ENOENT;

	for (child = first_child(h, parent); child >= 0; child = next_sibling(h, child)) {
		const char *cname = node_name(h, child, NULL);
		int m;

		if (!cname)
			return -FV_EINVAL;
		m = name_match(cname, name, namelen);
		if (m == 2)
			return child;
		if (m == 1 && prefix < 0)
			prefix = child;
	}
	return child == -FV_ENOENT ? prefix : child;
}

/* Resolve the '/'-separated components in [p, end) starting at node. */
static int walk_path(const struct hdr *h, int node, const char *p, const char *end)
{
	while (node >= 0 && p < end) {
		const char *c;

		if (*p == '/') {
			p++;
			continue;
		}
		for (c = p; c < end && *c != '/'; c++)
			;
		node = subnode(h, node, p, (size_t)(c - p));
		p = c;
	}
	return node;
}

/* Resolve the alias named by [p, end) to its node via /aliases. */
static int alias_node(const struct hdr *h, const char *p, const char *end)
{
	int aliases, len;
	const char *target;

	aliases = subnode(h, root(h), "aliases", 7);
	if (aliases < 0)
		return aliases;
	target = getprop_n(h, aliases, p, (size_t)(end - p), &len);
	if (!target)
		return len;
	/* The value must be an absolute path inside the property (no alias chains). */
	if (len < 2 || target[0] != '/' || strnlen(target, (size_t)len) != (size_t)len - 1)
		return -FV_EINVAL;
	return walk_path(h, root(h), target, target + len - 1);
}

/* Read n big-endian cells at p as one value; wider than 64 bits -> -FV_ERANGE. */
static int read_cells(const uint8_t *p, int n, uint64_t *val)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < n; i++, p += 4) {
		if (v >> 32)
			return -FV_ERANGE;
		v = v << 32 | fv_fdt_be32(p);
	}
	*val = v;
	return 0;
}

/* A #address-cells / #size-cells value as getprop returned it (dflt when absent). */
static int cells_value(const void *p, int len, int dflt)
{
	uint32_t v;

	if (!p)
		return len == -FV_ENOENT ? dflt : len;
	if (len != 4)
		return -FV_EINVAL;
	v = fv_fdt_be32(p);
	return v > FV_FDT_MAX_CELLS ? -FV_EINVAL : (int)v;
}

static int cells(const struct hdr *h, int node, const char *name, int dflt)
{
	int len;
	const void *p = getprop(h, node, name, &len);

	return cells_value(p, len, dflt);
}

static int node_depth(const struct hdr *h, int node)
{
	int depth = 0, off;

	for (off = root(h); off >= 0 && off < node; off = next_node(h, off, &depth))
		;
	if (off == node)
		return depth;
	return off < 0 && off != -FV_ENOENT ? off : -FV_EINVAL;
}

static int parent_offset(const struct hdr *h, int node)
{
	int depth = 0, target, off, parent = -FV_ENOENT;

	target = node_depth(h, node);
	if (target < 0)
		return target;
	if (target == 0)
		return -FV_ENOENT; /* the root */
	/* The parent is the last node at depth target - 1 before node. */
	for (off = root(h); off >= 0 && off < node; off = next_node(h, off, &depth)) {
		if (depth == target - 1)
			parent = off;
	}
	return parent;
}

static uint32_t get_phandle(const struct hdr *h, int node)
{
	static const char *const names[] = {"phandle", "linux,phandle"};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		int len;
		const void *p = getprop(h, node, names[i], &len);

		if (p && len == 4) {
			uint32_t ph = fv_fdt_be32(p);

			return ph == 0xffffffffU ? 0 : ph;
		}
	}
	return 0;
}

/* ---- public API: validate the header, then call the helpers above ---- */

int fv_fdt_check(const void *blob, size_t size)
{
	struct hdr h;

	return hdr_parse(blob, size, &h);
}

int fv_fdt_total_size(const void *blob)
{
	struct hdr h;
	int err = hdr_get(blob, &h);

	return err ? err : (int)h.total;
}

int fv_fdt_root(const void *blob)
{
	struct hdr h;
	int err = hdr_get(blob, &h);

	return err ? err : root(&h);
}

int fv_fdt_next_node(const void *blob, int node, int *depth)
{
	struct hdr h;
	int err = hdr_get(blob, &h);

	return err ? err : next_node(&h, node, depth);
}

int fv_fdt_first_child(const void *blob, int node)
{
	struct hdr h;
	int err = hdr_get(blob, &h);

	return err ? err : first_child(&h, node);
}

int fv_fdt_next_sibling(const void *blob, int node)
{
	struct hdr h;
	int err = hdr_get(blob, &h);

	return err ? err : next_sibling(&h, node);
}

const char *fv_fdt_node_name(const void *blob, int node, int *len)
{
	struct hdr h;
	int err = hdr_get(blob, &h);

	if (err) {
		if (len)
			*len = err;
		return NULL;
	}
	return node_name(&h, node, len);
}

int fv_fdt_subnode(const void *blob, int parent, const char *name, size_t namelen)
{
	struct hdr h;
	int err = hdr_get(blob, &h);

	if (err)
		return err;
	if (!name)
		return -FV_EINVAL;
	/* An embedded NUL ends the name (name_match() relies on there being none). */
	return subnode(&h, parent, name, strnlen(name, namelen));
}

int fv_fdt_path_offset(const void *blob, const char *path)
{
	struct hdr h;
	const char *end, *p;
	int err = hdr_get(blob, &h), node;

	if (err)
		return err;
	if (!path || !*path)
		return -FV_EINVAL;
	end = path + strlen(path);
	if (*path == '/')
		return walk_path(&h, root(&h), path, end);
	for (p = path; p < end && *p != '/'; p++)
		;
	node = alias_node(&h, path, p);
	return walk_path(&h, node, p, end);
}

int fv_fdt_parent_offset(const void *blob, int node)
{
	struct hdr h;
	int err = hdr_get(blob, &h);

	return err ? err : parent_offset(&h, node);
}

int fv_fdt_node_depth(const void *blob, int node)
{
	struct hdr h;
	int err = hdr_get(blob, &h);

	return err ? err : node_depth(&h, node);
}

int fv_fdt_first_prop(const void *blob, int node)
{
	struct hdr h;
	int err = hdr_get(blob, &h);

	return err ? err : prop_from(&h, node_body(&h, node));
}

int fv_fdt_next_prop(const void *blob, int prop)
{
	struct hdr h;
	int err = hdr_get(blob, &h);

	return err ? err : next_prop(&h, prop);
}

const void *fv_fdt_prop_at(const void *blob, int prop, const char **name, int *len)
{
	struct hdr h;
	int err = hdr_get(blob, &h);

	if (err) {
		if (len)
			*len = err;
		return NULL;
	}
	return prop_at(&h, prop, name, len);
}

int fv_fdt_getprops(const void *blob, int node, const char *const *names, unsigned n,
                    const void **vals, int *lens)
{
	struct hdr h;
	int err = hdr_get(blob, &h);

	if (err)
		return err;
	if (!names || !vals || !lens || n > FV_FDT_GETPROPS_MAX)
		return -FV_EINVAL;
	for (unsigned i = 0; i < n; i++)
		if (!names[i])
			return -FV_EINVAL;
	getprops(&h, node, names, n, vals, lens);
	return 0;
}

const void *fv_fdt_getprop(const void *blob, int node, const char *name, int *len)
{
	struct hdr h;
	int err = hdr_get(blob, &h);

	if (err) {
		if (len)
			*len = err;
		return NULL;
	}
	return getprop(&h, node, name, len);
}

int fv_fdt_prop_u32(const void *blob, int node, const char *name, uint32_t *val)
{
	int len;
	const void *p = fv_fdt_getprop(blob, node, name, &len);

	if (!p)
		return len;
	if (len != 4)
		return -FV_EINVAL;
	*val = fv_fdt_be32(p);
	return 0;
}

int fv_fdt_prop_u64(const void *blob, int node, const char *name, uint64_t *val)
{
	int len;
	const void *p = fv_fdt_getprop(blob, node, name, &len);

	if (!p)
		return len;
	if (len == 4)
		*val = fv_fdt_be32(p);
	else if (len == 8)
		*val = fv_fdt_be64(p);
	else
		return -FV_EINVAL;
	return 0;
}

const char *fv_fdt_prop_string(const void *blob, int node, const char *name)
{
	int len;
	const char *p = fv_fdt_getprop(blob, node, name, &len);

	if (!p || len <= 0 || strnlen(p, (size_t)len) == (size_t)len)
		return NULL;
	return p;
}

bool fv_fdt_stringlist_contains(const void *prop, int len, const char *str)
{
	const char *p = prop;
	size_t left, want;

	if (!p || !str || len <= 0)
		return false;
	want = strlen(str);
	for (left = (size_t)len; left > 0;) {
		size_t l = strnlen(p, left);

		if (l == left)
			return false; /* unterminated tail */
		if (l == want && !memcmp(p, str, l))
			return true;
		p += l + 1;
		left -= l + 1;
	}
	return false;
}

bool fv_fdt_node_is_compatible(const void *blob, int node, const char *compat)
{
	int len;
	const void *p = fv_fdt_getprop(blob, node, "compatible", &len);

	return p && fv_fdt_stringlist_contains(p, len, compat);
}

int fv_fdt_find_compatible(const void *blob, int start, const char *compat)
{
	struct hdr h;
	int err = hdr_get(blob, &h), off;

	if (err)
		return err;
	if (!compat)
		return -FV_EINVAL;
	off = start < 0 ? root(&h) : next_node(&h, start, NULL);
	for (; off >= 0; off = next_node(&h, off, NULL)) {
		int len;
		const void *p = getprop(&h, off, "compatible", &len);

		if (p && fv_fdt_stringlist_contains(p, len, compat))
			return off;
	}
	return off;
}

int fv_fdt_address_cells(const void *blob, int node)
{
	struct hdr h;
	int err = hdr_get(blob, &h);

	return err ? err : cells(&h, node, "#address-cells", FV_FDT_DEFAULT_ADDR_CELLS);
}

int fv_fdt_size_cells(const void *blob, int node)
{
	struct hdr h;
	int err = hdr_get(blob, &h);

	return err ? err : cells(&h, node, "#size-cells", FV_FDT_DEFAULT_SIZE_CELLS);
}

/* fv_fdt_reg() with node's parent known (the parent's cells decode node's reg). */
static int reg_in(const struct hdr *h, int parent, int node, int index, uint64_t *addr,
                  uint64_t *size)
{
	int err, ac, sc, len, stride;
	const uint8_t *p;
	uint64_t s;

	/* Both cell counts in one walk of the parent's properties. */
	static const char *const cell_names[2] = {"#address-cells", "#size-cells"};
	const void *cv[2];
	int cl[2];

	getprops(h, parent, cell_names, 2, cv, cl);
	ac = cells_value(cv[0], cl[0], FV_FDT_DEFAULT_ADDR_CELLS);
	sc = cells_value(cv[1], cl[1], FV_FDT_DEFAULT_SIZE_CELLS);
	if (ac < 0 || sc < 0)
		return -FV_EINVAL;
	p = getprop(h, node, "reg", &len);
	if (!p)
		return len;
	stride = (ac + sc) * 4;
	if (stride == 0 || len % stride)
		return -FV_EINVAL;
	if (index >= len / stride)
		return -FV_ENOENT;
	p += index * stride;
	err = read_cells(p, ac, addr);
	if (!err)
		err = read_cells(p + ac * 4, sc, &s);
	if (!err && size)
		*size = s;
	return err;
}

int fv_fdt_reg(const void *blob, int node, int index, uint64_t *addr, uint64_t *size)
{
	struct hdr h;
	int err = hdr_get(blob, &h), parent;

	if (err)
		return err;
	if (index < 0 || !addr)
		return -FV_EINVAL;
	parent = parent_offset(&h, node);
	if (parent < 0)
		return parent == -FV_ENOENT ? -FV_EINVAL : parent; /* the root has no reg */
	return reg_in(&h, parent, node, index, addr, size);
}

int fv_fdt_reg_in(const void *blob, int parent, int node, int index, uint64_t *addr, uint64_t *size)
{
	struct hdr h;
	int err = hdr_get(blob, &h);

	if (err)
		return err;
	if (index < 0 || !addr)
		return -FV_EINVAL;
	/* Both must be nodes (next_tag validates the offsets); any other parent only changes the
	 * cells. */
	if (node_body(&h, parent) < 0 || node_body(&h, node) < 0)
		return -FV_EINVAL;
	return reg_in(&h, parent, node, index, addr, size);
}

uint32_t fv_fdt_get_phandle(const void *blob, int node)
{
	struct hdr h;

	return hdr_get(blob, &h) ? 0 : get_phandle(&h, node);
}

int fv_fdt_node_by_phandle(const void *blob, uint32_t phandle)
{
	struct hdr h;
	int err = hdr_get(blob, &h), depth = 0, off;

	if (err)
		return err;
	if (phandle == 0 || phandle == 0xffffffffU)
		return -FV_EINVAL;
	for (off = root(&h); off >= 0; off = next_node(&h, off, &depth)) {
		if (get_phandle(&h, off) == phandle)
			return off;
	}
	return off;
}

int fv_fdt_mem_rsv(const void *blob, int index, uint64_t *addr, uint64_t *size)
{
	struct hdr h;
	int err = hdr_get(blob, &h), i;
	uint32_t off;

	if (err)
		return err;
	if (index < 0)
		return -FV_EINVAL;
	/* Entries before index must not be the terminator either. */
	for (i = 0, off = h.off_rsv;; i++, off += FV_FDT_RSV_ENTRY_SIZE) {
		uint64_t a, s;

		if (off > h.total - FV_FDT_RSV_ENTRY_SIZE)
			return -FV_EINVAL; /* no terminator inside the blob */
		a = fv_fdt_be64(h.b + off);
		s = fv_fdt_be64(h.b + off + 8);
		if (a == 0 && s == 0)
			return -FV_ENOENT;
		if (i == index) {
			if (addr)
				*addr = a;
			if (size)
				*size = s;
			return 0;
		}
	}
}
