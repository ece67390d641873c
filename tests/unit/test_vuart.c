/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the ns16550A model (hyp/vdev/vuart.c): register semantics,
 * DLAB, FIFO and overrun, IIR priorities, THRE acknowledgement, interrupt
 * callback levels, loopback, Linux 8250 probe sequences and a hostile sweep.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vdev/vuart.h"

/* ---- fake host side ---- */

struct host {
	uint8_t tx[4096];
	size_t ntx;
	unsigned irq_calls;
	bool level;
	struct vuart *u;
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

	/* only called on a real change, and consistent with the query */
	assert_int_not_equal(level, h->level);
	assert_int_equal(level, vuart_irq_pending(h->u));
	h->level = level;
	h->irq_calls++;
}

static const struct vuart_ops host_ops = {host_tx, host_irq};

struct fixture {
	struct vuart u;
	struct host h;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->h.u = &f->u;
	vuart_init(&f->u, &host_ops, &f->h);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

static uint8_t rd(struct vuart *u, unsigned off)
{
	uint64_t v = 0xdeadbeef;

	assert_int_equal(vuart_read(u, off, 1, &v), 0);
	assert_true(v <= 0xff);
	return (uint8_t)v;
}

static void wr(struct vuart *u, unsigned off, uint8_t v)
{
	assert_int_equal(vuart_write(u, off, 1, v), 0);
}

/* ---- basic registers ---- */

static void test_reset_values(void **state)
{
	struct fixture *f = *state;
	struct vuart *u = &f->u;

	assert_int_equal(rd(u, VUART_IER), 0);
	assert_int_equal(rd(u, VUART_IIR), VUART_IIR_NO_INT);
	assert_int_equal(rd(u, VUART_LCR), 0);
	assert_int_equal(rd(u, VUART_MCR), 0);
	assert_int_equal(rd(u, VUART_LSR), VUART_LSR_THRE | VUART_LSR_TEMT);
	assert_int_equal(rd(u, VUART_MSR), VUART_MSR_CTS | VUART_MSR_DSR | VUART_MSR_DCD);
	assert_int_equal(rd(u, VUART_SCR), 0);
	assert_int_equal(rd(u, VUART_RBR), 0); /* empty RBR reads 0 */
	assert_false(vuart_irq_pending(u));
	assert_int_equal(f->h.irq_calls, 0);
	assert_int_equal(vuart_rx_space(u), 1);
}

static void test_tx_and_lsr(void **state)
{
	struct fixture *f = *state;
	struct vuart *u = &f->u;
	const char *msg = "hello, world\n";

	for (size_t i = 0; msg[i]; i++) {
		wr(u, VUART_THR, (uint8_t)msg[i]);
		/* TX is instantaneous: THR and shift register empty again */
		assert_int_equal(rd(u, VUART_LSR), VUART_LSR_THRE | VUART_LSR_TEMT);
	}
	assert_int_equal(f->h.ntx, strlen(msg));
	assert_memory_equal(f->h.tx, msg, strlen(msg));
	/* IER=0: no interrupt from all that */
	assert_int_equal(f->h.irq_calls, 0);
	/* every byte value passes through unchanged */
	f->h.ntx = 0;
	for (unsigned c = 0; c < 256; c++)
		wr(u, VUART_THR, (uint8_t)c);
	for (unsigned c = 0; c < 256; c++)
		assert_int_equal(f->h.tx[c], c);
}

static void test_plain_registers(void **state)
{
	struct fixture *f = *state;
	struct vuart *u = &f->u;

	for (unsigned v = 0; v < 256; v++) {
		wr(u, VUART_SCR, (uint8_t)v);
		assert_int_equal(rd(u, VUART_SCR), v);
		wr(u, VUART_LCR, (uint8_t)(v & 0x7f));
		assert_int_equal(rd(u, VUART_LCR), v & 0x7f);
		wr(u, VUART_IER, (uint8_t)v);
		assert_int_equal(rd(u, VUART_IER), v & VUART_IER_MASK);
		wr(u, VUART_MCR, (uint8_t)(v & ~VUART_MCR_LOOP));
		assert_int_equal(rd(u, VUART_MCR), v & VUART_MCR_MASK & ~VUART_MCR_LOOP);
	}
	/* LSR and MSR writes are ignored */
	wr(u, VUART_IER, 0);
	wr(u, VUART_MCR, 0);
	wr(u, VUART_LSR, 0xff);
	wr(u, VUART_MSR, 0xff);
	assert_int_equal(rd(u, VUART_LSR), VUART_LSR_THRE | VUART_LSR_TEMT);
	assert_int_equal(rd(u, VUART_MSR), VUART_MSR_CTS | VUART_MSR_DSR | VUART_MSR_DCD);
}

static void test_dlab(void **state)
{
	struct fixture *f = *state;
	struct vuart *u = &f->u;

	wr(u, VUART_IER, VUART_IER_ERBFI);
	assert_true(vuart_rx_push(u, 'x'));
	f->h.ntx = 0;

	wr(u, VUART_LCR, VUART_LCR_DLAB | 0x03);
	wr(u, VUART_DLL, 0x0c);
	wr(u, VUART_DLM, 0x01);
	/* with DLAB the divisor latches are visible, RBR/IER are not touched */
	assert_int_equal(rd(u, VUART_DLL), 0x0c);
	assert_int_equal(rd(u, VUART_DLM), 0x01);
	assert_int_equal(f->h.ntx, 0);
	assert_int_equal(rd(u, VUART_LSR) & VUART_LSR_DR, VUART_LSR_DR);
	/* IIR, LCR, SCR are not banked */
	assert_int_equal(rd(u, VUART_IIR), VUART_IIR_RDI);
	assert_int_equal(rd(u, VUART_LCR), VUART_LCR_DLAB | 0x03);

	wr(u, VUART_LCR, 0x03);
	assert_int_equal(rd(u, VUART_IER), VUART_IER_ERBFI);
	assert_int_equal(rd(u, VUART_RBR), 'x');
	wr(u, VUART_THR, 'y');
	assert_int_equal(f->h.ntx, 1);
	assert_int_equal(f->h.tx[0], 'y');

	/* latches keep their value across DLAB toggles */
	wr(u, VUART_LCR, VUART_LCR_DLAB);
	assert_int_equal(rd(u, VUART_DLL), 0x0c);
	assert_int_equal(rd(u, VUART_DLM), 0x01);
}

/* ---- receive path ---- */

static void test_rx_no_fifo(void **state)
{
	struct fixture *f = *state;
	struct vuart *u = &f->u;

	assert_int_equal(vuart_rx_space(u), 1);
	assert_true(vuart_rx_push(u, 'a'));
	assert_int_equal(vuart_rx_space(u), 0);
	assert_int_equal(rd(u, VUART_LSR), VUART_LSR_DR | VUART_LSR_THRE | VUART_LSR_TEMT);
	/* 16450 mode holds one byte: overrun drops the newcomer and sets OE */
	assert_false(vuart_rx_push(u, 'b'));
	assert_int_equal(rd(u, VUART_LSR),
	                 VUART_LSR_DR | VUART_LSR_OE | VUART_LSR_THRE | VUART_LSR_TEMT);
	/* OE is cleared by the LSR read */
	assert_int_equal(rd(u, VUART_LSR), VUART_LSR_DR | VUART_LSR_THRE | VUART_LSR_TEMT);
	assert_int_equal(rd(u, VUART_RBR), 'a');
	assert_int_equal(rd(u, VUART_LSR), VUART_LSR_THRE | VUART_LSR_TEMT);
	assert_int_equal(vuart_rx_space(u), 1);
	/* IIR without FIFOs has bits 7:6 clear */
	assert_int_equal(rd(u, VUART_IIR) & VUART_IIR_FIFOS, 0);
}

static void test_rx_fifo(void **state)
{
	struct fixture *f = *state;
	struct vuart *u = &f->u;

	wr(u, VUART_FCR, VUART_FCR_ENABLE);
	assert_int_equal(rd(u, VUART_IIR), VUART_IIR_FIFOS | VUART_IIR_NO_INT);
	assert_int_equal(vuart_rx_space(u), VUART_FIFO_SIZE);
	for (unsigned i = 0; i < VUART_FIFO_SIZE; i++) {
		assert_true(vuart_rx_push(u, (uint8_t)('A' + i)));
		assert_int_equal(vuart_rx_space(u), VUART_FIFO_SIZE - 1 - i);
	}
	assert_false(vuart_rx_push(u, '!'));
	assert_false(vuart_rx_push(u, '?'));
	assert_int_equal(rd(u, VUART_LSR) & (VUART_LSR_DR | VUART_LSR_OE),
	                 VUART_LSR_DR | VUART_LSR_OE);
	assert_int_equal(rd(u, VUART_LSR) & VUART_LSR_OE, 0);
	/* FIFO order, overrun bytes lost */
	for (unsigned i = 0; i < VUART_FIFO_SIZE; i++)
		assert_int_equal(rd(u, VUART_RBR), 'A' + i);
	assert_int_equal(rd(u, VUART_LSR) & VUART_LSR_DR, 0);
	assert_int_equal(rd(u, VUART_RBR), 0);

	/* ring wrap-around over many interleaved push/pop */
	for (unsigned i = 0; i < 1000; i++) {
		assert_true(vuart_rx_push(u, (uint8_t)i));
		assert_true(vuart_rx_push(u, (uint8_t)(i ^ 0x55)));
		assert_int_equal(rd(u, VUART_RBR), (uint8_t)i);
		assert_int_equal(rd(u, VUART_RBR), (uint8_t)(i ^ 0x55));
	}

	/* FCR clear-RX empties the FIFO, keeps it enabled */
	for (unsigned i = 0; i < 5; i++)
		assert_true(vuart_rx_push(u, 'z'));
	wr(u, VUART_FCR, VUART_FCR_ENABLE | VUART_FCR_CLEAR_RX | VUART_FCR_CLEAR_TX);
	assert_int_equal(rd(u, VUART_LSR) & VUART_LSR_DR, 0);
	assert_int_equal(vuart_rx_space(u), VUART_FIFO_SIZE);

	/* disabling the FIFO clears it and drops back to a 1-byte holding register */
	for (unsigned i = 0; i < 5; i++)
		assert_true(vuart_rx_push(u, 'z'));
	wr(u, VUART_FCR, 0);
	assert_int_equal(rd(u, VUART_LSR) & VUART_LSR_DR, 0);
	assert_int_equal(vuart_rx_space(u), 1);
	assert_int_equal(rd(u, VUART_IIR), VUART_IIR_NO_INT);

	/* enabling it clears too; clear bits without ENABLE are not programmed */
	assert_true(vuart_rx_push(u, 'q'));
	wr(u, VUART_FCR, VUART_FCR_ENABLE);
	assert_int_equal(rd(u, VUART_LSR) & VUART_LSR_DR, 0);
	assert_true(vuart_rx_push(u, 'q'));
	wr(u, VUART_FCR, VUART_FCR_ENABLE | 0xc0); /* re-program trigger: no clear */
	assert_int_equal(rd(u, VUART_LSR) & VUART_LSR_DR, VUART_LSR_DR);
	assert_int_equal(rd(u, VUART_RBR), 'q');
}

static void test_rx_trigger_levels(void **state)
{
	static const unsigned levels[4] = {1, 4, 8, 14};
	struct fixture *f = *state;
	struct vuart *u = &f->u;

	wr(u, VUART_IER, VUART_IER_ERBFI);
	for (unsigned t = 0; t < 4; t++) {
		wr(u, VUART_FCR, (uint8_t)(VUART_FCR_ENABLE | VUART_FCR_CLEAR_RX | (t << 6)));
		assert_int_equal(rd(u, VUART_IIR), VUART_IIR_FIFOS | VUART_IIR_NO_INT);
		for (unsigned n = 1; n <= VUART_FIFO_SIZE; n++) {
			assert_true(vuart_rx_push(u, (uint8_t)n));
			/* below the trigger the (immediately expired) timeout is reported */
			assert_int_equal(rd(u, VUART_IIR),
			                 VUART_IIR_FIFOS |
			                     (n < levels[t] ? VUART_IIR_CTI : VUART_IIR_RDI));
			assert_true(vuart_irq_pending(u));
		}
	}
	/* without FIFOs there is no timeout indication */
	wr(u, VUART_FCR, 0);
	assert_true(vuart_rx_push(u, 1));
	assert_int_equal(rd(u, VUART_IIR), VUART_IIR_RDI);
}

/* ---- interrupts ---- */

static void test_thre_semantics(void **state)
{
	struct fixture *f = *state;
	struct vuart *u = &f->u;

	/* enabling ETBEI with THR empty raises THRE */
	wr(u, VUART_IER, VUART_IER_ETBEI);
	assert_true(vuart_irq_pending(u));
	assert_true(f->h.level);
	assert_int_equal(f->h.irq_calls, 1);
	/* reading IIR while THRE is the source acknowledges it */
	assert_int_equal(rd(u, VUART_IIR), VUART_IIR_THRI);
	assert_false(f->h.level);
	assert_int_equal(rd(u, VUART_IIR), VUART_IIR_NO_INT);
	/* rewriting IER with ETBEI already set does not re-raise */
	wr(u, VUART_IER, VUART_IER_ETBEI);
	assert_false(vuart_irq_pending(u));
	/* writing THR: byte leaves at once, THR empty again -> THRE again */
	wr(u, VUART_THR, 'a');
	assert_true(f->h.level);
	assert_int_equal(rd(u, VUART_IIR), VUART_IIR_THRI);
	assert_false(f->h.level);
	/* disabling ETBEI hides it; re-enabling raises it */
	wr(u, VUART_IER, 0);
	wr(u, VUART_IER, VUART_IER_ETBEI);
	assert_true(f->h.level);
	/* reading other registers does not acknowledge THRE */
	rd(u, VUART_LSR);
	rd(u, VUART_MSR);
	rd(u, VUART_RBR);
	assert_true(f->h.level);

	/* IIR reporting a higher-priority source leaves THRE latched */
	wr(u, VUART_IER, VUART_IER_ETBEI | VUART_IER_ERBFI);
	assert_true(vuart_rx_push(u, 'r'));
	assert_int_equal(rd(u, VUART_IIR), VUART_IIR_RDI);
	assert_int_equal(rd(u, VUART_RBR), 'r');
	assert_int_equal(rd(u, VUART_IIR), VUART_IIR_THRI);
	assert_int_equal(rd(u, VUART_IIR), VUART_IIR_NO_INT);
	assert_false(f->h.level);

	/* THRE latched while masked becomes visible on enable */
	wr(u, VUART_IER, 0);
	wr(u, VUART_THR, 'b');
	assert_false(f->h.level);
	wr(u, VUART_IER, VUART_IER_ETBEI);
	assert_int_equal(rd(u, VUART_IIR), VUART_IIR_THRI);
}

static void test_iir_priorities(void **state)
{
	struct fixture *f = *state;
	struct vuart *u = &f->u;

	/*
	 * Build every source at once using loopback: entering loopback moves
	 * CTS/DSR/DCD (modem status), THR writes fill the RX FIFO (data) and
	 * overflow it (line status), and IER.ETBEI latches THRE.
	 */
	wr(u, VUART_FCR, VUART_FCR_ENABLE | 0x40); /* trigger 4 */
	wr(u, VUART_MCR, VUART_MCR_LOOP);
	for (unsigned i = 0; i < VUART_FIFO_SIZE + 1; i++)
		wr(u, VUART_THR, (uint8_t)i);
	assert_int_equal(f->h.ntx, 0); /* nothing leaves in loopback */
	assert_false(f->h.level);      /* all sources masked */
	wr(u, VUART_IER, VUART_IER_MASK);
	assert_true(f->h.level);

	assert_int_equal(rd(u, VUART_IIR), VUART_IIR_FIFOS | VUART_IIR_RLSI);
	assert_int_equal(rd(u, VUART_IIR), VUART_IIR_FIFOS | VUART_IIR_RLSI); /* not acked */
	assert_int_equal(rd(u, VUART_LSR) & VUART_LSR_OE, VUART_LSR_OE);
	assert_int_equal(rd(u, VUART_IIR), VUART_IIR_FIFOS | VUART_IIR_RDI);
	for (unsigned i = 0; i < VUART_FIFO_SIZE - 3; i++)
		assert_int_equal(rd(u, VUART_RBR), i);
	assert_int_equal(rd(u, VUART_IIR), VUART_IIR_FIFOS | VUART_IIR_CTI);
	for (unsigned i = VUART_FIFO_SIZE - 3; i < VUART_FIFO_SIZE; i++)
		assert_int_equal(rd(u, VUART_RBR), i);
	assert_int_equal(rd(u, VUART_IIR), VUART_IIR_FIFOS | VUART_IIR_THRI); /* acks THRE */
	assert_int_equal(rd(u, VUART_IIR), VUART_IIR_FIFOS | VUART_IIR_MSI);
	assert_true(f->h.level);
	assert_int_equal(rd(u, VUART_MSR), VUART_MSR_DCTS | VUART_MSR_DDSR | VUART_MSR_DDCD);
	assert_int_equal(rd(u, VUART_IIR), VUART_IIR_FIFOS | VUART_IIR_NO_INT);
	assert_false(f->h.level);
	assert_false(vuart_irq_pending(u));
}

static void test_line_status_irq(void **state)
{
	struct fixture *f = *state;
	struct vuart *u = &f->u;

	wr(u, VUART_IER, VUART_IER_ELSI);
	assert_true(vuart_rx_push(u, 1));
	assert_false(f->h.level); /* data alone is not a line-status event */
	assert_false(vuart_rx_push(u, 2));
	assert_true(f->h.level);
	assert_int_equal(rd(u, VUART_IIR), VUART_IIR_RLSI);
	rd(u, VUART_LSR);
	assert_false(f->h.level);
}

static void test_irq_callback(void **state)
{
	struct fixture *f = *state;
	struct vuart *u = &f->u;

	wr(u, VUART_IER, VUART_IER_ERBFI);
	assert_int_equal(f->h.irq_calls, 0);
	assert_true(vuart_rx_push(u, 'k'));
	assert_int_equal(f->h.irq_calls, 1);
	assert_true(f->h.level);
	/* no redundant calls while the level holds */
	rd(u, VUART_LSR);
	rd(u, VUART_IIR);
	wr(u, VUART_SCR, 1);
	assert_int_equal(f->h.irq_calls, 1);
	rd(u, VUART_RBR);
	assert_int_equal(f->h.irq_calls, 2);
	assert_false(f->h.level);
	/* masking/unmasking a pending source toggles the line */
	assert_true(vuart_rx_push(u, 'k'));
	wr(u, VUART_IER, 0);
	assert_false(f->h.level);
	wr(u, VUART_IER, VUART_IER_ERBFI);
	assert_true(f->h.level);
	assert_int_equal(f->h.irq_calls, 5);
	/* reset drops the line */
	vuart_reset(u);
	assert_false(f->h.level);
	assert_int_equal(f->h.irq_calls, 6);
	assert_int_equal(rd(u, VUART_IER), 0);
	assert_int_equal(rd(u, VUART_LSR), VUART_LSR_THRE | VUART_LSR_TEMT);
	/* reset with the line low does not call */
	vuart_reset(u);
	assert_int_equal(f->h.irq_calls, 6);
}

static void test_null_ops(void **state)
{
	static const struct vuart_ops empty_ops = {NULL, NULL};
	struct vuart u;
	(void)state;

	vuart_init(&u, NULL, NULL);
	assert_int_equal(vuart_write(&u, VUART_IER, 1, VUART_IER_MASK), 0);
	assert_int_equal(vuart_write(&u, VUART_THR, 1, 'x'), 0);
	assert_true(vuart_rx_push(&u, 'y'));
	assert_true(vuart_irq_pending(&u));
	vuart_reset(&u);
	assert_false(vuart_irq_pending(&u));

	vuart_init(&u, &empty_ops, NULL);
	assert_int_equal(vuart_write(&u, VUART_IER, 1, VUART_IER_MASK), 0);
	assert_int_equal(vuart_write(&u, VUART_THR, 1, 'x'), 0);
}

/* ---- loopback and modem status ---- */

static void test_loopback(void **state)
{
	struct fixture *f = *state;
	struct vuart *u = &f->u;

	wr(u, VUART_MCR, VUART_MCR_LOOP);
	assert_int_equal(rd(u, VUART_MSR) & 0xf0, 0);
	/* host input is disconnected, and not counted as an overrun */
	assert_int_equal(vuart_rx_space(u), 0);
	assert_false(vuart_rx_push(u, 'h'));
	assert_int_equal(rd(u, VUART_LSR), VUART_LSR_THRE | VUART_LSR_TEMT);
	/* TX loops to RX */
	wr(u, VUART_THR, 0x5a);
	assert_int_equal(f->h.ntx, 0);
	assert_int_equal(rd(u, VUART_LSR) & VUART_LSR_DR, VUART_LSR_DR);
	assert_int_equal(rd(u, VUART_RBR), 0x5a);

	/* MCR outputs mirror into MSR inputs, with deltas */
	wr(u, VUART_MCR, VUART_MCR_LOOP | VUART_MCR_RTS);
	assert_int_equal(rd(u, VUART_MSR), VUART_MSR_CTS | VUART_MSR_DCTS);
	wr(u, VUART_MCR, VUART_MCR_LOOP | VUART_MCR_DTR);
	assert_int_equal(rd(u, VUART_MSR), VUART_MSR_DSR | VUART_MSR_DCTS | VUART_MSR_DDSR);
	wr(u, VUART_MCR, VUART_MCR_LOOP | VUART_MCR_DTR | VUART_MCR_OUT2);
	assert_int_equal(rd(u, VUART_MSR), VUART_MSR_DSR | VUART_MSR_DCD | VUART_MSR_DDCD);
	/* RI: only the trailing edge sets TERI */
	wr(u, VUART_MCR, VUART_MCR_LOOP | VUART_MCR_OUT1);
	assert_int_equal(rd(u, VUART_MSR), VUART_MSR_RI | VUART_MSR_DDSR | VUART_MSR_DDCD);
	wr(u, VUART_MCR, VUART_MCR_LOOP);
	assert_int_equal(rd(u, VUART_MSR), VUART_MSR_TERI);
	assert_int_equal(rd(u, VUART_MSR), 0);

	/* modem status interrupt */
	wr(u, VUART_IER, VUART_IER_EDSSI);
	assert_false(f->h.level);
	wr(u, VUART_MCR, VUART_MCR_LOOP | VUART_MCR_RTS);
	assert_true(f->h.level);
	assert_int_equal(rd(u, VUART_IIR), VUART_IIR_MSI);
	assert_true(f->h.level); /* IIR read does not ack modem status */
	rd(u, VUART_MSR);
	assert_false(f->h.level);

	/* leaving loopback reconnects the ready terminal and the host input */
	wr(u, VUART_MCR, 0);
	assert_int_equal(rd(u, VUART_MSR), VUART_MSR_CTS | VUART_MSR_DSR | VUART_MSR_DCD |
	                                       VUART_MSR_DDSR | VUART_MSR_DDCD);
	assert_true(vuart_rx_push(u, 'h'));
	wr(u, VUART_THR, 'o');
	assert_int_equal(f->h.ntx, 1);
	assert_int_equal(rd(u, VUART_RBR), 'h');
}

/* Sequences the Linux 8250 driver runs at probe/startup. */
static void test_linux_probe_sequences(void **state)
{
	struct fixture *f = *state;
	struct vuart *u = &f->u;
	uint8_t iir1, iir2, save_mcr;

	/* autoconfig: scratch test, then loopback check expects DCD|CTS only */
	wr(u, VUART_SCR, 0xa5);
	assert_int_equal(rd(u, VUART_SCR), 0xa5);
	save_mcr = rd(u, VUART_MCR);
	wr(u, VUART_MCR, VUART_MCR_LOOP | 0x0a);
	assert_int_equal(rd(u, VUART_MSR) & 0xf0, VUART_MSR_DCD | VUART_MSR_CTS);
	wr(u, VUART_MCR, save_mcr);

	/* FIFO probe: FCR enable, IIR bits 7:6 both set identify a 16550A */
	wr(u, VUART_FCR, VUART_FCR_ENABLE);
	assert_int_equal(rd(u, VUART_IIR) & 0xc0, 0xc0);

	/* startup: clear FIFOs, drain, the THRE test (UART_BUG_THRE) */
	wr(u, VUART_FCR, VUART_FCR_ENABLE | VUART_FCR_CLEAR_RX | VUART_FCR_CLEAR_TX);
	rd(u, VUART_LSR);
	rd(u, VUART_RBR);
	rd(u, VUART_IIR);
	rd(u, VUART_MSR);
	wr(u, VUART_IER, VUART_IER_ETBEI);
	iir1 = rd(u, VUART_IIR);
	wr(u, VUART_IER, 0);
	wr(u, VUART_IER, VUART_IER_ETBEI);
	iir2 = rd(u, VUART_IIR);
	wr(u, VUART_IER, 0);
	assert_int_equal(iir1 & VUART_IIR_NO_INT, 0);
	assert_int_equal(iir2 & VUART_IIR_NO_INT, 0);
	assert_false(f->h.level);

	/* 8N1, 115200 with DLAB, FIFO trigger 8, RX + line-status interrupts */
	wr(u, VUART_LCR, VUART_LCR_DLAB | 0x03);
	wr(u, VUART_DLL, 1);
	wr(u, VUART_DLM, 0);
	wr(u, VUART_LCR, 0x03);
	wr(u, VUART_FCR, VUART_FCR_ENABLE | 0x80);
	wr(u, VUART_MCR, VUART_MCR_DTR | VUART_MCR_RTS | VUART_MCR_OUT2);
	wr(u, VUART_IER, VUART_IER_ERBFI | VUART_IER_ELSI);

	/* an interrupt-driven receive of a short line below the trigger */
	for (const char *p = "ls\r"; *p; p++)
		assert_true(vuart_rx_push(u, (uint8_t)*p));
	assert_true(f->h.level);
	assert_int_equal(rd(u, VUART_IIR), VUART_IIR_FIFOS | VUART_IIR_CTI);
	{
		char got[4] = {0};
		unsigned n = 0;

		while ((rd(u, VUART_LSR) & VUART_LSR_DR) && n < 3)
			got[n++] = (char)rd(u, VUART_RBR);
		assert_string_equal(got, "ls\r");
	}
	assert_false(f->h.level);

	/* interrupt-driven transmit: start_tx sets ETBEI, ISR fills, stop_tx */
	wr(u, VUART_IER, VUART_IER_ERBFI | VUART_IER_ELSI | VUART_IER_ETBEI);
	assert_true(f->h.level);
	assert_int_equal(rd(u, VUART_IIR), VUART_IIR_FIFOS | VUART_IIR_THRI);
	for (const char *p = "ok\n"; *p; p++)
		wr(u, VUART_THR, (uint8_t)*p);
	assert_true(f->h.level); /* THR empty again */
	assert_int_equal(rd(u, VUART_IIR), VUART_IIR_FIFOS | VUART_IIR_THRI);
	wr(u, VUART_IER, VUART_IER_ERBFI | VUART_IER_ELSI);
	assert_false(f->h.level);
	assert_int_equal(f->h.ntx, 3);
	assert_memory_equal(f->h.tx, "ok\n", 3);
}

/* ---- hostile guest ---- */

static void test_bad_offsets_and_widths(void **state)
{
	static const uint64_t offs[] = {
	    8, 9, 15, 16, 0x100, 0xfff, UINT32_MAX, UINT64_MAX, UINT64_MAX - 7, (uint64_t)1 << 63};
	static const unsigned widths[] = {0, 3, 5, 6, 7, 9, 16, 64, UINT32_MAX};
	struct fixture *f = *state;
	struct vuart *u = &f->u;
	struct vuart before;
	uint64_t v;

	wr(u, VUART_IER, VUART_IER_ERBFI);
	assert_true(vuart_rx_push(u, 'd'));
	memcpy(&before, u, sizeof(before));
	for (size_t i = 0; i < ARRAY_SIZE(offs); i++) {
		for (unsigned w = 1; w <= 8; w *= 2) {
			v = 0x1234;
			assert_int_equal(vuart_read(u, offs[i], w, &v), -FV_ERANGE);
			assert_true(v == 0);
			assert_int_equal(vuart_write(u, offs[i], w, ~0ull), -FV_ERANGE);
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(widths); i++) {
		for (unsigned off = 0; off < 10; off++) {
			v = 0x1234;
			assert_int_equal(vuart_read(u, off, widths[i], &v), -FV_EINVAL);
			assert_true(v == 0);
			assert_int_equal(vuart_write(u, off, widths[i], ~0ull), -FV_EINVAL);
		}
	}
	assert_int_equal(vuart_read(u, 0, 1, NULL), -FV_EINVAL);
	/* nothing above changed any state (RX byte still there, no TX) */
	assert_memory_equal(&before, u, sizeof(before));
	assert_int_equal(f->h.ntx, 0);
}

static void test_wide_accesses(void **state)
{
	struct fixture *f = *state;
	struct vuart *u = &f->u;
	uint64_t v;

	/* wide writes touch only the addressed byte register, low byte of val */
	assert_int_equal(vuart_write(u, VUART_SCR, 8, 0x1122334455667788ull), 0);
	assert_int_equal(rd(u, VUART_SCR), 0x88);
	assert_int_equal(vuart_write(u, VUART_IER, 2, 0xff01), 0);
	assert_int_equal(rd(u, VUART_IER), VUART_IER_ERBFI);
	assert_int_equal(vuart_write(u, VUART_IER, 4, 0xffffff00), 0);
	assert_int_equal(rd(u, VUART_IER), 0);
	assert_int_equal(vuart_write(u, VUART_THR, 4, 0xabcdef41), 0);
	assert_int_equal(f->h.ntx, 1);
	assert_int_equal(f->h.tx[0], 0x41);
	assert_int_equal(rd(u, VUART_LCR), 0);
	assert_int_equal(rd(u, VUART_MCR), 0);
	/* wide reads return only the addressed register, zero-extended */
	for (unsigned w = 1; w <= 8; w *= 2) {
		assert_int_equal(vuart_read(u, VUART_LSR, w, &v), 0);
		assert_true(v == (VUART_LSR_THRE | VUART_LSR_TEMT));
		assert_int_equal(vuart_read(u, VUART_SCR, w, &v), 0);
		assert_true(v == 0x88);
	}
	/* a wide RBR read consumes exactly one byte */
	assert_true(vuart_rx_push(u, 'p'));
	assert_int_equal(vuart_read(u, VUART_RBR, 8, &v), 0);
	assert_true(v == 'p');
	assert_int_equal(rd(u, VUART_LSR) & VUART_LSR_DR, 0);
}

static uint64_t rng_state = 0x243f6a8885a308d3ull;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void check_invariants(struct fixture *f)
{
	struct vuart *u = &f->u;

	assert_true(u->rx_count <= VUART_FIFO_SIZE);
	assert_true(u->rx_head < VUART_FIFO_SIZE);
	assert_true(vuart_rx_space(u) <= VUART_FIFO_SIZE);
	/* the host always sees the current level */
	assert_int_equal(f->h.level, vuart_irq_pending(u));
	assert_int_equal(u->irq_level, vuart_irq_pending(u));
	/* registers with fixed-zero bits */
	assert_int_equal(u->ier & ~VUART_IER_MASK, 0);
	assert_int_equal(u->mcr & ~VUART_MCR_MASK, 0);
}

static void test_random_sweep(void **state)
{
	static const unsigned widths[] = {1, 1, 1, 1, 2, 4, 8, 3};
	struct fixture *f = *state;
	struct vuart *u = &f->u;

	for (unsigned i = 0; i < 1000000; i++) {
		uint64_t r = rng();
		uint64_t off = (r >> 8) % 10; /* mostly valid, some out of range */
		unsigned w = widths[(r >> 16) & 7];
		uint64_t val = rng();
		int ret;

		switch (r & 7) {
		case 0:
		case 1:
		case 2: {
			uint64_t v = 0x55;

			ret = vuart_read(u, off, w, &v);
			if (ret == 0) {
				assert_true(v <= 0xff);
				if (off == VUART_LSR)
					assert_int_equal(v & (VUART_LSR_THRE | VUART_LSR_TEMT),
					                 VUART_LSR_THRE | VUART_LSR_TEMT);
				if (off == VUART_IIR) {
					uint8_t low = v & 0x0f;

					assert_true(low == VUART_IIR_NO_INT ||
					            low == VUART_IIR_MSI || low == VUART_IIR_THRI ||
					            low == VUART_IIR_RDI || low == VUART_IIR_RLSI ||
					            low == VUART_IIR_CTI);
					assert_int_equal(v & 0x30, 0);
				}
			} else {
				assert_true(v == 0);
			}
			break;
		}
		case 3:
		case 4:
		case 5:
			/* keep loopback/FIFO toggles from dominating: mask MCR writes often */
			if (off == VUART_MCR && (val & 0x100))
				val &= ~(uint64_t)VUART_MCR_LOOP;
			ret = vuart_write(u, off, w, val);
			break;
		default: {
			size_t space = vuart_rx_space(u);
			bool ok = vuart_rx_push(u, (uint8_t)val);

			assert_int_equal(ok, space > 0);
			ret = 0;
			break;
		}
		}
		if (off >= VUART_MMIO_SIZE && (r & 7) < 6)
			assert_true(ret == -FV_ERANGE || ret == -FV_EINVAL);
		if (w == 3 && (r & 7) < 6)
			assert_int_equal(ret, -FV_EINVAL);
		check_invariants(f);
	}
}

/* A corrupted snapshot must not drive the model out of bounds. */
static void test_corrupt_state(void **state)
{
	struct fixture *f = *state;
	struct vuart *u = &f->u;
	uint64_t v;

	wr(u, VUART_FCR, VUART_FCR_ENABLE);
	u->rx_head = 0xff;
	u->rx_count = 0xff;
	u->ier = 0xff;
	u->msr_delta = 0xff;
	u->lsr_err = 0xff;
	u->fcr = 0xff;
	assert_int_equal(vuart_rx_space(u), 0);
	for (unsigned i = 0; i < 40; i++) {
		assert_int_equal(vuart_read(u, VUART_RBR, 1, &v), 0);
		assert_int_equal(vuart_read(u, VUART_IIR, 1, &v), 0);
	}
	assert_int_equal(vuart_rx_space(u), VUART_FIFO_SIZE);
	assert_true(vuart_rx_push(u, 7));
	assert_int_equal(rd(u, VUART_RBR), 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_reset_values, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tx_and_lsr, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_plain_registers, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dlab, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rx_no_fifo, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rx_fifo, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rx_trigger_levels, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_thre_semantics, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_iir_priorities, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_line_status_irq, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_irq_callback, setup, teardown),
	    cmocka_unit_test(test_null_ops),
	    cmocka_unit_test_setup_teardown(test_loopback, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_linux_probe_sequences, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_offsets_and_widths, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_wide_accesses, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_random_sweep, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_corrupt_state, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
