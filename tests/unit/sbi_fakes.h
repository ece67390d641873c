/* SPDX-License-Identifier: MIT */
#ifndef FV_TESTS_UNIT_SBI_FAKES_H
#define FV_TESTS_UNIT_SBI_FAKES_H

/*
 * Link-time fakes of the SBI extension handlers (generated from sbi_ext.h by
 * tests/unit/gen_sbi_fakes.py) for test_sbi_table, which links the real table.
 */
#include "arch/riscv/sbi/sbi_ext.h"

typedef void (*sbi_handler_fn)(struct vcpu *v, unsigned long fid, const unsigned long *a,
                               struct sbi_result *r);

struct sbi_fake {
	const char *name;
	sbi_handler_fn fn;
};

/* Every handler prototype in sbi_ext.h, with its fake. */
extern const struct sbi_fake sbi_fakes[];
extern const size_t sbi_nr_fakes;

/* Called by every fake with its own name (defined by the test). */
void sbi_fake_called(const char *name, struct vcpu *v, unsigned long fid, const unsigned long *a,
                     struct sbi_result *r);

#endif
