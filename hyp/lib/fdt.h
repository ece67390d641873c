/* SPDX-License-Identifier: MIT */
#ifndef FV_LIB_FDT_H
#define FV_LIB_FDT_H

/*
 * Read-only flattened device tree (FDT/DTB) reader.
 * Format: Devicetree Specification v0.4, chapter 5 ("Flattened Devicetree
 * (DTB) Format").
 *
 * Trust model: the blob may be hostile or corrupt. fv_fdt_check() validates
 * the header against the size of the memory that holds the blob; after it
 * succeeded, every other function stays inside [blob, blob + totalsize)
 * and inside the header's struct/strings blocks, whatever the bytes are,
 * and every loop moves strictly forward through the blob, so all calls
 * terminate. Malformed content yields a negative error (-FV_EINVAL for
 * bad structure, -FV_ENOENT for "not there"), never a crash. The reader
 * re-validates the header on every call but cannot know the buffer size:
 * never call the other functions on a blob that failed fv_fdt_check().
 *
 * Offsets: a node is named by the byte offset of its FDT_BEGIN_NODE token
 * inside the structure block (an int >= 0); negative values are errors.
 * Offsets stay valid as long as the blob is not modified.
 *
 * Names carry the fv_ prefix so this header can be included together with
 * the host libfdt in unit tests. All functions are reentrant, take no locks
 * and do not allocate.
 */
#include "lib/types.h"

/* Header and token constants (DT spec §5.2, §5.4.1). */
#define FV_FDT_MAGIC          0xd00dfeedU
#define FV_FDT_VERSION        17U /* version we write */
#define FV_FDT_LAST_COMP_VER  16U /* oldest version a v17 blob stays compatible with */
#define FV_FDT_MIN_VERSION    16U /* oldest version we read */
#define FV_FDT_HDR_SIZE       40U /* v17 header */
#define FV_FDT_HDR_SIZE_V16   36U /* v16 lacks size_dt_struct */
#define FV_FDT_BEGIN_NODE     0x1U
#define FV_FDT_END_NODE       0x2U
#define FV_FDT_PROP           0x3U
#define FV_FDT_NOP            0x4U
#define FV_FDT_END            0x9U
#define FV_FDT_RSV_ENTRY_SIZE 16U
/* Largest totalsize read or written: keeps all offset arithmetic far from int overflow. */
#define FV_FDT_MAX_SIZE (1U << 30)

/* Header field byte offsets (all fields are big-endian 32-bit). */
#define FV_FDT_H_MAGIC         0
#define FV_FDT_H_TOTALSIZE     4
#define FV_FDT_H_OFF_STRUCT    8
#define FV_FDT_H_OFF_STRINGS   12
#define FV_FDT_H_OFF_RSVMAP    16
#define FV_FDT_H_VERSION       20
#define FV_FDT_H_LAST_COMP_VER 24
#define FV_FDT_H_BOOT_CPUID    28
#define FV_FDT_H_SIZE_STRINGS  32
#define FV_FDT_H_SIZE_STRUCT   36

/* Cell counts assumed when a parent lacks #address-cells / #size-cells (DT spec §2.3.5). */
#define FV_FDT_DEFAULT_ADDR_CELLS 2
#define FV_FDT_DEFAULT_SIZE_CELLS 1
/* Largest #address-cells / #size-cells accepted (PCI uses 3). */
#define FV_FDT_MAX_CELLS 4

/*
 * Big-endian loads for property data. FDT data is only 4-byte aligned
 * (64-bit values too) and a hostile blob may not even be that, so these
 * use byte loads and accept any address.
 */
static inline uint32_t fv_fdt_be32(const void *p)
{
	const uint8_t *b = p;

	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static inline uint64_t fv_fdt_be64(const void *p)
{
	const uint8_t *b = p;

	return (uint64_t)fv_fdt_be32(b) << 32 | fv_fdt_be32(b + 4);
}

/*
 * Validate the header of the blob at blob, which the caller can read for
 * size bytes: magic, version >= 16 with last_comp_version <= 17, totalsize
 * within size, the memory reservation map, structure and strings blocks
 * inside totalsize and aligned. Does not walk the structure block (the
 * other functions check it as they go). Returns 0 or -FV_EINVAL.
 */
int fv_fdt_check(const void *blob, size_t size);

/* totalsize from the header, or -FV_EINVAL if the header is invalid. */
int fv_fdt_total_size(const void *blob);

/* Offset of the root node, or a negative error. */
int fv_fdt_root(const void *blob);

/*
 * Depth-first iteration. Returns the offset of the node after node in
 * document order and adjusts *depth by the change in nesting (+1 for a
 * child, 0 for a sibling, -n when climbing out); depth may be NULL.
 * node -1 starts at the root (depth set to 0). Returns -FV_ENOENT after
 * the last node, and also as soon as *depth would drop below 0: so a walk
 * that sets *depth = 0 at some node visits exactly that node's subtree
 * (from -1: the whole tree, never a stray second root). -FV_EINVAL on
 * malformed structure.
 */
int fv_fdt_next_node(const void *blob, int node, int *depth);

/* First child of node, -FV_ENOENT if it has none, -FV_EINVAL on malformed structure. */
int fv_fdt_first_child(const void *blob, int node);

/* Next sibling of node, -FV_ENOENT if it is the last one. */
int fv_fdt_next_sibling(const void *blob, int node);

/*
 * Name of node ("" for the root, "cpu@0" for a unit address), NUL
 * terminated inside the blob; *len (if not NULL) receives its length.
 * Returns NULL (and a negative error in *len) on a bad offset.
 */
const char *fv_fdt_node_name(const void *blob, int node, int *len);

/*
 * Child of parent called name: the full name ("cpu@0"), or, when name has
 * no '@', a child whose name before its '@' is name ("memory" finds
 * "memory@80000000"). A child with exactly that name wins; otherwise the
 * first unit-address match in document order. Only the first namelen
 * bytes of name are used. Returns the offset, -FV_ENOENT or -FV_EINVAL.
 */
int fv_fdt_subnode(const void *blob, int parent, const char *name, size_t namelen);

/*
 * Look up an absolute path ("/", "/cpus/cpu@0", "/soc/uart" with the
 * component matching of fv_fdt_subnode()). A path not starting with '/'
 * begins with an alias name resolved through /aliases ("serial0/child").
 * Returns the node offset, -FV_ENOENT, or -FV_EINVAL for a bad path.
 */
int fv_fdt_path_offset(const void *blob, const char *path);

/* Parent of node (O(size of the tree)); -FV_ENOENT for the root. */
int fv_fdt_parent_offset(const void *blob, int node);

/* Depth of node (root 0) (O(size of the tree)), or a negative error. */
int fv_fdt_node_depth(const void *blob, int node);

/*
 * Property iteration: the first property of node, and the property after
 * prop (both return the property's offset, -FV_ENOENT when there are no
 * more). fv_fdt_prop_at() decodes a property offset: name (NUL terminated
 * in the strings block) into *name, its value and length (the return value
 * and *len). name or len may be NULL. On error returns NULL and sets *len
 * to the negative error.
 */
int fv_fdt_first_prop(const void *blob, int node);
int fv_fdt_next_prop(const void *blob, int prop);
const void *fv_fdt_prop_at(const void *blob, int prop, const char **name, int *len);

/*
 * Value of property name of node, with its length in *len (if not NULL).
 * Returns NULL if absent (*len = -FV_ENOENT) or on error (*len = -err).
 * The value is inside the blob and may be unaligned.
 */
const void *fv_fdt_getprop(const void *blob, int node, const char *name, int *len);

/* Most names fv_fdt_getprops() takes at once. */
#define FV_FDT_GETPROPS_MAX 8

/*
 * Several properties of node in one walk: vals[i] and lens[i] as fv_fdt_getprop() gives them
 * for names[i] (NULL and the negative error when absent or malformed). Returns 0, or a
 * negative error (bad blob, n > FV_FDT_GETPROPS_MAX, NULL arguments) with nothing written.
 */
int fv_fdt_getprops(const void *blob, int node, const char *const *names, unsigned n,
                    const void **vals, int *lens);

/* Read a 1-cell (exactly 4 bytes) property. Returns 0, -FV_ENOENT or -FV_EINVAL (bad length). */
int fv_fdt_prop_u32(const void *blob, int node, const char *name, uint32_t *val);

/* Read a 1- or 2-cell property (4 or 8 bytes) as 64 bits. Errors as fv_fdt_prop_u32(). */
int fv_fdt_prop_u64(const void *blob, int node, const char *name, uint64_t *val);

/*
 * A string property: the value if it has a NUL within its length (for a
 * string list, that is the first string). NULL if absent, empty or
 * unterminated.
 */
const char *fv_fdt_prop_string(const void *blob, int node, const char *name);

/*
 * Whether the string list value prop of len bytes (e.g. "compatible")
 * contains str exactly. A final string without NUL is ignored.
 */
bool fv_fdt_stringlist_contains(const void *prop, int len, const char *str);

/* Whether node's "compatible" list contains compat. */
bool fv_fdt_node_is_compatible(const void *blob, int node, const char *compat);

/*
 * Next node after start in depth-first order whose "compatible" contains
 * compat; start -1 searches from (and including) the root. Returns the
 * offset, -FV_ENOENT, or -FV_EINVAL on malformed structure.
 */
int fv_fdt_find_compatible(const void *blob, int start, const char *compat);

/*
 * #address-cells / #size-cells of node, i.e. the cell counts of its
 * children's "reg". Defaults 2 / 1 if absent. Returns the count (0 to
 * FV_FDT_MAX_CELLS) or -FV_EINVAL if the property is malformed or larger.
 */
int fv_fdt_address_cells(const void *blob, int node);
int fv_fdt_size_cells(const void *blob, int node);

/*
 * Entry index of node's "reg", decoded with the parent's cell counts.
 * *addr and *size (size may be NULL; it is 0 when #size-cells is 0).
 * Returns 0, -FV_ENOENT (no reg / index past the end), -FV_EINVAL
 * (malformed) or -FV_ERANGE (a value wider than 64 bits).
 */
int fv_fdt_reg(const void *blob, int node, int index, uint64_t *addr, uint64_t *size);
/*
 * fv_fdt_reg() for a caller that walked the tree and knows node's parent
 * (fv_fdt_reg has to find it by a walk from the root). A parent that is
 * not node's parent only decodes reg with other cell counts; offsets that
 * are not nodes give -FV_EINVAL. Same returns as fv_fdt_reg().
 */
int fv_fdt_reg_in(const void *blob, int parent, int node, int index, uint64_t *addr,
                  uint64_t *size);

/* The node's "phandle" (or legacy "linux,phandle"); 0 if none or invalid. */
uint32_t fv_fdt_get_phandle(const void *blob, int node);

/* The node with this phandle, -FV_ENOENT if none, -FV_EINVAL for 0 / 0xffffffff. */
int fv_fdt_node_by_phandle(const void *blob, uint32_t phandle);

/*
 * Memory reservation entry index (DT spec §5.3). Returns 0, -FV_ENOENT past
 * the terminating entry, or -FV_EINVAL if the map runs off the blob.
 */
int fv_fdt_mem_rsv(const void *blob, int index, uint64_t *addr, uint64_t *size);

#endif
