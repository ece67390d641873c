// SPDX-License-Identifier: MIT
/*
 * Fuzz target for the `ferrovisor` configuration loader and resolver:
 * arbitrary bytes as a YAML configuration through yload_buffer() and, when
 * that accepts them, resolve_model() without file access. Any crash, hang,
 * leak or sanitizer report is a bug; an error message is a fine outcome,
 * but it must have the FILE:... form.
 *
 * Built with libFuzzer (clang -fsanitize=fuzzer) or with driver.c as a
 * standalone program (see mk/tools.mk: make fuzz).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "model.h"
#include "resolve.h"
#include "yaml_load.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct model m;
	struct diag d;
	if (model_init(&m, "fuzz.yaml"))
		return 0;
	diag_init(&d, m.file);
	struct resolve_opts ro = {.no_files = true};
	if (yload_buffer(&m, data, size, &d) == 0)
		resolve_model(&m, &ro, &d);
	if (d.failed && strncmp(d.msg, "fuzz.yaml", 9) != 0)
		abort(); /* every error names the file */
	model_free(&m);
	return 0;
}
