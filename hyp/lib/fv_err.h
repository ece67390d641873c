/* SPDX-License-Identifier: MIT */
#ifndef FV_LIB_FV_ERR_H
#define FV_LIB_FV_ERR_H

/* Words for the hypervisor's error codes (enum fv_err in lib/types.h). */
#include "lib/types.h"

/*
 * "not found" for -FV_ENOENT (either sign accepted); "unknown error" for a
 * code outside enum fv_err. The string is static. Pure, callable anywhere.
 */
const char *fv_strerror(int err);

#endif
