/* SPDX-License-Identifier: MIT */
/*
 * Host unit tests for hyp/core/mmio.c: the per-VM table of emulated MMIO
 * regions (add with overlap refusal, lookup, dispatch of one access).
 * Devices are fakes that record every call.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "core/mmio.h"

/* A fake device: remembers the last access and answers reads from a pattern. */
struct fake_dev {
	unsigned reads, writes;
	struct vcpu *vcpu;
	uint64_t offset;
	unsigned width;
	uint64_t written;
	uint64_t val_on_entry; /* *val as the device saw it on a read */
	uint64_t answer;       /* bits the read ORs into *val */
	int ret;               /* what read/write return */
};

static int fake_read(void *dev, struct vcpu *vcpu, uint64_t offset, unsigned width, uint64_t *val)
{
	struct fake_dev *d = dev;
	d->reads++;
	d->vcpu = vcpu;
	d->offset = offset;
	d->width = width;
	d->val_on_entry = *val;
	/* Sets only some bits: the rest must already be zero. */
	*val |= d->answer;
	return d->ret;
}

static int fake_write(void *dev, struct vcpu *vcpu, uint64_t offset, unsigned width, uint64_t val)
{
	struct fake_dev *d = dev;
	d->writes++;
	d->vcpu = vcpu;
	d->offset = offset;
	d->width = width;
	d->written = val;
	return d->ret;
}

static const struct mmio_ops fake_ops = {fake_read, fake_write};
static const struct mmio_ops no_ops = {NULL, NULL};

/* Only the address matters: the bus never dereferences the vCPU. */
#define VCPU ((struct vcpu *)(uintptr_t)0x1234)

static void test_add_and_overlap(void **state)
{
	(void)state;
	struct mmio_bus bus = {0};
	struct fake_dev d = {0};

	assert_int_equal(mmio_bus_add(&bus, 0x10000000, 0x100, &fake_ops, &d, "uart"), 0);
	assert_int_equal(mmio_bus_add(&bus, 0x10001000, 0x1000, &fake_ops, &d, "virtio0"), 0);
	assert_int_equal(bus.count, 2);
	assert_int_equal(bus.regions[0].base, 0x10000000);
	assert_int_equal(bus.regions[0].size, 0x100);
	assert_ptr_equal(bus.regions[0].ops, &fake_ops);
	assert_ptr_equal(bus.regions[0].dev, &d);
	assert_string_equal(bus.regions[0].name, "uart");
	assert_int_equal(bus.regions[0].accesses, 0);

	static const struct {
		uint64_t base, size;
	} overlaps[] = {
	    {0x10000000, 0x100},   /* identical */
	    {0x10000000, 1},       /* first byte */
	    {0x100000ff, 1},       /* last byte */
	    {0x0fffff01, 0x100},   /* ends in the first byte */
	    {0x0fff0000, 0x20000}, /* covers both */
	    {0x10000080, 0x10},    /* inside */
	    {0x10001fff, 0x10},    /* starts in the last byte of virtio0 */
	};
	for (size_t i = 0; i < ARRAY_SIZE(overlaps); i++)
		assert_int_equal(
		    mmio_bus_add(&bus, overlaps[i].base, overlaps[i].size, &fake_ops, &d, "x"),
		    -FV_EEXIST);
	assert_int_equal(bus.count, 2);

	/* Touching is not overlapping. */
	assert_int_equal(mmio_bus_add(&bus, 0x0fffff00, 0x100, &fake_ops, &d, "below"), 0);
	assert_int_equal(mmio_bus_add(&bus, 0x10000100, 0x100, &fake_ops, &d, "above"), 0);
	assert_int_equal(mmio_bus_add(&bus, 0x10002000, 0x1000, &fake_ops, &d, "virtio1"), 0);
	assert_int_equal(bus.count, 5);
}

static void test_add_invalid(void **state)
{
	(void)state;
	struct mmio_bus bus = {0};
	struct fake_dev d = {0};

	assert_int_equal(mmio_bus_add(&bus, 0x1000, 0, &fake_ops, &d, "empty"), -FV_EINVAL);
	assert_int_equal(mmio_bus_add(&bus, 0x1000, 0x100, NULL, &d, "no ops"), -FV_EINVAL);
	/* Wrapping past 2^64. */
	assert_int_equal(mmio_bus_add(&bus, UINT64_MAX - 0xff, 0x200, &fake_ops, &d, "wrap"),
	                 -FV_EINVAL);
	assert_int_equal(mmio_bus_add(&bus, 1, UINT64_MAX, &fake_ops, &d, "wrap"), -FV_EINVAL);
	assert_int_equal(bus.count, 0);
	/* A region just below the top of the address space is fine. */
	assert_int_equal(mmio_bus_add(&bus, UINT64_MAX - 0x1fff, 0x1000, &fake_ops, &d, "top"), 0);
}

static void test_table_full(void **state)
{
	(void)state;
	struct mmio_bus bus = {0};
	struct fake_dev d = {0};

	for (unsigned i = 0; i < MMIO_MAX_REGIONS; i++)
		assert_int_equal(mmio_bus_add(&bus, 0x1000ULL * i, 0x1000, &fake_ops, &d, "r"), 0);
	assert_int_equal(bus.count, MMIO_MAX_REGIONS);
	assert_int_equal(mmio_bus_add(&bus, 0x100000, 0x1000, &fake_ops, &d, "one more"),
	                 -FV_ENOMEM);
	/* Overlap is still reported as such when the table is full. */
	assert_int_equal(mmio_bus_add(&bus, 0, 0x1000, &fake_ops, &d, "dup"), -FV_EEXIST);
	assert_int_equal(bus.count, MMIO_MAX_REGIONS);
	/* Every region is still found. */
	for (unsigned i = 0; i < MMIO_MAX_REGIONS; i++)
		assert_ptr_equal(mmio_bus_find(&bus, 0x1000ULL * i + 0x800, 4), &bus.regions[i]);
}

static void test_find(void **state)
{
	(void)state;
	struct mmio_bus bus = {0};
	struct fake_dev d = {0};

	assert_null(mmio_bus_find(&bus, 0, 1)); /* empty bus */
	assert_int_equal(mmio_bus_add(&bus, 0x10000000, 0x100, &fake_ops, &d, "uart"), 0);
	assert_int_equal(mmio_bus_add(&bus, 0x10001000, 0x1000, &fake_ops, &d, "virtio0"), 0);
	struct mmio_region *uart = &bus.regions[0], *virtio = &bus.regions[1];

	assert_ptr_equal(mmio_bus_find(&bus, 0x10000000, 1), uart);
	assert_ptr_equal(mmio_bus_find(&bus, 0x10000000, 8), uart);
	assert_ptr_equal(mmio_bus_find(&bus, 0x100000f8, 8), uart); /* last 8 bytes */
	assert_ptr_equal(mmio_bus_find(&bus, 0x100000ff, 1), uart); /* last byte */
	assert_ptr_equal(mmio_bus_find(&bus, 0x10001ffc, 4), virtio);
	/* Outside. */
	assert_null(mmio_bus_find(&bus, 0x0fffffff, 1));
	assert_null(mmio_bus_find(&bus, 0x10000100, 1));
	assert_null(mmio_bus_find(&bus, 0x10002000, 4));
	/* Straddling the end of a region. */
	assert_null(mmio_bus_find(&bus, 0x100000f9, 8));
	assert_null(mmio_bus_find(&bus, 0x100000ff, 2));
	assert_null(mmio_bus_find(&bus, 0x10001ffe, 4));
	/* Straddling the start (begins before the region). */
	assert_null(mmio_bus_find(&bus, 0x0ffffffc, 8));
	assert_null(mmio_bus_find(&bus, 0x10000fff, 2));
}

static void test_find_near_top(void **state)
{
	(void)state;
	struct mmio_bus bus = {0};
	struct fake_dev d = {0};
	const uint64_t top = UINT64_MAX - 0xfff; /* [top, top + 0xf00) */

	assert_int_equal(mmio_bus_add(&bus, top, 0xf00, &fake_ops, &d, "top"), 0);
	assert_int_equal(mmio_bus_add(&bus, 0, 0x1000, &fake_ops, &d, "low"), 0);
	assert_ptr_equal(mmio_bus_find(&bus, top, 8), &bus.regions[0]);
	assert_ptr_equal(mmio_bus_find(&bus, top + 0xef8, 8), &bus.regions[0]);
	assert_null(mmio_bus_find(&bus, top + 0xefc, 8));
	/* gpa + width would wrap: must not alias the low region. */
	for (unsigned w = 1; w <= 8; w *= 2) {
		assert_null(mmio_bus_find(&bus, UINT64_MAX, w));
		/* gpa + w wraps to 1: inside "low" if computed naively. */
		if (w > 1)
			assert_null(mmio_bus_find(&bus, UINT64_MAX - w + 2, w));
		uint64_t v = 0;
		assert_int_equal(mmio_bus_access(&bus, VCPU, UINT64_MAX, w, false, &v), -FV_ENOENT);
	}
	/* Huge widths (find is also called by the arch layer) never overflow. */
	assert_null(mmio_bus_find(&bus, top, UINT32_MAX));
	assert_null(mmio_bus_find(&bus, 0x800, UINT32_MAX));
	assert_int_equal(d.reads + d.writes, 0);
}

static void test_widths(void **state)
{
	(void)state;
	struct mmio_bus bus = {0};
	struct fake_dev d = {0};
	assert_int_equal(mmio_bus_add(&bus, 0x10000000, 0x100, &fake_ops, &d, "dev"), 0);

	static const unsigned bad[] = {0, 3, 5, 6, 7, 9, 16, 32, UINT32_MAX};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		uint64_t v = 0;
		assert_int_equal(mmio_bus_access(&bus, VCPU, 0x10000000, bad[i], false, &v),
		                 -FV_EINVAL);
		assert_int_equal(mmio_bus_access(&bus, VCPU, 0x10000000, bad[i], true, &v),
		                 -FV_EINVAL);
	}
	/* Rejected widths neither reach the device nor count as accesses. */
	assert_int_equal(d.reads + d.writes, 0);
	assert_int_equal(bus.regions[0].accesses, 0);

	static const unsigned good[] = {1, 2, 4, 8};
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		uint64_t v = 0;
		assert_int_equal(mmio_bus_access(&bus, VCPU, 0x10000010, good[i], false, &v), 0);
		assert_int_equal(d.width, good[i]);
		assert_int_equal(mmio_bus_access(&bus, VCPU, 0x10000010, good[i], true, &v), 0);
		assert_int_equal(d.width, good[i]);
	}
	assert_int_equal(d.reads, 4);
	assert_int_equal(d.writes, 4);
}

static void test_dispatch(void **state)
{
	(void)state;
	struct mmio_bus bus = {0};
	struct fake_dev a = {0}, b = {0};
	assert_int_equal(mmio_bus_add(&bus, 0x10000000, 0x100, &fake_ops, &a, "a"), 0);
	assert_int_equal(mmio_bus_add(&bus, 0x10001000, 0x1000, &fake_ops, &b, "b"), 0);

	/* Write: offset relative to the region, value passed through, vCPU passed through. */
	uint64_t v = 0x1122334455667788ULL;
	assert_int_equal(mmio_bus_access(&bus, VCPU, 0x10001ff8, 8, true, &v), 0);
	assert_int_equal(b.writes, 1);
	assert_int_equal(b.offset, 0xff8);
	assert_int_equal(b.width, 8);
	assert_int_equal(b.written, 0x1122334455667788ULL);
	assert_ptr_equal(b.vcpu, VCPU);
	assert_int_equal(v, 0x1122334455667788ULL); /* a write leaves *val alone */
	assert_int_equal(a.reads + a.writes, 0);

	/* Read: *val is zeroed before the device sees it. */
	a.answer = 0xab;
	v = 0xdeadbeefcafef00dULL;
	assert_int_equal(mmio_bus_access(&bus, VCPU, 0x10000005, 1, false, &v), 0);
	assert_int_equal(a.reads, 1);
	assert_int_equal(a.offset, 5);
	assert_int_equal(a.width, 1);
	assert_int_equal(a.val_on_entry, 0);
	assert_int_equal(v, 0xab);
	assert_int_equal(b.reads, 0);

	/* Device errors are passed back (the guest is then faulted). */
	a.ret = -FV_EIO;
	assert_int_equal(mmio_bus_access(&bus, VCPU, 0x10000000, 4, false, &v), -FV_EIO);
	assert_int_equal(mmio_bus_access(&bus, VCPU, 0x10000000, 4, true, &v), -FV_EIO);

	/* Unclaimed and straddling accesses reach no device. */
	unsigned before = a.reads + a.writes + b.reads + b.writes;
	assert_int_equal(mmio_bus_access(&bus, VCPU, 0x10000100, 4, false, &v), -FV_ENOENT);
	assert_int_equal(mmio_bus_access(&bus, VCPU, 0x100000fe, 4, true, &v), -FV_ENOENT);
	assert_int_equal(mmio_bus_access(&bus, VCPU, 0x10000ffe, 4, false, &v), -FV_ENOENT);
	assert_int_equal(a.reads + a.writes + b.reads + b.writes, before);
}

static void test_missing_callbacks(void **state)
{
	(void)state;
	struct mmio_bus bus = {0};
	assert_int_equal(mmio_bus_add(&bus, 0x4000, 0x10, &no_ops, NULL, "hole"), 0);

	/* A region without read returns zeros; without write ignores the store. */
	uint64_t v = UINT64_MAX;
	assert_int_equal(mmio_bus_access(&bus, VCPU, 0x4008, 8, false, &v), 0);
	assert_int_equal(v, 0);
	v = 42;
	assert_int_equal(mmio_bus_access(&bus, VCPU, 0x4008, 8, true, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(bus.regions[0].accesses, 2);
}

static void test_access_counter(void **state)
{
	(void)state;
	struct mmio_bus bus = {0};
	struct fake_dev a = {0}, b = {0};
	assert_int_equal(mmio_bus_add(&bus, 0x1000, 0x1000, &fake_ops, &a, "a"), 0);
	assert_int_equal(mmio_bus_add(&bus, 0x3000, 0x1000, &fake_ops, &b, "b"), 0);

	uint64_t v = 0;
	for (int i = 0; i < 5; i++)
		assert_int_equal(mmio_bus_access(&bus, VCPU, 0x1000, 4, i & 1, &v), 0);
	assert_int_equal(mmio_bus_access(&bus, VCPU, 0x3ffc, 4, false, &v), 0);
	assert_int_equal(bus.regions[0].accesses, 5);
	assert_int_equal(bus.regions[1].accesses, 1);
	/* A failed device access still counts; a miss or bad width counts nowhere. */
	b.ret = -FV_EINVAL;
	assert_int_equal(mmio_bus_access(&bus, VCPU, 0x3000, 4, true, &v), -FV_EINVAL);
	assert_int_equal(bus.regions[1].accesses, 2);
	assert_int_equal(mmio_bus_access(&bus, VCPU, 0x2000, 4, true, &v), -FV_ENOENT);
	assert_int_equal(mmio_bus_access(&bus, VCPU, 0x1000, 3, true, &v), -FV_EINVAL);
	assert_int_equal(mmio_bus_access(&bus, VCPU, 0x1ffe, 4, true, &v), -FV_ENOENT);
	assert_int_equal(bus.regions[0].accesses, 5);
	assert_int_equal(bus.regions[1].accesses, 2);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_add_and_overlap), cmocka_unit_test(test_add_invalid),
	    cmocka_unit_test(test_table_full),      cmocka_unit_test(test_find),
	    cmocka_unit_test(test_find_near_top),   cmocka_unit_test(test_widths),
	    cmocka_unit_test(test_dispatch),        cmocka_unit_test(test_missing_callbacks),
	    cmocka_unit_test(test_access_counter),
	};

	return cmocka_run_group_tests_name("mmio", tests, NULL, NULL);
}
