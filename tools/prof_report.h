/* SPDX-License-Identifier: MIT */
#ifndef FV_TOOLS_PROF_REPORT_H
#define FV_TOOLS_PROF_REPORT_H

/*
 * `ferrovisor --api URL vm profile NAME` (docs/profiling.md): runs a profiling session
 * through POST /api/v1/vms/{name}/profile and turns its raw stacks into a top list of
 * functions and folded stacks ("outer;inner;leaf COUNT", the input of flamegraph.pl),
 * naming addresses with the user's ELF (prof_sym.h). The conversion is pure and
 * unit-tested (tests/unit/test_prof_report.c).
 */
#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "api_client.h"
#include "prof_sym.h"

#define PROF_REPORT_DEPTH 8

/* One distinct stack of a profile. */
struct prof_stack {
	bool hyp; /* a sample of the hypervisor (its addresses are not the guest ELF's) */
	uint64_t pc;
	uint64_t ra[PROF_REPORT_DEPTH]; /* return addresses of the callers, innermost first */
	unsigned depth;
	unsigned long count;
};

/* The "stacks" of a Profile answer. Returns 0 with *out (free()) and *n, or -1 with a
 * message on stderr when the document does not have the documented shape. */
int prof_report_parse(const cJSON *profile, struct prof_stack **out, size_t *n);

/*
 * Name of a code address: "func" (a pc exactly at the symbol) or "func+0xOFF" when
 * with_offset, the bare symbol name otherwise; "0xADDR" when no symbol covers it (or
 * syms is NULL); "[hypervisor]" for hypervisor addresses, "[hypervisor] func" when
 * syms->hyp has the hypervisor's symbols. A return address is looked up
 * one byte back (it points after its call instruction, maybe past the function's end).
 */
void prof_report_name(const struct prof_symtab *syms, bool hyp, uint64_t addr, bool is_ra,
                      char *buf, size_t len);

/* Folded stacks, one "root;...;leaf COUNT" line each, identical lines merged, sorted. */
int prof_report_folded(FILE *f, const struct prof_stack *s, size_t n,
                       const struct prof_symtab *syms);

/* The top functions by samples whose pc was in them (self time): "PCT SAMPLES NAME". */
int prof_report_top(FILE *f, const struct prof_stack *s, size_t n, const struct prof_symtab *syms,
                    unsigned top);

/* The `vm profile` subcommand (argv[0] is "profile"). */
int cmd_vm_profile(const struct api_client *c, int argc, char **argv);

#endif
