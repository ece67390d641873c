// SPDX-License-Identifier: MIT
/* Image staging for run-time VM creation (contract in vm_stage.h). */
#include "core/vm_stage.h"
#include "lib/string.h"

static size_t pages_of(uint64_t bytes)
{
	return (size_t)((bytes + PAGE_SIZE - 1) / PAGE_SIZE);
}

int vm_stage_open(struct vm_stage *st, const struct vm_stage_ops *ops, uint64_t kernel_size,
                  uint64_t initrd_size)
{
	if (!st || !ops || st->ops)
		return -FV_EINVAL;
	if (kernel_size == 0 || kernel_size > VM_STAGE_MAX_IMAGE ||
	    initrd_size > VM_STAGE_MAX_IMAGE)
		return -FV_EINVAL;
	memset(st, 0, sizeof(*st));
	st->size[VM_IMAGE_KERNEL] = kernel_size;
	st->size[VM_IMAGE_INITRD] = initrd_size;
	for (unsigned i = 0; i < VM_IMAGE_COUNT; i++) {
		if (!st->size[i])
			continue;
		if (ops->alloc(pages_of(st->size[i]), &st->buf[i]) != 0) {
			/* Give back the kernel buffer if the initrd did not fit. */
			st->ops = ops;
			st->size[i] = 0;
			vm_stage_abort(st);
			return -FV_ENOMEM;
		}
	}
	st->ops = ops;
	return 0;
}

int vm_stage_write(struct vm_stage *st, enum vm_image img, uint64_t off, const void *data,
                   size_t len)
{
	if (!st || !st->ops)
		return -FV_EBUSY;
	if ((unsigned)img >= VM_IMAGE_COUNT || (!data && len) || !st->size[img])
		return -FV_EINVAL;
	/* In order only: no holes, no rewrites (the sender resends from st->got). */
	if (off != st->got[img])
		return -FV_EINVAL;
	if (len > st->size[img] - off)
		return -FV_ERANGE;
	if (len) {
		uint8_t *dst = st->ops->phys_to_virt(st->buf[img]);
		memcpy(dst + off, data, len);
	}
	st->got[img] = off + len;
	return 0;
}

bool vm_stage_complete(const struct vm_stage *st)
{
	if (!st || !st->ops)
		return false;
	for (unsigned i = 0; i < VM_IMAGE_COUNT; i++)
		if (st->got[i] != st->size[i])
			return false;
	return true;
}

const uint8_t *vm_stage_data(const struct vm_stage *st, enum vm_image img, uint64_t *size)
{
	if (!st || !st->ops || (unsigned)img >= VM_IMAGE_COUNT || !st->size[img])
		return NULL;
	if (size)
		*size = st->size[img];
	return st->ops->phys_to_virt(st->buf[img]);
}

void vm_stage_move(struct vm_stage *dst, struct vm_stage *src)
{
	*dst = *src;
	memset(src, 0, sizeof(*src));
}

void vm_stage_abort(struct vm_stage *st)
{
	if (!st || !st->ops)
		return;
	for (unsigned i = 0; i < VM_IMAGE_COUNT; i++) {
		if (!st->size[i])
			continue;
		/* The next owner of these pages never sees the images. */
		memset(st->ops->phys_to_virt(st->buf[i]), 0, pages_of(st->size[i]) * PAGE_SIZE);
		st->ops->free(st->buf[i], pages_of(st->size[i]));
	}
	memset(st, 0, sizeof(*st));
}
