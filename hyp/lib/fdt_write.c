/* SPDX-License-Identifier: MIT */
/*
 * Sequential FDT writer (Devicetree Specification v0.4, chapter 5).
 *
 * Everything at the front of the buffer (header space, reservation map,
 * structure block) grows up from w->pos; property names grow down from the
 * end. All space is taken through reserve() or add_string(), which check
 * the gap between the two, so no store can leave the buffer.
 *
 * Names are stored byte-reversed: the byte at final strings-block offset k
 * lives at buf[size - 1 - k]. A name therefore gets its final nameoff the
 * moment it is added, and finish() only has to reverse the region and
 * move it down behind the structure block.
 */
#include "lib/fdt_write.h"

#include "lib/fdt.h"
#include "lib/string.h"

/* Header, reservation terminator, root BEGIN_NODE + empty name, END_NODE, END. */
#define MIN_TREE (FV_FDT_HDR_SIZE + FV_FDT_RSV_ENTRY_SIZE + 8 + 4 + 4)

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

/* Record err unless an error is already recorded; return the sticky error. */
static int fail(struct fv_fdt_writer *w, int err)
{
	if (!w->err)
		w->err = err;
	return w->err;
}

/* Free bytes between the front part and the names at the end. */
static size_t room(const struct fv_fdt_writer *w)
{
	return w->size - w->strings_len - w->pos;
}

/* Take n bytes at the front, or record -FV_ENOMEM and return NULL. */
static uint8_t *reserve(struct fv_fdt_writer *w, size_t n)
{
	uint8_t *p;

	if (n > room(w)) {
		fail(w, -FV_ENOMEM);
		return NULL;
	}
	p = w->buf + w->pos;
	w->pos += n;
	return p;
}

/* Byte k of the final strings block. */
static uint8_t *str_byte(const struct fv_fdt_writer *w, size_t k)
{
	return w->buf + w->size - 1 - k;
}

/* Whether name (len bytes plus NUL) is stored at final offset k. */
static bool string_at(const struct fv_fdt_writer *w, size_t k, const char *name, size_t len)
{
	size_t i;

	if (w->strings_len - k < len + 1)
		return false;
	for (i = 0; i <= len; i++) {
		if (*str_byte(w, k + i) != (uint8_t)name[i])
			return false;
	}
	return true;
}

/*
 * Final strings-block offset of name, adding it if no stored name ends
 * with it (a match may be the tail of a longer name, which the format
 * allows). Returns the offset, or -1 with -FV_ENOMEM recorded.
 *
 * A match includes name's NUL and names hold no other NUL, so it lies
 * inside one stored name and ends where that name ends: looking only at
 * the tail of each stored name, in the order they were stored, finds the
 * same (lowest) offset as trying every offset of the block. The full scan
 * remains for trees with more distinct names than the table holds.
 * (A tree of ~50 properties spent ~100 k instructions here scanning every
 * offset: docs/performance.md, boot path.)
 */
static long add_string(struct fv_fdt_writer *w, const char *name)
{
	size_t len = strlen(name), k, i;

	if (w->nr_names <= FV_FDT_W_NAMES) {
		for (i = 0; i < w->nr_names; i++) {
			k = (size_t)w->name_off[i] + w->name_len[i];
			if (w->name_len[i] >= len && string_at(w, k - len, name, len))
				return (long)(k - len);
		}
	} else {
		for (k = 0; k < w->strings_len; k++) {
			if (string_at(w, k, name, len))
				return (long)k;
		}
	}
	if (len + 1 > room(w)) {
		fail(w, -FV_ENOMEM);
		return -1;
	}
	k = w->strings_len;
	for (i = 0; i <= len; i++)
		*str_byte(w, k + i) = (uint8_t)name[i];
	w->strings_len += len + 1;
	/* Offsets and lengths fit 16 bits while the block does; beyond, scan in full. */
	if (w->nr_names < FV_FDT_W_NAMES && w->strings_len <= UINT16_MAX) {
		w->name_off[w->nr_names] = (uint16_t)k;
		w->name_len[w->nr_names] = (uint16_t)len;
		w->nr_names++;
	} else {
		w->nr_names = FV_FDT_W_NAMES + 1;
	}
	return (long)k;
}

/* Leave the reservation phase: write the terminating entry and start the structure block. */
static void start_struct(struct fv_fdt_writer *w)
{
	uint8_t *p = reserve(w, FV_FDT_RSV_ENTRY_SIZE);

	if (!p)
		return;
	memset(p, 0, FV_FDT_RSV_ENTRY_SIZE);
	w->struct_off = w->pos;
	w->phase = FV_FDT_W_STRUCT;
}

void fv_fdt_write_init(struct fv_fdt_writer *w, void *buf, size_t size)
{
	memset(w, 0, sizeof(*w));
	w->buf = buf;
	/* Offsets must fit the 32-bit header fields and the int return of finish. */
	w->size = size > FV_FDT_MAX_SIZE ? FV_FDT_MAX_SIZE : size;
	w->phase = FV_FDT_W_RSV;
	w->pos = FV_FDT_HDR_SIZE;
	if (!buf)
		fail(w, -FV_EINVAL);
	else if (w->size < MIN_TREE)
		fail(w, -FV_ENOMEM);
}

int fv_fdt_write_rsv(struct fv_fdt_writer *w, uint64_t addr, uint64_t size)
{
	uint8_t *p;

	if (w->err)
		return w->err;
	if (w->phase != FV_FDT_W_RSV)
		return fail(w, -FV_EBUSY);
	if (size == 0)
		return fail(w, -FV_EINVAL); /* and (0, 0) would end the map early */
	p = reserve(w, FV_FDT_RSV_ENTRY_SIZE);
	if (!p)
		return w->err;
	put64(p, addr);
	put64(p + 8, size);
	return 0;
}

int fv_fdt_write_boot_cpuid(struct fv_fdt_writer *w, uint32_t cpuid)
{
	if (w->err)
		return w->err;
	if (w->phase == FV_FDT_W_FINISHED)
		return fail(w, -FV_EBUSY);
	w->boot_cpuid = cpuid;
	return 0;
}

int fv_fdt_write_begin_node(struct fv_fdt_writer *w, const char *name)
{
	size_t len, padded;
	uint8_t *p;

	if (w->err)
		return w->err;
	if (!name)
		return fail(w, -FV_EINVAL);
	if (w->phase == FV_FDT_W_RSV)
		start_struct(w);
	if (w->err)
		return w->err;
	if (w->phase != FV_FDT_W_STRUCT || w->root_done)
		return fail(w, -FV_EBUSY);
	len = strlen(name);
	if (w->depth == 0 ? len != 0 : (len == 0 || strchr(name, '/')))
		return fail(w, -FV_EINVAL);
	if (len >= FV_FDT_MAX_SIZE)
		return fail(w, -FV_ENOMEM);
	padded = ALIGN_UP(len + 1, 4);
	p = reserve(w, 4 + padded);
	if (!p)
		return w->err;
	put32(p, FV_FDT_BEGIN_NODE);
	memcpy(p + 4, name, len);
	memset(p + 4 + len, 0, padded - len); /* NUL and padding */
	w->depth++;
	w->props_ok = true;
	return 0;
}

int fv_fdt_write_prop(struct fv_fdt_writer *w, const char *name, const void *data, size_t len)
{
	size_t padded;
	long nameoff;
	uint8_t *p;

	if (w->err)
		return w->err;
	if (w->phase != FV_FDT_W_STRUCT || w->depth == 0 || !w->props_ok)
		return fail(w, -FV_EBUSY);
	if (!name || !*name || (!data && len))
		return fail(w, -FV_EINVAL);
	if (len >= FV_FDT_MAX_SIZE)
		return fail(w, -FV_ENOMEM);
	nameoff = add_string(w, name);
	if (nameoff < 0)
		return w->err;
	padded = ALIGN_UP(len, 4);
	p = reserve(w, 12 + padded);
	if (!p)
		return w->err;
	put32(p, FV_FDT_PROP);
	put32(p + 4, (uint32_t)len);
	put32(p + 8, (uint32_t)nameoff);
	if (len)
		memcpy(p + 12, data, len);
	memset(p + 12 + len, 0, padded - len);
	return 0;
}

int fv_fdt_write_prop_u32(struct fv_fdt_writer *w, const char *name, uint32_t val)
{
	uint8_t b[4];

	put32(b, val);
	return fv_fdt_write_prop(w, name, b, sizeof(b));
}

int fv_fdt_write_prop_u64(struct fv_fdt_writer *w, const char *name, uint64_t val)
{
	uint8_t b[8];

	put64(b, val);
	return fv_fdt_write_prop(w, name, b, sizeof(b));
}

int fv_fdt_write_prop_string(struct fv_fdt_writer *w, const char *name, const char *str)
{
	if (!str)
		return w->err ? w->err : fail(w, -FV_EINVAL);
	return fv_fdt_write_prop(w, name, str, strlen(str) + 1);
}

int fv_fdt_write_prop_cells(struct fv_fdt_writer *w, const char *name, const uint32_t *cells,
                            size_t n)
{
	size_t len, i;
	long nameoff;
	uint8_t *p;

	/* Written in place rather than through a bounce buffer, so n has no fixed limit. */
	if (w->err)
		return w->err;
	if (w->phase != FV_FDT_W_STRUCT || w->depth == 0 || !w->props_ok)
		return fail(w, -FV_EBUSY);
	if (!name || !*name || (!cells && n))
		return fail(w, -FV_EINVAL);
	if (n >= FV_FDT_MAX_SIZE / 4)
		return fail(w, -FV_ENOMEM);
	len = n * 4;
	nameoff = add_string(w, name);
	if (nameoff < 0)
		return w->err;
	p = reserve(w, 12 + len);
	if (!p)
		return w->err;
	put32(p, FV_FDT_PROP);
	put32(p + 4, (uint32_t)len);
	put32(p + 8, (uint32_t)nameoff);
	for (i = 0; i < n; i++)
		put32(p + 12 + 4 * i, cells[i]);
	return 0;
}

int fv_fdt_write_prop_empty(struct fv_fdt_writer *w, const char *name)
{
	return fv_fdt_write_prop(w, name, NULL, 0);
}

int fv_fdt_write_end_node(struct fv_fdt_writer *w)
{
	uint8_t *p;

	if (w->err)
		return w->err;
	if (w->phase != FV_FDT_W_STRUCT || w->depth == 0)
		return fail(w, -FV_EBUSY);
	p = reserve(w, 4);
	if (!p)
		return w->err;
	put32(p, FV_FDT_END_NODE);
	w->depth--;
	w->props_ok = false;
	if (w->depth == 0)
		w->root_done = true;
	return 0;
}

/* Reverse n bytes in place. */
static void reverse(uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n / 2; i++) {
		uint8_t t = p[i];

		p[i] = p[n - 1 - i];
		p[n - 1 - i] = t;
	}
}

int fv_fdt_write_finish(struct fv_fdt_writer *w)
{
	size_t off_strings, total;
	uint8_t *p;

	if (w->err)
		return w->err;
	if (w->phase != FV_FDT_W_STRUCT || !w->root_done)
		return fail(w, -FV_EBUSY);
	p = reserve(w, 4);
	if (!p)
		return w->err;
	put32(p, FV_FDT_END);

	/* The names end the buffer reversed; the block goes right after the structure. */
	off_strings = w->pos;
	reverse(w->buf + w->size - w->strings_len, w->strings_len);
	memmove(w->buf + off_strings, w->buf + w->size - w->strings_len, w->strings_len);
	total = off_strings + w->strings_len;

	p = w->buf;
	put32(p + FV_FDT_H_MAGIC, FV_FDT_MAGIC);
	put32(p + FV_FDT_H_TOTALSIZE, (uint32_t)total);
	put32(p + FV_FDT_H_OFF_STRUCT, (uint32_t)w->struct_off);
	put32(p + FV_FDT_H_OFF_STRINGS, (uint32_t)off_strings);
	put32(p + FV_FDT_H_OFF_RSVMAP, FV_FDT_HDR_SIZE);
	put32(p + FV_FDT_H_VERSION, FV_FDT_VERSION);
	put32(p + FV_FDT_H_LAST_COMP_VER, FV_FDT_LAST_COMP_VER);
	put32(p + FV_FDT_H_BOOT_CPUID, w->boot_cpuid);
	put32(p + FV_FDT_H_SIZE_STRINGS, (uint32_t)w->strings_len);
	put32(p + FV_FDT_H_SIZE_STRUCT, (uint32_t)(off_strings - w->struct_off));

	/* Names now live in the block: they no longer occupy the end of the buffer. */
	w->pos = total;
	w->strings_len = 0;
	w->phase = FV_FDT_W_FINISHED;
	return (int)total;
}
