/* SPDX-License-Identifier: MIT */
#ifndef FV_LIB_TYPES_H
#define FV_LIB_TYPES_H

/*
 * Basic freestanding types shared by every part of Ferrovisor.
 * Only freestanding C11 headers are used, so this compiles unchanged in
 * the hypervisor and in host unit tests.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Address kinds: named apart so a GPA/HPA mix-up is visible in review. */
typedef uint64_t gpa_t; /* guest physical address */
typedef uint64_t hpa_t; /* host physical address */
typedef uint64_t gva_t; /* guest virtual address */
typedef uint64_t hva_t; /* hypervisor virtual address (identity today) */

#define PAGE_SHIFT 12
#define PAGE_SIZE  (1UL << PAGE_SHIFT)
#define PAGE_MASK  (~(PAGE_SIZE - 1))

#define ALIGN_UP(x, a)   (((x) + ((a)-1)) & ~((uint64_t)(a)-1))
#define ALIGN_DOWN(x, a) ((x) & ~((uint64_t)(a)-1))
#define IS_ALIGNED(x, a) (((x) & ((uint64_t)(a)-1)) == 0)
#define ARRAY_SIZE(a)    (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b)        ((a) < (b) ? (a) : (b))
#define MAX(a, b)        ((a) > (b) ? (a) : (b))
#define BIT(n)           (1UL << (n))

#define UNUSED(x) ((void)(x))

/* Error codes returned (negated) by functions a guest can influence. */
enum fv_err {
	FV_OK = 0,
	FV_EINVAL = 1,  /* bad argument */
	FV_ENOMEM = 2,  /* out of memory */
	FV_ENOENT = 3,  /* not found */
	FV_EEXIST = 4,  /* already exists / overlaps */
	FV_ERANGE = 5,  /* out of range */
	FV_EFAULT = 6,  /* bad guest address */
	FV_EBUSY = 7,   /* resource busy / wrong state */
	FV_ENOTSUP = 8, /* not supported */
	FV_EIO = 9,     /* device error */
	FV_EAGAIN = 10, /* try again later (no buffer, queue full) */
	FV_ENOSPC = 11, /* no room left */
	FV_ENODEV = 12, /* no such device / device not running */
};

#endif
