/* SPDX-License-Identifier: MIT */
#ifndef FV_TOOLS_PROF_SYM_H
#define FV_TOOLS_PROF_SYM_H

/*
 * Function symbols of an ELF64 little-endian file (a bare-metal guest, a Linux vmlinux)
 * from its .symtab (or .dynsym when stripped of .symtab), for `vm profile` to name
 * sampled addresses. Pure: parses a buffer, every offset and size bounds-checked (a
 * malformed file is an error, never a crash). Unit-tested (tests/unit/test_prof_report.c).
 */
#include <stddef.h>
#include <stdint.h>

struct prof_sym {
	uint64_t addr;
	uint64_t size; /* 0: a label, it extends to the next symbol */
	char *name;
};

struct prof_symtab {
	struct prof_sym *syms; /* sorted by addr */
	size_t n;
	/* Symbols for the hypervisor's samples (`vm profile --hyp-elf`), or NULL; set by the
	 * caller after loading (the loaders clear the struct). */
	const struct prof_symtab *hyp;
};

/* Parse len bytes of ELF into *t. Returns 0, or -1 with a reason in err. */
int prof_sym_load_mem(const void *buf, size_t len, struct prof_symtab *t, char *err, size_t errlen);
/* Read and parse the file at path. Returns 0, or -1 with a reason in err. */
int prof_sym_load_file(const char *path, struct prof_symtab *t, char *err, size_t errlen);
void prof_sym_free(struct prof_symtab *t);

/* The symbol containing addr (a sized symbol's range, or the last label at or below it
 * before the next symbol), with the offset into it; NULL when none. */
const struct prof_sym *prof_sym_lookup(const struct prof_symtab *t, uint64_t addr, uint64_t *off);

#endif
