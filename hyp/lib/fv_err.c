// SPDX-License-Identifier: MIT
/* Error code words (contract in fv_err.h). */
#include "lib/fv_err.h"

/* Indexed by enum fv_err; the words follow its comments. */
static const char *const words[] = {
    [FV_OK] = "success",
    [FV_EINVAL] = "invalid argument",
    [FV_ENOMEM] = "out of memory",
    [FV_ENOENT] = "not found",
    [FV_EEXIST] = "already exists or overlaps",
    [FV_ERANGE] = "out of range",
    [FV_EFAULT] = "bad guest address",
    [FV_EBUSY] = "busy or in the wrong state",
    [FV_ENOTSUP] = "not supported",
    [FV_EIO] = "device error",
    [FV_EAGAIN] = "try again later",
    [FV_ENOSPC] = "no room left",
    [FV_ENODEV] = "no such device",
};

_Static_assert(ARRAY_SIZE(words) == FV_ENODEV + 1, "a word for every enum fv_err code");

const char *fv_strerror(int err)
{
	/* -(INT_MIN) overflows: compare as unsigned magnitude instead. */
	unsigned long mag = err < 0 ? 0UL - (unsigned long)(long)err : (unsigned long)err;
	if (mag >= ARRAY_SIZE(words))
		return "unknown error";
	return words[mag];
}
