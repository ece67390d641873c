/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the PL011 model (hyp/vdev/vpl011.c): transmit, flags, receive FIFO and
 * overrun, interrupt levels (RIS/IMSC/MIS/ICR), stored registers, PrimeCell ids, access
 * checks and a hostile sweep of the whole window.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/fv_err.h"
#include "vdev/vpl011.h"

struct host {
	uint8_t tx[256];
	size_t ntx;
	unsigned irq_calls;
	bool level;
	struct vpl011 *u;
};

static void host_tx(void *ctx, uint8_t c)
{
	struct host *h = ctx;
	if (h->ntx < sizeof(h->tx))
		h->tx[h->ntx] = c;
	h->ntx++;
}

static void host_irq(void *ctx, bool level)
{
	struct host *h = ctx;
	/* Only called on a real change, and consistent with the query. */
	assert_int_not_equal(level, h->level);
	assert_int_equal(level, vpl011_irq_pending(h->u));
	h->level = level;
	h->irq_calls++;
}

static const struct vuart_ops host_ops = {host_tx, host_irq};

struct fixture {
	struct vpl011 u;
	struct host h;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	f->h.u = &f->u;
	vpl011_init(&f->u, &host_ops, &f->h);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

static uint64_t rd(struct vpl011 *u, uint64_t off)
{
	uint64_t v = 0xdead;
	assert_int_equal(vpl011_read(u, off, 4, &v), 0);
	return v;
}

static void wr(struct vpl011 *u, uint64_t off, uint64_t v)
{
	assert_int_equal(vpl011_write(u, off, 4, v), 0);
}

static void test_tx_bytes_reach_host(void **state)
{
	struct fixture *f = *state;
	const char *s = "hi\n";
	for (size_t i = 0; i < strlen(s); i++)
		wr(&f->u, VPL011_DR, (uint8_t)s[i] | 0xff00); /* upper bits are not data */
	assert_int_equal(f->h.ntx, 3);
	assert_memory_equal(f->h.tx, "hi\n", 3);
	/* The transmit FIFO is never full or busy: a polling driver never waits. */
	uint64_t fr = rd(&f->u, VPL011_FR);
	assert_true(fr & VPL011_FR_TXFE);
	assert_false(fr & (VPL011_FR_TXFF | VPL011_FR_BUSY));
	assert_true(fr & VPL011_FR_RXFE);
}

static void test_rx_fifo_order_and_overrun(void **state)
{
	struct fixture *f = *state;
	for (unsigned i = 0; i < VPL011_FIFO_SIZE; i++)
		assert_true(vpl011_rx_push(&f->u, (uint8_t)('a' + i)));
	assert_int_equal(vpl011_rx_space(&f->u), 0);
	assert_true(rd(&f->u, VPL011_FR) & VPL011_FR_RXFF);
	assert_false(vpl011_rx_push(&f->u, 'z'));
	assert_int_equal(rd(&f->u, VPL011_RSR) & 8, 8); /* OE */
	wr(&f->u, VPL011_RSR, 0);                       /* ECR clears it */
	assert_int_equal(rd(&f->u, VPL011_RSR), 0);
	for (unsigned i = 0; i < VPL011_FIFO_SIZE; i++)
		assert_int_equal(rd(&f->u, VPL011_DR), 'a' + i);
	assert_true(rd(&f->u, VPL011_FR) & VPL011_FR_RXFE);
	assert_int_equal(rd(&f->u, VPL011_DR), 0); /* empty FIFO reads 0, no underflow */
	assert_int_equal(vpl011_rx_space(&f->u), VPL011_FIFO_SIZE);
}

static void test_irq_levels(void **state)
{
	struct fixture *f = *state;
	/* Nothing enabled: no interrupt, though TX is raw-pending. */
	assert_false(f->h.level);
	assert_true(rd(&f->u, VPL011_RIS) & VPL011_INT_TX);
	assert_int_equal(rd(&f->u, VPL011_MIS), 0);
	/* Receive interrupt enabled: rises with data, falls when the FIFO drains. */
	wr(&f->u, VPL011_IMSC, VPL011_INT_RX | VPL011_INT_RT);
	assert_false(f->h.level);
	vpl011_rx_push(&f->u, 'x');
	assert_true(f->h.level);
	assert_int_equal(rd(&f->u, VPL011_MIS), VPL011_INT_RX | VPL011_INT_RT);
	rd(&f->u, VPL011_DR);
	assert_false(f->h.level);
	/* TX interrupt: asserted at once (empty FIFO), cleared by ICR, back after a send. */
	wr(&f->u, VPL011_IMSC, VPL011_INT_TX);
	assert_true(f->h.level);
	wr(&f->u, VPL011_ICR, VPL011_INT_TX);
	assert_false(f->h.level);
	wr(&f->u, VPL011_DR, 'y');
	assert_true(f->h.level);
	wr(&f->u, VPL011_IMSC, 0);
	assert_false(f->h.level);
	assert_int_equal(f->h.irq_calls, 6);
}

static void test_stored_registers(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(rd(&f->u, VPL011_CR), 0x300); /* reset: TXE | RXE */
	wr(&f->u, VPL011_IBRD, 13);
	wr(&f->u, VPL011_FBRD, 0xff); /* 6 bits */
	wr(&f->u, VPL011_LCR_H, 0x70);
	wr(&f->u, VPL011_CR, 0x301);
	wr(&f->u, VPL011_IFLS, 0x12);
	wr(&f->u, VPL011_DMACR, 0xff);
	assert_int_equal(rd(&f->u, VPL011_IBRD), 13);
	assert_int_equal(rd(&f->u, VPL011_FBRD), 0x3f);
	assert_int_equal(rd(&f->u, VPL011_LCR_H), 0x70);
	assert_int_equal(rd(&f->u, VPL011_CR), 0x301);
	assert_int_equal(rd(&f->u, VPL011_IFLS), 0x12);
	assert_int_equal(rd(&f->u, VPL011_DMACR), 7);
	/* Read-only registers ignore writes. */
	wr(&f->u, VPL011_FR, 0);
	assert_true(rd(&f->u, VPL011_FR) & VPL011_FR_TXFE);
	/* Reset restores power-on values and drops the line. */
	wr(&f->u, VPL011_IMSC, VPL011_INT_TX);
	assert_true(f->h.level);
	vpl011_rx_push(&f->u, 'q');
	vpl011_reset(&f->u);
	assert_false(f->h.level);
	assert_int_equal(rd(&f->u, VPL011_IBRD), 0);
	assert_int_equal(rd(&f->u, VPL011_IMSC), 0);
	assert_true(rd(&f->u, VPL011_FR) & VPL011_FR_RXFE);
}

static void test_primecell_ids(void **state)
{
	struct fixture *f = *state;
	uint32_t periph = 0, cell = 0;
	for (unsigned i = 0; i < 4; i++) {
		periph |= (uint32_t)rd(&f->u, 0xfe0 + 4 * i) << (8 * i);
		cell |= (uint32_t)rd(&f->u, 0xff0 + 4 * i) << (8 * i);
	}
	assert_int_equal(periph, VPL011_PERIPH_ID);
	assert_int_equal(cell, 0xb105f00d);
}

static void test_bad_accesses(void **state)
{
	struct fixture *f = *state;
	uint64_t v = 1;
	assert_int_equal(vpl011_read(&f->u, VPL011_FR, 8, &v), -FV_EINVAL);
	assert_int_equal(v, 0);
	assert_int_equal(vpl011_read(&f->u, VPL011_FR + 1, 2, &v), -FV_EINVAL);
	assert_int_equal(vpl011_read(&f->u, VPL011_MMIO_SIZE, 4, &v), -FV_ERANGE);
	assert_int_equal(vpl011_read(&f->u, 0x100, 4, &v), -FV_ERANGE); /* a hole */
	assert_int_equal(vpl011_write(&f->u, 0x100, 4, 1), -FV_ERANGE);
	assert_int_equal(vpl011_write(&f->u, VPL011_DR, 3, 'x'), -FV_EINVAL);
	assert_int_equal(vpl011_write(&f->u, UINT64_MAX - 3, 4, 0), -FV_ERANGE);
	assert_int_equal(f->h.ntx, 0); /* refused writes sent nothing */
	/* Byte reads of a word register give its bytes. */
	wr(&f->u, VPL011_IBRD, 0x1234);
	assert_int_equal(vpl011_read(&f->u, VPL011_IBRD + 1, 1, &v), 0);
	assert_int_equal(v, 0x12);
}

static void test_hostile_sweep(void **state)
{
	struct fixture *f = *state;
	/* Every offset, width and value pattern: no crash, the model stays consistent. */
	static const unsigned widths[] = {1, 2, 3, 4, 8};
	for (uint64_t off = 0; off < VPL011_MMIO_SIZE + 8; off++)
		for (unsigned w = 0; w < 5; w++) {
			uint64_t v;
			(void)vpl011_write(&f->u, off, widths[w], ~off);
			(void)vpl011_read(&f->u, off, widths[w], &v);
			vpl011_rx_push(&f->u, (uint8_t)off);
		}
	assert_true(f->u.rx_count <= VPL011_FIFO_SIZE);
	assert_true(f->u.rx_head < VPL011_FIFO_SIZE);
	assert_int_equal(f->h.level, vpl011_irq_pending(&f->u));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_tx_bytes_reach_host, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rx_fifo_order_and_overrun, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_irq_levels, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stored_registers, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_primecell_ids, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_accesses, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hostile_sweep, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
