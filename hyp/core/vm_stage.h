/* SPDX-License-Identifier: MIT */
#ifndef FV_CORE_VM_STAGE_H
#define FV_CORE_VM_STAGE_H

/*
 * Image staging for VMs created at run time (vm_create_dynamic): the kernel
 * and initrd of a new VM arrive in chunks (the control channel streams them)
 * and land here, in page-allocator memory reserved up front for their
 * announced sizes, before the VM exists.
 *
 * Life cycle, for the control channel:
 *   vm_stage_open(st, ops, kernel_size, initrd_size)  reserve both buffers
 *   vm_stage_write(st, VM_IMAGE_KERNEL, off, data, n) once per chunk, in
 *                                                       order (off = bytes so far)
 *   vm_stage_complete(st)                              every byte arrived?
 *   vm_create_dynamic(blob, len, st, ...)              the VM takes the buffers
 *   vm_stage_abort(st)                                  at any point before that
 *                                                       (client gone, error, timeout):
 *                                                       buffers scrubbed and freed
 * Bounded: each image is at most VM_STAGE_MAX_IMAGE bytes and the memory
 * is taken once, at open; a write never allocates. A chunk that does not
 * continue exactly where the previous one ended (gap, overlap, duplicate) is
 * refused and changes nothing, so a confused sender cannot produce a hole of
 * stale bytes. Buffers are zeroed when freed: the next owner of those pages
 * never sees the images.
 *
 * Pure logic (memory through ops), unit-tested on the host. Not locked: one
 * owner at a time (the control channel session, then the VM).
 */
#include "lib/types.h"

#define VM_STAGE_MAX_IMAGE (256ULL << 20) /* per image */

enum vm_image { VM_IMAGE_KERNEL = 0, VM_IMAGE_INITRD, VM_IMAGE_COUNT };

struct vm_stage_ops {
	/* npages contiguous pages (not zeroed) or -FV_ENOMEM */
	int (*alloc)(size_t npages, hpa_t *out);
	void (*free)(hpa_t pa, size_t npages);
	void *(*phys_to_virt)(hpa_t pa);
};

struct vm_stage {
	const struct vm_stage_ops *ops; /* NULL = closed (nothing held) */
	hpa_t buf[VM_IMAGE_COUNT];      /* 0 = no such image */
	uint64_t size[VM_IMAGE_COUNT];  /* announced size */
	uint64_t got[VM_IMAGE_COUNT];   /* bytes written so far (a prefix) */
};

/*
 * Reserve buffers for a kernel of kernel_size bytes (1..VM_STAGE_MAX_IMAGE)
 * and an initrd of initrd_size bytes (0 = none). st must be closed (zeroed
 * or aborted). 0; -FV_EINVAL (sizes, or st already open), -FV_ENOMEM (then
 * nothing is held).
 */
int vm_stage_open(struct vm_stage *st, const struct vm_stage_ops *ops, uint64_t kernel_size,
                  uint64_t initrd_size);
/*
 * Append a chunk of image img at offset off. 0; -FV_EBUSY if st is closed,
 * -FV_EINVAL for a bad img, a NULL data with len, or off != bytes received so
 * far (out of order), -FV_ERANGE if the chunk runs past the announced size.
 * On error nothing changes.
 */
int vm_stage_write(struct vm_stage *st, enum vm_image img, uint64_t off, const void *data,
                   size_t len);
/* Every announced byte of every image received (false when closed). */
bool vm_stage_complete(const struct vm_stage *st);
/* Bytes of image img and its size (NULL if closed or no such image). */
const uint8_t *vm_stage_data(const struct vm_stage *st, enum vm_image img, uint64_t *size);
/* Move what src holds into dst (closed); src becomes closed. */
void vm_stage_move(struct vm_stage *dst, struct vm_stage *src);
/* Zero and free the buffers; st becomes closed. No-op if closed. */
void vm_stage_abort(struct vm_stage *st);

#endif
