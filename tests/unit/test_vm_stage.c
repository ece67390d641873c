/* SPDX-License-Identifier: MIT */
/* Unit tests for hyp/core/vm_stage.c: chunked, bounded, abortable image staging. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/vm_stage.h"

static int live;        /* buffers allocated and not freed */
static int fail_after;  /* allocations that succeed before one fails (-1 = never) */
static int dirty_frees; /* buffers freed with a nonzero byte in them */

static int fake_alloc(size_t npages, hpa_t *out)
{
	if (fail_after == 0)
		return -FV_ENOMEM;
	if (fail_after > 0)
		fail_after--;
	void *p = malloc(npages * PAGE_SIZE);
	assert_non_null(p);
	memset(p, 0xa5, npages * PAGE_SIZE); /* stale contents, as real free pages have */
	live++;
	*out = (hpa_t)(uintptr_t)p;
	return 0;
}

static void fake_free(hpa_t pa, size_t npages)
{
	const uint8_t *p = (const uint8_t *)(uintptr_t)pa;
	for (size_t i = 0; i < npages * PAGE_SIZE; i++)
		if (p[i]) {
			dirty_frees++;
			break;
		}
	free((void *)(uintptr_t)pa);
	live--;
}

static void *fake_p2v(hpa_t pa)
{
	return (void *)(uintptr_t)pa;
}

static const struct vm_stage_ops ops = {fake_alloc, fake_free, fake_p2v};

static int setup(void **state)
{
	(void)state;
	live = 0;
	fail_after = -1;
	dirty_frees = 0;
	return 0;
}

static void test_chunks_in_order(void **state)
{
	struct vm_stage st = {0};
	uint8_t img[10000];
	(void)state;
	for (size_t i = 0; i < sizeof(img); i++)
		img[i] = (uint8_t)(i * 7 + 1);
	assert_int_equal(vm_stage_open(&st, &ops, sizeof(img), 5000), 0);
	assert_int_equal(live, 2);
	assert_false(vm_stage_complete(&st));
	/* 4 KiB chunks, the last one short. */
	for (size_t off = 0; off < sizeof(img); off += 4096) {
		size_t n = sizeof(img) - off < 4096 ? sizeof(img) - off : 4096;
		assert_int_equal(vm_stage_write(&st, VM_IMAGE_KERNEL, off, img + off, n), 0);
	}
	assert_false(vm_stage_complete(&st)); /* initrd still missing */
	uint8_t rd[5000];
	memset(rd, 0x3c, sizeof(rd));
	assert_int_equal(vm_stage_write(&st, VM_IMAGE_INITRD, 0, rd, sizeof(rd)), 0);
	assert_true(vm_stage_complete(&st));
	uint64_t sz;
	const uint8_t *k = vm_stage_data(&st, VM_IMAGE_KERNEL, &sz);
	assert_int_equal(sz, sizeof(img));
	assert_memory_equal(k, img, sizeof(img));
	/* The VM takes the buffers: the session's handle is closed, nothing freed. */
	struct vm_stage owned;
	vm_stage_move(&owned, &st);
	assert_null(st.ops);
	vm_stage_abort(&st); /* no-op on a closed stage */
	assert_int_equal(live, 2);
	vm_stage_abort(&owned); /* VM destroyed */
	assert_int_equal(live, 0);
	assert_int_equal(dirty_frees, 0);
}

static void test_out_of_order_and_bounds(void **state)
{
	struct vm_stage st = {0};
	uint8_t buf[64] = {1};
	(void)state;
	assert_int_equal(vm_stage_open(&st, &ops, 100, 0), 0);
	assert_int_equal(live, 1); /* no initrd buffer */
	assert_int_equal(vm_stage_write(&st, VM_IMAGE_KERNEL, 0, buf, 64), 0);
	/* gap, rewrite, duplicate: refused, nothing changes */
	assert_int_equal(vm_stage_write(&st, VM_IMAGE_KERNEL, 65, buf, 1), -FV_EINVAL);
	assert_int_equal(vm_stage_write(&st, VM_IMAGE_KERNEL, 0, buf, 64), -FV_EINVAL);
	assert_int_equal(vm_stage_write(&st, VM_IMAGE_KERNEL, 63, buf, 2), -FV_EINVAL);
	/* past the announced end, even by one byte; offsets near 2^64 do not wrap */
	assert_int_equal(vm_stage_write(&st, VM_IMAGE_KERNEL, 64, buf, 37), -FV_ERANGE);
	assert_int_equal(vm_stage_write(&st, VM_IMAGE_KERNEL, UINT64_MAX, buf, 2), -FV_EINVAL);
	assert_int_equal(st.got[VM_IMAGE_KERNEL], 64);
	/* no initrd announced, bad image, NULL data */
	assert_int_equal(vm_stage_write(&st, VM_IMAGE_INITRD, 0, buf, 1), -FV_EINVAL);
	assert_int_equal(vm_stage_write(&st, (enum vm_image)7, 0, buf, 1), -FV_EINVAL);
	assert_int_equal(vm_stage_write(&st, VM_IMAGE_KERNEL, 64, NULL, 1), -FV_EINVAL);
	/* exactly to the end */
	assert_int_equal(vm_stage_write(&st, VM_IMAGE_KERNEL, 64, buf, 36), 0);
	assert_true(vm_stage_complete(&st));
	assert_int_equal(vm_stage_write(&st, VM_IMAGE_KERNEL, 100, buf, 1), -FV_ERANGE);
	/* opening an open stage is refused */
	assert_int_equal(vm_stage_open(&st, &ops, 10, 0), -FV_EINVAL);
	vm_stage_abort(&st);
	assert_int_equal(live, 0);
	assert_int_equal(dirty_frees, 0); /* the image bytes were scrubbed before the free */
	/* closed: writes refused */
	assert_int_equal(vm_stage_write(&st, VM_IMAGE_KERNEL, 0, buf, 1), -FV_EBUSY);
	assert_false(vm_stage_complete(&st));
	assert_null(vm_stage_data(&st, VM_IMAGE_KERNEL, NULL));
}

static void test_open_limits_and_failure(void **state)
{
	struct vm_stage st = {0};
	(void)state;
	assert_int_equal(vm_stage_open(&st, &ops, 0, 0), -FV_EINVAL);
	assert_int_equal(vm_stage_open(&st, &ops, VM_STAGE_MAX_IMAGE + 1, 0), -FV_EINVAL);
	assert_int_equal(vm_stage_open(&st, &ops, 1, VM_STAGE_MAX_IMAGE + 1), -FV_EINVAL);
	assert_int_equal(vm_stage_open(NULL, &ops, 1, 0), -FV_EINVAL);
	assert_int_equal(vm_stage_open(&st, NULL, 1, 0), -FV_EINVAL);
	assert_int_equal(live, 0);
	/* the kernel buffer fits, the initrd's does not: nothing stays held */
	fail_after = 1;
	assert_int_equal(vm_stage_open(&st, &ops, 8192, 8192), -FV_ENOMEM);
	assert_int_equal(live, 0);
	assert_null(st.ops);
	fail_after = -1;
	assert_int_equal(vm_stage_open(&st, &ops, 8192, 8192), 0);
	/* an abort mid-transfer (client gone) frees everything */
	uint8_t b[100] = {9};
	assert_int_equal(vm_stage_write(&st, VM_IMAGE_KERNEL, 0, b, sizeof(b)), 0);
	vm_stage_abort(&st);
	assert_int_equal(live, 0);
	assert_int_equal(dirty_frees, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_chunks_in_order, setup),
	    cmocka_unit_test_setup(test_out_of_order_and_bounds, setup),
	    cmocka_unit_test_setup(test_open_limits_and_failure, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
