/* SPDX-License-Identifier: MIT */
#ifndef FV_VDEV_VPL011_H
#define FV_VDEV_VPL011_H

/*
 * Emulated Arm PL011 UART (PrimeCell UART, PL011 TRM r1p5), one per arm64 VM: the guest's
 * console as QEMU's arm64 virt machine has it. Same shape as vdev/vuart.h (the ns16550):
 * pure state machine, no locks, callbacks through struct vuart_ops, serialised by the
 * owner (vconsole.c).
 *
 * Transmit is instantaneous: a DR write goes straight to ops->tx, so the transmit FIFO is
 * always empty (FR.TXFE = 1, TXFF = 0, BUSY = 0) and the transmit interrupt (TXRIS) is
 * always raised, as for an empty FIFO at or below its trigger level; a driver masks it in
 * IMSC when it has nothing more to send. Receive: a 16-byte FIFO fed by vpl011_rx_push();
 * RXRIS and the receive timeout RTRIS are raised while it holds data (the timeout is
 * modelled as expiring at once, so no byte strands below the trigger level). The
 * interrupt output is (RIS & IMSC) != 0. Baud rate, line control, control, FIFO level and
 * DMA registers are stored and read back, with no effect on the byte stream.
 */
#include "lib/types.h"
#include "vdev/vuart.h" /* struct vuart_ops */

#define VPL011_MMIO_SIZE  0x1000u /* the PrimeCell window (ids at 0xfe0..0xffc) */
#define VPL011_FIFO_SIZE  16u     /* power of two */
#define VPL011_DR         0x000
#define VPL011_RSR        0x004 /* read: receive status; write: error clear (ECR) */
#define VPL011_FR         0x018
#define VPL011_ILPR       0x020
#define VPL011_IBRD       0x024
#define VPL011_FBRD       0x028
#define VPL011_LCR_H      0x02c
#define VPL011_CR         0x030
#define VPL011_IFLS       0x034
#define VPL011_IMSC       0x038
#define VPL011_RIS        0x03c
#define VPL011_MIS        0x040
#define VPL011_ICR        0x044
#define VPL011_DMACR      0x048
#define VPL011_PERIPH_ID0 0xfe0

#define VPL011_FR_BUSY (1u << 3)
#define VPL011_FR_RXFE (1u << 4)
#define VPL011_FR_TXFF (1u << 5)
#define VPL011_FR_RXFF (1u << 6)
#define VPL011_FR_TXFE (1u << 7)

#define VPL011_INT_RX  (1u << 4)
#define VPL011_INT_TX  (1u << 5)
#define VPL011_INT_RT  (1u << 6)
#define VPL011_INT_ALL 0x7ffu

/* The PrimeCell ids a PL011 r1p5 reports (PeriphID 0x00341011, PCellID 0xb105f00d). */
#define VPL011_PERIPH_ID 0x00341011u

struct vpl011 {
	uint8_t rx_fifo[VPL011_FIFO_SIZE];
	uint8_t rx_head, rx_count;
	uint16_t ibrd, fbrd, lcr_h, cr, ifls, imsc, dmacr, ilpr;
	uint16_t ris_latched; /* TX interrupt cleared by ICR until the next DR write */
	bool overrun;         /* RSR.OE: a byte was pushed into a full FIFO */
	bool irq_level;       /* last level reported through ops->irq_update */
	const struct vuart_ops *ops;
	void *ctx;
};

/* Power-on state with ops (may be NULL) and ctx attached; the line starts low. */
void vpl011_init(struct vpl011 *u, const struct vuart_ops *ops, void *ctx);
/* Registers and FIFO to power-on state, ops kept; irq_update(false) if the line was high. */
void vpl011_reset(struct vpl011 *u);
/*
 * Guest read at byte offset. Widths 1, 2 and 4 at an offset aligned to the width read the
 * register's low bits; anything else is -FV_EINVAL, an offset outside the window or a
 * hole -FV_ERANGE, both with *val = 0 and no side effect. A DR read pops the FIFO.
 */
int vpl011_read(struct vpl011 *u, uint64_t offset, unsigned width, uint64_t *val);
/* Guest write; same checks as vpl011_read. May call ops->tx and ops->irq_update. */
int vpl011_write(struct vpl011 *u, uint64_t offset, unsigned width, uint64_t val);
/* Host input; false (byte dropped, RSR.OE set) when the FIFO is full. */
bool vpl011_rx_push(struct vpl011 *u, uint8_t c);
/* Bytes vpl011_rx_push() would accept now. */
size_t vpl011_rx_space(const struct vpl011 *u);
/* Current level of the interrupt output. Pure. */
bool vpl011_irq_pending(const struct vpl011 *u);

#endif
