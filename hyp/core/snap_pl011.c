// SPDX-License-Identifier: MIT
/*
 * PL011 state in snapshots (contract in snap_pl011.h). Layout, little-endian:
 *   0..15  receive FIFO bytes        16  rx_head      17  rx_count
 *   18     flags (bit 0: RSR.OE)     19  0
 *   20 IBRD  22 FBRD  24 LCR_H  26 CR  28 IFLS  30 IMSC  32 DMACR  34 ILPR
 *   36 the latched transmit interrupt (ris_latched)  38..47 0
 * Every value is one vpl011_write could have stored (the same masks), so a restored UART
 * is a state the guest could have reached by itself.
 */
#include "core/snap_pl011.h"
#include "lib/fv_err.h"
#include "lib/string.h"

#define OFF_REGS 20u
#define NR_REGS  9u
#define OFF_PAD  (OFF_REGS + 2u * NR_REGS)

_Static_assert(VPL011_FIFO_SIZE == 16u, "the FIFO is bytes 0..15");
_Static_assert(OFF_PAD <= SNAP_PL011_LEN, "registers fit");

/* The register fields in payload order, with the bits a guest write can set in each. */
static const uint16_t reg_mask[NR_REGS] = {
    0xffffu,        /* IBRD */
    0x3fu,          /* FBRD */
    0xffu,          /* LCR_H */
    0xffffu,        /* CR */
    0x3fu,          /* IFLS */
    VPL011_INT_ALL, /* IMSC */
    7u,             /* DMACR */
    0xffu,          /* ILPR */
    VPL011_INT_TX,  /* ris_latched: only the TX interrupt is latched */
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

uint32_t snap_pl011_save(const struct vpl011 *u, uint8_t *out)
{
	const uint16_t regs[NR_REGS] = {u->ibrd, u->fbrd,  u->lcr_h, u->cr,         u->ifls,
	                                u->imsc, u->dmacr, u->ilpr,  u->ris_latched};
	memset(out, 0, SNAP_PL011_LEN);
	memcpy(out, u->rx_fifo, VPL011_FIFO_SIZE);
	out[16] = u->rx_head;
	out[17] = u->rx_count;
	out[18] = u->overrun ? 1u : 0u;
	for (unsigned i = 0; i < NR_REGS; i++)
		put16(out + OFF_REGS + 2 * i, regs[i]);
	return SNAP_PL011_LEN;
}

int snap_pl011_load(struct vpl011 *u, const uint8_t *p, uint32_t len)
{
	if (len != SNAP_PL011_LEN || p[16] >= VPL011_FIFO_SIZE || p[17] > VPL011_FIFO_SIZE ||
	    p[18] > 1 || p[19])
		return -FV_EINVAL;
	uint16_t regs[NR_REGS];
	for (unsigned i = 0; i < NR_REGS; i++) {
		regs[i] = get16(p + OFF_REGS + 2 * i);
		if (regs[i] & ~reg_mask[i])
			return -FV_EINVAL;
	}
	for (unsigned i = OFF_PAD; i < SNAP_PL011_LEN; i++)
		if (p[i])
			return -FV_EINVAL;
	memcpy(u->rx_fifo, p, VPL011_FIFO_SIZE);
	u->rx_head = p[16];
	u->rx_count = p[17];
	u->overrun = p[18] != 0;
	u->ibrd = regs[0];
	u->fbrd = regs[1];
	u->lcr_h = regs[2];
	u->cr = regs[3];
	u->ifls = regs[4];
	u->imsc = regs[5];
	u->dmacr = regs[6];
	u->ilpr = regs[7];
	u->ris_latched = regs[8];
	/* The output line follows the registers, never the file. */
	u->irq_level = vpl011_irq_pending(u);
	return 0;
}
