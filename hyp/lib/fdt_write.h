/* SPDX-License-Identifier: MIT */
#ifndef FV_LIB_FDT_WRITE_H
#define FV_LIB_FDT_WRITE_H

/*
 * Sequential FDT writer: builds a version 17 DTB (Devicetree Specification
 * v0.4, chapter 5) front to back in a caller-provided buffer. Used to
 * build each guest's device tree.
 *
 * Order of calls: fv_fdt_write_init(); any number of fv_fdt_write_rsv();
 * then exactly one root node ("") with nested nodes, where each node's
 * properties come before its child nodes; fv_fdt_write_finish().
 *
 * Errors are sticky: the first failure (buffer full, bad argument, call
 * out of order) is recorded in w->err, every later call does nothing and
 * returns it, and fv_fdt_write_finish() reports it. So callers may issue a
 * whole sequence and check once at the end. Nothing is ever written outside
 * [buf, buf + size).
 *
 * Layout while writing: header space, reservation map, structure block
 * growing up from struct_off; property names are kept at the very end of
 * the buffer, growing down (stored byte-reversed so that each name's final
 * offset is known when it is first used and no fix-up pass is needed).
 * fv_fdt_write_finish() moves them right after the structure block.
 *
 * A writer is used by one CPU at a time; it takes no locks and does not
 * allocate.
 */
#include "lib/types.h"

enum fv_fdt_write_phase {
	FV_FDT_W_RSV,      /* reservation entries may still be added */
	FV_FDT_W_STRUCT,   /* inside the structure block */
	FV_FDT_W_FINISHED, /* fv_fdt_write_finish() succeeded */
};

/* Names remembered for add_string's look-up (more distinct names fall back to a full scan). */
#define FV_FDT_W_NAMES 48

struct fv_fdt_writer {
	uint8_t *buf;
	size_t size;
	int err; /* sticky: 0 or the first negative error */
	enum fv_fdt_write_phase phase;
	size_t struct_off;   /* start of the structure block */
	size_t pos;          /* end of what is written at the front (header, map, structure) */
	size_t strings_len;  /* bytes of names at the end of buf */
	int depth;           /* open nodes */
	bool root_done;      /* the root node has been closed */
	bool props_ok;       /* no child written yet in the current node */
	uint32_t boot_cpuid; /* header boot_cpuid_phys, 0 unless set */
	/*
	 * Strings-block offset and length of each distinct name stored, in order, while
	 * nr_names <= FV_FDT_W_NAMES; nr_names = FV_FDT_W_NAMES + 1 once one did not fit.
	 */
	unsigned nr_names;
	uint16_t name_off[FV_FDT_W_NAMES];
	uint16_t name_len[FV_FDT_W_NAMES];
};

/*
 * Start a tree in buf of size bytes. For the DTB to be usable by readers
 * buf should be 8-byte aligned (the writer itself uses byte stores). A
 * buffer too small for even an empty tree records -FV_ENOMEM.
 */
void fv_fdt_write_init(struct fv_fdt_writer *w, void *buf, size_t size);

/* Add a memory reservation entry; only before the first node (else -FV_EBUSY). */
int fv_fdt_write_rsv(struct fv_fdt_writer *w, uint64_t addr, uint64_t size);

/* Set the header's boot_cpuid_phys (any time before finish). */
int fv_fdt_write_boot_cpuid(struct fv_fdt_writer *w, uint32_t cpuid);

/*
 * Open a node. The first node must be the root "" and there is only one;
 * other names must be non-empty and contain no '/'. -FV_EINVAL / -FV_EBUSY
 * otherwise.
 */
int fv_fdt_write_begin_node(struct fv_fdt_writer *w, const char *name);

/*
 * Add a property with len bytes of data to the open node, before any child
 * node of it. data may be NULL only when len is 0.
 */
int fv_fdt_write_prop(struct fv_fdt_writer *w, const char *name, const void *data, size_t len);

/* A one-cell property (stored big-endian). */
int fv_fdt_write_prop_u32(struct fv_fdt_writer *w, const char *name, uint32_t val);

/* A two-cell property (stored big-endian, high cell first). */
int fv_fdt_write_prop_u64(struct fv_fdt_writer *w, const char *name, uint64_t val);

/* A string property, including its NUL. */
int fv_fdt_write_prop_string(struct fv_fdt_writer *w, const char *name, const char *str);

/* n cells given in host order, stored big-endian (e.g. "reg", "interrupts"). */
int fv_fdt_write_prop_cells(struct fv_fdt_writer *w, const char *name, const uint32_t *cells,
                            size_t n);

/* An empty (boolean) property such as "interrupt-controller". */
int fv_fdt_write_prop_empty(struct fv_fdt_writer *w, const char *name);

/* Close the innermost open node. */
int fv_fdt_write_end_node(struct fv_fdt_writer *w);

/*
 * Finish the tree: requires the root to be closed; writes the END token,
 * moves the strings block into place and writes the header. Returns the
 * blob's total size (which starts at buf) or the sticky error.
 */
int fv_fdt_write_finish(struct fv_fdt_writer *w);

#endif
