/* SPDX-License-Identifier: MIT */
#ifndef FV_ARCH_RISCV_SBI_EXT_H
#define FV_ARCH_RISCV_SBI_EXT_H

/*
 * SBI extensions offered to guests (SBI spec v2.0). Each extension is a
 * descriptor in a table; the dispatcher does all register side effects so
 * handlers only compute a result. The dispatcher and the hart-mask decoder
 * are pure and unit-tested on the host.
 */
#include "lib/types.h"
#include "arch/riscv/sbi.h"

struct vcpu;

struct sbi_result {
	long error;
	long value;
	bool no_return; /* vCPU stopped/reset: leave its registers alone */
};

struct sbi_ext {
	unsigned long eid_start, eid_end;
	const char *name;
	void (*handler)(struct vcpu *v, unsigned long fid, const unsigned long *a,
	                struct sbi_result *r);
};

#define SBI_SPEC_VERSION ((2UL << 24) | 0UL) /* v2.0 */
#define SBI_IMPL_ID_FV   0x4656UL            /* "FV": not in the registered list */
#define SBI_IMPL_VERSION 0x00000100UL

/* Find the extension serving eid; NULL if none. */
const struct sbi_ext *sbi_find_ext(const struct sbi_ext *table, size_t n, unsigned long eid);
/*
 * Run one call: look the extension up and run it, or report
 * SBI_ERR_NOT_SUPPORTED. args are a0..a5.
 */
void sbi_dispatch(const struct sbi_ext *table, size_t n, struct vcpu *v, unsigned long eid,
                  unsigned long fid, const unsigned long *args, struct sbi_result *r);
/*
 * Decode an SBI hart mask (hart_mask, hart_mask_base; base == -1 means all)
 * for a VM with nr_harts harts into a bitmap. Returns SBI_SUCCESS or
 * SBI_ERR_INVALID_PARAM if any hart named does not exist.
 */
long sbi_hartmask_decode(unsigned long mask, unsigned long base, unsigned nr_harts, uint64_t *out);
/* True if [addr, addr+len) lies entirely in [lo, lo+size) (overflow-safe). */
bool sbi_range_in(uint64_t addr, uint64_t len, uint64_t lo, uint64_t size);

/* The guest-facing table (sbi_table.c) and its size; checked for overlaps at boot. */
extern const struct sbi_ext sbi_guest_exts[];
extern const size_t sbi_guest_nr_exts;
/* Verify no two table entries overlap; returns 0 or -1 (boot check). */
int sbi_table_check(const struct sbi_ext *table, size_t n);

/* Handlers (one file each). */
void sbi_base_handler(struct vcpu *v, unsigned long fid, const unsigned long *a,
                      struct sbi_result *r);
void sbi_time_handler(struct vcpu *v, unsigned long fid, const unsigned long *a,
                      struct sbi_result *r);
void sbi_ipi_handler(struct vcpu *v, unsigned long fid, const unsigned long *a,
                     struct sbi_result *r);
void sbi_rfence_handler(struct vcpu *v, unsigned long fid, const unsigned long *a,
                        struct sbi_result *r);
void sbi_hsm_handler(struct vcpu *v, unsigned long fid, const unsigned long *a,
                     struct sbi_result *r);
void sbi_srst_handler(struct vcpu *v, unsigned long fid, const unsigned long *a,
                      struct sbi_result *r);
void sbi_dbcn_handler(struct vcpu *v, unsigned long fid, const unsigned long *a,
                      struct sbi_result *r);
void sbi_pmu_handler(struct vcpu *v, unsigned long fid, const unsigned long *a,
                     struct sbi_result *r);

#endif
