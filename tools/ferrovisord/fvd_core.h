/* SPDX-License-Identifier: MIT */
/*
 * ELF core files of a VM (pure, unit-tested on the host): what gdb opens with
 * `gdb-multiarch guest.elf core`. Layout (docs/debugging.md "Crash dumps"):
 *   ELF64 header, ET_CORE, EM_RISCV, little-endian;
 *   PT_NOTE: NT_PRPSINFO (the VM's name), one NT_PRSTATUS per vCPU in the riscv64 Linux
 *     elf_prstatus layout (376 bytes: pr_pid = vCPU index + 1, pr_reg = pc, x1..x31) and
 *     one NT_PRFPREG (f0..f31, fcsr as the D extension's state), and
 *     "FERROVISOR" notes with what Linux's layout has no room for (the VS CSRs, the cause);
 *   one PT_LOAD per RAM region at its guest physical address (p_vaddr = p_paddr = GPA:
 *     right for code that runs with satp bare, as bare-metal guests do).
 * Runs of zero bytes in RAM are left as holes (fseek past them), so the file is sparse on
 * disk but reads back as the full RAM.
 */
#ifndef FVD_CORE_H
#define FVD_CORE_H

#include <stdint.h>
#include <stdio.h>

#include "fvd_backend.h"

#define FVD_CORE_PRSTATUS_SIZE 376u        /* sizeof(struct elf_prstatus), Linux riscv64 */
#define FVD_CORE_PRPSINFO_SIZE 136u        /* sizeof(struct elf_prpsinfo), Linux riscv64 */
#define FVD_CORE_PRFPREG_SIZE  264u        /* f0..f31, fcsr: struct __riscv_d_ext_state */
#define FVD_CORE_NT_FV_VCPU    0x46560001u /* "FERROVISOR": index, state, CSRs of a vCPU */
#define FVD_CORE_NT_FV_CAUSE   0x46560002u /* "FERROVISOR": the crash cause, NUL-terminated */

/* Reads len (<= FVD_DUMP_CHUNK) bytes of guest RAM at gpa into buf; 0 or a FVD_E_*. */
typedef int (*fvd_core_read_fn)(void *ctx, uint64_t gpa, void *buf, size_t len);

/* Writes the core of *di to f (at its start, opened for writing), reading RAM through rd.
 * Returns 0 and the file size in *size, FVD_E_INVAL for a region that is empty, overlaps
 * another or wraps, the reader's error, or FVD_E_IO when the file cannot be written. */
int fvd_core_write(FILE *f, const struct fvd_dump_info *di, fvd_core_read_fn rd, void *ctx,
                   uint64_t *size);

#endif /* FVD_CORE_H */
