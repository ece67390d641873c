// SPDX-License-Identifier: MIT
/* Physical PL011 console: polled TX and RX, no interrupts (PL011 TRM register map). */
#include "drivers/pl011.h"

#define REG_DR    0x00      /* data: write = send, read = received byte + error bits */
#define REG_FR    0x18      /* flags */
#define REG_CR    0x30      /* control */
#define FR_RXFE   (1u << 4) /* receive FIFO empty */
#define FR_TXFF   (1u << 5) /* transmit FIFO full */
#define CR_UARTEN (1u << 0)
#define CR_TXE    (1u << 8)
#define CR_RXE    (1u << 9)

static uint32_t reg_read(const struct pl011 *u, unsigned reg)
{
	return *(volatile uint32_t *)(u->base + reg);
}

static void reg_write(const struct pl011 *u, unsigned reg, uint32_t v)
{
	*(volatile uint32_t *)(u->base + reg) = v;
}

void pl011_init(struct pl011 *u, uintptr_t base)
{
	u->base = base;
	/* Firmware normally enabled it; make sure transmit and receive are on. */
	uint32_t cr = reg_read(u, REG_CR);
	if ((cr & (CR_UARTEN | CR_TXE | CR_RXE)) != (CR_UARTEN | CR_TXE | CR_RXE))
		reg_write(u, REG_CR, cr | CR_UARTEN | CR_TXE | CR_RXE);
}

void pl011_putc(struct pl011 *u, char c)
{
	/* Bounded wait: a wedged UART must not hang the hypervisor forever. */
	for (unsigned i = 0; i < 1000000; i++) {
		if (!(reg_read(u, REG_FR) & FR_TXFF))
			break;
	}
	reg_write(u, REG_DR, (uint8_t)c);
}

int pl011_getc(struct pl011 *u)
{
	if (reg_read(u, REG_FR) & FR_RXFE)
		return -1;
	/* Bits 8..11 are framing/parity/break/overrun flags: the byte is the low 8 bits. */
	return (int)(reg_read(u, REG_DR) & 0xff);
}
