/* SPDX-License-Identifier: MIT */
#ifndef FV_VDEV_VUART_H
#define FV_VDEV_VUART_H

/*
 * Emulated ns16550A UART, one per VM (reg-shift 0, reg-io-width 1).
 *
 * Pure state machine: no timers, no locks, no hardware. Transmit is
 * instantaneous (each THR write goes straight to ops->tx, so THRE and TEMT
 * always read 1); the receive side is a 16-byte FIFO fed by vuart_rx_push().
 * The receiver character timeout is modelled as expiring at once: whenever
 * the RX FIFO holds fewer bytes than the trigger level, IIR reports a
 * timeout (0xC) instead of "data available" (0x4), so drivers that wait for
 * either never strand bytes below the trigger level.
 *
 * Modem lines: outside loopback the far end is modelled as a connected,
 * ready terminal (CTS, DSR and DCD asserted, RI not). In loopback (MCR bit 4)
 * THR writes go to the RX FIFO, MSR mirrors DTR/RTS/OUT1/OUT2, and host
 * input is refused (the serial input is disconnected).
 *
 * Concurrency: a vuart is not internally locked. Its owner serialises all
 * calls on one instance (e.g. with the VM's device lock); callbacks run
 * synchronously inside those calls with that serialisation held and must not
 * call back into the same vuart.
 *
 * Snapshots: struct vuart holds only plain values apart from ops/ctx, so it
 * can be copied; after restoring, re-attach ops/ctx and every index is
 * masked on use, so a corrupted image cannot make the model access out of
 * bounds.
 */
#include "lib/types.h"

#define VUART_MMIO_SIZE 8u  /* registers at offsets 0..7 */
#define VUART_FIFO_SIZE 16u /* RX FIFO depth (power of two) */

/* Register offsets (reg-shift 0). */
#define VUART_RBR 0 /* read, DLAB=0: receive buffer */
#define VUART_THR 0 /* write, DLAB=0: transmit holding */
#define VUART_DLL 0 /* DLAB=1: divisor latch low */
#define VUART_IER 1 /* DLAB=0: interrupt enable */
#define VUART_DLM 1 /* DLAB=1: divisor latch high */
#define VUART_IIR 2 /* read: interrupt identification */
#define VUART_FCR 2 /* write: FIFO control */
#define VUART_LCR 3 /* line control */
#define VUART_MCR 4 /* modem control */
#define VUART_LSR 5 /* line status (writes ignored) */
#define VUART_MSR 6 /* modem status (writes ignored) */
#define VUART_SCR 7 /* scratch */

#define VUART_IER_ERBFI 0x01 /* received data available / timeout */
#define VUART_IER_ETBEI 0x02 /* THR empty */
#define VUART_IER_ELSI  0x04 /* receiver line status */
#define VUART_IER_EDSSI 0x08 /* modem status */
#define VUART_IER_MASK  0x0f

#define VUART_IIR_NO_INT 0x01
#define VUART_IIR_MSI    0x00 /* modem status */
#define VUART_IIR_THRI   0x02 /* THR empty */
#define VUART_IIR_RDI    0x04 /* received data available */
#define VUART_IIR_RLSI   0x06 /* receiver line status */
#define VUART_IIR_CTI    0x0c /* character timeout */
#define VUART_IIR_FIFOS  0xc0 /* FIFOs enabled */

#define VUART_FCR_ENABLE   0x01
#define VUART_FCR_CLEAR_RX 0x02
#define VUART_FCR_CLEAR_TX 0x04
#define VUART_FCR_DMA      0x08
#define VUART_FCR_TRIG     0xc0 /* RX trigger: 1, 4, 8, 14 bytes */

#define VUART_LCR_DLAB 0x80

#define VUART_MCR_DTR  0x01
#define VUART_MCR_RTS  0x02
#define VUART_MCR_OUT1 0x04
#define VUART_MCR_OUT2 0x08
#define VUART_MCR_LOOP 0x10
#define VUART_MCR_MASK 0x1f

#define VUART_LSR_DR   0x01 /* data ready */
#define VUART_LSR_OE   0x02 /* overrun error */
#define VUART_LSR_PE   0x04 /* parity error (never set) */
#define VUART_LSR_FE   0x08 /* framing error (never set) */
#define VUART_LSR_BI   0x10 /* break (never set) */
#define VUART_LSR_THRE 0x20 /* THR empty (always set) */
#define VUART_LSR_TEMT 0x40 /* transmitter empty (always set) */

#define VUART_MSR_DCTS 0x01
#define VUART_MSR_DDSR 0x02
#define VUART_MSR_TERI 0x04
#define VUART_MSR_DDCD 0x08
#define VUART_MSR_CTS  0x10
#define VUART_MSR_DSR  0x20
#define VUART_MSR_RI   0x40
#define VUART_MSR_DCD  0x80

/* Host side of a vuart. Both callbacks are optional (NULL). */
struct vuart_ops {
	void (*tx)(void *ctx, uint8_t c);          /* guest transmitted c */
	void (*irq_update)(void *ctx, bool level); /* interrupt line changed to level */
};

/* Device state: plain values only, except ops/ctx at the end. */
struct vuart {
	uint8_t rx_fifo[VUART_FIFO_SIZE];
	uint8_t rx_head;  /* index of the oldest received byte */
	uint8_t rx_count; /* bytes held, 0..VUART_FIFO_SIZE */
	uint8_t ier;
	uint8_t lcr;
	uint8_t mcr;
	uint8_t fcr; /* ENABLE, DMA and TRIG bits as last programmed */
	uint8_t scr;
	uint8_t dll;
	uint8_t dlm;
	uint8_t lsr_err;   /* sticky LSR error bits, cleared by reading LSR */
	uint8_t msr_delta; /* MSR bits 3:0, cleared by reading MSR */
	bool thre_pending; /* THR-empty interrupt latched, not yet acknowledged */
	bool irq_level;    /* last level reported through ops->irq_update */
	const struct vuart_ops *ops;
	void *ctx;
};

/*
 * Initialise @u to power-on state and attach @ops (may be NULL) and @ctx.
 * Does not call irq_update (the line starts low). Caller owns @u.
 */
void vuart_init(struct vuart *u, const struct vuart_ops *ops, void *ctx);

/*
 * Reset registers and FIFO to power-on state, keeping ops/ctx. Calls
 * irq_update(false) if the line was high. Serialised by the caller.
 */
void vuart_reset(struct vuart *u);

/*
 * Guest MMIO read at byte @offset of the device. @width may be 1, 2, 4 or 8:
 * any width reads only the byte register at @offset, zero-extended into
 * *val (the device is reg-io-width 1). Reads have the usual side effects
 * (RBR pops, IIR acknowledges THRE, LSR/MSR clear their sticky bits).
 * Returns 0; -FV_ERANGE for offset >= 8 or -FV_EINVAL for another width,
 * both with *val = 0 and no side effect. Guest-controlled input: never fails
 * otherwise. Serialised by the caller.
 */
int vuart_read(struct vuart *u, uint64_t offset, unsigned width, uint64_t *val);

/*
 * vuart_read's fast half, inline for the MMIO exit path (docs/performance.md,
 * issue #15): a read that changes no state and so cannot move the interrupt
 * line (LSR without an error latched, MSR without a delta outside loopback,
 * IER/DLM, LCR, MCR, SCR, and DLL with DLAB set) puts the register's value
 * in *val and returns true. Anything else, bad offsets and widths included,
 * returns false with *val untouched: call vuart_read (which begins with this
 * very function). A guest polling LSR is the common MMIO access.
 * Serialised by the caller.
 */
static inline bool vuart_read_quiet(const struct vuart *u, uint64_t offset, unsigned width,
                                    uint64_t *val)
{
	/* 1, 2, 4 or 8: one bit of 0x116 each. */
	if (offset >= VUART_MMIO_SIZE || width > 8 || !((0x116u >> width) & 1))
		return false;
	bool dlab = (u->lcr & VUART_LCR_DLAB) != 0;
	uint8_t v;
	switch (offset) {
	case VUART_LSR:
		if (u->lsr_err)
			return false;
		/* THR empty and transmitter empty always; data ready while the FIFO holds some. */
		v = VUART_LSR_THRE | VUART_LSR_TEMT | (u->rx_count ? VUART_LSR_DR : 0);
		break;
	case VUART_MSR:
		if (u->msr_delta || (u->mcr & VUART_MCR_LOOP))
			return false;
		/* Outside loopback: a connected, ready terminal (see the top of this file). */
		v = VUART_MSR_CTS | VUART_MSR_DSR | VUART_MSR_DCD;
		break;
	case VUART_IER:
		v = dlab ? u->dlm : u->ier;
		break;
	case VUART_LCR:
		v = u->lcr;
		break;
	case VUART_MCR:
		v = u->mcr;
		break;
	case VUART_SCR:
		v = u->scr;
		break;
	case VUART_RBR:
		if (!dlab)
			return false;
		v = u->dll;
		break;
	default: /* VUART_IIR acknowledges THRE */
		return false;
	}
	*val = v;
	return true;
}

/*
 * Guest MMIO write at byte @offset. Any width writes only the low byte of
 * @val to the byte register at @offset. Writes to LSR and MSR are accepted
 * and ignored. May call ops->tx and ops->irq_update. Returns 0; -FV_ERANGE
 * for offset >= 8 or -FV_EINVAL for a width not 1, 2, 4 or 8, both ignored.
 * Serialised by the caller.
 */
int vuart_write(struct vuart *u, uint64_t offset, unsigned width, uint64_t val);

/*
 * Host input: queue @c for the guest. Returns false if it was not accepted:
 * FIFO full (the byte is dropped and LSR.OE set, as on an overrun) or
 * loopback mode (input disconnected; nothing set). The FIFO holds 16 bytes
 * when FCR enables FIFOs, 1 otherwise. May call ops->irq_update.
 * Serialised by the caller.
 */
bool vuart_rx_push(struct vuart *u, uint8_t c);

/*
 * How many bytes vuart_rx_push() would accept now without overrun (0 in
 * loopback). Lets the console layer hold input back instead of dropping it.
 */
size_t vuart_rx_space(const struct vuart *u);

/* Current level of the interrupt output (true = asserted). Pure. */
bool vuart_irq_pending(const struct vuart *u);

#endif
