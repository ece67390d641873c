// SPDX-License-Identifier: MIT
/* Emulated PL011 UART (vpl011.h). Pure. */
#include "vdev/vpl011.h"
#include "lib/fv_err.h"

/* PrimeCell identification bytes at 0xfe0..0xffc, one per word. */
static const uint8_t id_bytes[8] = {0x11, 0x10, 0x34, 0x00, 0x0d, 0xf0, 0x05, 0xb1};

static uint16_t ris(const struct vpl011 *u)
{
	uint16_t r = u->ris_latched;
	if (u->rx_count)
		r |= VPL011_INT_RX | VPL011_INT_RT;
	return r;
}

bool vpl011_irq_pending(const struct vpl011 *u)
{
	return (ris(u) & u->imsc) != 0;
}

static void update_irq(struct vpl011 *u)
{
	bool level = vpl011_irq_pending(u);
	if (level == u->irq_level)
		return;
	u->irq_level = level;
	if (u->ops && u->ops->irq_update)
		u->ops->irq_update(u->ctx, level);
}

static void power_on(struct vpl011 *u)
{
	for (unsigned i = 0; i < VPL011_FIFO_SIZE; i++)
		u->rx_fifo[i] = 0;
	u->rx_head = u->rx_count = 0;
	u->ibrd = u->fbrd = u->lcr_h = u->ifls = u->imsc = u->dmacr = u->ilpr = 0;
	u->cr = 0x300; /* TXE and RXE set, UARTEN clear (TRM reset value) */
	u->ifls = 0x12;
	u->ris_latched = VPL011_INT_TX; /* empty transmit FIFO */
	u->overrun = false;
}

void vpl011_init(struct vpl011 *u, const struct vuart_ops *ops, void *ctx)
{
	u->ops = ops;
	u->ctx = ctx;
	u->irq_level = false;
	power_on(u);
}

void vpl011_reset(struct vpl011 *u)
{
	power_on(u);
	update_irq(u);
}

static bool access_ok(uint64_t offset, unsigned width, int *err)
{
	if ((width != 1 && width != 2 && width != 4) || (offset & (width - 1U))) {
		*err = -FV_EINVAL;
		return false;
	}
	if (offset >= VPL011_MMIO_SIZE) {
		*err = -FV_ERANGE;
		return false;
	}
	return true;
}

/* The register at offset (4-byte aligned), or -1 for a hole. */
static int reg_read(struct vpl011 *u, uint64_t reg, uint32_t *v)
{
	switch (reg) {
	case VPL011_DR:
		if (!u->rx_count) {
			*v = 0;
			return 0;
		}
		*v = u->rx_fifo[u->rx_head];
		u->rx_head = (uint8_t)((u->rx_head + 1) & (VPL011_FIFO_SIZE - 1));
		u->rx_count--;
		return 0;
	case VPL011_RSR:
		*v = u->overrun ? 8u : 0u;
		return 0;
	case VPL011_FR:
		*v = VPL011_FR_TXFE | (u->rx_count ? 0 : VPL011_FR_RXFE) |
		     (u->rx_count == VPL011_FIFO_SIZE ? VPL011_FR_RXFF : 0);
		return 0;
	case VPL011_ILPR:
		*v = u->ilpr;
		return 0;
	case VPL011_IBRD:
		*v = u->ibrd;
		return 0;
	case VPL011_FBRD:
		*v = u->fbrd;
		return 0;
	case VPL011_LCR_H:
		*v = u->lcr_h;
		return 0;
	case VPL011_CR:
		*v = u->cr;
		return 0;
	case VPL011_IFLS:
		*v = u->ifls;
		return 0;
	case VPL011_IMSC:
		*v = u->imsc;
		return 0;
	case VPL011_RIS:
		*v = ris(u);
		return 0;
	case VPL011_MIS:
		*v = ris(u) & u->imsc;
		return 0;
	case VPL011_DMACR:
		*v = u->dmacr;
		return 0;
	default:
		if (reg >= VPL011_PERIPH_ID0 && reg < VPL011_MMIO_SIZE) {
			*v = id_bytes[(reg - VPL011_PERIPH_ID0) / 4];
			return 0;
		}
		return -1;
	}
}

int vpl011_read(struct vpl011 *u, uint64_t offset, unsigned width, uint64_t *val)
{
	int err;
	*val = 0;
	if (!access_ok(offset, width, &err))
		return err;
	uint32_t v;
	if (reg_read(u, offset & ~3ULL, &v) != 0)
		return -FV_ERANGE;
	v >>= (offset & 3) * 8;
	*val = width == 4 ? v : (v & ((1U << (width * 8)) - 1));
	update_irq(u);
	return 0;
}

int vpl011_write(struct vpl011 *u, uint64_t offset, unsigned width, uint64_t val)
{
	int err;
	if (!access_ok(offset, width, &err))
		return err;
	/* Narrow writes land in the low bits of the register (drivers write whole words). */
	uint64_t reg = offset & ~3ULL;
	uint16_t v = (uint16_t)(val << ((offset & 3) * 8));
	switch (reg) {
	case VPL011_DR:
		if (u->ops && u->ops->tx)
			u->ops->tx(u->ctx, (uint8_t)v);
		u->ris_latched |= VPL011_INT_TX; /* sent at once: the FIFO is empty again */
		break;
	case VPL011_RSR:
		u->overrun = false;
		break;
	case VPL011_ILPR:
		u->ilpr = v & 0xff;
		break;
	case VPL011_IBRD:
		u->ibrd = v;
		break;
	case VPL011_FBRD:
		u->fbrd = v & 0x3f;
		break;
	case VPL011_LCR_H:
		u->lcr_h = v & 0xff;
		break;
	case VPL011_CR:
		u->cr = v;
		break;
	case VPL011_IFLS:
		u->ifls = v & 0x3f;
		break;
	case VPL011_IMSC:
		u->imsc = v & VPL011_INT_ALL;
		break;
	case VPL011_ICR:
		u->ris_latched &= (uint16_t)~v;
		break;
	case VPL011_DMACR:
		u->dmacr = v & 7;
		break;
	case VPL011_FR:
	case VPL011_RIS:
	case VPL011_MIS:
		break; /* read-only: ignored */
	default:
		if (reg >= VPL011_PERIPH_ID0)
			break; /* identification registers are read-only */
		return -FV_ERANGE;
	}
	update_irq(u);
	return 0;
}

bool vpl011_rx_push(struct vpl011 *u, uint8_t c)
{
	if (u->rx_count == VPL011_FIFO_SIZE) {
		u->overrun = true;
		return false;
	}
	u->rx_fifo[(u->rx_head + u->rx_count) & (VPL011_FIFO_SIZE - 1)] = c;
	u->rx_count++;
	update_irq(u);
	return true;
}

size_t vpl011_rx_space(const struct vpl011 *u)
{
	return VPL011_FIFO_SIZE - u->rx_count;
}
